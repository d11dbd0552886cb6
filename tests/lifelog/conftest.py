"""Shared fixtures: one generated year of exports, read once per test session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from castlab.lifelog.daily import daily_table
from castlab.lifelog.data import read_daylio, read_toggl
from castlab.lifelog.report import LifelogSources
from castlab.lifelog.synthetic import ExportPaths, GeneratorConfig, write_exports
from castlab.lifelog.ulogme import read_ulogme

#: in CI the shared folder sits beside the clone
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
REAL_TOGGL = (
    SHARED_DATA
    / "toggl_track_exports"
    / "floresfdev_Toggl_time_entries_2017-08-01_to_2017-08-31.csv"
)
REAL_DAYLIO = SHARED_DATA / "daylio_exports" / "zhafen_moody_daylio_export.csv"
#: scores for the 10 custom moods of the real Daylio export (the 5 defaults keep theirs)
REAL_MOODS = (
    "content=4, okay=3, anxious=2, tired=2.5, frustrated=2, distracted=2.5, exhausted=2, "
    "beyond anxious=1, angry=1.5, in pain=1.5"
)
GENERATOR = GeneratorConfig(days=365, ulogme_days=4)


@pytest.fixture(scope="session")
def exports(tmp_path_factory: pytest.TempPathFactory) -> ExportPaths:
    folder = tmp_path_factory.mktemp("exports")
    return write_exports(folder, rng=np.random.default_rng(11), config=GENERATOR)


@pytest.fixture(scope="session")
def sources(exports: ExportPaths) -> LifelogSources:
    return LifelogSources(
        toggl=read_toggl(exports.toggl),
        daylio=read_daylio(exports.daylio),
        ulogme=read_ulogme(exports.ulogme, timezone=GENERATOR.timezone),
    )


@pytest.fixture(scope="session")
def table(sources: LifelogSources) -> pd.DataFrame:
    return daily_table(toggl=sources.toggl, daylio=sources.daylio, ulogme=sources.ulogme)


def _present(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared data not found: {path}")
    return path


@pytest.fixture
def real_toggl() -> Path:
    """The real Toggl export in the shared data folder (skips when absent)."""
    return _present(REAL_TOGGL)


@pytest.fixture
def real_daylio() -> Path:
    """The real Daylio export in the shared data folder (skips when absent)."""
    return _present(REAL_DAYLIO)
