"""Baselines a model for unseen locations must beat, and the scores used for every row.

* global mean: the training locations' mean PM2.5;
* monthly climatology: their mean per calendar month;
* other locations, same time: the mean of the training locations' readings at the same
  timestamp, inverse-distance weighted (power 2) when coordinates are known. It needs
  sensors running elsewhere at the same time, which the "no sensor here" case may not have.

Examples
--------
>>> train = pd.DataFrame({"location": ["A", "A", "B", "B"], "date": pd.to_datetime(
...     ["2020-01-01", "2020-02-01"] * 2), "pm25": [10.0, 20.0, 30.0, 40.0],
...     "latitude": [0.0, 0, 0, 0], "longitude": [0.0, 0, 1, 1]})
>>> test = pd.DataFrame({"location": ["C"], "date": pd.to_datetime(["2020-02-01"]),
...     "latitude": [0.0], "longitude": [0.1]})
>>> round(float(global_mean(train, test)[0]), 1), float(monthly_climatology(train, test)[0])
(25.0, 30.0)
>>> round(float(other_locations(train, test)[0]), 2)  # A is 9x nearer than B: weight 81:1
20.24
>>> scores(np.array([1.0, 2, 3]), np.array([1.0, 2, 4]))["mae"]
0.3333333333333333
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "BASELINES",
    "global_mean",
    "haversine_km",
    "monthly_climatology",
    "neighbour_feature",
    "other_locations",
    "scores",
]


def scores(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """MAE, RMSE and R² (1 - SSE/SST around the truth's own mean), over finite pairs."""
    ok = np.isfinite(truth) & np.isfinite(predicted)
    t, p = truth[ok], predicted[ok]
    if len(t) == 0:
        return {"mae": np.nan, "rmse": np.nan, "r2": np.nan, "n": 0}
    sst = float(np.sum((t - t.mean()) ** 2))
    sse = float(np.sum((t - p) ** 2))
    return {
        "mae": float(np.mean(np.abs(t - p))),
        "rmse": float(np.sqrt(sse / len(t))),
        "r2": 1 - sse / sst if sst > 0 else np.nan,
        "n": int(len(t)),
    }


def global_mean(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """The training mean for every test row."""
    return np.full(len(test), float(train["pm25"].mean()))


def monthly_climatology(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """The training mean of each calendar month (the global mean for unseen months)."""
    by_month = train.groupby(train["date"].dt.month)["pm25"].mean()
    values = test["date"].dt.month.map(by_month).to_numpy(dtype=float)
    return np.where(np.isfinite(values), values, float(train["pm25"].mean()))


def haversine_km(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Great-circle distance in km (broadcasting)."""
    lat1, lon1, lat2, lon2 = (
        np.deg2rad(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def other_locations(train: pd.DataFrame, test: pd.DataFrame, *, power: float = 2.0) -> np.ndarray:
    """Same-timestamp mean of the training locations, inverse-distance weighted if possible.

    Test rows at a time no training location has a reading get NaN (scores skip them and
    count the rows they cover in ``n``).
    """
    grid = train.pivot_table(index="date", columns="location", values="pm25", aggfunc="mean")
    out = np.full(len(test), np.nan)
    have_coords = {"latitude", "longitude"} <= set(train.columns) and {
        "latitude",
        "longitude",
    } <= set(test.columns)
    sites = train.groupby("location")[["latitude", "longitude"]].first() if have_coords else None
    for rows in test.groupby("location", sort=False).indices.values():
        part = test.iloc[rows]
        values = grid.reindex(part["date"]).to_numpy(dtype=float)  # (rows, train locations)
        weights = np.ones(values.shape[1])
        if sites is not None:
            here = part[["latitude", "longitude"]].iloc[0].to_numpy(dtype=float)
            there = sites.reindex(grid.columns).to_numpy(dtype=float)
            if np.isfinite(here).all() and np.isfinite(there).all():
                distance = haversine_km(here[0], here[1], there[:, 0], there[:, 1])
                weights = 1.0 / np.maximum(distance, 0.1) ** power
        present = np.isfinite(values)
        total = (np.where(present, values, 0.0) * weights).sum(axis=1)
        norm = (present * weights).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[rows] = np.where(norm > 0, total / norm, np.nan)
    return out


def neighbour_feature(frame: pd.DataFrame, reference: pd.DataFrame) -> np.ndarray:
    """For each row of ``frame``: :func:`other_locations` over ``reference``'s readings at the
    same time, never using the row's own location (a feature for a model, see
    :class:`castlab.airquality.train.LocationModelConfig`'s ``neighbours``)."""
    out = np.full(len(frame), np.nan)
    labelled = reference[np.isfinite(reference["pm25"].to_numpy(dtype=float))]
    for location, rows in frame.groupby("location", sort=False).indices.items():
        others = labelled[labelled["location"] != location]
        if len(others):
            out[rows] = other_locations(others, frame.iloc[rows])
    return out


#: name -> function(train, test) -> predictions; each row of the results table
BASELINES = {
    "global mean": global_mean,
    "monthly climatology": monthly_climatology,
    "other locations, same time": other_locations,
}
