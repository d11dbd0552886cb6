"""The formats bird people have: species folders, metadata CSVs, Audacity labels, Raven tables.

- xeno-canto style folders: ``ROOT/<species>/*.mp3|wav|flac|ogg``; the folder name is the label.
  A ``metadata.csv`` / BirdCLEF ``train_metadata.csv`` (``filename`` + ``primary_label``) may
  name the labels instead.
- Audacity label files: ``start<TAB>end<TAB>label`` lines, optionally each followed by a
  ``\\<TAB>fmin<TAB>fmax`` line (spectral selection).
- Raven selection tables: tab-separated with ``Begin Time (s)``, ``End Time (s)``, a label
  column (``Species``, ``Annotation``, ``Label`` or ``Class``) and optional frequencies.
- BirdCLEF ``train_soundscape_labels.csv``: ``row_id, site, audio_id, seconds, birds``.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "labels.txt"
>>> _ = path.write_text("0.5\\t3.0\\tCRER\\n\\\\\\t2593.1\\t8866.9\\n6.0\\t6.4\\tSP\\n")
>>> [(a.start, a.end, a.label, a.fmin) for a in read_audacity_labels(path)]
[(0.5, 3.0, 'CRER', 2593.1), (6.0, 6.4, 'SP', None)]
>>> window_labels(read_audacity_labels(path), duration=10.0)
[['CRER'], ['SP']]
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from castlab.birds.audio import AUDIO_SUFFIXES, audio_files
from castlab.core.errors import CastlabError
from castlab.core.readers import read_text

__all__ = [
    "NO_SPECIES",
    "Annotation",
    "Recording",
    "SoundscapeLabels",
    "read_annotations",
    "read_audacity_labels",
    "read_raven_table",
    "read_soundscape_labels",
    "recordings",
    "window_labels",
]


@dataclass(frozen=True)
class Recording:
    """One training recording and its species label(s)."""

    path: Path
    species: str
    also: tuple[str, ...] = ()  # secondary species (BirdCLEF's secondary_labels)


@dataclass(frozen=True)
class Annotation:
    """One labelled time(-frequency) box of a soundscape; times in seconds, frequencies in Hz."""

    start: float
    end: float
    label: str
    fmin: float | None = None
    fmax: float | None = None


def _metadata_labels(csv_path: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
    with io.StringIO(read_text(csv_path, what="metadata CSV"), newline="") as handle:
        reader = csv.DictReader(handle)
        fields = set(reader.fieldnames or [])
        name_col = next((c for c in ("filename", "file", "path") if c in fields), None)
        label_col = next((c for c in ("primary_label", "species", "label") if c in fields), None)
        if name_col is None or label_col is None:
            raise CastlabError(
                "metadata CSV needs a filename column and a primary_label (or species) column",
                path=csv_path,
                line=1,
                fix="name the columns filename and primary_label",
            )
        out = {}
        for number, row in enumerate(reader, 2):
            also = row.get("secondary_labels") or ""
            extra = tuple(s.strip(" '\"") for s in also.strip("[]").split(",") if s.strip(" '\""))
            name = _cell(row, name_col, csv_path, number)
            species = _cell(row, label_col, csv_path, number).strip()
            if not species:
                raise CastlabError(
                    f"{name} has an empty {label_col}",
                    path=csv_path,
                    line=number,
                    fix=f"give the recording its species in {label_col}, or delete the row",
                )
            out[Path(name).name] = (species, extra)
        return out


def recordings(folder: str | Path, *, metadata: str | Path | None = None) -> list[Recording]:
    """Labelled recordings under ``folder``: ``species/*.wav`` or names from ``metadata``.

    Files directly in ``folder`` (no species folder) need a metadata CSV.
    """
    folder = Path(folder)
    files = audio_files(folder)
    labels = _metadata_labels(Path(metadata)) if metadata else {}
    out = []
    for path in files:
        if path.name in labels:
            species, also = labels[path.name]
        elif path.parent != folder:
            species, also = path.parent.name, ()
        else:
            raise CastlabError(
                "audio file has no species: not in a species folder nor in the metadata",
                path=path,
                fix="put it in ROOT/<species>/ or list it in a metadata CSV",
            )
        out.append(Recording(path, species, also))
    if len({r.species for r in out}) < 1:
        raise CastlabError("no labelled recordings", path=folder)
    if labels and not any(path.name in labels for path in files):  # rows may name absent files
        raise CastlabError(
            f"none of the {len(labels)} files the metadata CSV names is under {folder} "
            f"(first: {next(iter(labels))}; found e.g. {files[0].name})",
            path=metadata,
            fix="pass the folder that holds those recordings, or the metadata CSV that goes "
            "with this folder",
        )
    return out


def _short_row(field: str, path: Path, line: int) -> CastlabError:
    """The error for a row without ``field``: ``csv.DictReader`` gives None for the fields a
    row shorter than the header lacks, and that is the user's to fix."""
    return CastlabError(
        f"the row has no {field} field (fewer fields than the header)",
        path=path,
        line=line,
        fix="give every row a value for each of the header's columns",
    )


def _cell(row: dict, column: str, path: Path, line: int) -> str:
    """``row[column]`` of a CSV row read by ``csv.DictReader``, or :func:`_short_row`."""
    value = row.get(column)
    if value is None:
        raise _short_row(repr(column), path, line)
    return value


def _number(text: str | None, path: Path, line: int, what: str) -> float:
    if text is None:  # a short row, as csv.DictReader gives it
        raise _short_row(what, path, line)
    try:
        return float(text)
    except ValueError:
        raise CastlabError(
            f"{what} {text!r} is not a number", path=path, line=line, fix="use seconds, e.g. 1.25"
        ) from None


def _time(text: str | None, path: Path, line: int, what: str) -> float:
    """A label's start or end in seconds: a number, and a finite one (``nan`` would make a
    label that covers no window, silently)."""
    value = _number(text, path, line, what)
    if not math.isfinite(value):
        raise CastlabError(
            f"{what} {text!r} is not a time", path=path, line=line, fix="use seconds, e.g. 1.25"
        )
    return value


def _span(start: float, end: float, path: Path, line: int) -> None:
    if end < start:
        raise CastlabError(
            f"end {end} before start {start}", path=path, line=line, fix="swap the two times"
        )


def read_audacity_labels(path: str | Path, text: str | None = None) -> list[Annotation]:
    """Annotations from an Audacity label file (with or without spectral-selection lines);
    ``text``: the file's text when it was already read."""
    path = Path(path)
    out: list[Annotation] = []
    text = read_text(path, what="label file") if text is None else text
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        parts = raw.split("\t")
        if parts[0] == "\\":  # frequency line of the previous label
            if not out or len(parts) < 3:
                raise CastlabError("frequency line without a label", path=path, line=number)
            last = out.pop()
            fmin = _number(parts[1], path, number, "fmin")
            fmax = _number(parts[2], path, number, "fmax")
            out.append(Annotation(last.start, last.end, last.label, fmin, fmax))
            continue
        if len(parts) < 3:
            raise CastlabError(
                "expected start<TAB>end<TAB>label",
                path=path,
                line=number,
                fix="export labels from Audacity (File > Export > Labels)",
            )
        start = _time(parts[0], path, number, "start")
        end = _time(parts[1], path, number, "end")
        _span(start, end, path, number)
        out.append(Annotation(start, end, _named(parts[2], path, number)))
    return out


def _named(label: str, path: Path, line: int) -> str:
    """A label's species name, stripped; an empty one is the user's to fix."""
    if not label.strip():
        raise CastlabError(
            "a label without a name",
            path=path,
            line=line,
            fix="type the species into the label, or delete the label",
        )
    return label.strip()


def read_raven_table(path: str | Path, text: str | None = None) -> list[Annotation]:
    """Annotations from a Raven selection table (tab-separated, header row); ``text``: the
    file's text when it was already read."""
    path = Path(path)
    text = read_text(path, what="selection table") if text is None else text
    with io.StringIO(text, newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
        fields = rows[0].keys() if rows else []
    if "Begin Time (s)" not in fields or "End Time (s)" not in fields:
        raise CastlabError(
            "not a Raven selection table: no 'Begin Time (s)' / 'End Time (s)' columns",
            path=path,
            line=1,
            fix="export with Raven's File > Save Selection Table",
        )
    label_col = next(
        (c for c in ("Species", "Annotation", "Label", "Class", "species") if c in fields), None
    )
    if label_col is None:
        raise CastlabError(
            "the selection table has no Species/Annotation/Label column", path=path, line=1
        )
    out = []
    for number, row in enumerate(rows, 2):
        low, high = row.get("Low Freq (Hz)"), row.get("High Freq (Hz)")
        start = _time(row["Begin Time (s)"], path, number, "Begin Time")
        end = _time(row["End Time (s)"], path, number, "End Time")
        _span(start, end, path, number)
        out.append(
            Annotation(
                start,
                end,
                _named(row[label_col] or "", path, number),
                _number(low, path, number, "Low Freq") if low else None,
                _number(high, path, number, "High Freq") if high else None,
            )
        )
    return out


#: Labels that name no species: BirdCLEF's token for a window without birds, and the name of
#: castlab's own background class; :func:`read_annotations` leaves them out
NO_SPECIES = ("nocall", "background")


def read_annotations(path: str | Path, text: str | None = None) -> list[Annotation]:
    """Audacity labels or a Raven table, whichever ``path`` holds; ``text``: the file's text
    when it was already read. Labels in :data:`NO_SPECIES` (any case) are left out: they mark
    stretches without birds, as an unlabelled stretch does."""
    path = Path(path)
    if not path.is_file():
        raise CastlabError("annotation file not found", path=path)
    if path.suffix.lower() in AUDIO_SUFFIXES:
        raise CastlabError("this is audio, not labels", path=path, fix="pass the .txt labels")
    text = read_text(path, what="annotation file") if text is None else text
    first = text.split("\n", 1)[0]
    notes = (
        read_raven_table(path, text) if "Begin Time" in first else read_audacity_labels(path, text)
    )
    return [note for note in notes if note.label.lower() not in NO_SPECIES]


def window_labels(
    annotations: list[Annotation],
    *,
    duration: float,
    window: float = 5.0,
    min_overlap: float = 0.1,
) -> list[list[str]]:
    """Sorted species in each ``window``-second window (overlap at least ``min_overlap`` s, or
    half the label when it is shorter). A point label (start = end) goes to the one window
    it falls in, the later one on a boundary.

    Examples
    --------
    >>> notes = [Annotation(5.0, 5.0, "a"), Annotation(4.0, 6.0, "b")]
    >>> window_labels(notes, duration=10.0)
    [['b'], ['a', 'b']]
    """
    count = max(1, int(-(-duration // window)))
    out: list[set[str]] = [set() for _ in range(count)]
    for note in annotations:
        if note.end == note.start:  # no overlap to weigh: the window it lies in
            k = min(count - 1, max(0, int(note.start // window)))
            out[k].add(note.label)
            continue
        for k in range(count):
            overlap = min(note.end, (k + 1) * window) - max(note.start, k * window)
            if overlap >= min(min_overlap, (note.end - note.start) * 0.5):
                out[k].add(note.label)
    return [sorted(s) for s in out]


def read_soundscape_labels(path: str | Path, text: str | None = None) -> dict[str, list[list[str]]]:
    """BirdCLEF ``train_soundscape_labels.csv`` -> ``{audio_id: [species per 5-s window]}``;
    ``text``: the file's text when it was already read."""
    path = Path(path)
    text = read_text(path, what="soundscape labels") if text is None else text
    with io.StringIO(text, newline="") as handle:
        reader = csv.DictReader(handle)
        needed = {"audio_id", "seconds", "birds"}
        if not needed <= set(reader.fieldnames or []):
            raise CastlabError(
                f"needs columns {', '.join(sorted(needed))}",
                path=path,
                line=1,
                fix="use BirdCLEF's header: row_id,site,audio_id,seconds,birds",
            )
        windows: dict[str, dict[int, list[str]]] = {}
        for number, row in enumerate(reader, 2):
            end = int(_number(row["seconds"], path, number, "seconds"))
            birds = [b for b in _cell(row, "birds", path, number).split() if b != "nocall"]
            windows.setdefault(_cell(row, "audio_id", path, number), {})[end] = sorted(birds)
    return {
        audio: [by_end.get(end, []) for end in range(5, max(by_end) + 1, 5)]
        for audio, by_end in windows.items()
    }


@dataclass
class SoundscapeLabels:
    """Label files for soundscapes, read once (and checked) before any scoring.

    ``files``: Audacity labels or Raven tables, each for the recording with the same stem (a
    single file for a single recording whatever its name); ``birdclef``: windows of BirdCLEF's
    ``train_soundscape_labels.csv`` by ``audio_id``, for the recordings whose stem is that id
    or starts with ``<audio_id>_`` (as ``10534_SSW_20170429.ogg``).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> table = folder / "train_soundscape_labels.csv"
    >>> _ = table.write_text("row_id,site,audio_id,seconds,birds\\n7019_COR_10,COR,7019,10,rewbla\\n")
    >>> labels = SoundscapeLabels.read([table])
    >>> labels.names
    {'rewbla'}
    >>> list(labels.truth({folder / "7019_COR_20190904.ogg": 3}).values())
    [[[], ['rewbla'], []]]
    """

    files: dict[Path, list[Annotation]]
    birdclef: dict[str, list[list[str]]]

    @classmethod
    def read(cls, labels: list[str | Path]) -> SoundscapeLabels:
        """Read every label file, whichever of the three kinds it is."""
        files: dict[Path, list[Annotation]] = {}
        birdclef: dict[str, list[list[str]]] = {}
        for path in map(Path, labels):
            # a BirdCLEF table is a CSV whose header names audio_id; a CSV is read once
            text = (
                read_text(path, what="label file")
                if path.suffix.lower() == ".csv" and path.is_file()
                else None
            )
            if text is not None and "audio_id" in text.split("\n", 1)[0]:
                birdclef.update(read_soundscape_labels(path, text))
            else:
                files[path] = read_annotations(path, text)
        return cls(files, birdclef)

    @property
    def names(self) -> set[str]:
        """Every species the labels name."""
        return self._named(self.files)

    def pairs(self, recordings: dict[Path, int] | list[Path]) -> dict[Path, Path]:
        """Which label file (Audacity or Raven) goes with which recording: the same stem, or
        the only file for the only recording whatever their names.

        Examples
        --------
        >>> labels = SoundscapeLabels({Path("site1.txt"): [], Path("other.txt"): []}, {})
        >>> labels.pairs([Path("site1.wav"), Path("site2.wav")])
        {PosixPath('site1.wav'): PosixPath('site1.txt')}
        """
        if len(recordings) == 1 and len(self.files) == 1:
            return dict(zip(recordings, self.files))
        by_stem = {p.stem: p for p in self.files}
        return {a: by_stem[a.stem] for a in recordings if a.stem in by_stem}

    def names_for(self, recordings: dict[Path, int] | list[Path]) -> set[str]:
        """The species named by the labels that go with ``recordings`` (a BirdCLEF table's
        every name: it covers many recordings)."""
        return self._named(set(self.pairs(recordings).values()))

    def _named(self, files: Iterable[Path]) -> set[str]:
        """The species named in ``files`` (of :attr:`files`) and in the BirdCLEF tables."""
        named = {note.label for path in files for note in self.files[path]}
        return named | {s for windows in self.birdclef.values() for w in windows for s in w}

    def unused(self, recordings: dict[Path, int] | list[Path]) -> list[Path]:
        """The label files that go with none of ``recordings`` (see :meth:`pairs`)."""
        used = set(self.pairs(recordings).values())
        return [p for p in self.files if p not in used]

    def truth(
        self, recordings: dict[Path, int], *, window: float = 5.0
    ) -> dict[Path, list[list[str]]]:
        """The species in each window of the recordings the labels cover; ``recordings`` maps
        each audio file to its number of windows (those no label covers are left out)."""
        if self.birdclef and window != 5.0:
            raise CastlabError(
                f"BirdCLEF labels are per 5-s window, not {window:g} s", fix="score 5-s windows"
            )
        out: dict[Path, list[list[str]]] = {}
        for audio, count in recordings.items():
            audio_id = audio.stem if audio.stem in self.birdclef else audio.stem.split("_", 1)[0]
            if audio_id in self.birdclef:
                windows = self.birdclef[audio_id][:count]
                out[audio] = windows + [[] for _ in range(count - len(windows))]
        for audio, path in self.pairs(recordings).items():
            out[audio] = window_labels(
                self.files[path], duration=recordings[audio] * window, window=window
            )
        return out
