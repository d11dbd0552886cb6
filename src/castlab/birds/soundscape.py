"""Soundscapes: score every 5-second window, tune per-species thresholds, write BirdCLEF files.

BirdCLEF's submission has one row per window, ``row_id = <recording>_<end second>`` and
``birds`` = the species above threshold separated by spaces, or ``nocall``. The score is the
micro-averaged F1 over (window, species) pairs, with the BirdCLEF convention that a correct
``nocall`` counts as a hit. Thresholds are tuned on labelled windows for the micro F1 over
the species alone (a correct ``nocall`` earns nothing there, so a window without birds
counts only when it is wrongly flagged): each species first gets the threshold that
maximises its own F1 (a species with few positive windows shares one threshold tuned on all
species together), then each is moved in turn to where that micro F1 is highest. A species
the model confuses with others has a low own-F1 optimum that flags many windows of other
species; micro F1 raises it.

Examples
--------
>>> import numpy as np
>>> probs = np.array([[0.9, 0.1], [0.2, 0.7], [0.1, 0.2]])
>>> truth = [["a"], ["b"], []]
>>> thresholds = tune_thresholds(probs, truth, ["a", "b"], min_positives=1)
>>> decide(probs, thresholds, ["a", "b"])
[['a'], ['b'], []]
>>> round(micro_f1(decide(probs, thresholds, ["a", "b"]), truth), 3)
1.0
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from castlab.core.errors import CastlabError

__all__ = [
    "OBJECTIVES",
    "SoundscapeResult",
    "analyse_soundscape",
    "birds_cell",
    "check_competition",
    "check_objective",
    "compete",
    "decide",
    "false_positive_rate",
    "micro_f1",
    "pool_windows",
    "recording_name",
    "row_ids",
    "species_f1",
    "tune_thresholds",
    "write_submission",
]

NOCALL = "nocall"


def decide(
    probs: np.ndarray, thresholds: np.ndarray | float, classes: list[str]
) -> list[list[str]]:
    """Species above threshold in each window (``probs`` is ``(W, C)``)."""
    above = np.asarray(probs) >= np.asarray(thresholds)
    return [[classes[c] for c in np.flatnonzero(row)] for row in above]


def check_competition(power: float) -> None:
    """Raise a clear error for a window-competition power :func:`compete` cannot use."""
    if power < 0:
        raise CastlabError(f"window competition {power} is negative", fix="use 0 (off), 0.5 or 1")


def compete(window_probs: np.ndarray, power: float) -> np.ndarray:
    """Window scores ``(W, C)`` damped by how far each lies below its window's top score:
    ``p * (p / top) ** power`` (the top species keeps its score; ``power`` 0 changes
    nothing). For recordings where one or two species call at a time it cuts the commonest
    error, a second species flagged beside the right one; in a dawn chorus it would cost
    real calls.

    Examples
    --------
    >>> compete(np.array([[0.8, 0.6, 0.2]]), 1.0).round(2).tolist()
    [[0.8, 0.45, 0.05]]
    """
    check_competition(power)
    window_probs = np.asarray(window_probs, dtype=float)
    top = np.maximum(window_probs.max(axis=1, keepdims=True), 1e-9)
    return window_probs * (window_probs / top) ** power


def pool_windows(
    chunk_probs: np.ndarray,
    *,
    hop: float = 1.0,
    chunk: float = 3.0,
    window: float = 5.0,
    count: int | None = None,
    top_k: int = 1,
) -> np.ndarray:
    """Window scores ``(W, C)`` from scores of chunks starting every ``hop`` s ``(N, C)``.

    A window takes the chunks that start inside it and end by its end (0-3, 1-4, 2-5 s for
    5-s windows, 3-s chunks and a 1-s hop) and keeps, per species, the mean of the ``top_k``
    highest (``top_k=1``: the maximum). ``count`` windows (default: as many as the chunks
    reach); a window with no such chunk takes the chunk starting nearest its start.

    Examples
    --------
    >>> chunk_scores = np.array([[0.1], [0.9], [0.2], [0.0], [0.0], [0.3], [0.1], [0.0]])
    >>> pool_windows(chunk_scores).ravel().tolist()  # chunks 0-2 -> window 0, 5-7 -> window 1
    [0.9, 0.3]
    >>> pool_windows(chunk_scores, top_k=2).ravel().round(2).tolist()
    [0.55, 0.2]
    """
    chunk_probs = np.asarray(chunk_probs, dtype=float)
    starts = np.arange(len(chunk_probs)) * hop
    if count is None:
        count = max(1, int(np.ceil((starts[-1] + chunk - 1e-9) / window))) if len(starts) else 0
    out = np.zeros((count, chunk_probs.shape[1]))
    for w in range(count):
        inside = np.flatnonzero(
            (starts >= w * window - 1e-9) & (starts + chunk <= (w + 1) * window + 1e-9)
        )
        if not len(inside):
            inside = np.array([int(np.argmin(np.abs(starts - w * window)))])
        top = np.sort(chunk_probs[inside], axis=0)[::-1][: max(1, top_k)]
        out[w] = top.mean(axis=0)
    return out


def micro_f1(
    predicted: list[list[str]], truth: list[list[str]], *, count_nocall: bool = True
) -> float:
    """Micro F1 over windows; an empty window counts as the label ``nocall`` (BirdCLEF).

    With ``count_nocall=False`` only species count (stricter: background windows add nothing
    but their false alarms).
    """
    if len(predicted) != len(truth):
        raise CastlabError(f"{len(predicted)} predicted windows but {len(truth)} labelled")
    hits = extra = missed = 0
    for pred, true in zip(predicted, truth):
        p, t = set(pred), set(true)
        if count_nocall:
            p, t = p or {NOCALL}, t or {NOCALL}
        hits += len(p & t)
        extra += len(p - t)
        missed += len(t - p)
    return 2 * hits / max(1, 2 * hits + extra + missed)


def species_f1(
    predicted: list[list[str]], truth: list[list[str]], classes: list[str]
) -> dict[str, dict]:
    """Each species' F1 over windows and how many windows hold it: ``{species: {"f1": ...,
    "windows": ...}}``; ``f1`` is None for a species neither labelled nor flagged.

    Examples
    --------
    >>> scores = species_f1([["a"], ["a"], []], [["a"], [], ["b"]], ["a", "b", "c"])
    >>> scores["a"]["f1"], scores["b"], scores["c"]  # a: 1 hit, 1 false alarm
    (0.6666666666666666, {'f1': 0.0, 'windows': 1}, {'f1': None, 'windows': 0})
    """
    out = {}
    for name in classes:
        hits = sum(name in p and name in t for p, t in zip(predicted, truth))
        flagged = sum(name in p for p in predicted)
        labelled = sum(name in t for t in truth)
        total = flagged + labelled
        out[name] = {"f1": 2 * hits / total if total else None, "windows": labelled}
    return out


def false_positive_rate(predicted: list[list[str]], truth: list[list[str]]) -> float:
    """Share of pure-background windows (no species) given any species."""
    empty = [bool(pred) for pred, true in zip(predicted, truth) if not true]
    return float(np.mean(empty)) if empty else 0.0


#: What :func:`tune_thresholds` can maximise: the micro F1 of all species, or each species' F1
OBJECTIVES = ("micro", "species")


def check_objective(objective: str) -> None:
    """Raise a clear error for an objective :func:`tune_thresholds` does not know."""
    if objective not in OBJECTIVES:
        raise CastlabError(
            f"unknown threshold objective {objective!r}",
            fix="use " + " or ".join(repr(o) for o in OBJECTIVES),
        )


def tune_thresholds(
    probs: np.ndarray,
    truth: list[list[str]],
    classes: list[str],
    *,
    grid: np.ndarray | None = None,
    min_positives: int = 5,
    objective: str = "micro",
    passes: int = 3,
) -> np.ndarray:
    """Per-species thresholds tuned on labelled windows, shape ``(C,)``.

    ``objective="species"``: each species' threshold maximises that species' F1; a species
    with fewer than ``min_positives`` labelled windows gets the one shared threshold that
    maximises micro F1 over all species (a few positives make a per-species optimum noisy,
    often so low that it flags background). ``objective="micro"`` (the default) starts
    there and then, ``passes`` times over the species, moves each threshold to the grid
    value with the highest micro F1 over all species (species only: BirdCLEF's score, which
    also credits a correct ``nocall``, is not what is tuned). Ties go to the higher
    threshold.

    Examples
    --------
    "b" scores 0.5 on two windows of "a": its own F1 is best at 0.3 (it then finds a second
    "b" window at the price of two wrong flags); the micro F1 of both is best at 0.6.

    >>> probs = np.array([[0.9, 0.5], [0.9, 0.5], [0.8, 0.1], [0.8, 0.1],
    ...                   [0.1, 0.6], [0.1, 0.3], [0.1, 0.01]])
    >>> truth = [["a"], ["a"], ["a"], ["a"], ["b"], ["b"], ["b"]]
    >>> tune_thresholds(probs, truth, ["a", "b"], min_positives=1, objective="species").tolist()
    [0.8, 0.3]
    >>> tune_thresholds(probs, truth, ["a", "b"], min_positives=1).tolist()
    [0.8, 0.6]
    """
    check_objective(objective)
    probs = np.asarray(probs)
    grid = np.round(np.arange(0.05, 0.96, 0.025), 3) if grid is None else np.asarray(grid)
    positive = np.array([[name in t for name in classes] for t in truth]).reshape(len(truth), -1)

    def f1(chosen: np.ndarray, wanted: np.ndarray) -> float:
        tp = float((chosen & wanted).sum())
        return 2 * tp / max(1.0, chosen.sum() + wanted.sum())

    def highest(scores: list[float]) -> float:
        """The highest grid value among the best scores (ties: fewer false alarms)."""
        values = np.asarray(scores)
        return float(grid[np.flatnonzero(values >= values.max() - 1e-9)[-1]])

    shared = highest([f1(probs >= value, positive) for value in grid])
    out = np.full(len(classes), shared)
    for c in range(len(classes)):
        if positive[:, c].sum() >= min_positives:
            out[c] = highest([f1(probs[:, c] >= value, positive[:, c]) for value in grid])
    if objective == "species":
        return out
    hits = probs >= out
    for _ in range(passes):
        for c in range(len(classes)):
            rest_tp = float((hits & positive).sum() - (hits[:, c] & positive[:, c]).sum())
            rest_flagged = float(hits.sum() - hits[:, c].sum())
            scores = []
            for value in grid:
                flagged = probs[:, c] >= value
                tp = rest_tp + float((flagged & positive[:, c]).sum())
                scores.append(2 * tp / max(1.0, rest_flagged + flagged.sum() + positive.sum()))
            out[c] = highest(scores)
            hits[:, c] = probs[:, c] >= out[c]
    return out


def recording_name(path: str | Path) -> str:
    """The name a recording's row ids start with: its file stem, except that BirdCLEF's
    ``<audio_id>_<site>_<date>`` soundscapes become ``<audio_id>_<site>`` as in its submissions.

    Examples
    --------
    >>> recording_name("train_soundscapes/10534_SSW_20170429.ogg")
    '10534_SSW'
    >>> recording_name("dawn_chorus_2024.wav")
    'dawn_chorus_2024'
    """
    stem = Path(path).stem
    found = re.fullmatch(r"(\d+_[A-Z]+)_\d{8}", stem)
    return found.group(1) if found else stem


def row_ids(name: str, count: int, *, window: float = 5.0) -> list[str]:
    """BirdCLEF row ids ``<name>_<end second>`` for ``count`` windows.

    Examples
    --------
    >>> row_ids("7019_COR", 3)
    ['7019_COR_5', '7019_COR_10', '7019_COR_15']
    """
    return [f"{name}_{int(round((k + 1) * window))}" for k in range(count)]


def birds_cell(species: list[str]) -> str:
    """BirdCLEF's ``birds`` value of a window: its species separated by spaces, or ``nocall``;
    a space inside a name (a label such as "Marsh Tit") is written as ``_``, so every species
    stays one word.

    Examples
    --------
    >>> birds_cell(["Marsh Tit", "veery"]), birds_cell([])
    ('Marsh_Tit veery', 'nocall')
    """
    return " ".join(name.replace(" ", "_") for name in species) or NOCALL


def write_submission(path: str | Path, ids: list[str], decisions: list[list[str]]) -> Path:
    """Write ``row_id,birds`` (:func:`birds_cell`) atomically."""
    from castlab.core.artifacts import write_text

    lines = ["row_id,birds"] + [f"{i},{birds_cell(d)}" for i, d in zip(ids, decisions)]
    return write_text(path, "\n".join(lines) + "\n")


@dataclass
class SoundscapeResult:
    """One analysed recording: per-window probabilities and decisions."""

    name: str
    classes: list[str]
    probs: np.ndarray  # (W, C)
    thresholds: np.ndarray  # (C,)
    decisions: list[list[str]]
    window: float = 5.0
    #: the recording's length: the last window's ``end`` (not its BirdCLEF row id) stops there
    seconds: float | None = None

    @property
    def row_ids(self) -> list[str]:
        return row_ids(self.name, len(self.probs), window=self.window)

    def probability_frame(self):  # type: ignore[no-untyped-def]
        """A DataFrame: row_id, start, end, one column per species, birds."""
        import pandas as pd

        frame = pd.DataFrame(self.probs, columns=self.classes)
        ends = [(k + 1) * self.window for k in range(len(self.probs))]
        if self.seconds is not None:
            ends = [round(min(end, self.seconds), 3) for end in ends]
        frame.insert(0, "end", ends)
        frame.insert(0, "start", [k * self.window for k in range(len(self.probs))])
        frame.insert(0, "row_id", self.row_ids)
        frame["birds"] = [birds_cell(d) for d in self.decisions]
        return frame


def analyse_soundscape(
    path: str | Path,
    classifier,  # type: ignore[no-untyped-def]
    *,
    thresholds: np.ndarray | float | None = None,
    name: str | None = None,
    window: float = 5.0,
    audio: np.ndarray | None = None,
) -> SoundscapeResult:
    """Load ``path``, score every window with ``classifier``, apply ``thresholds`` (default 0.5).

    ``audio``: ``path`` already read at ``classifier.sample_rate`` (then it is not read again).
    A recording longer than :data:`~castlab.birds.audio.STREAM_SECONDS` is read and scored a
    piece at a time (:func:`~castlab.birds.audio.window_pieces`), so memory does not grow with
    its length; windows are scored on their own, so the numbers are the same (an MP3 decoded
    in pieces differs by about 1e-7 in its samples).
    """
    from castlab.birds.audio import window_pieces

    path = Path(path)
    rate = classifier.sample_rate
    pieces = [audio] if audio is not None else window_pieces(path, sample_rate=rate, window=window)
    samples, parts = 0, []
    for piece in pieces:
        samples += len(piece)
        parts.append(classifier.predict_windows(piece, window=window))
    probs = np.concatenate(parts)
    chosen = (
        np.full(len(classifier.classes), 0.5)
        if thresholds is None
        else np.broadcast_to(np.asarray(thresholds, dtype=float), (len(classifier.classes),))
    )
    return SoundscapeResult(
        name or recording_name(path),
        list(classifier.classes),
        probs,
        np.array(chosen),
        decide(probs, chosen, list(classifier.classes)),
        window,
        samples / rate,
    )
