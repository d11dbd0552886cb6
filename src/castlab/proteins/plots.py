"""Figures for the proteins domain (matplotlib is imported here only).

Examples
--------
>>> import pandas as pd, tempfile, pathlib
>>> frame = pd.DataFrame({"tokenizer": ["aa", "bpe"], "vocab": [29, 256], "model": ["lstm"] * 2,
...                       "seed": [0, 0], "accuracy": [0.8, 0.7]})
>>> path = plot_accuracy_vs_vocab(frame, pathlib.Path(tempfile.mkdtemp()) / "a.png")
>>> path.exists()
True
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from castlab.core.plots import pyplot, save_figure

__all__ = ["plot_accuracy_vs_vocab", "plot_approaches", "plot_confusion"]


def plot_accuracy_vs_vocab(
    frame: Any, out_png: str | Path, *, metric: str = "accuracy", title: str = ""
) -> Path:
    """``metric`` (mean +- std over seeds) against vocabulary size, one line per model/tokenizer.

    Single-amino-acid and k-mer runs appear as points at their (fixed) vocabulary size.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    stats = (
        frame.groupby(["model", "tokenizer", "vocab"])[metric].agg(["mean", "std"]).reset_index()
    )
    for i, ((model, tokenizer), part) in enumerate(stats.groupby(["model", "tokenizer"])):
        part = part.sort_values("vocab")
        ax.errorbar(
            part["vocab"], part["mean"], yerr=part["std"].fillna(0), marker="o", capsize=3,
            color=f"C{i}", label=f"{model} · {tokenizer}",
            linestyle="-" if len(part) > 1 else "none",
        )  # fmt: skip
    ax.set(xscale="log", xlabel="vocabulary size (tokens)", ylabel=f"test {metric}", title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save_figure(fig, Path(out_png))


def plot_approaches(
    frame: Any,
    out_png: str | Path,
    *,
    metric: str = "accuracy",
    group: str = "split",
    title: str = "",
) -> Path:
    """Horizontal bars of ``metric`` per approach, one colour per ``group`` (e.g. split)."""
    plt = pyplot()
    approaches = list(dict.fromkeys(frame["approach"]))
    groups = list(dict.fromkeys(frame[group])) if group in frame else [None]
    fig, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * len(approaches) * max(1, len(groups) / 1.5)))
    height = 0.8 / len(groups)
    for g, name in enumerate(groups):
        part = frame if name is None else frame[frame[group] == name]
        values = [float(part.loc[part["approach"] == a, metric].mean()) for a in approaches]
        positions = [i + g * height for i in range(len(approaches))]
        ax.barh(positions, values, height=height, label=str(name), color=f"C{g}")
    ax.set_yticks([i + height * (len(groups) - 1) / 2 for i in range(len(approaches))], approaches)
    ax.invert_yaxis()
    ax.set(xlabel=metric, title=title)
    if groups != [None]:
        ax.legend(fontsize=8)
    return save_figure(fig, Path(out_png))


def plot_confusion(
    truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str], out_png: str | Path
) -> Path:
    """Row-normalised confusion matrix (true family down, predicted across)."""
    import numpy as np

    plt = pyplot()
    index = {label: i for i, label in enumerate(labels)}
    counts = np.zeros((len(labels), len(labels)))
    for t, p in zip(truth, predicted):
        if t in index and p in index:
            counts[index[t], index[p]] += 1
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = 2.5 + 0.35 * len(labels)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set(xlabel="predicted family", ylabel="true family")
    return save_figure(fig, Path(out_png))
