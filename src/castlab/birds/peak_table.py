"""``peaks.csv`` for a whole collection, resumable: one atomic append per finished file.

Rows: ``file, species, rank, time, snr, note``. ``file`` is relative to the folder. A file
that yields no peak (silence) or cannot be decoded gets one row with ``rank`` 0 and the
reason in ``note``, so a rerun skips it too. A crash mid-write can leave at most one
partial line, which the next run cuts off before appending. The settings that made the rows
(count, minimum gap, PCEN, sample rate) are kept beside it in ``<out>.json``; a rerun with other
settings is refused rather than mixing two kinds of rows in one table.

Examples
--------
>>> import tempfile, pathlib
>>> from castlab.birds.synthetic import write_species_folders
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> _ = write_species_folders(root / "calls", n_species=2, per_species=1, seconds=6.0)
>>> table = write_peak_table(root / "calls", root / "peaks.csv", count=3, progress=False)
>>> table.files_done, table.files_skipped
(2, 0)
>>> write_peak_table(root / "calls", root / "peaks.csv", count=3, progress=False).files_skipped
2
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from castlab.birds.audio import SAMPLE_RATE, audio_files
from castlab.birds.peaks import PcenConfig, check_peak_settings, find_peaks, recording_snr_curve
from castlab.core.artifacts import read_json, write_json
from castlab.core.errors import CastlabError

__all__ = ["COLUMNS", "PeakTable", "read_peak_table", "settings_path", "write_peak_table"]

COLUMNS = ["file", "species", "rank", "time", "snr", "note"]


@dataclass(frozen=True)
class PeakTable:
    """What one run of :func:`write_peak_table` did."""

    path: Path
    files_done: int  # newly processed in this run
    files_skipped: int  # already in the CSV from an earlier run
    files_failed: int  # could not be decoded (rank-0 row with the reason)
    unreadable: tuple[tuple[str, str], ...] = ()  # (file, reason) of this run's failures


def _repair_and_read_done(path: Path) -> set[str]:
    """Cut a partial last line (a crash mid-append) and return the files already done.

    The header is checked first: a file that is not a castlab peaks CSV is refused as it is,
    never cut.
    """
    if not path.exists() or path.stat().st_size == 0:
        return set()
    data = path.read_bytes()
    first = data.split(b"\n", 1)[0]
    try:
        header = next(csv.reader([first.decode("utf-8")]), None)
    except UnicodeDecodeError:
        header = None
    if header != COLUMNS:
        shown = f"header {header}" if header is not None else "not UTF-8 text"
        raise CastlabError(
            f"exists but is not a castlab peaks CSV ({shown})",
            path=path,
            line=1,
            fix="choose another --out or delete the file",
        )
    if not data.endswith(b"\n"):
        keep = data.rfind(b"\n") + 1
        with path.open("r+b") as handle:
            handle.truncate(keep)
        data = data[:keep]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CastlabError(
            "is not UTF-8 text", path=path, line=line, fix="choose another --out or delete the file"
        ) from None
    reader = csv.reader(io.StringIO(text))
    next(reader, None)
    return {row[0] for row in reader if row}


def _append(path: Path, rows: list[list[object]]) -> None:
    """Append all rows of one file in a single write, then fsync."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        os.write(fd, buffer.getvalue().encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def settings_path(out: str | Path) -> Path:
    """Where the settings of the peaks CSV ``out`` are kept.

    Examples
    --------
    >>> settings_path("runs/peaks.csv").as_posix()
    'runs/peaks.csv.json'
    """
    out = Path(out)
    return out.with_name(out.name + ".json")


def _check_same_settings(out: Path, settings: dict) -> None:
    """Refuse to append to ``out`` rows made with other settings than its earlier rows."""
    before = read_json(settings_path(out))
    changed = [
        f"{name} {before.get(name)!r} -> {value!r}"
        for name, value in settings.items()
        if before.get(name) != value
    ]
    if changed:
        flags = f"--count {before.get('count')} --min-gap {before.get('min_gap')}"
        raise CastlabError(
            f"holds peaks found with other settings ({'; '.join(changed)}); "
            "resuming would mix the two in one table",
            path=out,
            fix=f"rerun with {flags}, or choose another --out",
        )


def write_peak_table(
    folder: str | Path,
    out: str | Path,
    *,
    count: int = 20,
    min_gap: float = 1.0,
    config: PcenConfig = PcenConfig(),
    sample_rate: int = SAMPLE_RATE,
    progress: bool = True,
) -> PeakTable:
    """Find the ``count`` strongest PCEN-SNR peaks of every audio file under ``folder``.

    Resumable: files already in ``out`` are skipped; a rerun with other settings than the
    rows in ``out`` were found with is refused (:func:`settings_path` keeps them). The
    species is the file's parent folder (empty for files directly in ``folder``; for one
    file, the folder it is in).
    """
    check_peak_settings(count, min_gap)
    folder, out = Path(folder), Path(out)
    files = audio_files(folder)
    root = folder if folder.is_dir() else folder.parent
    done = _repair_and_read_done(out)
    settings = {
        "count": count,
        "min_gap": min_gap,
        "sample_rate": sample_rate,
        "pcen": asdict(config),
    }
    started = out.exists() and out.stat().st_size > 0
    if started and settings_path(out).exists():
        _check_same_settings(out, settings)
    else:  # a new table (settings first, so its rows never lack them), or one castlab wrote
        out.parent.mkdir(parents=True, exist_ok=True)  # before it kept them: taken as it is
        write_json(settings_path(out), settings)
        if not started:
            _append(out, [COLUMNS])
    todo = [p for p in files if p.relative_to(root).as_posix() not in done]
    unreadable: list[tuple[str, str]] = []
    from tqdm import tqdm

    for path in tqdm(todo, desc="peaks", unit="file", disable=not progress):
        name = path.relative_to(root).as_posix()
        species = path.parent.name if path.parent != root or not folder.is_dir() else ""
        try:  # a recording longer than audio.STREAM_SECONDS is read a block at a time
            times, snr = recording_snr_curve(path, sample_rate=sample_rate, config=config)
        except CastlabError as error:
            unreadable.append((name, error.message))
            _append(out, [[name, species, 0, "", "", f"error: {error.message}"]])
            continue
        peaks = find_peaks(times, snr, count=count, min_gap=min_gap)
        if not peaks:
            _append(out, [[name, species, 0, "", "", "no peaks (silent?)"]])
            continue
        _append(
            out,
            [
                [name, species, k, f"{p.time:.3f}", f"{p.snr:.4f}", ""]
                for k, p in enumerate(peaks, 1)
            ],
        )
    failed = len(unreadable)
    return PeakTable(out, len(todo) - failed, len(files) - len(todo), failed, tuple(unreadable))


def read_peak_table(path: str | Path):  # type: ignore[no-untyped-def]
    """The peaks CSV as a pandas DataFrame of real peaks only (rank >= 1)."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise CastlabError("peaks CSV not found", path=path, fix="run castlab birds peaks first")
    frame = pd.read_csv(path, dtype={"file": str, "species": str, "note": str})
    if list(frame.columns) != COLUMNS:
        raise CastlabError("not a castlab peaks CSV", path=path, line=1)
    return frame[frame["rank"] >= 1].reset_index(drop=True)
