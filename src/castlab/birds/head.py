"""Custom species on BirdNET embeddings: the training data, :func:`train_head`, and a
calibrated softmax head with a background class.

:func:`train_head` fits castlab's default head, BirdNET's own classifier layer refitted
(:mod:`castlab.birds.anchored`), or with ``HeadConfig(kind="softmax")`` the head below. Both
learn from the same chunks (:func:`collect_embeddings`) and score windows the same way
(:class:`BirdNETHead`).

BirdNET-Analyzer users report custom classifiers that say ~100% on plain noise. Here the
head is trained with an explicit ``background`` class (3-s chunks from each recording's
lowest-SNR stretches) and its softmax temperature is fitted on out-of-fold predictions
(folds = recordings), so a score of 0.9 means about 90%. Species probabilities are the
softmax without the background column. The head also learns from copies of each call mixed
into background chunks at 0-20 dB and moved off centre (``HeadConfig.mixed_copies``), as
BirdCLEF winners train on mixtures. For a species BirdNET knows, a chunk's score is a weighted
mean of the head's probability and BirdNET's own score (``birdnet_index``, ``birdnet_weight``
0.7: the weight the benchmark's tuning soundscapes chose in each of its 3 folds); a window's
score is the maximum over the 3-s chunks starting every second inside it.

Saved like every castlab model: ``model.safetensors`` (weights, scaler) + ``config.json``.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = np.r_[rng.normal(0, 1, (30, 8)), rng.normal(3, 1, (30, 8)), rng.normal(-3, 1, (30, 8))]
>>> y = np.repeat([0, 1, 2], 30)  # the last class index is background
>>> head = fit_head(X, y, ["a", "b"], groups=np.tile(np.arange(3), 30))
>>> probs = head.predict_embeddings(np.full((1, 8), 3.0))
>>> int(probs.argmax()), bool(probs.max() > 0.9)
(1, True)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from castlab.birds.birdnet import BIRDNET_RATE, CHUNK_SECONDS, BirdNET, load_birdnet
from castlab.core.errors import CastlabError

__all__ = [
    "BACKGROUND",
    "BirdNETHead",
    "EmbeddingHead",
    "HeadConfig",
    "collect_embeddings",
    "fit_head",
    "train_head",
]

BACKGROUND = "background"
#: Windows of a recording cut into chunks and scored at a time (64 x 5 s: about 110 MB of chunks).
WINDOWS_PER_BLOCK = 64
#: Chunks of the background recordings (``--background``) kept to mix calls into: every
#: chunk is learnt as background, but past this many a random sample of them is kept for the
#: mixing (512 x 3 s at 48 kHz: 300 MB), so hours of background audio need no more memory.
MIX_BACKGROUNDS = 512


@dataclass(frozen=True)
class HeadConfig:
    """What to embed, which head to fit and how strongly to regularise.

    ``kind``: ``"anchored"`` (BirdNET's classifier layer refitted, :mod:`castlab.birds.anchored`;
    the default) or ``"softmax"`` (the softmax head above, averaged with BirdNET's scores).
    """

    kind: str = "anchored"
    anchor_strength: float = 0.36  # anchored: pull towards BirdNET's weights
    anchor_bias_strength: float = 0.012  # anchored: pull towards BirdNET's bias
    peaks_per_file: int = 20
    background_per_file: int = 3
    regularisation: float = 0.01  # softmax: scikit-learn's C (strong: recordings differ)
    noise_examples: int = 40  # extra background: 3-s pieces of coloured noise
    mixed_copies: int = 3  # copies of each call mixed into a background chunk at 0-20 dB
    shift_seconds: float = 1.0  # mixed copies: the call moved up to this far off the centre
    blend_birdnet: bool = True  # softmax: average with BirdNET's score where it knows the species
    birdnet_weight: float = 0.7  # softmax: BirdNET's share of that average
    hop: float = 1.0  # seconds between the 3-s chunks scored in a window
    seed: int = 0


def _unit(embeddings: np.ndarray) -> np.ndarray:
    """Embeddings scaled to length 1 (the direction carries the call; the length, loudness)."""
    embeddings = np.asarray(embeddings, dtype=np.float64)
    return embeddings / (np.linalg.norm(embeddings, axis=1, keepdims=True) + 1e-12)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


class BirdNETHead:
    """What every head on BirdNET's embeddings shares: 3-s chunks at 48 kHz, scored every
    ``hop`` seconds inside a window. Subclasses say how BirdNET's scores and embeddings of a
    chunk become species probabilities (:meth:`from_birdnet`)."""

    sample_rate = BIRDNET_RATE
    classes: list[str]
    hop: float = 1.0

    def from_birdnet(self, scores: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
        """``(N, C)`` species probabilities from BirdNET's ``(N, 6522)`` scores and
        ``(N, 1024)`` embeddings of the same chunks."""
        raise NotImplementedError

    def predict_chunks(self, chunks: np.ndarray, *, birdnet: BirdNET | None = None) -> np.ndarray:
        """``(N, C)`` for 3-s chunks of 48-kHz audio.

        ``birdnet``: the :class:`~castlab.birds.birdnet.BirdNET` to run (default: the shared one).
        """
        scores, embeddings = (birdnet or load_birdnet()).scores_and_embeddings(chunks)
        return self.from_birdnet(scores, embeddings)

    def predict_windows(
        self, audio: np.ndarray, *, window: float = 5.0, birdnet: BirdNET | None = None
    ) -> np.ndarray:
        """``(W, C)`` for 48-kHz ``audio``: per window, the max over the 3-s chunks starting
        every ``hop`` s inside it, centred in the window: 0-3, 1-4 and 2-5 s of a 5-s window
        with a 1-s hop, 0-3 and 2-5 s with a 2-s hop, only 1-4 s with a hop of 3 s or more.

        Neighbouring windows share no chunk (a chunk starting at 3 or 4 s ends in the next
        window), so each window costs ``(window - 3) // hop + 1`` BirdNET passes."""
        parts = []
        for chunks in self._chunk_blocks(audio, window):  # (w, K, samples)
            probs = self.predict_chunks(chunks.reshape(-1, chunks.shape[-1]), birdnet=birdnet)
            parts.append(probs.reshape(*chunks.shape[:2], -1).max(axis=1))
        return np.concatenate(parts)

    def _chunk_blocks(self, audio: np.ndarray, window: float) -> Iterator[np.ndarray]:
        """:meth:`window_chunks` of :data:`WINDOWS_PER_BLOCK` windows at a time, not a whole
        recording's chunks at once (1.8x its samples: ``castlab birds soundscape`` on a
        30-minute WAV peaked at 2.2 GB that way, 1.3 GB in blocks); windows share no chunk,
        so the numbers are the same."""
        size = int(round(window * BIRDNET_RATE)) * WINDOWS_PER_BLOCK
        for start in range(0, max(1, len(audio)), size):
            yield self.window_chunks(audio[start : start + size], window=window)

    def window_chunks(self, audio: np.ndarray, *, window: float = 5.0) -> np.ndarray:
        """``(W, K, 3 s of samples)``: the ``K`` chunks :meth:`predict_windows` scores in each
        of the ``W`` windows of 48-kHz ``audio``."""
        from castlab.birds.audio import windows

        whole = windows(audio, sample_rate=BIRDNET_RATE, window=window)  # (W, window samples)
        size, step = int(CHUNK_SECONDS * BIRDNET_RATE), max(1, int(round(self.hop * BIRDNET_RATE)))
        span = max(0, whole.shape[1] - size)  # the latest start of a chunk inside one window
        starts = list(range(0, span + 1, step))
        starts = [s + (span - starts[-1]) // 2 for s in starts]  # centred in the window
        chunks = np.stack([[w[s : s + size] for s in starts] for w in whole])
        if chunks.shape[2] < size:  # windows shorter than a chunk: pad
            chunks = np.pad(chunks, ((0, 0), (0, 0), (0, size - chunks.shape[2])))
        return chunks

    def embed_windows(
        self, audio: np.ndarray, *, window: float = 5.0, birdnet: BirdNET | None = None
    ) -> np.ndarray:
        """``(W, K, 1024)``: BirdNET's embeddings of the chunks of :meth:`window_chunks`
        (what :func:`castlab.birds.adapt.adapt_to_site` learns from)."""
        model = birdnet or load_birdnet()
        parts = []
        for chunks in self._chunk_blocks(audio, window):
            embeddings = model.embed_chunks(chunks.reshape(-1, chunks.shape[-1]))
            parts.append(embeddings.reshape(*chunks.shape[:2], -1))
        return np.concatenate(parts)


class EmbeddingHead(BirdNETHead):
    """Standardise -> linear -> softmax / temperature over species + background."""

    def __init__(
        self,
        classes: list[str],
        mean: np.ndarray,
        scale: np.ndarray,
        coef: np.ndarray,
        intercept: np.ndarray,
        temperature: float = 1.0,
        *,
        birdnet_index: list[int | None] | None = None,
        hop: float = 1.0,
        birdnet_weight: float = 0.7,
    ) -> None:
        self.classes = classes
        self.mean, self.scale = mean, scale
        self.coef, self.intercept = coef, intercept  # (C + 1, D), (C + 1,)
        self.temperature = temperature
        self.birdnet_index = birdnet_index  # BirdNET's label of each class (None: unknown)
        self.hop = hop
        self.birdnet_weight = birdnet_weight

    def predict_embeddings(self, embeddings: np.ndarray) -> np.ndarray:
        """Species probabilities ``(N, C)`` (background left out) for embeddings ``(N, D)``."""
        z = (_unit(embeddings) - self.mean) / self.scale
        return _softmax((z @ self.coef.T + self.intercept) / self.temperature)[:, :-1]

    def blend(self, head_probs: np.ndarray, birdnet_scores: np.ndarray) -> np.ndarray:
        """The head's probabilities averaged with BirdNET's scores ``(N, 6522)`` (weight
        ``birdnet_weight``) for the classes BirdNET knows (``birdnet_index``); the others keep
        the head's.

        Examples
        --------
        >>> head = EmbeddingHead(["a", "b"], 0, 1, np.zeros((3, 2)), np.zeros(3),
        ...                      birdnet_index=[1, None], birdnet_weight=0.5)
        >>> head.blend(np.array([[0.2, 0.4]]), np.array([[0.0, 0.8, 0.0]])).round(2).tolist()
        [[0.5, 0.4]]
        """
        out = np.array(head_probs, dtype=float)
        w = self.birdnet_weight
        for c, label in enumerate(self.birdnet_index or []):
            if label is not None:
                out[:, c] = (1 - w) * out[:, c] + w * birdnet_scores[:, label]
        return out

    def from_birdnet(self, scores: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
        """The head's probabilities blended with BirdNET's own scores (:meth:`blend`)."""
        return self.blend(self.predict_embeddings(embeddings), scores)

    def tensors(self) -> dict[str, Any]:
        import torch

        names = ("mean", "scale", "coef", "intercept")
        return {n: torch.from_numpy(np.asarray(getattr(self, n), dtype=np.float32)) for n in names}

    def save(self, directory: str | Path, extra: dict[str, Any] | None = None) -> Path:
        from castlab.core.artifacts import save_model

        config = {
            "kind": "birdnet-head",
            "classes": self.classes,
            "temperature": self.temperature,
            "birdnet_index": self.birdnet_index,
            "hop": self.hop,
            "birdnet_weight": self.birdnet_weight,
            "background_class": BACKGROUND,
            "licence": "uses BirdNET (CC BY-NC-SA 4.0)",
            **(extra or {}),
        }
        return save_model(directory, self.tensors(), config)

    @classmethod
    def from_saved(cls, weights: dict[str, Any], config: dict[str, Any]) -> EmbeddingHead:
        arrays = {k: v.numpy().astype(np.float64) for k, v in weights.items()}
        return cls(
            list(config["classes"]),
            arrays["mean"],
            arrays["scale"],
            arrays["coef"],
            arrays["intercept"],
            float(config.get("temperature", 1.0)),
            birdnet_index=config.get("birdnet_index"),
            hop=float(config.get("hop", 1.0)),
            birdnet_weight=float(config.get("birdnet_weight", 0.7)),
        )


def _fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    from scipy.optimize import minimize_scalar

    def loss(log_t: float) -> float:
        p = _softmax(logits / np.exp(log_t))
        return float(-np.mean(np.log(p[np.arange(len(y)), y] + 1e-12)))

    return float(np.exp(minimize_scalar(loss, bounds=(-3, 3), method="bounded").x))


def _full_logits(model: Any, Z: np.ndarray, n_classes: int) -> np.ndarray:
    """Logits for every class; classes the fold never saw get -30 (probability ~0)."""
    out = np.full((len(Z), n_classes), -30.0)
    scores = model.decision_function(Z)
    if scores.ndim == 1:  # two classes: scikit-learn returns one margin
        scores = np.c_[-scores / 2, scores / 2]
    out[:, model.classes_] = scores
    return out


def fit_head(
    X: np.ndarray,
    y: np.ndarray,
    classes: list[str],
    *,
    groups: np.ndarray | None = None,
    regularisation: float = 0.01,
    seed: int = 0,
) -> EmbeddingHead:
    """Fit on embeddings ``X (N, D)``, labels ``y`` in ``0..C`` (``C`` = background).

    The temperature comes from out-of-fold logits (folds = ``groups``, e.g. recordings).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    X, y = _unit(X), np.asarray(y)
    if len(set(y.tolist())) < 2:
        raise CastlabError("the head needs at least two classes with examples")
    mean, scale = X.mean(axis=0), X.std(axis=0) + 1e-6
    Z = (X - mean) / scale

    def model() -> LogisticRegression:
        return LogisticRegression(C=regularisation, max_iter=2000, random_state=seed)

    temperature = 1.0
    n_classes = len(classes) + 1
    if groups is not None and len(set(np.asarray(groups).tolist())) >= 3:
        logits = np.zeros((len(y), n_classes))
        for train, test in GroupKFold(n_splits=3).split(Z, y, groups):
            logits[test] = _full_logits(model().fit(Z[train], y[train]), Z[test], n_classes)
        seen = logits[np.arange(len(y)), y] > -30  # a fold may lack a class entirely
        temperature = _fit_temperature(logits[seen], y[seen]) if seen.sum() > 1 else 1.0
    final = model().fit(Z, y)
    coef = np.zeros((n_classes, X.shape[1]))
    intercept = np.full(n_classes, -30.0)  # a class never seen stays improbable
    if len(final.classes_) == 2:  # scikit-learn keeps one row for two classes
        coef[final.classes_[1]], intercept[final.classes_[1]] = (
            final.coef_[0] / 2,
            final.intercept_[0] / 2,
        )
        coef[final.classes_[0]], intercept[final.classes_[0]] = (
            -final.coef_[0] / 2,
            -final.intercept_[0] / 2,
        )
    else:
        coef[final.classes_], intercept[final.classes_] = final.coef_, final.intercept_
    return EmbeddingHead(list(classes), mean, scale, coef, intercept, temperature)


def _shifted(clip: np.ndarray, samples: int) -> np.ndarray:
    """``clip`` moved ``samples`` later (earlier if negative), zeros filling in.

    Examples
    --------
    >>> _shifted(np.arange(1.0, 5.0), 1).tolist(), _shifted(np.arange(1.0, 5.0), -2).tolist()
    ([0.0, 1.0, 2.0, 3.0], [3.0, 4.0, 0.0, 0.0])
    """
    out = np.zeros_like(clip)
    if samples >= 0:
        out[samples:] = clip[: len(clip) - samples]
    else:
        out[:samples] = clip[-samples:]
    return out


def collect_embeddings(
    recs: list[Any],
    *,
    classes: list[str],
    peaks_per_file: int = 20,
    background_per_file: int = 3,
    noise_examples: int = 0,
    mixed_copies: int = 0,
    shift_seconds: float = 0.0,
    background_files: list[str | Path] | None = None,
    seed: int = 0,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BirdNET embeddings of 3-s chunks at each recording's peaks and low-SNR stretches.

    ``noise_examples`` adds coloured-noise chunks to the background class, and
    ``mixed_copies`` adds copies of every call mixed into a random background chunk at
    0-20 dB (so the head sees calls in noise, not only clean ones), each moved by up to
    ``shift_seconds`` off the chunk's centre (as a sliding 3-s chunk sees a call: partly).
    ``background_files`` (recordings without any of the species, e.g. other sites' birds)
    are cut into 3-s background chunks too, read a few minutes at a time (an hour of them
    needs no more memory than a minute); at most :data:`MIX_BACKGROUNDS` of their chunks are
    kept to mix calls into. Returns
    ``(X (N, 1024), y (N,), groups (N,))``; ``y == len(classes)`` is background and
    ``groups`` is the recording's index (-1 for generated noise).
    """
    from tqdm import tqdm

    from castlab.birds.audio import SAMPLE_RATE, load_audio, window_pieces
    from castlab.birds.features import cut_clip
    from castlab.birds.peaks import find_peaks, low_snr_stretches, snr_curve
    from castlab.birds.synthetic import background_noise, mix_at_snr

    model = load_birdnet()
    rng = np.random.default_rng(seed)
    index = {name: k for k, name in enumerate(classes)}
    size = int(CHUNK_SECONDS * BIRDNET_RATE)

    def cut(audio: np.ndarray, centre: float) -> np.ndarray:
        return cut_clip(audio, centre, seconds=CHUNK_SECONDS, sample_rate=BIRDNET_RATE)

    # Chunks are embedded as they are cut, a recording at a time; the mixed copies are made in
    # a second pass over the recordings (decoded again), so memory holds only the background
    # chunks the copies are mixed into, not every chunk (about 3 GB for 36 recordings before)
    embedded: list[np.ndarray] = []
    y: list[int] = []
    groups: list[int] = []
    background = len(classes)
    backgrounds = [
        background_noise(CHUNK_SECONDS, sample_rate=BIRDNET_RATE, rng=rng, level=0.01)
        for _ in range(noise_examples)
    ]
    if backgrounds:
        embedded.append(model.embed_chunks(np.stack(backgrounds)))
    y += [background] * len(backgrounds)
    groups += [-1] * len(backgrounds)
    # background recordings: every whole 3-s chunk (one padded chunk if shorter), read and
    # embedded a few minutes at a time; at most MIX_BACKGROUNDS of them kept for the mixing
    # (a reservoir sample, with its own generator: below the cap nothing else changes)
    pool, seen, pick = [], 0, np.random.default_rng([seed, 1])
    for path in background_files or []:
        pieces = window_pieces(path, sample_rate=BIRDNET_RATE, window=CHUNK_SECONDS)
        for k, audio in enumerate(pieces):  # pieces after the first hold whole chunks
            starts = range(
                0, max(1, len(audio) - size + 1) if k == 0 else len(audio) - size + 1, size
            )
            chunks = [cut(audio, (start + size / 2) / BIRDNET_RATE) for start in starts]
            if not chunks:
                continue
            embedded.append(model.embed_chunks(np.stack(chunks)))
            y += [background] * len(chunks)
            groups += [-1] * len(chunks)
            for chunk in chunks:
                if len(pool) < MIX_BACKGROUNDS:
                    pool.append(chunk)
                else:
                    slot = int(pick.integers(seen + 1))
                    if slot < MIX_BACKGROUNDS:
                        pool[slot] = chunk
                seen += 1
    backgrounds += pool
    calls: list[tuple[int, float]] = []  # (recording, peak time) of every call
    for g, rec in enumerate(tqdm(recs, desc="embeddings", unit="file", disable=not progress)):
        audio = load_audio(rec.path, sample_rate=BIRDNET_RATE)
        times, snr = snr_curve(load_audio(rec.path, sample_rate=SAMPLE_RATE))
        found = [peak.time for peak in find_peaks(times, snr, count=peaks_per_file)]
        quiet = [
            cut(audio, start + 2.5)
            for start in low_snr_stretches(times, snr, seconds=5.0, count=background_per_file)
        ]
        chunks = [cut(audio, time) for time in found] + quiet
        if chunks:
            embedded.append(model.embed_chunks(np.stack(chunks)))
        y += [index[rec.species]] * len(found) + [background] * len(quiet)
        groups += [g] * len(chunks)
        calls += [(g, time) for time in found]
        backgrounds += quiet
    if not calls:
        raise CastlabError("no calls found in any recording", fix="check the audio is not silent")
    backgrounds = [c for c in backgrounds if len(c) == size]
    # copy k mixes calls[k % len(calls)]; its draws come first, in that order, so the copies
    # do not depend on the order the second pass makes them in
    copies = [
        (
            int(rng.integers(len(backgrounds))),
            int(rng.uniform(-shift_seconds, shift_seconds) * BIRDNET_RATE),
            float(rng.uniform(0, 20)),
        )
        for _ in range(mixed_copies * len(calls) if backgrounds else 0)
    ]
    mixed = np.zeros((len(copies), embedded[0].shape[1]), np.float32)
    owner = np.array([calls[k % len(calls)][0] for k in range(len(copies))], dtype=int)
    todo = sorted(set(owner.tolist()))
    for g in tqdm(todo, desc="mixed copies", unit="file", disable=not progress):
        audio = load_audio(recs[g].path, sample_rate=BIRDNET_RATE)
        ks = np.flatnonzero(owner == g)
        chunks = []
        for k in ks:
            noise, shift, snr_db = copies[k]
            call = _shifted(cut(audio, calls[k % len(calls)][1]), shift)
            chunks.append(mix_at_snr(backgrounds[noise], call, start=0, snr_db=snr_db))
        mixed[ks] = model.embed_chunks(np.stack(chunks))
    y += [index[recs[g].species] for g in owner]
    groups += owner.tolist()
    return np.concatenate([*embedded, mixed]), np.array(y), np.array(groups)


def train_head(
    folder: str | Path,
    out: str | Path,
    *,
    config: HeadConfig = HeadConfig(),
    metadata: str | Path | None = None,
    background: str | Path | None = None,
    threads: int | None = None,
) -> Path:
    """Embed ``folder``'s recordings with BirdNET, fit the calibrated head (``config.kind``),
    save into ``out/model``.

    ``background``: a recording or a folder of recordings holding none of the species (other
    birds, the site's quiet hours); they are cut into 3-s background chunks. ``threads``:
    BirdNET's CPU threads (its interpreters side by side; default: as the shared BirdNET has).
    """
    from castlab.birds.audio import audio_files
    from castlab.birds.data import recordings
    from castlab.core.artifacts import write_json

    if config.kind not in ("anchored", "softmax"):
        raise CastlabError(f"unknown head {config.kind!r}", fix="use --head anchored or softmax")
    if not 0.0 <= config.birdnet_weight <= 1.0:
        raise CastlabError(
            f"BirdNET weight {config.birdnet_weight} is not in 0-1", fix="use --birdnet-weight 0.7"
        )
    recs = recordings(folder, metadata=metadata)
    background_files = audio_files(background) if background is not None else None
    classes = sorted({r.species for r in recs})
    if len(classes) < 2:
        raise CastlabError("training needs at least two species", path=folder)
    load_birdnet(threads)  # the shared BirdNET that collect_embeddings runs
    X, y, groups = collect_embeddings(
        recs,
        classes=classes,
        peaks_per_file=config.peaks_per_file,
        background_per_file=config.background_per_file,
        noise_examples=config.noise_examples,
        mixed_copies=config.mixed_copies,
        shift_seconds=config.shift_seconds,
        background_files=background_files,
        seed=config.seed,
        progress=True,
    )
    head: BirdNETHead
    if config.kind == "anchored":
        from castlab.birds.anchored import fit_anchored_head

        head = fit_anchored_head(
            X,
            y,
            classes,
            groups=groups,
            strength=config.anchor_strength,
            bias_strength=config.anchor_bias_strength,
        )
    else:
        head = fit_head(
            X, y, classes, groups=groups, regularisation=config.regularisation, seed=config.seed
        )
        head.birdnet_weight = config.birdnet_weight
        if config.blend_birdnet:
            head.birdnet_index = load_birdnet().index_of(classes)
    head.hop = config.hop
    out = Path(out)
    write_json(out / "head_config.json", asdict(config))
    return head.save(out / "model", extra={"head": asdict(config), "examples": int(len(y))})
