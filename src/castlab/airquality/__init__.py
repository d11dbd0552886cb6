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

from castlab.core.exports import lazy_exports

# Names load on first use, so `castlab --help` (which imports .cli) stays free of pandas,
# LightGBM, CatBoost, xarray and plotly.
__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "BASELINES": "baselines",
        "Evaluation": "train",
        "ModelConfig": "model",
        "PM25Regressor": "model",
        "ReadConfig": "readers",
        "Readings": "data",
        "LocationModelConfig": "train",
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
    },
)
