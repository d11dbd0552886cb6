"""Maps that work offline: country outlines from countryinfo, a plotly geo map with the
world outline stubbed, and a plain x/y map for pages that cannot stub it (Streamlit).

Examples
--------
>>> len(country_outlines((16, -35, 33, -22))) >= 3  # South Africa and neighbours
True
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["country_outlines", "map_figure", "outline_map_figure"]


@lru_cache(maxsize=1)
def _country_geometries() -> tuple[dict[str, Any], ...]:
    from countryinfo import CountryInfo

    shapes = []
    for info in CountryInfo.all().values():
        for feature in (info.get("geoJSON") or {}).get("features", []):
            if feature.get("geometry"):
                shapes.append(feature["geometry"])
    return tuple(shapes)


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    polygons = (
        [geometry["coordinates"]]
        if geometry["type"] == "Polygon"
        else geometry["coordinates"]
        if geometry["type"] == "MultiPolygon"
        else []
    )
    return [polygon[0] for polygon in polygons]


def country_outlines(box: tuple[float, float, float, float]) -> list[list[list[float]]]:
    """Outer rings ``[[lon, lat], ...]`` of the countries that overlap ``box``
    (``(west, south, east, north)`` in degrees), from countryinfo (offline).

    Examples
    --------
    >>> len(country_outlines((16, -35, 33, -22))) >= 3  # South Africa and neighbours
    True
    """
    west, south, east, north = box
    rings = []
    for geometry in _country_geometries():
        for ring in _rings(geometry):
            points = np.asarray(ring, dtype=float)[:, :2]
            if (
                points[:, 0].max() >= west
                and points[:, 0].min() <= east
                and points[:, 1].max() >= south
                and points[:, 1].min() <= north
            ):
                rings.append(points.tolist())
    return rings


def _clockwise(ring: list[list[float]]) -> list[list[float]]:
    x, y = np.asarray(ring, dtype=float).T
    area = float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]) / 2)
    return ring[::-1] if area > 0 else ring  # d3-geo (plotly.js) wants clockwise outer rings


def map_figure(summary: pd.DataFrame):  # type: ignore[no-untyped-def]
    """A plotly geo map: a dot per location coloured by its mean, over country outlines."""
    import plotly.graph_objects as go

    located = summary.dropna(subset=["latitude", "longitude"])
    figure = go.Figure()
    if len(located) == 0:
        return figure
    box = (
        located["longitude"].min() - 3,
        located["latitude"].min() - 3,
        located["longitude"].max() + 3,
        located["latitude"].max() + 3,
    )
    features = [
        {
            "type": "Feature",
            "id": str(k),
            "properties": {},
            "geometry": {"type": "Polygon", "coordinates": [_clockwise(ring)]},
        }
        for k, ring in enumerate(country_outlines(box))
    ]
    figure.add_trace(
        go.Choropleth(
            geojson={"type": "FeatureCollection", "features": features},
            locations=[f["id"] for f in features],
            z=[0.0] * len(features),
            featureidkey="id",
            colorscale=[[0, "#eeeeee"], [1, "#eeeeee"]],
            showscale=False,
            hoverinfo="skip",
            marker={"line": {"color": "#999999", "width": 0.6}},
        )
    )
    hover = [
        f"{r.location}<br>mean {r.mean_pm25:.1f} µg/m³<br>{r.days_over_15} of {r.days} days over 15"
        for r in located.itertuples()
    ]
    figure.add_trace(
        go.Scattergeo(
            lon=located["longitude"].tolist(),
            lat=located["latitude"].tolist(),
            text=hover,
            hoverinfo="text",
            mode="markers",
            marker={
                "color": located["mean_pm25"].round(2).tolist(),
                "colorscale": "YlOrRd",
                "size": 10,
                "line": {"width": 0.6, "color": "black"},
                "colorbar": {"title": {"text": "mean µg/m³"}},
            },
            showlegend=False,
        )
    )
    figure.update_geos(
        showcoastlines=False,
        showland=False,
        showframe=False,
        projection_type="mercator",
        lonaxis_range=[box[0], box[2]],
        lataxis_range=[box[1], box[3]],
    )
    figure.update_layout(
        title="Mean PM2.5 by location", height=520, margin={"l": 0, "r": 0, "t": 40, "b": 0}
    )
    return figure


def outline_map_figure(summary: pd.DataFrame):  # type: ignore[no-untyped-def]
    """The map of averages as a plain x/y plotly chart (longitude, latitude) with country
    outlines as lines: no geo layer, so nothing is fetched, for pages that cannot stub
    plotly's world outline (Streamlit)."""
    import plotly.graph_objects as go

    located = summary.dropna(subset=["latitude", "longitude"])
    figure = go.Figure()
    if len(located) == 0:
        return figure
    box = (
        located["longitude"].min() - 2,
        located["latitude"].min() - 2,
        located["longitude"].max() + 2,
        located["latitude"].max() + 2,
    )
    xs: list[float | None] = []
    ys: list[float | None] = []
    for ring in country_outlines(box):
        xs += [p[0] for p in ring] + [None]
        ys += [p[1] for p in ring] + [None]
    figure.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"color": "#999999", "width": 0.8},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    hover = [
        f"{r.location}<br>mean {r.mean_pm25:.1f} µg/m³<br>{r.days_over_15} of {r.days} days over 15"
        for r in located.itertuples()
    ]
    figure.add_trace(
        go.Scatter(
            x=located["longitude"].tolist(),
            y=located["latitude"].tolist(),
            mode="markers",
            text=hover,
            hoverinfo="text",
            showlegend=False,
            marker={
                "color": located["mean_pm25"].round(2).tolist(),
                "colorscale": "YlOrRd",
                "size": 11,
                "line": {"width": 0.6, "color": "black"},
                "colorbar": {"title": {"text": "mean µg/m³"}},
            },
        )
    )
    figure.update_xaxes(range=[box[0], box[2]], title="longitude", showgrid=False)
    figure.update_yaxes(
        range=[box[1], box[3]], title="latitude", scaleanchor="x", scaleratio=1, showgrid=False
    )
    figure.update_layout(
        title="Mean PM2.5 by location",
        height=480,
        margin={"l": 40, "r": 10, "t": 40, "b": 40},
        plot_bgcolor="white",
    )
    return figure
