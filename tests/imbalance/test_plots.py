"""Tests of castlab.imbalance.plots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from castlab.imbalance.plots import reliability_curve, reliability_plot, strategy_bars

PNG = b"\x89PNG\r\n\x1a\n"


def test_reliability_curve_bins():
    y = np.array([0, 0, 1, 1, 1, 0])
    p = np.array([0.05, 0.15, 0.55, 0.95, 0.85, 0.65])
    mean_p, observed, count = reliability_curve(y, p, n_bins=2)
    assert count.tolist() == [2, 4]
    assert observed.tolist() == [0.0, 0.75]
    assert mean_p == pytest.approx([0.1, 0.75])


def test_reliability_curve_of_calibrated_scores_follows_diagonal():
    rng = np.random.default_rng(0)
    p = rng.random(20000)
    y = (rng.random(20000) < p).astype(float)
    mean_p, observed, _ = reliability_curve(y, p)
    assert np.max(np.abs(mean_p - observed)) < 0.03


def test_plots_write_png(tmp_path):
    summary = pd.DataFrame(
        {
            "model": ["a", "a", "b", "b"],
            "strategy": ["none", "prior"] * 2,
            "log_loss_mean": [0.7, 0.5, 0.68, 0.49],
            "log_loss_std": [0.02, 0.01, 0.03, 0.01],
        }
    )
    bars = strategy_bars(summary, tmp_path / "bars.png", title="x")
    rng = np.random.default_rng(1)
    proba = rng.dirichlet([1, 1], size=100)
    curve = reliability_plot({"none": (rng.integers(0, 2, 100), proba)}, tmp_path / "rel.png")
    assert bars.read_bytes()[:8] == PNG and curve.read_bytes()[:8] == PNG
