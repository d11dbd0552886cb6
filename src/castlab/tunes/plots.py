"""Figures for the tunes domain (the only tunes module that imports matplotlib)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from castlab.core.plots import pyplot, save_figure

__all__ = ["plot_generation_checks"]


def plot_generation_checks(
    summaries: Mapping[str, Mapping[str, float]], out_png: str | Path
) -> Path:
    """Grouped bars: parse rate, right-length bars and AABB share per decoding mode."""
    plt = pyplot()
    metrics = [
        ("parse_rate", "parses"),
        ("right_length_bars", "right-length bars"),
        ("aabb_share", "AABB form"),
    ]
    fig, ax = plt.subplots(figsize=(6, 3.2))
    width = 0.8 / max(len(summaries), 1)
    for j, (mode, summary) in enumerate(summaries.items()):
        xs = [i + j * width for i in range(len(metrics))]
        ax.bar(xs, [summary[m] for m, _ in metrics], width, label=mode)
    ax.set_xticks(
        [i + width * (len(summaries) - 1) / 2 for i in range(len(metrics))],
        [label for _, label in metrics],
    )
    ax.set(ylim=(0, 1.05), ylabel="share of tunes / bars", title="Generated tunes")
    ax.legend(loc="lower right")
    return save_figure(fig, Path(out_png))
