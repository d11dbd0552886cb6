"""The air-quality dashboard: per-location summaries and one self-contained offline HTML page.

The page carries plotly.js inline, country outlines from countryinfo as inline GeoJSON and
an empty stand-in for the world map plotly.js would otherwise fetch from a CDN, so it opens
in a browser with no network. It shows a time series for any location (chosen from a menu)
with a rolling mean and the WHO 2021 guidelines (24-hour 15 µg/m³, annual 5 µg/m³), a map
of averages, a ranking table and the days over the 24-hour guideline.

Examples
--------
>>> from castlab.airquality.synthetic import generate_locations
>>> summary = location_summary(generate_locations(n_locations=3, n_days=30).frame)
>>> list(summary.columns[:4]), int(summary["days"].iloc[0])
(['rank', 'location', 'name', 'latitude'], 30)
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from castlab.airquality.data import Readings, resample
from castlab.airquality.maps import map_figure
from castlab.airquality.plots import WHO_ANNUAL, WHO_DAILY, rolling_mean
from castlab.core.artifacts import record_outputs, write_text
from castlab.core.plots import offline_plotly_scripts

__all__ = [
    "daily",
    "location_summary",
    "map_note",
    "timeseries_figure",
    "write_dashboard",
]


def daily(readings: Readings) -> pd.DataFrame:
    """The readings as daily means (unchanged when already one row per location and day)."""
    frame = readings.frame
    if (frame["date"] != frame["date"].dt.normalize()).any():
        return resample(readings, "D").frame
    return frame


def location_summary(frame: pd.DataFrame, *, value: str = "pm25") -> pd.DataFrame:
    """One row per location, highest mean first: days, mean/median/max PM2.5, days over the
    24-hour guideline (and their share), and the mean as a multiple of the annual guideline."""
    grouped = frame.groupby("location")
    summary = grouped.agg(
        name=("name", "first"),
        latitude=("latitude", "first"),
        longitude=("longitude", "first"),
        days=(value, "count"),
        mean_pm25=(value, "mean"),
        median_pm25=(value, "median"),
        max_pm25=(value, "max"),
    )
    summary["days_over_15"] = grouped[value].agg(lambda v: int((v > WHO_DAILY).sum()))
    summary["share_over_15"] = summary["days_over_15"] / summary["days"].clip(lower=1)
    summary["times_annual_guideline"] = summary["mean_pm25"] / WHO_ANNUAL
    summary = summary.sort_values("mean_pm25", ascending=False).reset_index()
    summary.insert(0, "rank", np.arange(1, len(summary) + 1))
    return summary


def timeseries_figure(frame: pd.DataFrame, *, locations: list[str] | None = None, window: int = 7):  # type: ignore[no-untyped-def]
    """A plotly figure: daily PM2.5 and its rolling mean for each location, one shown at a
    time through a menu, with the WHO lines."""
    import plotly.graph_objects as go

    chosen = locations or list(location_summary(frame)["location"])
    parts = dict(tuple(frame[frame["location"].isin(chosen)].groupby("location", sort=False)))
    traces = []
    for k, location in enumerate(chosen):
        part = parts[location].sort_values("date")
        x = part["date"].dt.strftime("%Y-%m-%d").tolist()
        y = part["pm25"].round(2)
        rolling = rolling_mean(part, window).round(2)
        common = {"x": x, "mode": "lines", "visible": k == 0}
        traces.append(
            go.Scatter(y=y.tolist(), name="daily", line={"width": 1, "color": "#9ecae1"}, **common)
        )
        traces.append(
            go.Scatter(
                y=rolling.tolist(),
                name=f"{window}-day mean",
                line={"width": 2.5, "color": "#08519c"},
                **common,
            )
        )
    figure = go.Figure(data=traces)
    buttons = []
    for k, location in enumerate(chosen):
        visible = [False] * (2 * len(chosen))
        visible[2 * k] = visible[2 * k + 1] = True
        buttons.append(
            {
                "label": location,
                "method": "update",
                "args": [{"visible": visible}, {"title": f"PM2.5 at {location}"}],
            }
        )
    for level, label, dash in (
        (WHO_DAILY, "WHO 24-h guideline 15", "dash"),
        (WHO_ANNUAL, "WHO annual guideline 5", "dot"),
    ):
        figure.add_hline(
            y=level,
            line_dash=dash,
            line_color="#cb181d",
            annotation_text=label,
            annotation_position="top left",
        )
    figure.update_layout(
        title=f"PM2.5 at {chosen[0]}" if chosen else "PM2.5",
        yaxis_title="PM2.5 (µg/m³)",
        updatemenus=[{"buttons": buttons, "x": 1.0, "xanchor": "right", "y": 1.18}]
        if len(chosen) > 1
        else [],
        margin={"l": 50, "r": 20, "t": 70, "b": 40},
        height=420,
    )
    return figure


def _table_html(summary: pd.DataFrame) -> str:
    head = (
        "<tr><th>rank</th><th>location</th><th>days</th><th>mean</th><th>median</th>"
        "<th>max</th><th>days &gt; 15</th><th>share &gt; 15</th><th>× annual guideline</th></tr>"
    )
    rows = "".join(
        f"<tr><td>{r.rank}</td><td>{html.escape(str(r.location))}</td><td>{r.days}</td>"
        f"<td>{r.mean_pm25:.1f}</td><td>{r.median_pm25:.1f}</td><td>{r.max_pm25:.1f}</td>"
        f"<td>{r.days_over_15}</td><td>{r.share_over_15:.0%}</td>"
        f"<td>{r.times_annual_guideline:.1f}</td></tr>"
        for r in summary.itertuples()
    )
    return f"<table>{head}{rows}</table>"


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:1100px;margin:1em auto;padding:0 1em;"
    "color:#222}table{border-collapse:collapse;font-size:.9em}td,th{padding:.15em .6em;"
    "border-bottom:1px solid #ddd;text-align:right}td:nth-child(2){text-align:left}"
)


def map_note(summary: pd.DataFrame) -> str:
    """What the map leaves out: ``""`` when every location has coordinates.

    Examples
    --------
    >>> map_note(pd.DataFrame({"location": ["a", "b"], "latitude": [1.0, None],
    ...                        "longitude": [2.0, None]}))
    '1 of 2 locations have no coordinates and are not on the map: b.'
    """
    lost = summary.loc[summary[["latitude", "longitude"]].isna().any(axis=1), "location"]
    if lost.empty:
        return ""
    if len(lost) == len(summary):
        return (
            "No map: the table gives no coordinates for its locations (add latitude and "
            "longitude columns for a map of averages)."
        )
    named = ", ".join(map(str, lost.head(10))) + (", ..." if len(lost) > 10 else "")
    return (
        f"{len(lost)} of {len(summary)} locations have no coordinates and are not on the map: "
        f"{named}."
    )


def write_dashboard(
    readings: Readings,
    out_dir: str | Path,
    *,
    title: str = "",
    window: int = 7,
    report: Callable[[str], None] | None = None,
) -> dict[str, Path]:
    """Write ``index.html`` (offline, interactive), ``summary.csv`` and static PNGs to
    ``out_dir``; the map (and ``map.png``) only where some location has coordinates.
    ``report`` is told what the map leaves out (:func:`map_note`)."""
    from castlab.airquality import plots

    out_dir = Path(out_dir)
    frame = daily(readings)
    summary = location_summary(frame)
    title = title or f"PM2.5 · {readings.source or 'table'}"
    config = {"displaylogo": False}
    series = timeseries_figure(frame, window=window).to_html(
        include_plotlyjs=False, full_html=False, config=config
    )
    note = map_note(summary)
    located = summary[["latitude", "longitude"]].notna().all(axis=1).any()
    geo = (
        map_figure(summary).to_html(include_plotlyjs=False, full_html=False, config=config)
        if located
        else ""
    )
    if note:
        geo = f"<p>{html.escape(note)}</p>{geo}"
        if report is not None:
            report(note)
    over = (summary["days_over_15"] > 0).sum()
    intro = (
        f"{len(frame):,} daily values, {len(summary)} locations, "
        f"{frame['date'].min():%Y-%m-%d} to {frame['date'].max():%Y-%m-%d}. "
        f"{over} locations have at least one day over the WHO 2021 24-hour guideline "
        f"({WHO_DAILY:g} µg/m³); the annual guideline is {WHO_ANNUAL:g} µg/m³."
    )
    page = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style>"
        f"{offline_plotly_scripts()}</head><body><h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(intro)}</p><h2>Time series</h2>{series}<h2>Map of averages</h2>{geo}"
        f"<h2>Ranking and days over the 24-hour guideline</h2>{_table_html(summary)}</body></html>"
    )
    paths = {
        "html": write_text(out_dir / "index.html", page),
        "summary": write_text(out_dir / "summary.csv", summary.to_csv(index=False)),
    }
    paths["timeseries_png"] = plots.plot_timeseries(
        frame, out_dir / "timeseries.png", window=window
    )
    if located:
        paths["map_png"] = plots.plot_average_map(summary, out_dir / "map.png")
    paths["ranking_png"] = plots.plot_ranking(summary, out_dir / "ranking.png")
    record_outputs(out_dir, "airquality dashboard", paths.values())  # an earlier map.png goes
    return paths
