"""The soundscape command as one library call: score, tune, decide, write CSVs and pictures.

Examples
--------
>>> import tempfile, pathlib
>>> from castlab.birds.model import BirdCNN, CnnConfig
>>> from castlab.birds.classifier import save_cnn
>>> from castlab.birds.synthetic import make_species, write_soundscape
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> species = make_species(2)
>>> model = save_cnn(root / "model", BirdCNN(CnnConfig(2, channels=(4,))), [s.name for s in species])
>>> wav, labels = write_soundscape(root / "scape.wav", species, seconds=15.0, calls=2)
>>> files = analyse_soundscapes([wav], model, root / "out", labels=[labels], plots=False)
>>> sorted(files)
['probabilities', 'scores', 'submission', 'thresholds']
>>> [r.probs.shape for r in score_recordings([wav, wav], model, workers=2)]  # 15 s, 2 species
[(3, 2), (3, 2)]
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from castlab.birds.audio import STREAM_SECONDS
from castlab.core.errors import CastlabError

if TYPE_CHECKING:
    from castlab.birds.classifier import SpeciesClassifier
    from castlab.birds.data import SoundscapeLabels
    from castlab.birds.prior import Place
    from castlab.birds.soundscape import SoundscapeResult

__all__ = [
    "analyse_soundscapes",
    "check_labels",
    "load_thresholds",
    "peaks_picture",
    "refuse_label_files",
    "score_recordings",
]

_WORKER: dict[str, Any] = {}  # the classifier of a worker process (score_recordings)


def load_thresholds(path: str | Path, classes: list[str]) -> np.ndarray:
    """Per-species thresholds from a ``thresholds.json`` (``{species: value}``); missing = 0.5."""
    from castlab.core.artifacts import read_json

    values = read_json(path)
    if not isinstance(values, dict):
        raise CastlabError("thresholds JSON must map species to numbers", path=path)
    for name, value in values.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise CastlabError(
                f"threshold of {name} is {value!r}, not a number",
                path=path,
                fix="map each species to a number between 0 and 1",
            )
        check_threshold(value, where=f"threshold of {name}", path=path)
    if values and not set(values) & set(classes):
        raise CastlabError(
            f"the thresholds name none of the model's species (they name {next(iter(values))}"
            f"; the model knows {', '.join(classes[:3])}{', ...' if len(classes) > 3 else ''})",
            path=path,
            fix="use the thresholds.json written with this model, or tune new ones with --labels",
        )
    unknown = [name for name in values if name not in classes]
    if unknown:  # a typo left that species at 0.5 without a word
        import difflib

        close = difflib.get_close_matches(unknown[0], classes, n=1)
        raise CastlabError(
            f"the thresholds name {unknown[0]!r}, a species the model does not know"
            + (f" (did you mean {close[0]!r}?)" if close else ""),
            path=path,
            fix="correct or remove that name (species left out get 0.5)",
        )
    return np.array([float(values.get(name, 0.5)) for name in classes])


def check_threshold(value: float, *, where: str = "threshold", path: Path | None = None) -> None:
    """A probability threshold must lie between 0 and 1 (above 1 nothing is ever flagged).

    Examples
    --------
    >>> check_threshold(0.3)
    >>> check_threshold(1.5)
    Traceback (most recent call last):
    ...
    castlab.core.errors.CastlabError: threshold 1.5 is not between 0 and 1 (fix: ...)
    """
    if not 0.0 <= float(value) <= 1.0:
        raise CastlabError(
            f"{where} {value:g} is not between 0 and 1",
            path=path,
            fix="scores are probabilities: use e.g. 0.5 (higher: fewer, surer detections)",
        )


def analyse_soundscapes(
    audio: list[str | Path],
    model: str | Path,
    out: str | Path,
    *,
    labels: list[str | Path] | None = None,
    thresholds: str | Path | float | None = None,
    window: float = 5.0,
    plots: bool = True,
    progress: bool = False,
    workers: int = 1,
    threads: int = 1,
    objective: str = "micro",
    chunk_hop: float | None = None,
    place: Place | None = None,
    competition: float = 0.0,
) -> dict[str, Path]:
    """Score every ``window`` of each recording and write the BirdCLEF files into ``out``.

    ``workers`` processes score the recordings side by side, or one process with ``threads``
    BirdNET threads; ``chunk_hop`` overrides a BirdNET head's seconds between the 3-s chunks
    of a window (see :func:`score_recordings`).

    With ``labels`` (Audacity or Raven files, matched by file stem), per-species thresholds
    are tuned on those recordings for ``objective`` (:func:`~castlab.birds.soundscape.tune_thresholds`:
    ``"micro"``, the micro F1 of all species, or ``"species"``, each species' own F1) and
    saved as ``thresholds.json`` (and scores.json says
    the F1 they reach, an optimistic in-sample number, and which labelled species the model
    lacks: those windows count as missed). Otherwise ``thresholds`` is a JSON
    file, a number, or ``None`` (the model folder's ``thresholds.json`` if any, else 0.5).
    With both, the labels only score the given thresholds (scores.json: an out-of-sample
    number, when they were tuned elsewhere) and no thresholds.json is written.

    With ``place`` (:class:`~castlab.birds.prior.Place`) every window's probabilities are
    first multiplied by BirdNET's range prior there and then (before thresholds are tuned);
    ``prior.json`` says each species' range score and factor. ``competition`` > 0 then
    damps species below each window's top one (:func:`~castlab.birds.soundscape.compete`).
    """
    from castlab.birds.data import SoundscapeLabels
    from castlab.birds.soundscape import (
        check_competition,
        check_objective,
        compete,
        decide,
        false_positive_rate,
        micro_f1,
        tune_thresholds,
    )
    from castlab.core.artifacts import record_outputs, write_json, write_text

    check_objective(objective)  # before the scoring, which can take long
    check_competition(competition)
    if isinstance(thresholds, (int, float)):
        check_threshold(thresholds)
    out = Path(out)
    paths = [Path(p) for p in audio]
    refuse_label_files(paths)
    refuse_shared_names(paths)
    known = SoundscapeLabels.read(labels) if labels else None  # bad labels fail before scoring
    classifier = _classifier(model, chunk_hop)  # loaded once; a bad chunk hop fails here too
    classes = list(classifier.classes)
    if known is not None:
        check_labels(known, classes, paths, labels, window=window)
    if known is not None and thresholds is None:
        preset = None  # tuned on the labelled windows below
    elif isinstance(thresholds, (int, float)):
        preset = np.full(len(classes), float(thresholds))
    elif thresholds is not None:
        preset = load_thresholds(thresholds, classes)  # a bad file fails before the scoring
    else:
        saved = Path(model) / "thresholds.json"
        preset = load_thresholds(saved, classes) if saved.exists() else np.full(len(classes), 0.5)
    results = score_recordings(
        paths,
        model,
        window=window,
        workers=workers,
        threads=threads,
        progress=progress,
        chunk_hop=chunk_hop,
        classifier=classifier,
    )
    files: dict[str, Path] = {}
    if place is not None:
        files["prior"] = _apply_place(results, classes, place, out / "prior.json")
    if competition:
        for result in results:
            result.probs = compete(result.probs, competition)
    truth: dict[str, list[list[str]]] = {}
    if known is not None:
        found = known.truth(
            {path: len(result.probs) for path, result in zip(paths, results)}, window=window
        )
        truth = {result.name: found[path] for path, result in zip(paths, results) if path in found}
    if preset is None:
        probs = np.concatenate([r.probs for r in results if r.name in truth])
        windows_truth = [w for r in results if r.name in truth for w in truth[r.name]]
        chosen = tune_thresholds(probs, windows_truth, classes, objective=objective)
        files["thresholds"] = write_json(
            out / "thresholds.json", dict(zip(classes, map(float, chosen)))
        )
    else:
        chosen = preset
    frames = []
    for result in results:
        result.thresholds = chosen
        result.decisions = decide(result.probs, chosen, classes)
        frames.append(result.probability_frame())
    import pandas as pd

    table = pd.concat(frames, ignore_index=True)
    files["probabilities"] = write_text(
        out / "probabilities.csv", table.to_csv(index=False, float_format="%.4f")
    )
    files["submission"] = write_text(
        out / "submission.csv", table[["row_id", "birds"]].to_csv(index=False)
    )
    if truth:
        predicted = [d for r in results if r.name in truth for d in r.decisions]
        expected = [w for r in results if r.name in truth for w in truth[r.name]]
        files["scores"] = write_json(
            out / "scores.json",
            {
                "windows": len(expected),
                "micro_f1_birdclef": micro_f1(predicted, expected),
                "micro_f1_species_only": micro_f1(predicted, expected, count_nocall=False),
                "background_windows_flagged": false_positive_rate(predicted, expected),
                "note": "thresholds tuned on these same windows: an optimistic in-sample score"
                if preset is None
                else "thresholds given, not tuned on these windows: an out-of-sample score",
                "labels_the_model_lacks": sorted(known.names_for(paths) - set(classes))
                if known
                else [],
                **(_label_pairing(known, paths) if known else {}),
            },
        )
    if plots:
        from castlab.birds.plots import plot_timeline

        for result in results:
            files[f"timeline_{result.name}"] = plot_timeline(
                result.probs,
                classes,
                chosen,
                out / f"timeline_{result.name}.png",
                window=window,
                truth=truth.get(result.name),
                title=f"{result.name}",
            )
    record_outputs(out, "birds soundscape", files.values())  # drop a rerun's stale ones
    return files


def refuse_label_files(paths: list[Path]) -> None:
    """A label file among the recordings (``--labels a.txt b.txt``) gets a clear error."""
    for path in paths:
        if path.suffix.lower() in (".txt", ".csv", ".tsv"):
            raise CastlabError(
                "a label file where a recording was expected",
                path=path,
                fix="give each label file its own --labels: --labels a.txt --labels b.txt",
            )


def refuse_shared_names(paths: list[Path]) -> None:
    """Two recordings whose row ids would start alike (the same file stem, or BirdCLEF
    soundscapes of one ``<audio_id>_<site>``) get a clear error before any is scored.

    Examples
    --------
    >>> refuse_shared_names([Path("a/dawn.wav"), Path("b/dawn.flac")])
    Traceback (most recent call last):
    castlab.core.errors.CastlabError: b/dawn.flac: its row ids would start 'dawn' as those of a/dawn.wav do (fix: rename one of them)
    """
    from castlab.birds.soundscape import recording_name

    seen: dict[str, Path] = {}
    for path in paths:
        name = recording_name(path)
        if name in seen:
            raise CastlabError(
                f"its row ids would start {name!r} as those of {seen[name]} do",
                path=path,
                fix="rename one of them",
            )
        seen[name] = path


def _label_pairing(known: SoundscapeLabels, paths: list[Path]) -> dict:
    """What scores.json says of the label files: those that went with no recording, and a
    recording paired with a label file of another name (the only one of each)."""
    said: dict = {}
    unused = known.unused(paths)
    if unused:
        said["label_files_unused"] = [str(p) for p in unused]
    said["label_files"] = {a.name: str(f) for a, f in known.pairs(paths).items()}
    return said


def check_labels(
    known: SoundscapeLabels,
    classes: list[str],
    paths: list[Path],
    labels: list[str | Path],
    *,
    window: float = 5.0,
) -> dict[Path, list[list[str]]]:
    """Refuse labels that name none of the model's ``classes`` or match none of ``paths``
    (read from the files ``labels``), before any scoring; return the recordings they match
    (each with its first window's labels)."""
    if known.names and not known.names & set(classes):
        named = sorted(known.names)
        raise CastlabError(
            f"the labels name none of the model's species (they say {', '.join(named[:3])}"
            f"{', ...' if len(named) > 3 else ''}; the model knows {', '.join(classes[:3])}"
            f"{', ...' if len(classes) > 3 else ''})",
            path=Path(labels[0]),
            fix="label with the names the model was trained on (its species folder names)",
        )
    matched = known.truth({path: 1 for path in paths}, window=window)
    if not matched:
        raise CastlabError(
            "no label file matches a recording's name",
            fix="name labels like the audio (site1.wav, site1.txt), or pass BirdCLEF's "
            "train_soundscape_labels.csv",
        )
    return matched


def _apply_place(
    results: list[SoundscapeResult], classes: list[str], place: Place, path: Path
) -> Path:
    """Multiply each result's window probabilities by the range prior at ``place``; write
    what it did to ``path``."""
    from dataclasses import asdict

    from castlab.birds.prior import place_factors
    from castlab.core.artifacts import write_json

    factors, scores = place_factors(classes, place)
    for result in results:
        result.probs = result.probs * factors
    return write_json(
        path,
        {
            "place": asdict(place),
            "switched_off": [c for c, f in zip(classes, factors) if f == 0],
            "scaled_down": [c for c, f in zip(classes, factors) if 0 < f < 1],
            "unknown_to_birdnet": [c for c, s in zip(classes, scores) if s is None],
            "species": {
                c: {"range_score": s, "factor": float(f)}
                for c, s, f in zip(classes, scores, factors)
            },
        },
    )


def score_recordings(
    paths: list[Path],
    model: str | Path,
    *,
    window: float = 5.0,
    workers: int = 1,
    threads: int = 1,
    progress: bool = False,
    chunk_hop: float | None = None,
    classifier: SpeciesClassifier | None = None,
) -> list[SoundscapeResult]:
    """Every window of each recording scored by the classifier in ``model``, in order.

    With ``workers`` > 1 (and more than one recording) that many processes share the
    recordings, each with its own classifier, one torch and one LiteRT thread: one way to use
    every core on a folder of recordings. Otherwise one process scores them, BirdNET (for a
    BirdNET head) on ``threads`` threads (torch's are the caller's to set), the next
    recording decoded meanwhile (when it is at most :data:`READ_AHEAD_SECONDS` long, so that
    two long recordings are not held at once).
    An error in any recording (unreadable audio) stops the run with that recording's error.
    The module's example scores two recordings in two processes.

    ``chunk_hop`` (a BirdNET head only; default: the head's own, 1 s) sets the seconds
    between the 3-s chunks BirdNET scores in each window: 1 s scores 0-3, 1-4 and 2-5 s of a
    5-s window, 2 s scores 0-3 and 2-5 s (2/3 of the BirdNET passes), 3 s or more only the
    centre chunk, 1-4 s (1/3 of the passes).

    ``classifier``: ``model`` already loaded by the caller (with ``chunk_hop`` applied), so
    this process does not load it again; worker processes load ``model`` themselves.
    """
    from tqdm import tqdm

    from castlab.birds.audio import check_audio_path
    from castlab.birds.birdnet import load_birdnet
    from castlab.birds.head import BirdNETHead

    for path in paths:  # a missing or misnamed file fails before any scoring
        check_audio_path(path)
    bar = {"desc": "soundscapes", "unit": "file", "total": len(paths), "disable": not progress}
    workers = max(1, min(int(workers), len(paths)))
    if classifier is None and (workers == 1 or chunk_hop is not None):  # to use, or check, it
        classifier = _classifier(model, chunk_hop)
    if workers == 1:
        if isinstance(classifier, BirdNETHead):
            load_birdnet(threads)
        return list(tqdm(_read_ahead(paths, classifier, window), **bar))
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),  # no threads or interpreters forked
        initializer=_start_worker,
        initargs=(str(model), chunk_hop),
    ) as pool:
        jobs = pool.map(_score_in_worker, paths, [window] * len(paths))
        return list(tqdm(jobs, **bar))


#: A recording up to this long (350 MB at 48 kHz) is decoded while the one before is scored;
#: a longer one is read a piece at a time in its turn (``audio.STREAM_SECONDS``, the same).
READ_AHEAD_SECONDS = STREAM_SECONDS


def _read_ahead(
    paths: list[Path], classifier: SpeciesClassifier, window: float
) -> Iterator[SoundscapeResult]:
    """:func:`~castlab.birds.soundscape.analyse_soundscape` of each path in order, the next
    recording decoded in a thread while this one is scored (decoding lets go of Python's
    lock); an unreadable recording stops the run when its turn comes, as without."""
    from concurrent.futures import Future, ThreadPoolExecutor

    from castlab.birds.audio import is_long, load_audio
    from castlab.birds.soundscape import analyse_soundscape

    def read(path: Path) -> Future | None:
        if is_long(path, READ_AHEAD_SECONDS):
            return None
        # an unreadable one too: load_audio's error is raised by result(), in its turn
        return reader.submit(load_audio, path, sample_rate=classifier.sample_rate)

    with ThreadPoolExecutor(1) as reader:
        upcoming = read(paths[0]) if paths else None
        for k, path in enumerate(paths):
            audio = upcoming.result() if upcoming is not None else None
            upcoming = read(paths[k + 1]) if k + 1 < len(paths) else None
            yield analyse_soundscape(path, classifier, window=window, audio=audio)


def _classifier(model: str | Path, chunk_hop: float | None):
    """The classifier in ``model``, with ``chunk_hop`` set if given (a BirdNET head only)."""
    from castlab.birds.classifier import load_classifier
    from castlab.birds.head import BirdNETHead

    if chunk_hop is not None and not chunk_hop > 0:
        raise CastlabError(f"chunk hop {chunk_hop} s is not positive", fix="use e.g. 1 or 2")
    classifier = load_classifier(model)
    if chunk_hop is not None:
        if not isinstance(classifier, BirdNETHead):
            raise CastlabError(
                "a chunk hop is for a BirdNET head; this model scores whole windows",
                path=model,
                fix="leave out --chunk-hop",
            )
        classifier.hop = float(chunk_hop)
    return classifier


def _start_worker(model: str, chunk_hop: float | None) -> None:
    import torch

    torch.set_num_threads(1)
    _WORKER["classifier"] = _classifier(model, chunk_hop)


def _score_in_worker(path: Path, window: float) -> SoundscapeResult:
    from castlab.birds.soundscape import analyse_soundscape

    return analyse_soundscape(path, _WORKER["classifier"], window=window)


def peaks_picture(path: str | Path, out_png: str | Path, *, count: int = 20) -> tuple[Path, list]:
    """Spectrogram + PCEN-SNR curve + the ``count`` strongest peaks of one recording."""
    from castlab.birds.audio import SAMPLE_RATE, load_audio
    from castlab.birds.peaks import find_peaks, snr_curve
    from castlab.birds.plots import plot_peaks

    audio = load_audio(path, sample_rate=SAMPLE_RATE)
    times, snr = snr_curve(audio, sample_rate=SAMPLE_RATE)
    peaks = find_peaks(times, snr, count=count)
    picture = plot_peaks(audio, SAMPLE_RATE, times, snr, peaks, out_png, title=Path(path).name)
    return picture, peaks
