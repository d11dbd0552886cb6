"""Air quality: PM2.5 where there is no sensor, and a dashboard to explore it.

From the blog post "Data Glimpse: Predicted Historical Air Quality for African Cities": a
model trained on satellite (Sentinel-5P) and weather data predicts PM2.5 for places without
sensors, validated on cities it never saw, and a dashboard shows a time series per city and
a map of averages. This package reads readings and prediction tables (the blog's
``City,Date,Lat,Long,Predicted_PM25`` format, the Beijing multi-site files, sensors.AFRICA
exports), samples Sentinel-5P NetCDF files at points, fits LightGBM/CatBoost with
location-grouped cross-validation against baselines (global mean, monthly climatology,
other locations on the same day), and writes an offline HTML dashboard.

Layers: :mod:`.data` (tidy tables, checks), :mod:`.readers` (real exports),
:mod:`.satellite` (NetCDF), :mod:`.baselines`, :mod:`.validation` (grouped folds,
adversarial validation), :mod:`.model` (regressor + intervals), :mod:`.train`
(evaluate/train/predict), :mod:`.dashboard`, :mod:`.plots`, :mod:`.synthetic`, :mod:`.cli`.

Examples
--------
>>> from castlab.airquality import generate_locations, location_summary
>>> readings = generate_locations(n_locations=4, n_days=20, seed=1)
>>> summary = location_summary(readings.frame)
>>> int(summary["rank"].iloc[0]), len(summary)
(1, 4)
"""

from __future__ import annotations

import importlib
from typing import Any

# Names load on first use, so `castlab --help` (which imports .cli) stays free of pandas,
# LightGBM, CatBoost, xarray and plotly.
_WHERE = {
    "BASELINES": "baselines",
    "Evaluation": "train",
    "ModelConfig": "model",
    "PM25Regressor": "model",
    "ReadConfig": "readers",
    "Readings": "data",
    "TrainConfig": "train",
    "add_satellite_features": "satellite",
    "evaluate": "train",
    "generate_locations": "synthetic",
    "generate_predictions": "synthetic",
    "load": "readers",
    "location_summary": "dashboard",
    "predict": "train",
    "read_beijing": "readers",
    "read_sensors_africa": "readers",
    "read_table": "data",
    "resample": "data",
    "sample_netcdf": "satellite",
    "train": "train",
    "write_dashboard": "dashboard",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'castlab.airquality' has no attribute {name!r}")
    return getattr(importlib.import_module(f"castlab.airquality.{_WHERE[name]}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
