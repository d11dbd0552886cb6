"""Figures: hexbins per author, the static and the offline interactive map, confusion."""

from __future__ import annotations

import json
import re
import subprocess

import numpy as np
import pandas as pd
import pytest

from castlab.sentiment.plots import (
    clockwise,
    plot_author_hexbins,
    plot_capital_map,
    plot_confusion,
    write_capital_map_html,
)
from castlab.sentiment.synthetic import generate_author_posts, generate_capital_posts
from castlab.sentiment.views import capital_sentiment, country_shapes
from tests.chromium import CHROMIUM, OFFLINE_HEADLESS_FLAGS

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
    data = json.loads(
        re.search(r'Plotly\.newPlot\(\s*"[^"]+",\s*(\[.*?\]),\s*\{', page, re.S).group(1)
    )
    with_shapes = set(country_shapes()) & set(table["iso3"])
    assert {f["id"] for f in data[1]["geojson"]["features"]} == with_shapes
    assert not with_shapes & {f["id"] for f in data[0]["geojson"]["features"]}  # grey: no posts
    assert len(data[2]["lat"]) == len(table)  # every capital is also a dot


def test_clockwise_rings():
    square = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]  # counter-clockwise
    assert clockwise(square) == square[::-1]
    assert clockwise(square[::-1]) == square[::-1]


def test_confusion_png(tmp_path):
    path = plot_confusion([[5, 1, 0], [1, 5, 1], [0, 2, 6]], tmp_path / "c.png", title="t")
    assert path.read_bytes()[:4] == PNG


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium")
def test_html_map_draws_countries_with_no_network(tmp_path):
    table = pd.DataFrame(
        {
            "iso3": ["USA", "BRA"],
            "country": ["United States", "Brazil"],
            "capital": ["W", "B"],
            "latitude": [38.9, -15.8],
            "longitude": [-77.0, -47.9],
            "posts": [3, 3],
            "mean_score": [-1.0, 1.0],
        }
    )
    page = write_capital_map_html(table, tmp_path / "m.html")
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            CHROMIUM,
            *OFFLINE_HEADLESS_FLAGS,
            "--virtual-time-budget=5000",
            "--window-size=800,500",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("RGB")).reshape(-1, 3).astype(int)
    red = (np.abs(pixels - [165, 0, 38]).sum(1) < 40).sum()  # RdYlGn at -1
    green = (np.abs(pixels - [0, 104, 55]).sum(1) < 40).sum()  # RdYlGn at +1
    assert red > 2_000 and green > 2_000  # both countries filled, not a blank map
