"""Clustering unlabelled calls (the blog's dolphin-clustering aside, for birds).

Detected calls (PCEN-SNR peaks) -> embeddings (BirdNET's 1024-d, or mel-band statistics)
-> standardise + PCA -> k-means -> ``clusters.csv``, a 2-D map (t-SNE) and example
spectrograms per cluster. When the files sit in species folders the adjusted Rand index
against species says how well clusters match species (1 = perfectly, 0 = chance).

Examples
--------
>>> import tempfile, pathlib
>>> from castlab.birds.synthetic import write_species_folders
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> _ = write_species_folders(root / "calls", n_species=3, per_species=2, seconds=12.0)
>>> result = cluster_calls(root / "calls", root / "out", config=ClusterConfig(features="mel", peaks_per_file=2))
>>> result.clusters, bool(result.adjusted_rand > 0.3)
(3, True)
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from castlab.core.errors import CastlabError

__all__ = ["ClusterConfig", "ClusterResult", "cluster_calls", "mel_embedding"]


@dataclass(frozen=True)
class ClusterConfig:
    """How many calls, which features, how many clusters."""

    clusters: int = 0  # 0: one per species folder (8 when there are none)
    peaks_per_file: int = 5
    features: str = "birdnet"  # "birdnet" (1024-d) or "mel" (band profiles)
    seed: int = 0
    examples: int = 4  # spectrograms shown per cluster


@dataclass
class ClusterResult:
    """The table (one row per call), how many clusters, ARI against species (if known)."""

    table: Any
    clusters: int
    adjusted_rand: float | None
    files: dict[str, Path]


def mel_embedding(clip: np.ndarray, *, sample_rate: int) -> np.ndarray:
    """A call's spectral profile: each mel band's 95th percentile and mean over time, ``(128,)``."""
    import torch

    from castlab.birds.features import LogMel, MelConfig

    mel = LogMel(MelConfig(sample_rate=sample_rate))(torch.from_numpy(clip)[None])[0, 0].numpy()
    return np.r_[np.percentile(mel, 95, axis=1), mel.mean(axis=1)]


def cluster_calls(
    folder: str | Path,
    out: str | Path,
    *,
    config: ClusterConfig = ClusterConfig(),
    threads: int | None = None,
    progress: bool = False,
) -> ClusterResult:
    """Find calls in every recording under ``folder``, embed, cluster, write CSV + figures.

    ``threads``: BirdNET's CPU threads for ``features="birdnet"`` (default: as the shared
    BirdNET has). ``progress``: a progress bar over the recordings."""
    import pandas as pd
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE
    from sklearn.metrics import adjusted_rand_score
    from tqdm import tqdm

    from castlab.birds.audio import SAMPLE_RATE, audio_files, is_long, load_audio
    from castlab.birds.peaks import find_peaks, recording_snr_curve, snr_curve
    from castlab.birds.plots import plot_cluster_examples, plot_cluster_map
    from castlab.core.artifacts import write_json, write_text

    if config.features not in ("birdnet", "mel"):
        raise CastlabError(f"unknown features {config.features!r}", fix="use birdnet or mel")
    folder, out = Path(folder), Path(out)
    root = folder if folder.is_dir() else folder.parent
    rows, vectors = [], []
    calls: list[tuple[Path, float]] = []  # where each call is (its clip is cut again if shown)
    birdnet = None
    if config.features == "birdnet":
        from castlab.birds.birdnet import BIRDNET_RATE, load_birdnet

        birdnet = load_birdnet(threads)
    for path in tqdm(audio_files(folder), desc="calls", unit="file", disable=not progress):
        # a recording longer than STREAM_SECONDS is never held whole: its SNR curve is
        # computed a block at a time and each call's clip read on its own
        long = is_long(path)
        audio = None if long else load_audio(path, sample_rate=SAMPLE_RATE)
        times, snr = (
            recording_snr_curve(path)
            if audio is None
            else snr_curve(audio, sample_rate=SAMPLE_RATE)
        )
        found = find_peaks(times, snr, count=config.peaks_per_file)
        if not found:
            continue
        species = path.parent.name if path.parent != root else ""
        if birdnet is not None:
            wide = None if long else load_audio(path, sample_rate=BIRDNET_RATE)
            chunks = np.stack([_call_clip(path, p.time, BIRDNET_RATE, wide) for p in found])
            vectors.append(birdnet.embed_chunks(chunks))
        else:
            short = [_call_clip(path, p.time, SAMPLE_RATE, audio) for p in found]
            vectors.append(np.stack([mel_embedding(c, sample_rate=SAMPLE_RATE) for c in short]))
        calls += [(path, p.time) for p in found]
        rows += [
            {
                "file": path.relative_to(root).as_posix(),
                "species": species,
                "time": round(p.time, 3),
                "snr": round(p.snr, 4),
            }
            for p in found
        ]
    if len(rows) < 3:
        raise CastlabError(
            "fewer than 3 calls found", path=folder, fix="give more or louder recordings"
        )
    X = np.concatenate(vectors)
    X = (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-6)
    X = PCA(n_components=min(32, len(X) - 1, X.shape[1]), random_state=config.seed).fit_transform(X)
    species = [r["species"] for r in rows]
    known = all(species)
    k = config.clusters or (len(set(species)) if known else 8)
    k = max(2, min(k, len(rows) - 1))
    labels, k = _kmeans(X, k, seed=config.seed)
    xy = TSNE(
        n_components=2, perplexity=min(30.0, (len(X) - 1) / 3), random_state=config.seed, init="pca"
    ).fit_transform(X)
    table = pd.DataFrame(rows)
    table["cluster"], table["x"], table["y"] = labels, xy[:, 0].round(3), xy[:, 1].round(3)
    ari = float(adjusted_rand_score(species, labels)) if known else None
    files = {
        "csv": write_text(out / "clusters.csv", table.to_csv(index=False)),
        "map": plot_cluster_map(
            xy, labels, out / "cluster_map.png", species=species if known else None
        ),
    }
    centres = [X[labels == c].mean(axis=0) for c in range(k)]
    examples = []
    for c in range(k):
        members = np.flatnonzero(labels == c)
        order = members[np.argsort(((X[members] - centres[c]) ** 2).sum(axis=1))]
        examples.append([_call_clip(*calls[i], SAMPLE_RATE) for i in order[: config.examples]])
    files["examples"] = plot_cluster_examples(examples, SAMPLE_RATE, out / "cluster_examples.png")
    files["summary"] = write_json(
        out / "summary.json",
        {"config": asdict(config), "calls": len(rows), "clusters": k, "adjusted_rand_index": ari},
    )
    return ClusterResult(table, k, ari, files)


def _kmeans(X: np.ndarray, k: int, *, seed: int) -> tuple[np.ndarray, int]:
    """K-means labels of the rows of ``X`` and how many clusters hold calls: identical calls
    (a repeated recording) can leave some of the ``k`` empty, and the ones used are then
    numbered ``0..`` without gaps.

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [1.0, 1.0], [5.0, 5.0], [5.0, 5.0]])
    >>> labels, k = _kmeans(X, 5, seed=0)
    >>> k, sorted(set(labels.tolist())), bool(labels[0] == labels[1])
    (3, [0, 1, 2], True)
    """
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():  # "fewer distinct clusters than n_clusters": handled here
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(X)
    _, labels = np.unique(labels, return_inverse=True)
    return labels, int(labels.max()) + 1


def _call_clip(
    path: Path,
    time: float,
    sample_rate: int,
    audio: np.ndarray | None = None,
    *,
    seconds: float = 3.0,
) -> np.ndarray:
    """The ``seconds`` around ``time`` in ``path`` at ``sample_rate``: cut from ``audio`` (the
    whole recording at that rate) when given, else read from the file again (only that part,
    with half a second either side for the resampler), so that no long recording and no
    clip for the example pictures is held in memory."""
    from castlab.birds.audio import load_audio
    from castlab.birds.features import cut_clip

    if audio is not None:
        return cut_clip(audio, time, seconds=seconds, sample_rate=sample_rate)
    first = max(0, int(np.floor((time - seconds / 2 - 0.5) * sample_rate)))  # a sample
    # half a sample on, so that load_audio's int(offset * rate) lands on it in a file at
    # this rate (the piece then holds the whole file's samples exactly)
    offset = (first + 0.5) / sample_rate
    piece = load_audio(path, sample_rate=sample_rate, offset=offset, duration=seconds + 1.0)
    return cut_clip(piece, time - first / sample_rate, seconds=seconds, sample_rate=sample_rate)
