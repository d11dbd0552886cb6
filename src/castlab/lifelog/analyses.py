"""Analyses of the daily table: where time goes, what goes with a good day, and how sure we are.

Every estimate comes with an interval or a count, and the association scan corrects for
testing many metrics at once (Benjamini-Hochberg), so a chance finding is marked as such.

Examples
--------
>>> import numpy as np, pandas as pd
>>> days = pd.date_range("2024-01-01", periods=8, freq="D", name="date")
>>> t = pd.DataFrame({"weekday": days.day_name(), "mood": [3, 4, 4, 5, 4, 3, 4, 2.0],
...                   "activity: outdoors": [0, 1, 1, 1, 0, 0, 1, 0.0]}, index=days)
>>> activity_effects(t, rng=np.random.default_rng(0), min_days=2)["activity"].tolist()
['outdoors']
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
from scipy import stats

from castlab.core.errors import CastlabError
from castlab.lifelog.daily import metric_columns, split_at_midnight
from castlab.lifelog.ulogme import UlogmeLog

__all__ = [
    "WEEKDAYS",
    "activity_effects",
    "keystroke_intensity",
    "keystrokes_per_application",
    "mean_interval",
    "mood_associations",
    "mood_by_hours",
    "mood_by_weekday",
    "time_per_month",
]

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _require(table: pd.DataFrame, *columns: str) -> None:
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise CastlabError(
            f"the daily table has no {', '.join(missing)} column",
            fix="pass a Daylio export for mood and a Toggl export for hours",
        )


def mean_interval(
    values: pd.Series | np.ndarray, confidence: float = 0.95
) -> tuple[float, float, float, int]:
    """Return ``(mean, low, high, n)`` with a Student-t interval for the mean; NaNs dropped.

    Examples
    --------
    >>> m, lo, hi, n = mean_interval(np.array([3.0, 4.0, 5.0]))
    >>> m, n, round(lo, 3), round(hi, 3)
    (4.0, 3, 1.516, 6.484)
    """
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    n = int(data.size)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(data.mean())
    if n == 1:
        return mean, math.nan, math.nan, 1
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * data.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half, n


def _grouped_intervals(
    groups: pd.Series, mood: pd.Series, order: list[str], label: str
) -> pd.DataFrame:
    rows = []
    for key in order:
        mean, low, high, n = mean_interval(mood[groups == key])
        rows.append({label: key, "days": n, "mood": mean, "low": low, "high": high})
    return pd.DataFrame(rows)


def time_per_month(entries: pd.DataFrame) -> pd.DataFrame:
    """Hours logged per month and project (entries crossing midnight split by day).

    Returns columns ``month`` (``YYYY-MM``), ``project``, ``hours``, one row per pair.
    """
    pieces = split_at_midnight(entries)
    pieces["month"] = pieces["date"].dt.strftime("%Y-%m")
    out = pieces.groupby(["month", "project"], as_index=False)["hours"].sum()
    return out.sort_values(["month", "hours"], ascending=[True, False], ignore_index=True)


def mood_by_weekday(table: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean daily mood per weekday, Monday first: ``weekday, days, mood, low, high``."""
    _require(table, "weekday", "mood")
    return _grouped_intervals(table["weekday"], table["mood"], list(WEEKDAYS), "weekday")


def mood_by_hours(
    table: pd.DataFrame, edges: tuple[float, ...] = (0, 1, 2, 3, 4, 5, 6, math.inf)
) -> pd.DataFrame:
    """Mean daily mood by hours logged, in bins ``[a, b)``: ``hours, days, mood, low, high``.

    Only days with both a mood and a Toggl total count.
    """
    _require(table, "hours_logged", "mood")
    both = table[["hours_logged", "mood"]].dropna()
    labels = [
        f"{a:g}-{b:g} h" if math.isfinite(b) else f"{a:g}+ h" for a, b in itertools.pairwise(edges)
    ]
    bins = pd.cut(both["hours_logged"], list(edges), right=False, labels=labels)
    groups = bins.astype("str")
    return _grouped_intervals(groups, both["mood"], labels, "hours")


def activity_effects(
    table: pd.DataFrame,
    *,
    rng: np.random.Generator,
    n_boot: int = 2000,
    confidence: float = 0.95,
    min_days: int = 5,
) -> pd.DataFrame:
    """Mood on days with and without each Daylio activity, ranked by the difference.

    Returns ``activity, days_with, days_without, mood_with, mood_without, effect, low, high``
    where ``effect = mood_with - mood_without`` and ``[low, high]`` is a percentile
    bootstrap interval (both groups resampled, ``n_boot`` times). Activities seen on fewer
    than ``min_days`` days (or missing on fewer) are left out.
    """
    _require(table, "mood")
    rows = []
    tail = (1 - confidence) / 2
    for column in [c for c in table.columns if c.startswith("activity: ")]:
        pair = table[[column, "mood"]].dropna()
        with_ = pair.loc[pair[column] > 0, "mood"].to_numpy()
        without = pair.loc[pair[column] == 0, "mood"].to_numpy()
        if min(with_.size, without.size) < min_days:
            continue
        boot_with = with_[rng.integers(0, with_.size, (n_boot, with_.size))].mean(axis=1)
        boot_without = without[rng.integers(0, without.size, (n_boot, without.size))].mean(axis=1)
        low, high = np.quantile(boot_with - boot_without, [tail, 1 - tail])
        rows.append(
            {
                "activity": column.removeprefix("activity: "),
                "days_with": with_.size,
                "days_without": without.size,
                "mood_with": with_.mean(),
                "mood_without": without.mean(),
                "effect": with_.mean() - without.mean(),
                "low": low,
                "high": high,
            }
        )
    columns = [
        "activity",
        "days_with",
        "days_without",
        "mood_with",
        "mood_without",
        "effect",
        "low",
        "high",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values("effect", ascending=False, ignore_index=True)


def mood_associations(
    table: pd.DataFrame, *, alpha: float = 0.05, min_days: int = 10
) -> pd.DataFrame:
    """Rank every daily metric by its rank correlation with mood the same day and the next day.

    For each metric and lag, Spearman's ``rho`` and its p-value over days where both are
    known; ``q_value`` is the Benjamini-Hochberg adjustment over all tests in the table and
    ``significant`` is ``q_value <= alpha``. A raw ``p_value < alpha`` with ``significant``
    False is exactly the "could be chance" case. Yesterday's mood is included as a metric
    for the next day (mood persistence).

    Returns ``metric, when, days, rho, p_value, q_value, significant`` sorted by p-value.
    """
    _require(table, "mood")
    mood = table["mood"]
    tests = []
    candidates = [(c, "same day") for c in metric_columns(table)]
    candidates += [(c, "next day") for c in metric_columns(table) + ["mood"]]
    for column, when in candidates:
        target = mood if when == "same day" else mood.shift(-1)
        pair = pd.DataFrame({"x": table[column], "y": target}).dropna()
        if len(pair) < min_days or pair["x"].nunique() < 2 or pair["y"].nunique() < 2:
            continue
        result = stats.spearmanr(pair["x"], pair["y"])
        tests.append(
            {
                "metric": column,
                "when": when,
                "days": len(pair),
                "rho": float(result.statistic),
                "p_value": float(result.pvalue),
            }
        )
    frame = pd.DataFrame(tests, columns=["metric", "when", "days", "rho", "p_value"])
    p_values = frame["p_value"].to_numpy(dtype=float)  # scipy refuses an empty array
    frame["q_value"] = stats.false_discovery_control(p_values, method="bh") if tests else p_values
    frame["significant"] = frame["q_value"] <= alpha
    return frame.sort_values("p_value", ignore_index=True)


def keystroke_intensity(log: UlogmeLog, day: pd.Timestamp | str, *, minutes: int = 10) -> pd.Series:
    """Keystrokes per minute during one uLogMe day, averaged over ``minutes``-long bins.

    The index runs over the whole day (from ``day_start_hour`` for 24 h); untracked time is 0.
    """
    day = pd.Timestamp(day).normalize()
    keys = log.keys[log.keys["day"] == day]
    start = day + pd.Timedelta(hours=log.day_start_hour)
    index = pd.date_range(
        start, start + pd.Timedelta(hours=24), freq=f"{minutes}min", inclusive="left"
    )
    series = keys.set_index("time")["keystrokes"].resample(f"{minutes}min", origin=start).sum()
    return (series.reindex(index, fill_value=0) / minutes).rename("keys_per_minute")


def keystrokes_per_application(log: UlogmeLog) -> pd.DataFrame:
    """Keystrokes and active time per application (from window titles), most typed first.

    Each 9-second key count goes to the window active at that moment. Returns
    ``application, keystrokes, share, minutes`` where ``minutes`` is the time the
    application's windows were in front (gaps over 10 minutes count as away).
    """
    keys, windows = log.keys, log.windows
    merged = pd.merge_asof(keys, windows[["time", "application"]], on="time")
    merged["application"] = merged["application"].fillna("(unknown)")
    typed = merged.groupby("application")["keystrokes"].sum()
    following = windows["time"].shift(-1)
    seconds = (following - windows["time"]).dt.total_seconds().clip(upper=600).fillna(0)
    shown = (seconds / 60).groupby(windows["application"]).sum()
    frame = pd.DataFrame({"keystrokes": typed, "minutes": shown}).fillna(0.0)
    frame = frame.drop(index="(locked)", errors="ignore")
    frame["share"] = frame["keystrokes"] / max(frame["keystrokes"].sum(), 1)
    frame = frame.rename_axis("application").reset_index()
    frame = frame[["application", "keystrokes", "share", "minutes"]]
    return frame.sort_values("keystrokes", ascending=False, ignore_index=True)
