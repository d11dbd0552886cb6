"""Shared fixtures for the airquality tests: small generated tables and files."""

from __future__ import annotations

from pathlib import Path

import pytest

from castlab.airquality.data import Readings
from castlab.airquality.synthetic import generate_locations

#: The shared data folder sits beside the repository (../shared in CI).
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
ZA_PREDICTIONS = SHARED_DATA / "airq_whitaker_za_predictions" / "za_cities_predictions.csv"
BEIJING = SHARED_DATA / "beijing-multisite-air"
NAIROBI = SHARED_DATA / "nairobi-sensorsafrica-pm25" / "nairobi-city-air-quality.csv"


@pytest.fixture(scope="session")
def planted() -> Readings:
    """8 generated locations x 200 days with the planted relation of castlab.airquality.synthetic."""
    return generate_locations(n_locations=8, n_days=200, seed=3)


@pytest.fixture(scope="session")
def planted_csv(planted, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tables") / "planted.csv"
    planted.frame.drop(columns=["location"]).rename(columns={"name": "station"}).to_csv(
        path, index=False
    )
    return path
