"""All bird figures: spectrogram + SNR curve + peaks, soundscape timeline, confusion matrix,
cluster map. Figures are built with ``matplotlib.figure.Figure`` (no global backend change)
and written atomically as PNG.

Examples
--------
>>> import tempfile, pathlib, numpy as np
>>> path = pathlib.Path(tempfile.mkdtemp()) / "cm.png"
>>> plot_confusion(np.eye(2, dtype=int), ["a", "b"], path).exists()
True
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "plot_cluster_examples",
    "plot_cluster_map",
    "plot_confusion",
    "plot_peaks",
    "plot_snr_curves",
    "plot_species_change",
    "plot_timeline",
    "save",
]


def save(fig: Any, path: str | Path) -> Path:
    """Write ``fig`` as PNG atomically and return the path."""
    from castlab.core.artifacts import atomic_write

    path = Path(path)
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=100, bbox_inches="tight")
    return path


def _mel_db(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    import librosa

    mel = librosa.feature.melspectrogram(
        y=audio,
        sr=sample_rate,
        n_fft=1024,
        hop_length=320,
        n_mels=96,
        fmin=150,
        fmax=min(15000, sample_rate / 2),
    )
    return librosa.power_to_db(mel, ref=np.max, top_db=80)


def plot_peaks(
    audio: np.ndarray,
    sample_rate: int,
    times: np.ndarray,
    snr: np.ndarray,
    peaks: Sequence[Any],
    path: str | Path,
    *,
    title: str = "",
) -> Path:
    """Mel spectrogram over the PCEN-SNR curve, the chosen peaks marked on both."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 5))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    duration = len(audio) / sample_rate
    top.imshow(
        _mel_db(audio, sample_rate),
        origin="lower",
        aspect="auto",
        cmap="magma",
        extent=(0, duration, 0, 96),
    )
    top.set(ylabel="mel band", title=title or "Spectrogram and PCEN-SNR peaks")
    bottom.plot(times, snr, lw=0.8, color="C0")
    for k, peak in enumerate(peaks):
        bottom.plot(peak.time, peak.snr, "v", color="C3")
        top.axvline(peak.time, color="w", lw=0.6, ls="--", alpha=0.7)
        if k < 5:
            bottom.annotate(
                str(k + 1),
                (peak.time, peak.snr),
                fontsize=7,
                xytext=(2, 2),
                textcoords="offset points",
            )
    bottom.set(xlabel="time (s)", ylabel="PCEN SNR", xlim=(0, duration))
    return save(fig, path)


def plot_timeline(
    probs: np.ndarray,
    classes: Sequence[str],
    thresholds: np.ndarray,
    path: str | Path,
    *,
    window: float = 5.0,
    truth: Sequence[Sequence[str]] | None = None,
    title: str = "",
) -> Path:
    """Species x time heatmap of window probabilities; boxes = above threshold, x = labelled."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    probs = np.asarray(probs)
    n_windows, n_classes = probs.shape
    fig = Figure(figsize=(min(16, 3 + 0.35 * n_windows), 1.2 + 0.35 * n_classes))
    ax = fig.subplots()
    image = ax.imshow(
        probs.T,
        aspect="auto",
        origin="lower",
        cmap="viridis",
        vmin=0,
        vmax=1,
        extent=(0, n_windows * window, -0.5, n_classes - 0.5),
    )
    fig.colorbar(image, ax=ax, label="probability")
    for w, c in zip(*np.nonzero(probs >= np.asarray(thresholds))):
        ax.add_patch(
            Rectangle((w * window, c - 0.5), window, 1, fill=False, edgecolor="red", lw=1.5)
        )
    if truth is not None:
        index = {name: k for k, name in enumerate(classes)}
        for w, names in enumerate(truth):
            for name in names:
                if name in index:
                    ax.plot((w + 0.5) * window, index[name], "wx", ms=7)
    ax.set_yticks(range(n_classes), [c.replace("_", " ") for c in classes], fontsize=8)
    ax.set(
        xlabel="time (s)", title=title or "Soundscape: red boxes = above threshold, x = labelled"
    )
    return save(fig, path)


def plot_confusion(
    matrix: np.ndarray, classes: Sequence[str], path: str | Path, *, title: str = ""
) -> Path:
    """Confusion matrix (rows: true species, columns: predicted) with counts."""
    from matplotlib.figure import Figure

    matrix = np.asarray(matrix)
    size = 2.5 + 0.45 * len(classes)
    fig = Figure(figsize=(size + 1, size))
    ax = fig.subplots()
    ax.imshow(matrix, cmap="Blues")
    for (i, j), value in np.ndenumerate(matrix):
        if value:
            ax.text(
                j,
                i,
                str(value),
                ha="center",
                va="center",
                fontsize=7,
                color="white" if value > matrix.max() / 2 else "black",
            )
    labels = [c.replace("_", " ") for c in classes]
    ax.set_xticks(range(len(classes)), labels, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(classes)), labels, fontsize=7)
    ax.set(xlabel="predicted", ylabel="true", title=title or "Confusion matrix")
    return save(fig, path)


def plot_cluster_map(
    xy: np.ndarray,
    clusters: Sequence[int],
    path: str | Path,
    *,
    species: Sequence[str] | None = None,
    title: str = "",
) -> Path:
    """2-D map of call embeddings coloured by cluster (marker = species when known), saved
    to ``path`` (:func:`cluster_map_figure`)."""
    return save(cluster_map_figure(xy, clusters, species=species, title=title), path)


def cluster_map_figure(
    xy: np.ndarray,
    clusters: Sequence[int],
    *,
    species: Sequence[str] | None = None,
    title: str = "",
) -> Any:
    """The figure of :func:`plot_cluster_map`.

    The legends name each cluster's colour (up to 20 clusters; tab20's colours repeat after
    that) and, in grey, each species' marker (up to 15 species)."""
    from matplotlib import colormaps
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    fig = Figure(figsize=(7, 6))
    ax = fig.subplots()
    clusters = np.asarray(clusters)
    colours = [colormaps["tab20"](k) for k in range(20)]
    markers = "osD^v<>pP*hX"
    names = sorted(set(species)) if species is not None else [None]
    for k, name in enumerate(names):
        mask = np.ones(len(xy), bool) if name is None else np.array([s == name for s in species])
        ax.scatter(
            xy[mask, 0],
            xy[mask, 1],
            c=[colours[c % 20] for c in clusters[mask]],
            marker=markers[k % len(markers)],
            s=18,
            edgecolors="none",
        )
    found = sorted(set(clusters.tolist()))
    if len(found) <= 20:
        handles = [
            Line2D([], [], marker="o", linestyle="", color=colours[c % 20], label=f"cluster {c}")
            for c in found
        ]
        ax.add_artist(ax.legend(handles=handles, fontsize=6, loc="upper left", title="colour"))
    if species is not None and len(names) <= 15:
        handles = [
            Line2D([], [], marker=markers[k % len(markers)], linestyle="", color="0.4", label=n)
            for k, n in enumerate(names)
        ]
        ax.legend(handles=handles, fontsize=6, loc="lower right", title="marker")
    ax.set(xticks=[], yticks=[], title=title or "Calls by cluster (colour) and species (marker)")
    return fig


def plot_cluster_examples(
    clips: Sequence[Sequence[np.ndarray]],
    sample_rate: int,
    path: str | Path,
) -> Path:
    """A grid of spectrograms: one row per cluster, a few example calls each."""
    from matplotlib.figure import Figure

    rows = max(1, len(clips))
    cols = max(1, max((len(r) for r in clips), default=1))
    fig = Figure(figsize=(2.2 * cols, 1.6 * rows))
    axes = np.atleast_2d(fig.subplots(rows, cols, squeeze=False))
    for r in range(rows):
        for c in range(cols):
            ax = axes[r, c]
            ax.set(xticks=[], yticks=[])
            if c < len(clips[r]):
                ax.imshow(
                    _mel_db(clips[r][c], sample_rate), origin="lower", aspect="auto", cmap="magma"
                )
            if c == 0:
                ax.set_ylabel(f"cluster {r}", fontsize=8)
    return save(fig, path)


def plot_snr_curves(
    snrs: Sequence[float],
    curves: dict[str, Sequence[float]],
    path: str | Path,
    *,
    ylabel: str = "micro F1",
    target: float | None = None,
    title: str = "",
) -> Path:
    """One line per method against SNR (dB), with an optional target line."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    for name, values in curves.items():
        ax.plot(snrs, values, "o-", label=name)
    if target is not None:
        ax.axhline(target, color="grey", ls="--", lw=1, label=f"target {target:g}")
    ax.set(xlabel="SNR of the added calls (dB)", ylabel=ylabel, title=title, ylim=(0, 1.02))
    ax.legend(fontsize=8)
    return save(fig, path)


def plot_species_change(per_species: dict[str, dict], path: str | Path, *, title: str = "") -> Path:
    """Each species' F1 before and after (``{species: {"windows", "f1_before", "f1_after"}}``,
    as :meth:`castlab.birds.adapt.Adaptation.summary` gives it): a bar pair per species,
    most-labelled species first, species neither labelled nor flagged left out.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> scores = {"a": {"windows": 4, "f1_before": 0.5, "f1_after": 0.8},
    ...           "b": {"windows": 0, "f1_before": None, "f1_after": None}}
    >>> plot_species_change(scores, pathlib.Path(tempfile.mkdtemp()) / "s.png").exists()
    True
    """
    from matplotlib.figure import Figure

    shown = sorted(
        (item for item in per_species.items() if item[1]["f1_before"] is not None
         or item[1]["f1_after"] is not None),
        key=lambda item: (-item[1]["windows"], item[0]),
    )  # fmt: skip
    fig = Figure(figsize=(6.5, 1.2 + 0.32 * max(1, len(shown))))
    ax = fig.subplots()
    y = np.arange(len(shown))
    before = [v["f1_before"] for _, v in shown]
    after = [v["f1_after"] for _, v in shown]
    for offset, values, colour, label in (
        (-0.2, before, "0.7", "as trained"),
        (0.2, after, "tab:green", "adapted"),
    ):
        ax.barh(y + offset, [v or 0.0 for v in values], height=0.4, color=colour, label=label)
        for k, value in enumerate(values):  # None: not labelled and never flagged
            text = "not flagged" if value is None else f"{value:.2f}"
            ax.text((value or 0.0) + 0.01, k + offset, text, va="center", fontsize=7)
    ax.set_yticks(y, [f"{name} ({v['windows']})" for name, v in shown], fontsize=8)
    ax.invert_yaxis()
    ax.set(xlim=(0, 1.08), xlabel="F1 on windows held out (labelled windows in brackets)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return save(fig, path)
