"""Figures for the tunes domain (the only tunes module that imports matplotlib)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from castlab.core.plots import pyplot, save_figure

__all__ = ["plot_generation_checks", "plot_style_statistics"]


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


def plot_style_statistics(
    corpus: Mapping[str, Mapping[str, float]],
    models: Mapping[str, Mapping[str, Mapping[str, float]]],
    corpus_pitch: Mapping[str, Sequence[float]],
    models_pitch: Mapping[str, Mapping[str, Sequence[float]]],
    out_png: str | Path,
) -> Path:
    """Generated / corpus ratio of each statistic per tune type (top) beside the pitch classes
    relative to the tonic (bottom), one column per type.

    ``corpus[type][statistic]``, ``models[label][type][statistic]``; the band marks +-25%.
    """
    plt = pyplot()
    types = list(corpus)
    fig, axes = plt.subplots(2, len(types), figsize=(4.2 * len(types), 6.4), squeeze=False)
    width = 0.8 / max(len(models), 1)
    for col, name in enumerate(types):
        ax = axes[0][col]
        statistics = list(corpus[name])
        ax.axhspan(0.75, 1.25, color="0.9", zorder=0)
        ax.axhline(1.0, color="0.5", lw=0.8)
        for j, (label, per_type) in enumerate(models.items()):
            ratios = [
                per_type[name][s] / corpus[name][s] if corpus[name][s] else float("nan")
                for s in statistics
            ]
            xs = [i + (j - (len(models) - 1) / 2) * width for i in range(len(statistics))]
            ax.bar(xs, [min(r, 4.0) for r in ratios], width, label=label)
        ax.set_xticks(range(len(statistics)), [s.replace("_", " ") for s in statistics])
        ax.tick_params(axis="x", rotation=60, labelsize=7)
        ax.set(title=name, ylim=(0, 4.1), ylabel="generated / corpus" if col == 0 else None)
        pitch = axes[1][col]
        pitch.plot(range(12), corpus_pitch[name], "k-o", ms=3, label="corpus")
        for label, per_type in models_pitch.items():
            pitch.plot(range(12), per_type[name], "-o", ms=3, label=label)
        pitch.set(xlabel="semitones above the tonic", ylabel="share of notes" if col == 0 else None)
    axes[0][0].legend(fontsize=7)
    axes[1][0].legend(fontsize=7)
    fig.suptitle("Generated vs corpus per tune type (grey band: within 25%; bars capped at 4)")
    fig.tight_layout()
    return save_figure(fig, Path(out_png))
