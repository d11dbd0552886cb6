"""The generator writes the exact export formats, reproducibly from its ``rng``."""

from __future__ import annotations

import csv
import hashlib

import numpy as np
import pandas as pd

from castlab.lifelog.synthetic import GeneratorConfig, write_exports

SMALL = GeneratorConfig(days=21, ulogme_days=2, timezone="Australia/Sydney")


def _digest(folder) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def test_same_rng_same_files_other_rng_other_files(tmp_path):
    a = write_exports(tmp_path / "a", rng=np.random.default_rng(3), config=SMALL)
    b = write_exports(tmp_path / "b", rng=np.random.default_rng(3), config=SMALL)
    c = write_exports(tmp_path / "c", rng=np.random.default_rng(4), config=SMALL)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b") != _digest(tmp_path / "c")
    assert a.toggl.name == b.toggl.name == c.toggl.name == "toggl_detailed.csv"


def test_formats_match_the_real_exports(tmp_path):
    paths = write_exports(tmp_path, rng=np.random.default_rng(0), config=SMALL)
    toggl = paths.toggl.read_bytes()
    assert toggl.startswith(
        b"\xef\xbb\xbfUser,Email,Client,Project,Task,Description,Billable,"
        b"Start date,Start time,End date,End time,Duration,Tags,Amount ()\r\n"
    )
    daylio = paths.daylio.read_text(encoding="utf-8-sig")
    assert daylio.startswith("full_date,date,weekday,time,mood,activities,note\n")
    with open(paths.daylio, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    first = rows[0]
    assert first["time"][-2:] in {"AM", "PM"} and not first["time"].startswith("0")
    assert pd.Timestamp(first["full_date"]).day_name() == first["weekday"]
    dates = [r["full_date"] for r in rows]
    assert dates == sorted(dates, reverse=True)
    for path in sorted(paths.ulogme.glob("keyfreq_*.txt")):
        seven = pd.Timestamp(int(path.stem.split("_")[1]), unit="s", tz="UTC")
        assert seven.tz_convert(SMALL.timezone).hour == 7
        first_line = path.read_text().splitlines()[0].split(" ")
        assert len(first_line) == 2 and int(first_line[0]) > int(path.stem.split("_")[1])
        assert (paths.ulogme / path.name.replace("keyfreq", "window")).exists()


def test_planted_effect_is_in_the_raw_rows(tmp_path):
    """Straight from the CSV, without castlab's readers: outdoors days are happier."""
    config = GeneratorConfig(days=300, ulogme_days=0, outdoors_effect=1.0)
    paths = write_exports(tmp_path, rng=np.random.default_rng(9), config=config)
    with open(paths.daylio, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    score = {name: i + 1 for i, name in enumerate(config.mood_names)}
    outdoors = [score[r["mood"]] for r in rows if "outdoors" in r["activities"].split(" | ")]
    indoors = [score[r["mood"]] for r in rows if "outdoors" not in r["activities"].split(" | ")]
    assert np.mean(outdoors) - np.mean(indoors) > 0.6
    assert not list(paths.ulogme.iterdir())
