"""Baselines and scores."""

from __future__ import annotations

import numpy as np
import pandas as pd

from castlab.airquality.baselines import (
    haversine_km,
    monthly_climatology,
    other_locations,
    scores,
)


def _frame(rows):
    frame = pd.DataFrame(rows, columns=["location", "date", "pm25", "latitude", "longitude"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def test_scores_match_definitions():
    truth, pred = np.array([1.0, 2, 3, 4]), np.array([1.0, 3, 3, 2])
    result = scores(truth, pred)
    assert result["mae"] == 0.75 and np.isclose(result["rmse"], np.sqrt(5 / 4))
    assert np.isclose(result["r2"], 1 - 5 / 5)
    assert scores(truth, np.full(4, np.nan))["n"] == 0


def test_haversine_one_degree_of_latitude():
    assert abs(haversine_km(0, 0, 1, 0) - 111.19) < 0.1


def test_climatology_falls_back_to_global_mean_for_unseen_months():
    train = _frame([("A", "2020-01-05", 10, 0, 0), ("A", "2020-02-05", 30, 0, 0)])
    test = _frame([("B", "2020-01-09", 0, 0, 0), ("B", "2020-07-01", 0, 0, 0)])
    assert monthly_climatology(train, test).tolist() == [10.0, 20.0]


def test_other_locations_weights_by_distance_and_skips_missing_days():
    train = _frame(
        [
            ("near", "2020-01-01", 10, 0, 0.1),
            ("far", "2020-01-01", 40, 0, 1.0),
            ("far", "2020-01-02", 40, 0, 1.0),
        ]
    )
    test = _frame(
        [
            ("here", "2020-01-01", 0, 0, 0),
            ("here", "2020-01-02", 0, 0, 0),
            ("here", "2020-01-03", 0, 0, 0),
        ]
    )
    result = other_locations(train, test)
    assert 10 < result[0] < 11  # 100:1 weights
    assert result[1] == 40 and np.isnan(result[2])
    unweighted = other_locations(train.drop(columns=["latitude", "longitude"]), test)
    assert unweighted[0] == 25
