"""Shared fixtures for the imbalance tests: tiny generated tables and CSV files."""

from __future__ import annotations

from pathlib import Path

import pytest

from castlab.imbalance.data import ImbalanceData
from castlab.imbalance.synthetic import generate_shifted_data

#: The shared data folder sits beside the repository (../shared in CI).
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
FINANCIAL_INCLUSION = SHARED_DATA / "financial-inclusion-africa" / "Train.csv"


@pytest.fixture(scope="session")
def shifted() -> tuple[ImbalanceData, ImbalanceData]:
    """A small binary train/test pair: 15% positives in train, 50% in test."""
    return generate_shifted_data(n_train=900, n_test=600, train_prior=0.15, test_prior=0.5, seed=1)


def write_table(data: ImbalanceData, path: Path) -> Path:
    """Write ``data`` as a CSV with a ``label`` column and return the path."""
    frame = data.features.copy()
    frame["label"] = [data.classes[k] for k in data.target]
    frame.to_csv(path, index=False)
    return path
