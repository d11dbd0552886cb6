"""Figures: hexbins per author, the static and the offline interactive map, confusion."""

from __future__ import annotations

import json
import re

from castlab.sentiment.generate import generate_author_posts, generate_capital_posts
from castlab.sentiment.plots import (
    clockwise,
    plot_author_hexbins,
    plot_capital_map,
    plot_confusion,
    write_capital_map_html,
)
from castlab.sentiment.views import capital_sentiment, country_shapes

PNG = b"\x89PNG"


def test_hexbins_one_panel_per_author(tmp_path):
    posts = generate_author_posts(n_per_author=20, seed=0)
    posts["score"] = posts["true_label"] - 1.0
    path = plot_author_hexbins(posts, tmp_path / "h.png", max_authors=2)
    assert path.read_bytes()[:4] == PNG


def test_maps_png_and_self_contained_html(tmp_path):
    posts = generate_capital_posts(n_countries=10, per_country=3, seed=0)
    posts["score"] = posts["true_label"] - 1.0
    table = capital_sentiment(posts)
    assert plot_capital_map(table, tmp_path / "m.png").read_bytes()[:4] == PNG
    page = write_capital_map_html(table, tmp_path / "m.html").read_text()
    assert "window.PlotlyGeoAssets" in page
    assert page.index("PlotlyGeoAssets") < page.index("plotly.js v")  # stub before the library
    assert not re.search(r"<script[^>]+src=", page)  # nothing loaded from elsewhere
    assert all(iso3 in page for iso3 in table["iso3"])
    data = json.loads(re.search(r'Plotly\.newPlot\(\s*"[^"]+",\s*(\[.*?\]),\s*\{', page, re.S).group(1))
    with_shapes = set(country_shapes()) & set(table["iso3"])
    assert {f["id"] for f in data[0]["geojson"]["features"]} == with_shapes
    assert len(data[1]["lat"]) == len(table)  # every capital is also a dot


def test_clockwise_rings():
    square = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]  # counter-clockwise
    assert clockwise(square) == square[::-1]
    assert clockwise(square[::-1]) == square[::-1]


def test_confusion_png(tmp_path):
    path = plot_confusion([[5, 1, 0], [1, 5, 1], [0, 2, 6]], tmp_path / "c.png", title="t")
    assert path.read_bytes()[:4] == PNG
