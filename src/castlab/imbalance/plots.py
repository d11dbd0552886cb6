"""Figures for strategy comparisons: a bar chart with error bars and a reliability plot.

The only module of :mod:`castlab.imbalance` that imports matplotlib.

Examples
--------
>>> import tempfile, pathlib, pandas as pd
>>> summary = pd.DataFrame({"strategy": ["none", "prior"], "log_loss_mean": [0.7, 0.5],
...                         "log_loss_std": [0.02, 0.01]})
>>> out = pathlib.Path(tempfile.mkdtemp()) / "bars.png"
>>> strategy_bars(summary, out).exists()
True
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from castlab.core.plots import save_figure

__all__ = ["reliability_curve", "reliability_plot", "strategy_bars"]


def strategy_bars(
    summary: pd.DataFrame,
    path: str | Path,
    *,
    metric: str = "log_loss",
    title: str = "",
) -> Path:
    """Bar chart of ``<metric>_mean`` per strategy with ``<metric>_std`` error bars.

    ``summary`` may hold several models in a ``model`` column: bars are then grouped by
    strategy with one colour per model.
    """
    models = list(summary["model"].unique()) if "model" in summary.columns else [None]
    strategies = list(dict.fromkeys(summary["strategy"]))
    width = 0.8 / len(models)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(strategies) + 2), 3.8))
    x = np.arange(len(strategies))
    for i, model in enumerate(models):
        rows = summary if model is None else summary[summary["model"] == model]
        rows = rows.set_index("strategy").reindex(strategies)
        ax.bar(
            x + (i - (len(models) - 1) / 2) * width,
            rows[f"{metric}_mean"],
            width,
            yerr=rows[f"{metric}_std"],
            capsize=3,
            label=model,
        )
    ax.set_xticks(x, strategies, rotation=20)
    ax.set_ylabel(f"{metric.replace('_', ' ')} (mean ± std over folds)")
    means = summary[f"{metric}_mean"]
    spread = float(means.max() - means.min()) or 0.1
    ax.set_ylim(max(0.0, float(means.min()) - spread), float(means.max()) + 0.3 * spread)
    if models != [None]:
        ax.legend(title="model")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    return save_figure(fig, path, dpi=120)


def reliability_curve(
    y: np.ndarray, proba: np.ndarray, *, n_bins: int = 10
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean predicted vs observed positive rate in equal-width probability bins.

    Parameters
    ----------
    y:
        Binary labels (1 = positive), shape ``(n,)``.
    proba:
        Predicted positive probability, shape ``(n,)``.

    Returns
    -------
    ``(mean_predicted, observed_rate, count)`` for the non-empty bins.

    Examples
    --------
    >>> p, o, n = reliability_curve(np.array([0, 1, 1, 1]), np.array([0.1, 0.9, 0.8, 0.95]),
    ...                             n_bins=2)
    >>> o.tolist(), n.tolist()
    ([0.0, 1.0], [1, 3])
    """
    bins = np.minimum((np.asarray(proba) * n_bins).astype(int), n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    keep = count > 0
    mean_p = np.bincount(bins, weights=proba, minlength=n_bins)[keep] / count[keep]
    observed = np.bincount(bins, weights=y, minlength=n_bins)[keep] / count[keep]
    return mean_p, observed, count[keep]


def reliability_plot(
    predictions: Mapping[str, tuple[np.ndarray, np.ndarray]],
    path: str | Path,
    *,
    positive: int = 1,
    n_bins: int = 10,
    title: str = "",
) -> Path:
    """Reliability (calibration) curves, one line per strategy, on the validation balance.

    ``predictions`` maps a strategy to ``(class codes, probabilities)``; the curve is for
    class ``positive`` (one-vs-rest for multi-class).
    """
    fig, ax = plt.subplots(figsize=(5.0, 5.0))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect")
    for name, (y, proba) in predictions.items():
        p, observed, _ = reliability_curve(
            (np.asarray(y) == positive).astype(float), np.asarray(proba)[:, positive], n_bins=n_bins
        )
        ax.plot(p, observed, marker="o", markersize=3, label=name)
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed frequency")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return save_figure(fig, path, dpi=120)
