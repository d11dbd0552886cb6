"""Figures for art runs: the loss curve, curves of several runs, images side by side.

The only module of :mod:`castlab.art` that imports matplotlib (through
:class:`matplotlib.figure.Figure`, so no global backend is chosen).

Examples
--------
>>> import tempfile, pathlib
>>> history = [{"step": i, "loss": 1 / i, "mse": 1 / i} for i in range(1, 20)]
>>> loss_curve(history, pathlib.Path(tempfile.mkdtemp()) / "loss.png").exists()
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from castlab.core.artifacts import atomic_write

__all__ = ["curves", "image_grid", "loss_curve"]


def _save(figure: Figure, path: str | Path) -> Path:
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=110, bbox_inches="tight")
    return Path(path)


def loss_curve(
    history: Sequence[Mapping[str, float]], path: str | Path, *, title: str = ""
) -> Path:
    """Total loss and each goal's loss per step (log scale) as a PNG."""
    figure = Figure(figsize=(6.5, 3.6))
    ax = figure.subplots()
    steps = [row["step"] for row in history]
    names = [k for k in (history[0] if history else {}) if k not in ("step", "seconds")]
    for name in names:
        values = np.array([row[name] for row in history], dtype=float)
        style = {"lw": 2.0, "color": "black"} if name == "loss" else {"lw": 1.0, "alpha": 0.8}
        label = "total (weighted)" if name == "loss" else name
        ax.plot(steps, np.clip(values, 1e-12, None), label=label, **style)
    if names:
        ax.set_yscale("log")
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no steps yet", ha="center", transform=ax.transAxes)
    ax.set(xlabel="step", ylabel="loss", title=title or "Loss")
    ax.grid(alpha=0.3)
    return _save(figure, path)


def curves(
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    path: str | Path,
    *,
    xlabel: str,
    ylabel: str,
    title: str = "",
    hline: float | None = None,
) -> Path:
    """One line per named ``(x, y)`` series, e.g. PSNR per step for each parameterisation."""
    figure = Figure(figsize=(7, 4))
    ax = figure.subplots()
    for name, (x, y) in series.items():
        ax.plot(x, y, label=name, lw=1.4)
    if hline is not None:
        ax.axhline(hline, color="grey", ls="--", lw=1)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(figure, path)


def image_grid(
    images: Mapping[str, np.ndarray], path: str | Path, *, columns: int | None = None
) -> Path:
    """Images ``(H, W, 3)`` in ``[0, 1]`` (or uint8) side by side with their names."""
    columns = columns or len(images)
    rows = -(-len(images) // columns)
    figure = Figure(figsize=(2.6 * columns, 2.8 * rows))
    axes = np.atleast_1d(figure.subplots(rows, columns)).ravel()
    for ax, (name, image) in zip(axes, images.items()):
        ax.imshow(image if image.dtype == np.uint8 else np.clip(image, 0, 1))
        ax.set_title(name, fontsize=9)
    for ax in axes:
        ax.axis("off")
    return _save(figure, path)
