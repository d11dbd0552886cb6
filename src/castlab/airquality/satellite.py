"""Sentinel-5P NetCDF files sampled at locations and dates into feature columns.

Two layouts are read (xarray with the netCDF4 engine, offline):

* **L2 swath** (``S5P_OFFL_L2__NO2____*.nc``): the ``PRODUCT`` group holds 2-D
  ``latitude``/``longitude`` (scanline x ground_pixel), a ``time`` reference, a
  ``qa_value`` and variables such as ``nitrogendioxide_tropospheric_column``. Each location
  gets the mean of the good pixels (``qa_value >= min_qa``) within ``radius_km``.
* **L3 grid** (e.g. harp or Earth Engine exports): 1-D ``latitude``, ``longitude`` and
  ``time`` coordinates; each location gets the nearest grid cell's value per day.

:func:`sample_netcdf` returns ``location, date, <variable>...``, one row per location and
day (days with several overpasses are averaged); :func:`add_satellite_features` joins that
onto a readings table.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> path = write_example_l3(folder / "no2_l3.nc", days=3)
>>> points = pd.DataFrame({"location": ["A"], "latitude": [-26.2], "longitude": [28.0]})
>>> table = sample_netcdf([path], points, variables=["nitrogendioxide_tropospheric_column"])
>>> table.shape, str(table["date"].iloc[0].date())
((3, 3), '2020-01-01')
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from castlab.airquality.baselines import haversine_km
from castlab.airquality.data import Readings
from castlab.core.errors import CastlabError

__all__ = [
    "S5P_VARIABLES",
    "add_satellite_features",
    "sample_netcdf",
    "write_example_l2",
    "write_example_l3",
]

#: Sentinel-5P L2 product variables useful as PM2.5 features
S5P_VARIABLES = (
    "nitrogendioxide_tropospheric_column",
    "carbonmonoxide_total_column",
    "sulfurdioxide_total_vertical_column",
    "ozone_total_vertical_column",
    "aerosol_index_354_388",
    "formaldehyde_tropospheric_vertical_column",
)


def _open(path: Path):  # type: ignore[no-untyped-def]
    import xarray as xr

    if not path.exists():
        raise CastlabError("file not found", path=path, fix="check the path")
    try:
        root = xr.open_dataset(path, engine="netcdf4")
    except (OSError, ValueError) as error:
        raise CastlabError(
            f"not a readable NetCDF file ({error})", path=path, fix="pass a Sentinel-5P .nc file"
        ) from None
    if "latitude" in root.variables:
        return root
    root.close()
    try:
        return xr.open_dataset(path, engine="netcdf4", group="PRODUCT")
    except (OSError, ValueError):
        raise CastlabError(
            "no latitude variable at the top level or in the PRODUCT group",
            path=path,
            fix="pass a Sentinel-5P L2 (PRODUCT group) or L3 (lat/lon grid) file",
        ) from None


def _dates(dataset) -> np.ndarray:  # type: ignore[no-untyped-def]
    if "time" not in dataset.variables:
        raise CastlabError("no time variable", fix="the file needs a time coordinate")
    return pd.to_datetime(np.atleast_1d(dataset["time"].values)).normalize().to_numpy()


def _sample_l2(
    dataset, points: pd.DataFrame, variables: Sequence[str], radius_km: float, min_qa: float
) -> list[dict]:  # type: ignore[no-untyped-def]
    lat = np.asarray(dataset["latitude"].values, dtype=float).reshape(
        -1, *dataset["latitude"].shape[-2:]
    )
    lon = np.asarray(dataset["longitude"].values, dtype=float).reshape(lat.shape)
    qa = (
        np.asarray(dataset["qa_value"].values, dtype=float).reshape(lat.shape)
        if "qa_value" in dataset.variables
        else np.ones_like(lat)
    )
    dates = _dates(dataset)
    values = {v: np.asarray(dataset[v].values, dtype=float).reshape(lat.shape) for v in variables}
    rows = []
    for t in range(lat.shape[0]):
        for point in points.itertuples():
            distance = haversine_km(point.latitude, point.longitude, lat[t], lon[t])
            near = (distance <= radius_km) & (qa[t] >= min_qa)
            if not near.any():
                continue
            row = {"location": point.location, "date": dates[min(t, len(dates) - 1)]}
            for v in variables:
                row[v] = (
                    float(np.nanmean(values[v][t][near]))
                    if np.isfinite(values[v][t][near]).any()
                    else np.nan
                )
            rows.append(row)
    return rows


def _sample_l3(dataset, points: pd.DataFrame, variables: Sequence[str]) -> list[dict]:  # type: ignore[no-untyped-def]
    import xarray as xr

    lat, lon = (np.asarray(dataset[c].values, dtype=float) for c in ("latitude", "longitude"))
    step = max(
        float(np.abs(np.diff(lat)).max(initial=0)), float(np.abs(np.diff(lon)).max(initial=0))
    )
    inside = points["latitude"].between(lat.min() - step, lat.max() + step) & points[
        "longitude"
    ].between(lon.min() - step, lon.max() + step)
    points = points[inside]  # nearest-cell lookup would give far-away points the edge value
    if len(points) == 0:
        return []
    picked = dataset[list(variables)].sel(
        latitude=xr.DataArray(points["latitude"].to_numpy(dtype=float), dims="point"),
        longitude=xr.DataArray(points["longitude"].to_numpy(dtype=float), dims="point"),
        method="nearest",
    )
    dates = _dates(dataset)
    rows = []
    for t, day in enumerate(dates):
        for k, location in enumerate(points["location"]):
            row = {"location": location, "date": day}
            for v in variables:
                data = picked[v]
                row[v] = (
                    float(data.isel(time=t, point=k))
                    if "time" in data.dims
                    else float(data.isel(point=k))
                )
            rows.append(row)
    return rows


def sample_netcdf(
    paths: Sequence[str | Path],
    points: pd.DataFrame,
    *,
    variables: Sequence[str] = ("nitrogendioxide_tropospheric_column",),
    radius_km: float = 10.0,
    min_qa: float = 0.75,
) -> pd.DataFrame:
    """Sample ``variables`` at each ``points`` row (``location, latitude, longitude``) per day."""
    missing = {"location", "latitude", "longitude"} - set(points.columns)
    if missing:
        raise CastlabError(
            f"the locations need columns {', '.join(sorted(missing))}",
            fix="give each location its latitude and longitude",
        )
    points = points.drop_duplicates("location").dropna(subset=["latitude", "longitude"])
    rows: list[dict] = []
    for path in map(Path, paths):
        dataset = _open(path)
        try:
            absent = [v for v in variables if v not in dataset.variables]
            if absent:
                raise CastlabError(
                    f"no variable {', '.join(absent)} (has: {', '.join(map(str, dataset.data_vars))})",
                    path=path,
                    fix="choose variables with --variable",
                )
            if dataset["latitude"].ndim >= 2:
                rows += _sample_l2(dataset, points, variables, radius_km, min_qa)
            else:
                rows += _sample_l3(dataset, points, variables)
        finally:
            dataset.close()
    columns = ["location", "date", *variables]
    table = pd.DataFrame(rows, columns=columns)
    if len(table) == 0:
        return table
    table["date"] = pd.to_datetime(table["date"]).astype("datetime64[ns]")
    return table.groupby(["location", "date"], as_index=False).mean()


def add_satellite_features(readings: Readings, samples: pd.DataFrame) -> Readings:
    """Join per-day satellite samples onto ``readings`` by location and calendar day."""
    frame = readings.frame.copy()
    frame["_day"] = frame["date"].dt.normalize()
    joined = frame.merge(
        samples.rename(columns={"date": "_day"}), on=["location", "_day"], how="left"
    ).drop(columns="_day")
    return Readings(joined, dict(readings.issues), readings.source)


def write_example_l3(
    path: str | Path, *, days: int = 5, start: str = "2020-01-01", seed: int = 0
) -> Path:
    """Write a small generated L3 grid (time x latitude x longitude) with S5P variable names."""
    import xarray as xr

    rng = np.random.default_rng(seed)
    lat = np.arange(-35.0, -21.9, 0.5)
    lon = np.arange(16.0, 33.1, 0.5)
    time = pd.date_range(start, periods=days, freq="D")
    base = 5e-5 * np.exp(-((lat[:, None] + 26.2) ** 2 + (lon[None, :] - 28.0) ** 2) / 4)
    no2 = base[None] * (1 + 0.2 * rng.normal(size=(days, 1, 1))) + 1e-6
    dataset = xr.Dataset(
        {"nitrogendioxide_tropospheric_column": (("time", "latitude", "longitude"), no2)},
        coords={"time": time, "latitude": lat, "longitude": lon},
    )
    dataset["nitrogendioxide_tropospheric_column"].attrs["units"] = "mol m-2"
    dataset.to_netcdf(path, engine="netcdf4")
    return Path(path)


def write_example_l2(path: str | Path, *, day: str = "2020-01-01", seed: int = 0) -> Path:
    """Write a small generated L2 swath with a ``PRODUCT`` group, as S5P L2 files have."""
    import xarray as xr

    rng = np.random.default_rng(seed)
    scan, pixel = np.meshgrid(np.arange(40), np.arange(30), indexing="ij")
    lat = -30.0 + 0.1 * scan + 0.01 * pixel  # a slightly skewed swath over Gauteng
    lon = 26.5 + 0.1 * pixel - 0.01 * scan
    no2 = (
        2e-5
        + 1e-5 * np.exp(-((lat + 26.2) ** 2 + (lon - 28.0) ** 2))
        + rng.normal(0, 1e-7, lat.shape)
    )
    qa = np.where(rng.uniform(size=lat.shape) < 0.1, 0.3, 1.0)
    dims = ("time", "scanline", "ground_pixel")
    dataset = xr.Dataset(
        {
            "latitude": (dims, lat[None]),
            "longitude": (dims, lon[None]),
            "qa_value": (dims, qa[None]),
            "nitrogendioxide_tropospheric_column": (dims, no2[None]),
        },
        coords={"time": pd.to_datetime([day])},
    )
    xr.Dataset(attrs={"title": "generated S5P-like L2 file"}).to_netcdf(path, engine="netcdf4")
    dataset.to_netcdf(path, engine="netcdf4", group="PRODUCT", mode="a")
    return Path(path)
