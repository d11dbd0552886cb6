"""The offline dashboard: summaries, no network references, WHO lines, static PNGs."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from castlab.airquality.dashboard import location_summary, write_dashboard
from castlab.airquality.data import Readings, read_table
from castlab.airquality.synthetic import generate_predictions

from .conftest import ZA_PREDICTIONS


def test_summary_counts_days_over_the_guideline():
    frame = pd.DataFrame(
        {
            "location": ["A"] * 4 + ["B"] * 2,
            "name": ["A"] * 4 + ["B"] * 2,
            "date": pd.to_datetime(
                ["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04"] * 1
                + ["2020-01-01", "2020-01-02"]
            ),
            "latitude": 0.0,
            "longitude": 0.0,
            "pm25": [10, 15, 16, 40, 3, 4],
        }
    )
    summary = location_summary(frame).set_index("location")
    assert summary.loc["A", "days_over_15"] == 2  # 15 itself meets the guideline
    assert summary.loc["A", "rank"] == 1 and summary.loc["B", "days_over_15"] == 0
    assert summary.loc["B", "times_annual_guideline"] == pytest.approx(0.7)


def test_a_place_without_valid_pm25_is_left_off_the_map_spec():
    import json

    from castlab.airquality.charts import map_spec

    frame = pd.DataFrame(
        {
            "location": ["A", "A", "B"],
            "name": ["A", "A", "B"],
            "date": pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-01"]),
            "latitude": [0.0, 0.0, 1.0],
            "longitude": [30.0, 30.0, 31.0],
            "pm25": [10.0, 20.0, float("nan")],
        }
    )
    spec = map_spec(location_summary(frame))
    points = spec["layer"][1]["data"]["values"]
    assert [p["location"] for p in points] == ["A"]
    json.dumps(spec, allow_nan=False)  # NaN is not JSON: the browser's chart failed on it


def test_dashboard_is_self_contained(tmp_path):
    table = generate_predictions(n_cities=5, n_days=60)
    readings = read_table(io.StringIO(table.to_csv(index=False)))
    paths = write_dashboard(readings, tmp_path, title="test")
    page = paths["html"].read_text()
    assert not re.search(r"<script[^>]+src=", page)  # plotly.js is inline
    assert "PlotlyGeoAssets" in page  # the world outline plotly.js would fetch is stubbed
    assert "Middelburg (" in page and "WHO 24-h guideline 15" in page
    assert "days &gt; 15" in page
    summary = pd.read_csv(paths["summary"])
    assert len(summary) == 5 and summary["mean_pm25"].is_monotonic_decreasing
    for key in ("timeseries_png", "map_png", "ranking_png"):
        assert paths[key].stat().st_size > 10_000


def test_hourly_input_is_averaged_to_days(tmp_path):
    frame = pd.DataFrame(
        {
            "location": "S",
            "name": "S",
            "date": pd.date_range("2020-01-01", periods=48, freq="h"),
            "latitude": 1.0,
            "longitude": 36.0,
            "pm25": [20.0] * 24 + [10.0] * 24,
        }
    )
    paths = write_dashboard(Readings(frame), tmp_path)
    summary = pd.read_csv(paths["summary"])
    assert summary["days"].iloc[0] == 2 and summary["days_over_15"].iloc[0] == 1


def test_a_table_without_coordinates_gets_no_empty_map(tmp_path):
    """Beijing's station files have no coordinates: the dashboard drew empty axes labelled as
    a map. It now says there is no map, writes no map.png, and a rerun removes the earlier
    run's map.png; locations missing only some coordinates are named."""
    table = generate_predictions(n_cities=3, n_days=20)
    readings = read_table(io.StringIO(table.to_csv(index=False)))
    assert "map_png" in write_dashboard(readings, tmp_path)
    notes: list[str] = []
    bare = Readings(readings.frame.assign(latitude=float("nan"), longitude=float("nan")))
    paths = write_dashboard(bare, tmp_path, report=notes.append)
    assert "map_png" not in paths and not (tmp_path / "map.png").exists()
    assert notes == [
        "No map: the table gives no coordinates for its locations (add latitude and longitude "
        "columns for a map of averages)."
    ]
    assert "No map: the table gives no coordinates" in paths["html"].read_text()
    first = readings.frame["location"].iloc[0]
    some = readings.frame.copy()
    some.loc[some["location"] == first, ["latitude", "longitude"]] = float("nan")
    notes.clear()
    assert "map_png" in write_dashboard(Readings(some), tmp_path, report=notes.append)
    assert notes == [f"1 of 3 locations have no coordinates and are not on the map: {first}."]


@pytest.mark.skipif(not ZA_PREDICTIONS.exists(), reason="shared data absent")
def test_real_za_dashboard(tmp_path):
    paths = write_dashboard(read_table(ZA_PREDICTIONS), tmp_path)
    summary = pd.read_csv(paths["summary"])
    assert len(summary) == 72 and summary["days"].sum() == 41_688


def test_outline_map_needs_no_geo_layer():
    from castlab.airquality.maps import outline_map_figure

    table = generate_predictions(n_cities=3, n_days=10)
    summary = location_summary(read_table(io.StringIO(table.to_csv(index=False))).frame)
    figure = outline_map_figure(summary)
    assert [trace.type for trace in figure.data] == ["scatter", "scatter"]
    assert len(figure.data[1].x) == 3 and None in figure.data[0].x  # outlines, then sites


def test_the_rolling_mean_is_over_days_not_rows():
    """Readings two months apart are not averaged together (a 7-row mean gave 70, 55, 46)."""
    from castlab.airquality.dashboard import timeseries_figure

    frame = pd.DataFrame(
        {
            "location": "A",
            "name": "A",
            "latitude": 1.0,
            "longitude": 2.0,
            "date": pd.to_datetime(
                ["2020-01-01", "2020-01-02", "2020-03-01", "2020-03-02", "2020-03-03"]
            ),
            "pm25": [100.0, 100.0, 10.0, 10.0, 10.0],
        }
    )
    mean = next(t for t in timeseries_figure(frame).data if t.name == "7-day mean")
    assert list(mean.y) == [100.0, 100.0, 10.0, 10.0, 10.0]
