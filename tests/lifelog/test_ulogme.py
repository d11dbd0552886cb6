"""uLogMe reader: 7-am days, time zones, window applications and errors."""

from __future__ import annotations

import pandas as pd
import pytest

from castlab.core.errors import CastlabError
from castlab.lifelog.ulogme import application_name, read_ulogme

from .conftest import GENERATOR

# 2024-07-01 07:00 in London (BST, UTC+1) is 06:00 UTC
SEVEN_AM = int(pd.Timestamp("2024-07-01 07:00", tz="Europe/London").timestamp())


def test_day_starts_at_seven_in_the_given_zone(tmp_path):
    (tmp_path / f"keyfreq_{SEVEN_AM}.txt").write_text(
        f"{SEVEN_AM - 1} 5\n{SEVEN_AM} 7\n{SEVEN_AM + 20 * 3600} 1\n"
    )
    (tmp_path / f"window_{SEVEN_AM}.txt").write_text(
        f"{SEVEN_AM - 30} Terminal\n{SEVEN_AM + 5} notes - Jupyter\n"
    )
    (tmp_path / f"notes_{SEVEN_AM}.txt").write_text("free text is ignored\n")
    log = read_ulogme(tmp_path, timezone="Europe/London")
    assert log.keys["time"].iloc[1] == pd.Timestamp("2024-07-01 07:00")
    assert log.keys["day"].tolist() == [
        pd.Timestamp("2024-06-30"),
        pd.Timestamp("2024-07-01"),
        pd.Timestamp("2024-07-01"),
    ]
    assert log.windows["application"].tolist() == ["Terminal", "Jupyter"]
    utc = read_ulogme(tmp_path, timezone="UTC")
    assert utc.keys["time"].iloc[1] == pd.Timestamp("2024-07-01 06:00")
    late = read_ulogme(tmp_path, timezone="Europe/London", day_start_hour=4)
    assert late.keys["day"].nunique() == 1


def test_generated_logs(exports):
    log = read_ulogme(exports.ulogme, timezone=GENERATOR.timezone)
    assert log.keys["day"].nunique() == GENERATOR.ulogme_days
    assert log.keys["time"].diff().dropna().dt.total_seconds().min() >= 9
    assert (log.keys["time"] - log.keys["day"]).min() >= pd.Timedelta(hours=7)
    assert "(locked)" in set(log.windows["application"])
    files = sorted(p.name for p in exports.ulogme.iterdir())
    assert len(files) == 2 * GENERATOR.ulogme_days


def test_application_name():
    assert application_name("Inbox - Mozilla Thunderbird") == "Mozilla Thunderbird"
    assert application_name("a \u2014 b \u2013 Emacs") == "Emacs"
    assert application_name("Slack") == "Slack"
    assert application_name("  ") == "(unknown)"
    assert application_name("__LOCKEDSCREEN") == "(locked)"


def test_errors_name_file_line_and_column(tmp_path):
    bad = tmp_path / f"keyfreq_{SEVEN_AM}.txt"
    bad.write_text(f"{SEVEN_AM} 3\n\n{SEVEN_AM + 9} lots\n")
    with pytest.raises(CastlabError, match="key count") as caught:
        read_ulogme(tmp_path, timezone="UTC")
    assert (caught.value.path, caught.value.line, caught.value.column) == (str(bad), 3, 12)
    bad.write_text("yesterday 3\n")
    with pytest.raises(CastlabError, match="unix time") as caught:
        read_ulogme(tmp_path, timezone="UTC")
    assert (caught.value.line, caught.value.column) == (1, 1)
    bad.write_text(f"{SEVEN_AM} 3\n{SEVEN_AM * 1000} 8\n")  # milliseconds
    with pytest.raises(CastlabError, match="not in seconds") as caught:
        read_ulogme(tmp_path, timezone="UTC")
    assert (caught.value.line, caught.value.column) == (2, 1)


def test_folder_errors(tmp_path):
    with pytest.raises(CastlabError, match="not found"):
        read_ulogme(tmp_path / "missing")
    with pytest.raises(CastlabError, match="keyfreq"):
        read_ulogme(tmp_path)
    (tmp_path / "notes.txt").write_text("not a log\n")
    with pytest.raises(CastlabError, match=r"among the 1 file\(s\) there \(notes.txt\)"):
        read_ulogme(tmp_path)
    (tmp_path / f"keyfreq_{SEVEN_AM}.txt").write_text(f"{SEVEN_AM} 3\n")
    with pytest.raises(CastlabError, match="time zone"):
        read_ulogme(tmp_path, timezone="Mars/Olympus")
    with pytest.raises(CastlabError, match="0-23"):
        read_ulogme(tmp_path, day_start_hour=24)
