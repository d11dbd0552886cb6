"""Readers for real exports: the Beijing multi-site files and sensors.AFRICA archives.

* Beijing (UCI 501): one ``PRSA_Data_<Station>_*.csv`` per station, hourly, with PM2.5, the
  gases Sentinel-5P measures (NO2, CO, SO2, O3), PM10 and weather; wind direction is a
  16-point compass string, turned into the east/north parts of a unit vector.
* sensors.AFRICA: ``timestamp,P2`` (``P2`` is PM2.5) with a byte-order mark and timestamps
  in mixed formats (``09/01/2018 00:05`` and ``9/13/2018 0:09:31``), about every 5 minutes.

Examples
--------
>>> compass_vector(pd.Series(["N", "E", "SW", None]))[0].round(3).tolist()
[0.0, 1.0, -0.707, nan]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from castlab.airquality.data import Readings, resample, tidy
from castlab.core.errors import CastlabError
from castlab.core.readers import read_csv

__all__ = [
    "COMPASS",
    "FORMATS",
    "ReadConfig",
    "compass_vector",
    "detect_format",
    "load",
    "read_beijing",
    "read_sensors_africa",
]

#: 16-point compass names -> bearing in degrees (clockwise from north)
COMPASS = {
    name: 22.5 * i
    for i, name in enumerate("N NNE NE ENE E ESE SE SSE S SSW SW WSW W WNW NW NNW".split())
}
_BEIJING_COLUMNS = {"year", "month", "day", "hour", "PM2.5", "station"}


def compass_vector(direction: pd.Series) -> tuple[pd.Series, pd.Series]:
    """East and north parts of a unit vector pointing to each compass direction (NaN if unknown)."""
    bearing = np.deg2rad(direction.map(COMPASS).astype(float))
    return np.sin(bearing), np.cos(bearing)


def _read_station(path: Path) -> pd.DataFrame:
    raw = read_csv(path, what="Beijing station file", na_values=["NA"], low_memory=False)
    missing = _BEIJING_COLUMNS - set(raw.columns)
    if missing:
        raise CastlabError(
            f"not a Beijing multi-site file: no {', '.join(sorted(missing))} column",
            path=path,
            line=1,
            fix="pass the folder of PRSA_Data_<Station>_*.csv files",
        )
    stamp = pd.to_datetime(raw[["year", "month", "day", "hour"]], errors="coerce")
    frame = pd.DataFrame({"station": raw["station"], "date": stamp})
    frame["PM2.5"] = raw["PM2.5"]
    for column in ("PM10", "SO2", "NO2", "CO", "O3", "TEMP", "PRES", "DEWP", "RAIN", "WSPM"):
        if column in raw:
            frame[column.lower()] = pd.to_numeric(raw[column], errors="coerce")
    if "wd" in raw:
        frame["wind_east"], frame["wind_north"] = compass_vector(raw["wd"])
    return frame


def read_beijing(
    folder: str | Path,
    *,
    freq: str | None = "D",
    coordinates: dict[str, tuple[float, float]] | None = None,
) -> Readings:
    """Read every station file in ``folder``; ``freq="D"`` averages hours to days, None keeps hours.

    ``coordinates`` (station -> (latitude, longitude)) fills the coordinates the files lack.
    Columns: ``pm25``, ``pm10``, ``so2``, ``no2``, ``co``, ``o3``, ``temp``, ``pres``,
    ``dewp``, ``rain``, ``wspm``, ``wind_east``, ``wind_north`` (and ``n_readings`` per day).
    """
    folder = Path(folder)
    files = sorted(folder.glob("PRSA_Data_*.csv")) if folder.is_dir() else [folder]
    if not files or not files[0].exists():
        raise CastlabError(
            "no PRSA_Data_*.csv files", path=folder, fix="pass the Beijing multi-site folder"
        )
    raw = pd.concat([_read_station(p) for p in files], ignore_index=True)
    if coordinates:
        raw["latitude"] = raw["station"].map(lambda s: coordinates.get(s, (np.nan, np.nan))[0])
        raw["longitude"] = raw["station"].map(lambda s: coordinates.get(s, (np.nan, np.nan))[1])
    readings = tidy(raw, source=str(folder), location="station", date="date", target="PM2.5")
    return resample(readings, freq) if freq else readings


def read_sensors_africa(
    path: str | Path,
    *,
    freq: str | None = "h",
    location: str | None = None,
    min_readings: int = 1,
) -> Readings:
    """Read a sensors.AFRICA export (``timestamp,P2[,location,lat,lon]``), averaged per ``freq``.

    ``location`` names the sensor when the file has no location column (default: the file
    name). Rows with an unreadable value are counted in ``issues``; a timestamp no format
    reads is an error naming its line.
    """
    path = Path(path)
    if not path.exists():
        raise CastlabError("file not found", path=path, fix="check the path")
    raw = read_csv(path, what="sensors.AFRICA export", dtype=str, low_memory=False)
    columns = {c.strip().lower(): c for c in raw.columns}
    value = columns.get("p2") or columns.get("value")
    stamp = columns.get("timestamp")
    if value is None or stamp is None:
        raise CastlabError(
            f"not a sensors.AFRICA export (columns: {', '.join(raw.columns)})",
            path=path,
            line=1,
            fix="it needs timestamp and P2 columns (P2 is PM2.5)",
        )
    if "value_type" in columns:  # the long archive format: one row per (sensor, type)
        raw = raw[raw[columns["value_type"]].str.strip() == "P2"]
    for numeric in ("lat", "lon"):
        if numeric in columns:
            raw[columns[numeric]] = pd.to_numeric(raw[columns[numeric]], errors="coerce")
    readings = tidy(
        raw,
        source=str(path),
        date=stamp,
        target=value,
        location=columns.get("location") or columns.get("sensor_id"),
        latitude=columns.get("lat"),
        longitude=columns.get("lon"),
        default_location=location or path.stem,
    )
    return resample(readings, freq, min_readings=min_readings) if freq else readings


@dataclass(frozen=True)
class ReadConfig:
    """How to read a file into :class:`Readings` (the CLI's reading options)."""

    format: str = "auto"  # auto | table | beijing | sensors-africa
    location: str | None = None  # location column (table) or sensor name (sensors-africa)
    date: str | None = None  # date column
    target: str | None = None  # PM2.5 column
    date_format: str | None = None  # strptime format when the automatic ones fail
    freq: str | None = None  # resample to "h" or "D"; None keeps the file's own periods
    require_target: bool = True  # False: PM2.5 may be absent or empty (places to predict)


FORMATS = ("auto", "table", "beijing", "sensors-africa")


def detect_format(path: str | Path) -> str:
    """``beijing`` for a folder or file of PRSA_Data files, ``sensors-africa`` for a
    ``timestamp,P2`` export, else ``table``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = p.write_text("\\ufefftimestamp,P2\\n09/01/2018 00:00,3\\n", encoding="utf-8")
    >>> detect_format(p)
    'sensors-africa'
    """
    path = Path(path)
    if path.is_dir() or path.name.startswith("PRSA_Data_"):
        return "beijing"
    if not path.exists():
        raise CastlabError("file not found", path=path, fix="check the path")
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        header = {c.strip().lower() for c in handle.readline().split(",")}
    return "sensors-africa" if {"timestamp", "p2"} <= header else "table"


def load(path: str | Path, config: ReadConfig = ReadConfig()) -> Readings:
    """Read any supported file into :class:`Readings` following ``config``."""
    from castlab.airquality.data import read_table

    if config.format not in FORMATS:
        raise CastlabError(
            f"unknown format {config.format!r}", fix=f"choose from {', '.join(FORMATS)}"
        )
    kind = detect_format(path) if config.format == "auto" else config.format
    if kind == "beijing":
        return read_beijing(path, freq=config.freq)
    if kind == "sensors-africa":
        return read_sensors_africa(path, freq=config.freq, location=config.location)
    readings = read_table(
        path,
        location=config.location,
        date=config.date,
        target=config.target,
        date_format=config.date_format,
        require_target=config.require_target,
    )
    return resample(readings, config.freq) if config.freq else readings
