"""Figures for the lifelog analyses; the only lifelog module that imports matplotlib.

Each function takes the frame an analysis returned, writes one PNG and returns its path.
They use :class:`matplotlib.figure.Figure` directly (no pyplot state), so they are safe to
call from a server or a thread.

Examples
--------
>>> import tempfile, pathlib, pandas as pd
>>> frame = pd.DataFrame({"weekday": ["Monday", "Tuesday"], "days": [3, 4],
...                       "mood": [3.0, 4.0], "low": [2.5, 3.5], "high": [3.5, 4.5]})
>>> plot_mood_by_weekday(frame, pathlib.Path(tempfile.mkdtemp()) / "w.png").suffix
'.png'
"""

from __future__ import annotations

import calendar
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure

from castlab.core.plots import save_figure

__all__ = [
    "plot_activity_effects",
    "plot_associations",
    "plot_keystroke_intensity",
    "plot_keystrokes_per_application",
    "plot_mood_by_hours",
    "plot_mood_by_weekday",
    "plot_time_per_month",
    "plot_year_in_pixels",
]

#: Year-in-pixels colours for moods 1..5 (awful .. rad).
MOOD_COLOURS = ("#5b4a8b", "#4c86c6", "#9fb6c2", "#8bc34a", "#f2b631")


def _save(figure: Figure, path: str | Path) -> Path:
    figure.tight_layout()
    return save_figure(figure, path)


def _interval_bars(frame: pd.DataFrame, label: str, title: str, path: str | Path) -> Path:
    figure = Figure(figsize=(7, 3.6))
    axes = figure.subplots()
    x = np.arange(len(frame))
    errors = np.vstack([frame["mood"] - frame["low"], frame["high"] - frame["mood"]])
    axes.bar(x, frame["mood"], color="#8bc34a", alpha=0.8)
    axes.errorbar(
        x, frame["mood"], yerr=np.nan_to_num(errors), fmt="none", color="black", capsize=3
    )
    for xi, (mood, days) in enumerate(zip(frame["mood"], frame["days"])):
        if np.isfinite(mood):
            axes.text(xi, 1.05, f"n={days}", ha="center", fontsize=8, color="#333")
    axes.set_xticks(x, [str(v) for v in frame[label]], rotation=0)
    axes.set_ylim(1, 5.2)
    axes.set_ylabel("mean daily mood (1-5)")
    axes.set_title(title)
    return _save(figure, path)


def plot_mood_by_weekday(frame: pd.DataFrame, path: str | Path) -> Path:
    """Bars of mean mood per weekday with 95% intervals (from ``mood_by_weekday``)."""
    frame = frame.assign(weekday=frame["weekday"].str.slice(0, 3))
    return _interval_bars(frame, "weekday", "Mood by weekday (95% interval)", path)


def plot_mood_by_hours(frame: pd.DataFrame, path: str | Path) -> Path:
    """Bars of mean mood per bin of hours logged, with 95% intervals (``mood_by_hours``)."""
    return _interval_bars(frame, "hours", "Mood against hours logged that day", path)


def plot_time_per_month(frame: pd.DataFrame, path: str | Path, *, top: int = 8) -> Path:
    """Stacked bars of hours per month, one colour per project (the ``top`` largest)."""
    wide = frame.pivot_table(index="month", columns="project", values="hours", aggfunc="sum")
    wide = wide.fillna(0.0)
    order = wide.sum().sort_values(ascending=False).index
    if len(order) > top:
        wide["other"] = wide[order[top:]].sum(axis=1)
        order = list(order[:top]) + ["other"]
    figure = Figure(figsize=(max(6, 0.5 * len(wide) + 3), 3.8))
    axes = figure.subplots()
    bottom = np.zeros(len(wide))
    for project in order:
        axes.bar(wide.index, wide[project], bottom=bottom, label=str(project))
        bottom += wide[project].to_numpy()
    axes.set_ylabel("hours logged")
    axes.set_title("Time logged per month")
    axes.tick_params(axis="x", rotation=45)
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return _save(figure, path)


def plot_activity_effects(frame: pd.DataFrame, path: str | Path) -> Path:
    """Forest plot: mood difference with/without each activity, bootstrap 95% interval."""
    frame = frame.iloc[::-1]
    figure = Figure(figsize=(7, 0.32 * len(frame) + 1.2))
    axes = figure.subplots()
    y = np.arange(len(frame))
    excludes_zero = (frame["low"] > 0) | (frame["high"] < 0)
    colours = np.where(excludes_zero, "#d35400", "#7f8c8d")
    axes.hlines(y, frame["low"], frame["high"], color=colours)
    axes.scatter(frame["effect"], y, color=colours, zorder=3)
    axes.axvline(0, color="black", linewidth=0.8)
    labels = [f"{a} (n={n})" for a, n in zip(frame["activity"], frame["days_with"])]
    axes.set_yticks(y, labels, fontsize=8)
    axes.set_xlabel("mood with - mood without (points)")
    axes.set_title("Activities and mood (bootstrap 95% interval)")
    return _save(figure, path)


def plot_associations(frame: pd.DataFrame, path: str | Path, *, top: int = 15) -> Path:
    """Bars of Spearman rho for the ``top`` strongest associations; solid = FDR-significant."""
    frame = frame.head(top).iloc[::-1]
    figure = Figure(figsize=(7, 0.3 * len(frame) + 1.3))
    axes = figure.subplots()
    y = np.arange(len(frame))
    colours = np.where(frame["significant"], "#2c7fb8", "#d9d9d9")
    axes.barh(y, frame["rho"], color=colours, edgecolor="#555")
    axes.set_yticks(y, [f"{m} ({w})" for m, w in zip(frame["metric"], frame["when"])], fontsize=8)
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set_xlabel("Spearman rho with mood (blue: significant after FDR; grey: may be chance)")
    axes.set_title("Daily metrics most associated with mood")
    return _save(figure, path)


def plot_year_in_pixels(table: pd.DataFrame, path: str | Path, *, last_years: int = 3) -> Path:
    """One pixel per day, a row per month, coloured by the day's mood (blank when unknown)."""
    mood = table["mood"]
    years = sorted(set(mood.dropna().index.year))[-last_years:]
    figure = Figure(figsize=(7.5, 3.2 * len(years) + 0.3))
    axes_list = np.atleast_1d(figure.subplots(len(years), 1))
    colours = ListedColormap(MOOD_COLOURS).with_extremes(bad="#f2f2f2")
    norm = BoundaryNorm([0.5, 1.5, 2.5, 3.5, 4.5, 5.5], colours.N)
    for axes, year in zip(axes_list, years):
        grid = np.full((12, 31), np.nan)
        for day, value in mood[mood.index.year == year].items():
            grid[day.month - 1, day.day - 1] = value
        axes.imshow(np.ma.masked_invalid(grid), cmap=colours, norm=norm, aspect="equal")
        axes.set_yticks(range(12), [calendar.month_abbr[m] for m in range(1, 13)], fontsize=7)
        axes.set_xticks(range(0, 31, 5), [str(d) for d in range(1, 32, 5)], fontsize=7)
        axes.set_xticks(np.arange(-0.5, 31), minor=True)
        axes.set_yticks(np.arange(-0.5, 12), minor=True)
        axes.grid(which="minor", color="white", linewidth=0.8)
        axes.tick_params(which="minor", length=0)
        axes.set_title(f"{year} in pixels (mood: purple 1 ... yellow 5)", fontsize=9)
    return _save(figure, path)


def plot_keystroke_intensity(series: pd.Series, path: str | Path, *, title: str = "") -> Path:
    """Keystrokes per minute through one day (from ``keystroke_intensity``)."""
    figure = Figure(figsize=(8, 2.8))
    axes = figure.subplots()
    hours = (series.index - series.index[0]).total_seconds() / 3600
    start_hour = series.index[0].hour
    axes.fill_between(hours, series.to_numpy(), step="post", color="#2c7fb8", alpha=0.8)
    ticks = np.arange(0, 25, 3)
    axes.set_xticks(ticks, [f"{(start_hour + t) % 24:02d}:00" for t in ticks], fontsize=8)
    axes.set_xlim(0, 24)
    axes.set_ylabel("keys per minute")
    axes.set_title(title or f"Keystroke intensity, {series.index[0]:%A %Y-%m-%d}")
    return _save(figure, path)


def plot_keystrokes_per_application(
    frame: pd.DataFrame, path: str | Path, *, top: int = 10
) -> Path:
    """Horizontal bars of keystrokes per application (from ``keystrokes_per_application``)."""
    frame = frame.head(top).iloc[::-1]
    figure = Figure(figsize=(7, 0.35 * len(frame) + 1.2))
    axes = figure.subplots()
    axes.barh(frame["application"].astype(str), frame["keystrokes"], color="#8e44ad")
    axes.set_xlabel("keystrokes")
    axes.set_title("Characters typed per application")
    axes.tick_params(axis="y", labelsize=8)
    return _save(figure, path)
