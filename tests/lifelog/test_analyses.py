"""Analyses recover what the generator planted, and the FDR scan marks chance findings."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from castlab.core.errors import CastlabError
from castlab.lifelog import analyses
from castlab.lifelog.daily import daily_table

from .conftest import GENERATOR


def test_planted_outdoors_effect_is_recovered_and_ranked_first(table):
    effects = analyses.activity_effects(table, rng=np.random.default_rng(0), n_boot=1000)
    top = effects.iloc[0]
    assert top["activity"] == "outdoors"
    # planted +0.6 before rounding to whole mood points
    assert 0.35 < top["effect"] < 0.85
    assert top["low"] > 0.2 and top["low"] < top["effect"] < top["high"]
    nulls = effects[~effects["activity"].isin(["outdoors", "work"])]
    covers_zero = (nulls["low"] <= 0) & (nulls["high"] >= 0)
    assert covers_zero.mean() >= 0.7
    assert (effects["days_with"] + effects["days_without"] == table["mood"].notna().sum()).all()


def test_bootstrap_interval_is_reproducible_and_narrows_with_more_days(table):
    first = analyses.activity_effects(table, rng=np.random.default_rng(5), n_boot=500)
    again = analyses.activity_effects(table, rng=np.random.default_rng(5), n_boot=500)
    pd.testing.assert_frame_equal(first, again)
    half = analyses.activity_effects(table.iloc[::2], rng=np.random.default_rng(5), n_boot=500)
    assert (half["high"] - half["low"]).mean() > (first["high"] - first["low"]).mean()


def _weighted(frame: pd.DataFrame) -> float:
    return float((frame["mood"] * frame["days"]).sum() / frame["days"].sum())


def test_mondays_and_long_days_are_worse(table):
    weekday = analyses.mood_by_weekday(table).set_index("weekday")
    assert list(weekday.index) == list(analyses.WEEKDAYS)
    others = weekday.drop(index="Monday")["mood"].mean()
    assert weekday.loc["Monday", "mood"] < others - 0.2  # planted -0.4
    assert (weekday["low"] < weekday["mood"]).all() and (weekday["mood"] < weekday["high"]).all()
    hours = analyses.mood_by_hours(table).set_index("hours")
    long_days = hours.loc[["5-6 h", "6+ h"]]
    short_days = hours.drop(index=["5-6 h", "6+ h"])
    assert _weighted(long_days) < _weighted(short_days) - 0.25  # planted -0.5 above 5 h
    assert hours["days"].sum() == table[["hours_logged", "mood"]].dropna().shape[0]


def test_associations_find_planted_metrics(table):
    found = analyses.mood_associations(table)
    significant = found[found["significant"]]
    same_day = set(significant.loc[significant["when"] == "same day", "metric"])
    assert {"activity: outdoors", "hours_logged"} <= same_day
    assert found["p_value"].is_monotonic_increasing
    assert (found["q_value"] >= found["p_value"]).all()
    row = found[(found["metric"] == "activity: outdoors") & (found["when"] == "same day")].iloc[0]
    assert row["rho"] > 0.2
    assert "mood" in set(found.loc[found["when"] == "next day", "metric"])


def _null_table(rng: np.random.Generator, days: int = 200, nulls: int = 40) -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=days, freq="D", name="date")
    real = rng.random(days) < 0.4
    mood = np.clip(np.rint(3.5 + 0.8 * real + rng.normal(0, 0.8, days)), 1, 5)
    columns = {"mood": mood, "activity: real": real.astype(float)}
    for k in range(nulls):
        columns[f"activity: noise {k}"] = (rng.random(days) < 0.3).astype(float)
    return pd.DataFrame(columns, index=index)


def test_fdr_marks_chance_findings_as_such():
    rng = np.random.default_rng(123)
    raw_null_hits = fdr_null_hits = 0
    discoveries = false_discoveries = 0
    proportions = []
    for _ in range(20):
        found = analyses.mood_associations(_null_table(rng))
        is_null = ~((found["metric"] == "activity: real") & (found["when"] == "same day"))
        raw_null_hits += int((is_null & (found["p_value"] < 0.05)).sum())
        fdr_null_hits += int((is_null & found["significant"]).sum())
        assert found.loc[~is_null, "significant"].all(), "the real effect is found every time"
        discoveries = int(found["significant"].sum())
        false_discoveries = int((is_null & found["significant"]).sum())
        proportions.append(false_discoveries / max(discoveries, 1))
    # 20 tables x 81 null tests: about 5% pass p < 0.05 by chance ...
    assert 40 < raw_null_hits < 130
    # ... and the correction keeps the false-discovery proportion near or below 5%
    assert fdr_null_hits < raw_null_hits / 5
    assert np.mean(proportions) <= 0.1


def test_mean_interval_matches_scipy():
    data = np.array([3.0, 4.0, 4.0, 5.0, 2.0, np.nan])
    mean, low, high, n = analyses.mean_interval(data)
    expected = stats.t.interval(0.95, 4, loc=3.6, scale=stats.sem(data[:5]))
    assert (mean, n) == (pytest.approx(3.6), 5)
    assert (low, high) == pytest.approx(expected)
    assert np.isnan(analyses.mean_interval(np.array([4.0]))[1])
    assert analyses.mean_interval(np.array([]))[3] == 0


def test_time_per_month_splits_at_month_ends(sources):
    entries = pd.DataFrame(
        {
            "start": [datetime(2024, 1, 31, 23)],
            "end": [datetime(2024, 2, 1, 1)],
            "hours": [2.0],
            "project": ["A"],
            "client": ["C"],
            "tags": [()],
        }
    )
    months = analyses.time_per_month(entries)
    assert months[["month", "hours"]].values.tolist() == [["2024-01", 1.0], ["2024-02", 1.0]]
    full = analyses.time_per_month(sources.toggl)
    assert full["hours"].sum() == pytest.approx(sources.toggl["hours"].sum())
    assert full["month"].nunique() == 12


def test_keystroke_views_add_up(sources):
    log = sources.ulogme
    per_app = analyses.keystrokes_per_application(log)
    assert per_app["keystrokes"].is_monotonic_decreasing
    assert per_app["share"].sum() == pytest.approx(1.0)
    assert per_app.iloc[0]["application"] == "JupyterLab"  # the generator types most there
    assert "(locked)" not in set(per_app["application"])
    day = log.keys["day"].iloc[-1]
    intensity = analyses.keystroke_intensity(log, day, minutes=10)
    assert len(intensity) == 24 * 6
    day_total = log.keys.loc[log.keys["day"] == day, "keystrokes"].sum()
    assert intensity.sum() * 10 == pytest.approx(day_total)
    assert GENERATOR.ulogme_days == log.keys["day"].nunique()


def test_daily_table_without_toggl_still_gives_effects(sources):
    only_mood = daily_table(daylio=sources.daylio)
    effects = analyses.activity_effects(only_mood, rng=np.random.default_rng(0), n_boot=200)
    assert effects.iloc[0]["activity"] == "outdoors"
    assert "hours_logged" not in set(analyses.mood_associations(only_mood)["metric"])


def test_analyses_without_mood_say_what_is_missing(sources):
    hours_only = daily_table(toggl=sources.toggl)
    for analysis in (analyses.mood_by_weekday, analyses.mood_by_hours, analyses.mood_associations):
        with pytest.raises(CastlabError, match="no .*mood column"):
            analysis(hours_only)
    with pytest.raises(CastlabError, match="Daylio"):
        analyses.activity_effects(hours_only, rng=np.random.default_rng(0))
