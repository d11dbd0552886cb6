"""Pictures of sentiment: hexbins per author, the capital-city map (PNG and HTML), confusion.

The static map draws the countryinfo country shapes as matplotlib polygons. The interactive
map is a Plotly choropleth whose country shapes are passed in as GeoJSON, and whose HTML
carries plotly.js inline plus an empty stand-in for the world outline plotly.js would fetch
from a CDN, so the page renders with no network at all.

Examples
--------
>>> clockwise([[0, 0], [1, 0], [1, 1], [0, 0]])[1]
[1, 1]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from castlab.core.artifacts import write_text
from castlab.core.plots import offline_plotly_scripts, pyplot, save_figure

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "clockwise",
    "plot_author_hexbins",
    "plot_capital_map",
    "plot_confusion",
    "write_capital_map_html",
]

SCORE_COLOURS = "RdYlGn"  # red negative, yellow neutral, green positive


def plot_author_hexbins(
    scored: pd.DataFrame,
    out_png: str | Path,
    *,
    authors: Sequence[str] | None = None,
    max_authors: int = 6,
    gridsize: int = 14,
) -> Path:
    """One hexbin per author of score (-1..1) against post length (characters), as in the blog.

    ``authors`` picks whom to draw (default: the ``max_authors`` with most posts).
    """
    plt = pyplot()
    counts = scored["author"].value_counts()
    chosen = list(authors) if authors is not None else list(counts.index[:max_authors])
    longest = max(int(scored["text"].str.len().max()), 1)
    columns = min(len(chosen), 3) or 1
    rows = -(-len(chosen) // columns) or 1
    fig, axes = plt.subplots(
        rows, columns, figsize=(4 * columns, 3.3 * rows), squeeze=False, sharex=True, sharey=True
    )
    for ax in axes.flat[len(chosen) :]:
        ax.set_visible(False)
    image = None
    for ax, author in zip(axes.flat, chosen):
        posts = scored[scored["author"] == author]
        image = ax.hexbin(
            posts["text"].str.len(),
            posts["score"],
            gridsize=gridsize,
            extent=(0, longest, -1, 1),
            cmap="viridis",
            mincnt=1,
        )
        ax.axhline(0, color="grey", lw=0.5)
        name = author if len(author) <= 40 else author[:39] + "…"  # a 10 MB name hung the plot
        ax.set_title(f"{name} ({len(posts)} posts, mean {posts['score'].mean():+.2f})", fontsize=9)
    for ax in axes[-1]:
        ax.set_xlabel("post length (characters)")
    for ax in axes[:, 0]:
        ax.set_ylabel("score p(pos) - p(neg)")
    if image is not None:
        fig.colorbar(image, ax=axes, label="posts", shrink=0.8)
    return save_figure(fig, Path(out_png))


def _signed_area(ring: Sequence[Sequence[float]]) -> float:
    x, y = np.asarray(ring, dtype=float)[:, :2].T
    return float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]) / 2)


def clockwise(ring: list[list[float]]) -> list[list[float]]:
    """``ring`` with clockwise winding (negative shoelace area), as plotly.js's d3-geo wants."""
    return ring[::-1] if _signed_area(ring) > 0 else ring


def _polygons(geometry: dict[str, Any]) -> list[list[list[list[float]]]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    return []


def plot_capital_map(table: pd.DataFrame, out_png: str | Path, *, title: str = "") -> Path:
    """World map, each country coloured by ``mean_score`` of posts from its capital (grey: none).

    ``table`` is :func:`castlab.sentiment.views.capital_sentiment`'s output.
    """
    from matplotlib.collections import PatchCollection
    from matplotlib.colors import Normalize
    from matplotlib.patches import Polygon

    from castlab.sentiment.views import country_shapes

    plt = pyplot()
    scores = dict(zip(table["iso3"], table["mean_score"]))
    norm = Normalize(-1, 1)
    cmap = plt.get_cmap(SCORE_COLOURS)
    patches, colours = [], []
    for iso3, geometry in country_shapes().items():
        for polygon in _polygons(geometry):
            patches.append(Polygon(np.asarray(polygon[0])[:, :2], closed=True))
            colours.append(cmap(norm(scores[iso3])) if iso3 in scores else (0.88, 0.88, 0.88, 1))
    fig, ax = plt.subplots(figsize=(11, 5.5))
    ax.add_collection(PatchCollection(patches, facecolor=colours, edgecolor="white", lw=0.3))
    ax.scatter(  # every capital with posts is also a dot: small countries have no shape
        table["longitude"],
        table["latitude"],
        s=14,
        c=table["mean_score"],
        cmap=cmap,
        norm=norm,
        edgecolors="black",
        linewidths=0.4,
        zorder=3,
    )
    ax.set(xlim=(-180, 180), ylim=(-60, 85), aspect="equal", title=title or "Mean score by capital")
    ax.set_axis_off()
    mappable = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(mappable, ax=ax, shrink=0.6, label="mean score p(pos) - p(neg)")
    return save_figure(fig, Path(out_png))


def write_capital_map_html(table: pd.DataFrame, out_html: str | Path, *, title: str = "") -> Path:
    """A self-contained interactive choropleth (plotly.js inline, shapes inline, no network)."""
    import plotly.graph_objects as go

    from castlab.sentiment.views import country_shapes

    shapes = country_shapes()
    features = []
    for iso3 in shapes:  # every country: those without posts make the grey background
        polygons = [
            [clockwise(ring) if i == 0 else clockwise(ring)[::-1] for i, ring in enumerate(p)]
            for p in _polygons(shapes[iso3])
        ]
        geometry = {"type": "MultiPolygon", "coordinates": polygons}
        features.append({"type": "Feature", "id": iso3, "properties": {}, "geometry": geometry})
    hover = [
        f"{row.country}<br>{row.capital}: {row.mean_score:+.2f} ({row.posts} posts)"
        for row in table.itertuples()
    ]
    # small countries have no shape in countryinfo: every capital is also a coloured dot
    capitals_trace = go.Scattergeo(
        lon=list(table["longitude"]),
        lat=list(table["latitude"]),
        text=hover,
        hoverinfo="text",
        mode="markers",
        marker={
            "color": list(table["mean_score"]),
            "colorscale": SCORE_COLOURS,
            "cmin": -1,
            "cmax": 1,
            "size": 7,
            "line": {"width": 0.5, "color": "black"},
        },
        showlegend=False,
    )
    with_data = set(table["iso3"])
    grey = [f for f in features if f["id"] not in with_data]
    background = go.Choropleth(
        geojson={"type": "FeatureCollection", "features": grey},
        locations=[f["id"] for f in grey],
        z=[0.0] * len(grey),
        featureidkey="id",
        colorscale=[[0, "#e0e0e0"], [1, "#e0e0e0"]],
        showscale=False,
        hoverinfo="skip",
        marker={"line": {"color": "white", "width": 0.3}},
    )
    figure = go.Figure(background)
    figure.add_trace(
        go.Choropleth(
            geojson={
                "type": "FeatureCollection",
                "features": [f for f in features if f["id"] in with_data],
            },
            locations=list(table["iso3"]),
            z=list(table["mean_score"]),
            featureidkey="id",
            zmin=-1,
            zmax=1,
            colorscale=SCORE_COLOURS,
            text=hover,
            hoverinfo="text",
            colorbar={"title": {"text": "mean score"}},
        )
    )
    figure.add_trace(capitals_trace)
    figure.update_geos(
        showcoastlines=False, showland=False, showframe=False, projection_type="natural earth"
    )
    figure.update_layout(
        title=title or "Mean score by capital", margin={"l": 0, "r": 0, "t": 40, "b": 0}
    )
    div = figure.to_html(include_plotlyjs=False, full_html=False, config={"displaylogo": False})
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>capital sentiment</title>"
        f"{offline_plotly_scripts()}</head><body>{div}</body></html>"
    )
    return write_text(out_html, page)


def plot_confusion(confusion: Sequence[Sequence[int]], out_png: str | Path, *, title: str) -> Path:
    """A 3 x 3 confusion matrix (rows: true label, columns: predicted) with counts."""
    from castlab.sentiment.data import LABELS

    plt = pyplot()
    matrix = np.asarray(confusion)
    fig, ax = plt.subplots(figsize=(3.8, 3.4))
    ax.imshow(matrix / np.maximum(matrix.sum(1, keepdims=True), 1), cmap="Blues", vmin=0, vmax=1)
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(j, i, str(value), ha="center", va="center", fontsize=9)
    ax.set(xticks=range(3), yticks=range(3), xticklabels=LABELS, yticklabels=LABELS)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    return save_figure(fig, Path(out_png))
