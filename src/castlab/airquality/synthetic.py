"""Generated air-quality tables with a known (planted) relation between features and PM2.5.

The demo, the tests and the UI's example use these instead of real data. Each location has
daily NO2, CO, temperature, humidity and wind speed driven by a shared regional weather
signal plus local noise, and a pure-noise column. PM2.5 follows :data:`PLANTED`:

    pm25 = 5 + 0.8 * no2 - 3 * wind_speed + 0.3 * humidity + noise(sd 2)

so a model that recovers the relation has MAE near the noise level (about 1.6) on
locations it never saw, and gives ``noise`` almost no importance.

Examples
--------
>>> readings = generate_locations(n_locations=3, n_days=10, seed=0)
>>> readings.frame.shape, readings.locations[:2]
((30, 13), ['Site 01', 'Site 02'])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from castlab.airquality.data import Readings, location_keys

__all__ = ["NOISE_SD", "PLANTED", "generate_locations", "generate_predictions"]

#: feature -> coefficient of the planted linear relation (plus an intercept of 5)
PLANTED = {"no2": 0.8, "wind_speed": -3.0, "humidity": 0.3}
NOISE_SD = 2.0  # sd of the noise added to PM2.5


def _ar1(rng: np.random.Generator, n: int, rho: float = 0.8) -> np.ndarray:
    values = np.zeros(n)
    shocks = rng.normal(size=n) * np.sqrt(1 - rho**2)
    for t in range(1, n):
        values[t] = rho * values[t - 1] + shocks[t]
    return values


def generate_locations(
    n_locations: int = 12,
    n_days: int = 365,
    *,
    start: str = "2021-01-01",
    seed: int = 0,
) -> Readings:
    """A daily table of ``n_locations`` places with features and planted PM2.5."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=n_days, freq="D")
    season = np.cos(2 * np.pi * (dates.dayofyear.to_numpy() - 15) / 365.25)  # 1 in January
    regional = _ar1(rng, n_days)  # shared weather: stagnant (high) vs windy (low) days
    parts = []
    for k in range(n_locations):
        traffic = rng.uniform(0.6, 1.6)  # how busy the place is
        lat, lon = -26.0 + rng.uniform(-3, 3), 28.0 + rng.uniform(-3, 3)
        no2 = traffic * (25 + 8 * season + 8 * regional) + rng.normal(0, 4, n_days)
        wind = np.clip(3 - 1.2 * regional + rng.normal(0, 0.6, n_days), 0.2, None)
        humidity = np.clip(55 - 15 * season + rng.normal(0, 8, n_days), 5, 100)
        temperature = 18 - 7 * season + rng.normal(0, 2, n_days)
        co = 300 + 6 * no2 + rng.normal(0, 40, n_days)
        pm25 = (
            5
            + PLANTED["no2"] * no2
            + PLANTED["wind_speed"] * wind
            + PLANTED["humidity"] * humidity
            + rng.normal(0, NOISE_SD, n_days)
        )
        parts.append(
            pd.DataFrame(
                {
                    "name": f"Site {k + 1:02d}",
                    "date": dates,
                    "latitude": lat,
                    "longitude": lon,
                    "pm25": np.clip(pm25, 0.5, None),
                    "no2": no2,
                    "co": co,
                    "temperature": temperature,
                    "humidity": humidity,
                    "wind_speed": wind,
                    "noise": rng.normal(0, 1, n_days),
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    frame["location"] = location_keys(frame)[0]
    frame["n_readings"] = 1
    ordered = ["location", "name", "date", "latitude", "longitude", "pm25"]
    frame = frame[ordered + [c for c in frame.columns if c not in ordered]]
    return Readings(frame, {}, source="generated")


def generate_predictions(
    n_cities: int = 8, n_days: int = 240, *, start: str = "2019-01-01", seed: int = 0
) -> pd.DataFrame:
    """A table in the blog's published format ``City,Date,Lat,Long,Predicted_PM25``.

    Two cities share the name "Middelburg" at different coordinates, as in the real file.

    Examples
    --------
    >>> table = generate_predictions(n_cities=4, n_days=5)
    >>> list(table.columns), int((table["City"] == "Middelburg").sum())
    (['City', 'Date', 'Lat', 'Long', 'Predicted_PM25'], 10)
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=n_days, freq="D")
    winter = np.cos(2 * np.pi * (dates.dayofyear.to_numpy() - 180) / 365.25)  # southern winter
    names = ["Middelburg", "Middelburg", *[f"Town {k}" for k in range(1, max(n_cities - 1, 1))]]
    rows = []
    for name in names[:n_cities]:
        lat, lon = -22 - rng.uniform(0, 12), 17 + rng.uniform(0, 15)
        level = rng.uniform(15, 60)
        series = level * (1 + 0.4 * winter) + 6 * _ar1(rng, n_days) + rng.normal(0, 3, n_days)
        rows.append(
            pd.DataFrame(
                {
                    "City": name,
                    "Date": dates.strftime("%Y-%m-%d"),
                    "Lat": round(lat, 6),
                    "Long": round(lon, 6),
                    "Predicted_PM25": np.clip(series, 0.5, None),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)
