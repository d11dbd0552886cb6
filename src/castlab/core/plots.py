"""Plots shared by every domain: loss curves, the learning-rate finder, one atomic PNG save.

No module switches matplotlib's backend: without a display matplotlib picks the file-only
Agg backend itself, and every figure here is written to a file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "offline_plotly_scripts",
    "plot_lr_find",
    "plot_training_curves",
    "pyplot",
    "save_figure",
]


def pyplot():  # type: ignore[no-untyped-def]
    """matplotlib.pyplot, imported on first use (so importing castlab stays light)."""
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str | Path, *, dpi: int = 110) -> Path:  # type: ignore[no-untyped-def]
    """Save ``fig`` as PNG atomically (a crash never leaves half a file), close it, return the path.

    Works for pyplot figures and for bare :class:`matplotlib.figure.Figure` objects.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(); _ = fig.subplots().plot([1, 2])
    >>> save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "line.png").suffix
    '.png'
    """
    from castlab.core.artifacts import atomic_write

    path = Path(path)
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=dpi, bbox_inches="tight")
    pyplot().close(fig)
    return path


def plot_training_curves(metrics_csvs: Sequence[str | Path], out_png: str | Path) -> Path:
    """Draw train loss per step and validation loss/accuracy per epoch from CSV logs.

    ``metrics_csvs`` are the parts of one run (a resumed run has several), in order. The loss
    is the task's own (cross-entropy in nats for classifiers and language models, pixel
    error for in-painting); the accuracy panel is drawn only for tasks that log one.
    """
    import pandas as pd

    plt = pyplot()
    frame = pd.concat([pd.read_csv(p) for p in metrics_csvs], ignore_index=True)
    accuracy = "val_accuracy" in frame and frame["val_accuracy"].notna().any()
    fig, axes = plt.subplots(1, 2 if accuracy else 1, figsize=(10 if accuracy else 5.5, 3.5))
    ax_loss = axes[0] if accuracy else axes
    if "train_loss_step" in frame:
        steps = frame.dropna(subset=["train_loss_step"])
        ax_loss.plot(steps["step"], steps["train_loss_step"], lw=0.8, label="train (step)")
    if "val_loss" in frame:
        val = frame.dropna(subset=["val_loss"])
        ax_loss.plot(val["step"], val["val_loss"], "o-", label="validation")
    ax_loss.set(xlabel="step", ylabel="loss (the task's own)", title="Loss")
    if ax_loss.lines:
        ax_loss.legend()
    else:  # fewer steps than the logging interval and no validation yet
        ax_loss.text(0.5, 0.5, "nothing logged yet", ha="center", transform=ax_loss.transAxes)
    if accuracy:
        val = frame.dropna(subset=["val_accuracy"])
        axes[1].plot(val["epoch"] + 1, val["val_accuracy"], "o-", color="C2")
        axes[1].set(xlabel="epoch", ylabel="accuracy", title="Validation accuracy")
    return save_figure(fig, Path(out_png))


def plot_lr_find(
    lrs: Sequence[float], losses: Sequence[float], suggestion: float, out_png: str | Path
) -> Path:
    """Loss against learning rate (log scale) with the suggested rate marked."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(lrs, losses)
    ax.axvline(suggestion, color="C3", ls="--", label=f"suggested {suggestion:.2e}")
    ax.set(xscale="log", xlabel="learning rate", ylabel="loss", title="Learning-rate finder")
    ax.legend()
    return save_figure(fig, Path(out_png))


# plotly.js fetches a world topojson from a CDN to draw coastlines on geo charts; an empty
# one stops that fetch (castlab draws every country it shows from its own shapes).
_EMPTY_WORLD = {
    "type": "Topology",
    "arcs": [],
    "objects": {
        name: {"type": "GeometryCollection", "geometries": []}
        for name in ("coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits")
    },
}


def offline_plotly_scripts() -> str:
    """The ``<script>`` tags that make a plotly page work with no network.

    plotly.js itself inline, preceded by an empty world map so that geo charts do not fetch
    one from a CDN. Put them in the page's ``<head>`` and write the figures with
    ``figure.to_html(include_plotlyjs=False, full_html=False)``.

    >>> scripts = offline_plotly_scripts()
    >>> scripts.index("PlotlyGeoAssets") < scripts.index("plotly.js v")
    True
    """
    import json

    from plotly.offline import get_plotlyjs

    world = json.dumps(_EMPTY_WORLD)
    return (
        f"<script>window.PlotlyGeoAssets={{topojson:{{world_110m:{world}}}}};</script>"
        f"<script>{get_plotlyjs()}</script>"
    )
