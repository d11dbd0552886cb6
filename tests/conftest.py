"""Shared test settings: small thread counts, offline, and where the shared data lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "2")

# CASTLAB_REQUIRE_DATA=1 (set by .ci/run) turns skips for missing data or tools into failures.
pytest_plugins = ["tests.reliability.require_data"]

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the repository; tests using it skip when it is absent."""
    if not SHARED_DATA.exists():
        pytest.skip("../shared/data is not here")
    return SHARED_DATA
