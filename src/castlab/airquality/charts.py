"""Vega-Lite chart specs for the dashboard page: the same time series and map of averages as
the plotly figures in :mod:`.dashboard` and :mod:`.maps`, as plain dicts with inline data.

Streamlit draws Vega-Lite with a 0.8 MB script where plotly needs 4.7 MB, so a page that
shows these specs draws its first chart in about half the time (measured in
``benchmarks/airquality.py --parts browser``). The offline HTML dashboard keeps plotly.

Examples
--------
>>> from castlab.airquality.dashboard import location_summary
>>> from castlab.airquality.synthetic import generate_locations
>>> frame = generate_locations(n_locations=3, n_days=30, seed=1).frame
>>> spec = timeseries_spec(frame, frame["location"].iloc[0], window=7)
>>> len(spec["data"]["values"]), spec["layer"][0]["mark"]["type"]
(30, 'line')
>>> [layer["mark"]["type"] for layer in map_spec(location_summary(frame))["layer"]]
['line', 'circle']
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from castlab.airquality.maps import country_outlines
from castlab.airquality.plots import WHO_ANNUAL, WHO_DAILY

__all__ = ["map_spec", "mapped", "timeseries_spec"]

_GUIDELINES = [
    {"level": WHO_DAILY, "label": f"WHO 24-h guideline {WHO_DAILY:g}"},
    {"level": WHO_ANNUAL, "label": f"WHO annual guideline {WHO_ANNUAL:g}"},
]


def timeseries_spec(frame: pd.DataFrame, location: str, *, window: int = 7) -> dict[str, Any]:
    """Daily PM2.5 at ``location``, its ``window``-day rolling mean and the WHO lines."""
    part = frame[frame["location"] == location].sort_values("date")
    values = pd.DataFrame(
        {
            "date": part["date"].dt.strftime("%Y-%m-%d"),
            "daily": part["pm25"].round(2),
            "mean": part["pm25"].rolling(window, min_periods=1).mean().round(2),
        }
    )
    x = {"field": "date", "type": "temporal", "title": None}
    y_title = "PM2.5 (µg/m³)"
    return {
        "title": f"PM2.5 at {location}",
        "height": 380,
        "data": {"values": values.to_dict("records")},
        "layer": [
            {
                "mark": {"type": "line", "strokeWidth": 1, "color": "#9ecae1"},
                "encoding": {
                    "x": x,
                    "y": {"field": "daily", "type": "quantitative", "title": y_title},
                    "tooltip": [{"field": "date"}, {"field": "daily", "title": "daily"}],
                },
            },
            {
                "mark": {"type": "line", "strokeWidth": 2.5, "color": "#08519c"},
                "encoding": {
                    "x": x,
                    "y": {"field": "mean", "type": "quantitative"},
                    "tooltip": [
                        {"field": "date"},
                        {"field": "mean", "title": f"{window}-day mean"},
                    ],
                },
            },
            {
                "data": {"values": _GUIDELINES},
                "mark": {"type": "rule", "color": "#cb181d", "strokeDash": [6, 4]},
                "encoding": {"y": {"field": "level", "type": "quantitative"}},
            },
            {
                "data": {"values": _GUIDELINES},
                "mark": {"type": "text", "align": "left", "dx": 4, "dy": -6, "color": "#cb181d"},
                "encoding": {
                    "x": {"value": 0},
                    "y": {"field": "level", "type": "quantitative"},
                    "text": {"field": "label"},
                },
            },
        ],
    }


def mapped(summary: pd.DataFrame) -> pd.DataFrame:
    """The locations :func:`map_spec` draws: those with coordinates and a mean (a place
    without any valid PM2.5 has none, and NaN is not JSON)."""
    return summary.dropna(subset=["latitude", "longitude", "mean_pm25"])


def map_spec(summary: pd.DataFrame, *, width: int = 520) -> dict[str, Any]:
    """Mean PM2.5 per location as coloured points over country outlines, longitude against
    latitude at equal scale (no map tiles or projections: nothing is fetched)."""
    located = mapped(summary)
    if len(located) == 0:
        return {"data": {"values": []}, "mark": "point"}
    west, south = located["longitude"].min() - 2, located["latitude"].min() - 2
    east, north = located["longitude"].max() + 2, located["latitude"].max() + 2
    outline = [
        {"ring": k, "order": i, "lon": round(lon, 3), "lat": round(lat, 3)}
        for k, ring in enumerate(country_outlines((west, south, east, north)))
        for i, (lon, lat) in enumerate(ring)
    ]
    points = located[["location", "longitude", "latitude", "mean_pm25", "days", "days_over_15"]]
    points = points.assign(mean_pm25=points["mean_pm25"].round(1))
    x = {"type": "quantitative", "scale": {"domain": [west, east]}, "title": "longitude"}
    y = {"type": "quantitative", "scale": {"domain": [south, north]}, "title": "latitude"}
    return {
        "title": "Mean PM2.5 by location",
        "width": width,
        "height": round(width * (north - south) / (east - west)),
        "layer": [
            {
                "data": {"values": outline},
                "mark": {"type": "line", "color": "#999999", "strokeWidth": 0.8, "clip": True},
                "encoding": {
                    "x": {"field": "lon", **x},
                    "y": {"field": "lat", **y},
                    "detail": {"field": "ring", "type": "nominal"},
                    "order": {"field": "order", "type": "quantitative"},
                },
            },
            {
                "data": {"values": points.to_dict("records")},
                "mark": {"type": "circle", "size": 120, "stroke": "black", "strokeWidth": 0.6},
                "encoding": {
                    "x": {"field": "longitude", **x},
                    "y": {"field": "latitude", **y},
                    "color": {
                        "field": "mean_pm25",
                        "type": "quantitative",
                        "scale": {"scheme": "yelloworangered"},
                        "title": "mean µg/m³",
                        "legend": {"format": ".1f"},
                    },
                    "opacity": {"value": 1},
                    "tooltip": [
                        {"field": "location"},
                        {"field": "mean_pm25", "title": "mean µg/m³"},
                        {"field": "days_over_15", "title": "days over 15"},
                        {"field": "days"},
                    ],
                },
            },
        ],
    }
