"""Toggl and Daylio importers: generated and real exports, tolerance, and precise errors."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from castlab.core.errors import CastlabError
from castlab.lifelog.data import DEFAULT_MOODS, parse_mood_map, read_daylio, read_toggl

from .conftest import GENERATOR, REAL_MOODS

TOGGL_HEADER = (
    "User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,"
    "End time,Duration,Tags,Amount ()\n"
)
DAYLIO_HEADER = "full_date,date,weekday,time,mood,activities,note\n"


def _csv_records(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


# --- Toggl -----------------------------------------------------------------------------


def test_toggl_generated_matches_the_file(exports):
    entries = read_toggl(exports.toggl)
    records = _csv_records(exports.toggl)
    assert len(entries) == len(records)
    durations = pd.to_timedelta(pd.Series([r["Duration"] for r in records]))
    expected = durations.dt.total_seconds().sum() / 3600
    assert entries["hours"].sum() == pytest.approx(expected)
    assert entries["start"].is_monotonic_increasing
    crossing = entries[entries["end"].dt.date != entries["start"].dt.date]
    assert len(crossing) > 0, "the generator plants work that runs past midnight"
    gaps = (crossing["end"] - crossing["start"]).dt.total_seconds() / 3600
    assert gaps.to_numpy() == pytest.approx(crossing["hours"].to_numpy())


def test_toggl_tags_with_commas_and_billable(exports):
    entries = read_toggl(exports.toggl)
    assert ("meetings", "billable") in set(entries["tags"])
    assert entries.loc[entries["tags"].map(lambda t: "billable" in t), "billable"].all()


def test_toggl_real_export(real_toggl):
    entries = read_toggl(real_toggl)
    assert len(entries) == 217
    assert entries["project"].nunique() == 8
    raw = pd.read_csv(real_toggl, encoding="utf-8-sig")
    assert entries["hours"].sum() == pytest.approx(
        pd.to_timedelta(raw["Duration"]).dt.total_seconds().sum() / 3600
    )
    late = entries[entries["start"] == pd.Timestamp("2017-08-06 22:47:12")].iloc[0]
    assert late["end"] == pd.Timestamp("2017-08-07 00:32:08")


def test_toggl_bom_crlf_and_12_hour_times_read_the_same(tmp_path):
    row = 'Ann,a@b.c,,Writing,,"Draft, v2",No,2024-03-01,09:00:00,2024-03-01,10:30:00,01:30:00,,\n'
    plain = tmp_path / "plain.csv"
    plain.write_text(TOGGL_HEADER + row)
    bom = tmp_path / "bom.csv"
    bom.write_bytes(("\ufeff" + TOGGL_HEADER + row).replace("\n", "\r\n").encode())
    twelve = tmp_path / "twelve.csv"
    twelve.write_text(TOGGL_HEADER + row.replace("09:00:00", "09:00:00 AM"))
    first = read_toggl(plain)
    pd.testing.assert_frame_equal(first, read_toggl(bom))
    pd.testing.assert_frame_equal(first, read_toggl(twelve))
    assert first.loc[0, "description"] == "Draft, v2"
    assert first.loc[0, "client"] == "(no client)"
    assert first.loc[0, "hours"] == 1.5


def test_toggl_without_duration_uses_end(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "Project,Start date,Start time,End date,End time\nA,2024-01-01,23:00,2024-01-02,01:15\n"
    )
    assert read_toggl(path).loc[0, "hours"] == pytest.approx(2.25)


@pytest.mark.parametrize(
    ("bad_row", "line", "column", "words"),
    [
        (
            "Ann,a@b.c,,P,,d,No,2024-03-01,09:00:00,2024-03-01,10:00:00,1:xx:00,,\n",
            3,
            12,
            "Duration",
        ),
        (
            "Ann,a@b.c,,P,,d,No,2024-13-01,09:00:00,2024-03-01,10:00:00,01:00:00,,\n",
            3,
            8,
            "Start date",
        ),
        ("Ann,a@b.c,,P,,d,No,2024-03-01,9h,2024-03-01,10:00:00,01:00:00,,\n", 3, 9, "Start time"),
        ("Ann,a@b.c,,P,,d,No,2024-03-01\n", 3, 9, "fields"),
    ],
)
def test_toggl_errors_name_file_line_and_column(tmp_path, bad_row, line, column, words):
    good = "Ann,a@b.c,,P,,d,No,2024-03-01,09:00:00,2024-03-01,10:00:00,01:00:00,,\n"
    path = tmp_path / "toggl.csv"
    path.write_text(TOGGL_HEADER + good + bad_row)
    with pytest.raises(CastlabError) as caught:
        read_toggl(path)
    error = caught.value
    assert (error.path, error.line, error.column) == (str(path), line, column)
    assert words in error.message
    assert str(error).startswith(f"{path}:{line}:{column}: ")


def test_toggl_bare_number_is_decimal_hours_and_over_a_day_is_refused(tmp_path):
    path = tmp_path / "t.csv"
    header = "Project,Start date,Start time,Duration\n"
    path.write_text(header + "P,2024-01-01,09:00:00,1.5\nP,2024-01-02,09:00:00,24\n")
    assert list(read_toggl(path)["hours"]) == [1.5, 24.0]
    # 90 minutes typed as a bare number would be 90 hours spread over 5 days
    path.write_text(header + "P,2024-01-01,09:00:00,1.5\nP,2024-01-02,09:00:00,90\n")
    with pytest.raises(CastlabError) as caught:
        read_toggl(path)
    error = caught.value
    assert (error.path, error.line, error.column) == (str(path), 3, 4)
    assert "'90'" in error.message and "longer than a day" in error.message
    assert "HH:MM:SS" in error.fix and "1:30:00 or 1.5" in error.fix
    assert "\n" not in str(error)
    # a timer left running past a day is written HH:MM:SS and is read, not refused
    path.write_text(header + "P,2024-01-01,09:00:00,30:15:00\n")
    assert read_toggl(path).loc[0, "hours"] == 30.25


def test_toggl_missing_columns_and_missing_file(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("name,value\na,1\n")
    with pytest.raises(CastlabError, match="missing column") as caught:
        read_toggl(path)
    assert caught.value.line == 1
    with pytest.raises(CastlabError, match="not found"):
        read_toggl(tmp_path / "nope.csv")


def test_not_utf8_is_reported_with_its_line(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(
        TOGGL_HEADER.encode() + "Zoë,,,P,,d,No,2024-03-01,09:00,,,01:00:00,,\n".encode("latin-1")
    )
    with pytest.raises(CastlabError, match="UTF-8") as caught:
        read_toggl(path)
    assert caught.value.line == 2


# --- Daylio ----------------------------------------------------------------------------


def test_daylio_generated_matches_the_file(exports):
    entries = read_daylio(exports.daylio)
    records = _csv_records(exports.daylio)
    assert len(entries) == len(records)
    assert entries["timestamp"].is_monotonic_increasing  # the export lists newest first
    assert set(entries["mood_name"]) <= set(GENERATOR.mood_names)
    assert (entries["mood"] == entries["mood_name"].map(DEFAULT_MOODS)).all()
    assert (entries["note"] == "").mean() > 0.3, "empty notes are common and must read as ''"
    assert entries["note"].str.contains("\n").any(), "a quoted note spanning two lines"
    assert entries["activities"].map(lambda a: "outdoors" in a).any()


def test_daylio_formats_old_header_24_hour_time_and_numbers(tmp_path):
    old = tmp_path / "old.csv"
    old.write_text(
        "year,date,weekday,time,mood,activities,note\n2019,March 17,Sunday,17:01,rad,,\n"
    )
    entry = read_daylio(old).iloc[0]
    assert entry["timestamp"] == pd.Timestamp("2019-03-17 17:01")
    assert entry["activities"] == () and entry["note"] == ""
    numbers = tmp_path / "numbers.csv"
    numbers.write_text(DAYLIO_HEADER + '2024-01-02,January 2,Tuesday,9:05 pm,4,"a|b ",""\n')
    entry = read_daylio(numbers).iloc[0]
    assert entry["mood"] == 4.0 and entry["activities"] == ("a", "b")
    assert entry["timestamp"] == pd.Timestamp("2024-01-02 21:05")
    newer = tmp_path / "newer.csv"
    newer.write_text(
        "full_date,date,weekday,time,mood,activities,note_title,note\n"
        '2024-01-02,January 2,Tuesday,21:05,good,"walk | tea","Title","Body, with comma"\n'
    )
    entry = read_daylio(newer).iloc[0]
    assert entry["note"] == "Body, with comma" and entry["activities"] == ("walk", "tea")


def test_daylio_unknown_mood_points_at_first_use_and_lists_all(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(
        DAYLIO_HEADER
        + '2024-01-03,January 3,Wednesday,8:00 PM,good,"",""\n'
        + '2024-01-02,January 2,Tuesday,8:00 PM,meh,"","two\nlines"\n'
        + '2024-01-01,January 1,Monday,8:00 PM,content,"",""\n'
        + '2023-12-31,December 31,Sunday,8:00 PM,Okay,"",""\n'
    )
    with pytest.raises(CastlabError) as caught:
        read_daylio(path)
    error = caught.value
    assert (error.line, error.column) == (5, 5)  # the two-line note shifts the line count
    assert "'content'" in error.message and "'Okay'" in error.message
    assert "--mood-map" in error.fix
    moods = read_daylio(path, moods="content=4,okay=3")["mood"].tolist()
    assert moods == [3.0, 4.0, 3.0, 4.0]


def test_mood_map_file_and_bad_scores(tmp_path):
    mapping = tmp_path / "moods.txt"
    mapping.write_text("# my moods\ncontent = 4\nokay: 3   # fine\n\nTired,2.5\n")
    moods = parse_mood_map(mapping)
    assert moods["content"] == 4 and moods["okay"] == 3 and moods["tired"] == 2.5
    assert moods["rad"] == 5  # defaults stay
    bad = tmp_path / "bad.txt"
    bad.write_text("content = 4\nokay = 7\n")
    with pytest.raises(CastlabError, match="1 to 5") as caught:
        parse_mood_map(bad)
    assert (caught.value.path, caught.value.line) == (str(bad), 2)
    with pytest.raises(CastlabError, match="name=score"):
        parse_mood_map("content=4, okay")
    with pytest.raises(CastlabError, match="file not found"):
        parse_mood_map(tmp_path / "missing.txt")


def test_daylio_bad_date_and_time(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(DAYLIO_HEADER + "2024-01-01,January 1,Monday,25:99,rad,,\n")
    with pytest.raises(CastlabError, match="time") as caught:
        read_daylio(path)
    assert (caught.value.line, caught.value.column) == (2, 4)
    path.write_text(DAYLIO_HEADER + "01-2024-01,January 1,Monday,8:00 PM,rad,,\n")
    with pytest.raises(CastlabError, match="full_date") as caught:
        read_daylio(path)
    assert caught.value.column == 1


def test_daylio_real_export_with_custom_moods(real_daylio):
    with pytest.raises(CastlabError, match="unknown mood name 'content'"):
        read_daylio(real_daylio)
    entries = read_daylio(real_daylio, moods=REAL_MOODS)
    assert len(entries) == 1186
    assert entries["date"].min() == pd.Timestamp("2018-03-07")
    assert entries["date"].max() == pd.Timestamp("2019-03-17")
    assert entries["mood_name"].value_counts()["okay"] == 423
    assert entries["mood"].between(1, 5).all()
    work = entries["activities"].map(lambda a: "work" in a).sum()
    assert work == 555


def test_a_mood_map_from_a_web_page_is_text_only_never_a_file(tmp_path):
    from castlab.lifelog.data import parse_mood_map

    secret = tmp_path / "secret.txt"
    secret.write_text("root = 1\n")  # a file on the server; the page's user typed its path
    assert parse_mood_map(str(secret))["root"] == 1.0  # the CLI reads files
    with pytest.raises(CastlabError, match="cannot read mood mapping") as caught:
        parse_mood_map(str(secret), files=False)
    assert "= 1" not in str(caught.value)  # nothing of the file shows in the message
    assert parse_mood_map("content=4", files=False)["content"] == 4.0
