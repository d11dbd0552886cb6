"""Pictures: the blog's input/output/target grid, accuracy against epochs, an embedding map.

All drawing uses ``matplotlib.figure.Figure`` (no global backend is set).

Examples
--------
>>> import tempfile
>>> images = torch.rand(3, 3, 16, 16)
>>> path = plot_pretext_grid(images, images, images, Path(tempfile.mkdtemp()) / "g.png")
>>> path.name
'g.png'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch

from castlab.core.artifacts import atomic_write
from castlab.selfsup.data import ImageSet

__all__ = [
    "draw_pretext_grid",
    "plot_accuracy_curves",
    "plot_embedding_map",
    "plot_pretext_grid",
    "pretext_examples",
]


def _save(figure: object, path: str | Path) -> Path:
    path = Path(path)
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=110, bbox_inches="tight")  # type: ignore[attr-defined]
    return path


def _as_picture(image: torch.Tensor) -> np.ndarray:
    return image.detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy()


@torch.no_grad()
def pretext_examples(
    task_name: str, images: torch.Tensor, network: torch.nn.Module | None = None, *, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
    """``(inputs, outputs, targets)`` of a reconstruction task for float images in [0, 1].

    ``outputs`` is ``None`` without a network or for a classification task (rotation,
    jigsaw: the "target" row is then the original image); for SimCLR the "target" is the
    second view of each image.
    """
    from castlab.selfsup.pretext import make_task

    task = make_task(task_name)
    inputs, target = task.make(images, torch.Generator().manual_seed(seed))
    if task.head == "projection":
        n = len(images)
        return inputs[:n], None, inputs[n:]
    if task.head == "classes":  # the answer is how the original was changed: show it
        return inputs, None, images
    outputs = network.eval()(inputs) if network is not None else None
    return inputs, outputs, target


def plot_pretext_grid(
    inputs: torch.Tensor,
    outputs: torch.Tensor | None,
    targets: torch.Tensor,
    path: str | Path,
    *,
    title: str = "",
) -> Path:
    """One column per image; rows input, output (if given), target: the blog's figure."""
    from matplotlib.figure import Figure

    rows = [("input", inputs)]
    if outputs is not None:
        rows.append(("output", outputs))
    rows.append(("target", targets))
    n = len(inputs)
    figure = Figure(figsize=(1.6 * n, 1.6 * len(rows) + 0.3))
    axes = figure.subplots(len(rows), n, squeeze=False)
    for r, (name, batch) in enumerate(rows):
        for c in range(n):
            axis = axes[r][c]
            axis.imshow(_as_picture(batch[c]))
            axis.set_xticks([])
            axis.set_yticks([])
            if c == 0:
                axis.set_ylabel(name)
    if title:
        figure.suptitle(title)
    return _save(figure, path)


def plot_accuracy_curves(
    curves: Mapping[str, Sequence[Sequence[float]]], path: str | Path, *, title: str = ""
) -> Path:
    """Validation accuracy against epoch, one line per method (mean, band of ± one std).

    ``curves`` maps a method to its runs (one list of per-epoch accuracies per seed).
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.5, 4))
    axis = figure.subplots()
    for name, runs in curves.items():
        length = min(len(run) for run in runs)
        values = np.array([run[:length] for run in runs], dtype=float)
        epochs = np.arange(1, length + 1)
        mean, std = values.mean(0), values.std(0)
        axis.plot(epochs, mean, marker="o", label=name)
        axis.fill_between(epochs, mean - std, mean + std, alpha=0.2)
    axis.set_xlabel("downstream epoch")
    axis.set_ylabel("validation accuracy")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    axis.set_title(title)
    return _save(figure, path)


def plot_embedding_map(
    features: np.ndarray,
    labels: Sequence[int],
    classes: Sequence[str],
    path: str | Path,
    *,
    title: str = "",
) -> Path:
    """PCA of ``features`` to 2-D, points coloured by class (``-1``: unlabelled, grey)."""
    from matplotlib.figure import Figure
    from sklearn.decomposition import PCA

    labels = np.asarray(labels)
    centred = features - features.mean(0)
    points = (
        PCA(n_components=2, random_state=0).fit_transform(centred)
        if len(features) > 2
        else np.zeros((len(features), 2))
    )
    figure = Figure(figsize=(6, 5))
    axis = figure.subplots()
    unlabelled = labels < 0
    if unlabelled.any():
        axis.scatter(*points[unlabelled].T, s=6, c="lightgrey", label="unlabelled")
    colours = [f"C{i % 10}" for i in range(len(classes))]
    for k, name in enumerate(classes):
        chosen = labels == k
        if chosen.any():
            axis.scatter(*points[chosen].T, s=10, c=colours[k], label=str(name))
    axis.set_xlabel("PC 1")
    axis.set_ylabel("PC 2")
    axis.legend(fontsize=7, markerscale=2, loc="best")
    axis.set_title(title)
    return _save(figure, path)


def draw_pretext_grid(
    images: ImageSet,
    task_name: str,
    path: str | Path,
    *,
    run: str | Path | None = None,
    count: int = 6,
    seed: int = 0,
) -> Path:
    """The grid for ``count`` evenly spaced unlabelled (else any) images; with a pretrain
    ``run`` folder its network's outputs form the middle row."""
    from castlab.selfsup.train import load_pretext_network

    network = None
    if run is not None:
        run_task, network = load_pretext_network(run)
        task_name = run_task
    pool = images.split("unsup") if "unsup" in images.splits else images
    # evenly spaced picks: folders and manifests are often sorted by class
    index = torch.linspace(0, len(pool) - 1, min(count, len(pool))).round().long()
    pixels = pool.pixels[index].float() / 255.0
    inputs, outputs, targets = pretext_examples(task_name, pixels, network, seed=seed)
    return plot_pretext_grid(inputs, outputs, targets, path, title=task_name)
