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


@pytest.fixture
def ctrl_c_at_step(monkeypatch):
    """``ctrl_c_at_step(module, step)``: the next :func:`castlab.core.training.fit` that
    ``module`` calls stops at optimiser step ``step`` as on a Ctrl-C (KeyboardInterrupt),
    leaving its checkpoint for ``--resume``; later calls train normally."""
    from lightning.pytorch.callbacks import Callback

    class CtrlCAtStep(Callback):
        def __init__(self, step: int) -> None:
            self.step = step

        def on_train_batch_end(self, trainer, *args) -> None:
            if trainer.global_step == self.step:
                raise KeyboardInterrupt

    def arm(module, step: int) -> None:
        real = module.fit

        def fit(*args, callbacks=(), **kwargs):
            monkeypatch.setattr(module, "fit", real)  # this call only
            return real(*args, callbacks=[*callbacks, CtrlCAtStep(step)], **kwargs)

        monkeypatch.setattr(module, "fit", fit)

    return arm
