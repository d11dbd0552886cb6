"""The HTML report works with any subset of sources and on the real exports."""

from __future__ import annotations

import json

import pytest

from castlab.core.errors import CastlabError
from castlab.core.report import Report
from castlab.lifelog.demo import run_demo
from castlab.lifelog.report import (
    PRIVACY_NOTE,
    LifelogSources,
    ReportConfig,
    load_sources,
    write_report,
)

from .conftest import REAL_MOODS

FAST = ReportConfig(n_boot=100)


@pytest.mark.parametrize(
    ("given", "figures"),
    [
        (("toggl",), {"time_per_month.png"}),
        (("daylio",), {"year_in_pixels.png", "mood_by_weekday.png", "activity_effects.png"}),
        (("ulogme",), {"keystrokes_day.png", "per_app.png"}),
        (("toggl", "daylio", "ulogme"), {"mood_by_hours.png", "associations.png", "per_app.png"}),
    ],
)
def test_any_subset_of_sources(tmp_path, sources, given, figures):
    subset = LifelogSources(**{name: getattr(sources, name) for name in given})
    page = write_report(tmp_path, subset, FAST)
    text = page.read_text()
    assert PRIVACY_NOTE in text.replace("&#x27;", "'")
    assert text.count("<img") == len(list((tmp_path / "figures").glob("*.png")))
    assert figures <= {p.name for p in (tmp_path / "figures").glob("*.png")}
    assert (tmp_path / "daily.csv").exists()
    assert json.loads((tmp_path / "config.json").read_text())["n_boot"] == 100
    if "daylio" in given:
        assert "outdoors" in text
        notes = sources.daylio["note"]
        assert not any(note in text for note in notes[notes.str.len() > 10])  # no notes leak


def test_load_sources_needs_one(tmp_path):
    with pytest.raises(CastlabError, match="no exports"):
        load_sources()


def test_real_exports_report(tmp_path, real_toggl, real_daylio):
    sources = load_sources(toggl=real_toggl, daylio=real_daylio, moods=REAL_MOODS)
    page = write_report(tmp_path, sources, FAST)
    text = page.read_text()
    assert "share no days" in text  # Toggl is 2017, Daylio 2018-2019
    assert "Tania-time" in text and "217 time entries" in text


def test_demo_fills_a_section(tmp_path):
    report = Report("demo")
    section = report.section("lifelog")
    run_demo(tmp_path, section)
    text = report.render()
    assert "Recovered: outdoors +" in text
    assert (tmp_path / "exports" / "daylio_export.csv").exists()


def test_a_few_days_of_mood_give_a_report_that_says_the_scan_needs_more(tmp_path, sources):
    week = sources.daylio.sort_values("date").head(5)  # 5 entries: fewer than min_days
    page = write_report(tmp_path, LifelogSources(daylio=week), FAST)
    assert "it needs more days" in page.read_text()
    assert (tmp_path / "associations.csv").read_text().startswith("metric,when,days")


def test_a_rerun_into_the_same_folder_leaves_only_its_own_files(tmp_path, sources):
    write_report(tmp_path, sources, FAST)
    toggl_or_ulogme_only = [
        "time_per_month.csv",
        "keystrokes_per_application.csv",
        "figures/time_per_month.png",
        "figures/mood_by_hours.png",
        "figures/keystrokes_day.png",
        "figures/per_app.png",
    ]
    assert all((tmp_path / name).is_file() for name in toggl_or_ulogme_only)
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "figures" / "sketch.png").write_bytes(b"mine too")
    page = write_report(tmp_path, LifelogSources(daylio=sources.daylio), FAST)
    assert not [name for name in toggl_or_ulogme_only if (tmp_path / name).exists()]
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "figures" / "sketch.png").read_bytes() == b"mine too"
    assert (tmp_path / "activity_effects.csv").is_file()
    assert (tmp_path / "figures" / "year_in_pixels.png").is_file()
    assert page.read_text().count("<img") == len(list((tmp_path / "figures").glob("*.png"))) - 1


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        ({"alpha": 1.5}, "--alpha 1.5: must lie between 0 and 1"),
        ({"alpha": 0.0}, "--alpha 0.0: must lie between"),
        ({"alpha": float("nan")}, "--alpha nan: must lie between"),
        ({"n_boot": 0}, "--bootstrap 0: cannot be below 1"),
        ({"n_boot": -5}, "--bootstrap -5: cannot be below 1"),
    ],
)
def test_settings_that_mean_nothing_are_refused(settings, said):
    with pytest.raises(CastlabError, match=said):
        ReportConfig(**settings)
