"""The stretches of a training recording that its clips can come from, kept instead of the whole.

CNN training cuts every clip from the audio again each epoch (a random shift each time), so
the audio must stay at hand. A whole folder decoded at 32 kHz takes 128 kB per second of
recording: 2,000 one-minute recordings are 15 GB. Only the stretches around the clips are
needed (a clip's length plus the largest shift either way), so :class:`Excerpts` keeps just
those and answers slices in the recording's own sample numbers, as the whole array would.
:class:`ExcerptStore` writes every recording's stretches into one float32 file (``audio.f32``)
and maps it back from disk, so memory holds only what the operating system caches.

Examples
--------
>>> import numpy as np
>>> audio = np.arange(100, dtype=np.float32)
>>> kept = Excerpts.cut(audio, [(10, 20), (15, 30), (60, 70)])
>>> len(kept), [(start, len(piece)) for start, piece in zip(kept.starts, kept.pieces)]
(100, [(10, 20), (60, 10)])
>>> kept[12:16].tolist()
[12.0, 13.0, 14.0, 15.0]
>>> kept[25:65]
Traceback (most recent call last):
...
IndexError: samples 25:65 lie outside the kept stretches (10:30, 60:70)
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from castlab.core.artifacts import atomic_write, write_json

__all__ = ["ExcerptStore", "Excerpts", "clip_interval", "merge_intervals"]


def merge_intervals(intervals: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping ``(start, end)`` covering the same samples (touching ones join).

    Examples
    --------
    >>> merge_intervals([(5, 9), (0, 3), (3, 4), (8, 12)])
    [(0, 4), (5, 12)]
    """
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def clip_interval(
    center: float, *, seconds: float, max_shift: float, sample_rate: int, length: int
) -> tuple[int, int]:
    """The samples any clip of ``seconds`` centred within ``max_shift`` s of ``center`` can
    touch (as :func:`castlab.birds.features.cut_clip` cuts it), a sample's rounding either
    way included, inside ``0..length``.

    Examples
    --------
    >>> clip_interval(2.0, seconds=1.0, max_shift=0.5, sample_rate=10, length=100)
    (9, 31)
    """
    size = int(round(seconds * sample_rate))
    reach = int(np.ceil(max_shift * sample_rate)) + 1
    start = int(round(center * sample_rate)) - size // 2
    return max(0, start - reach), min(length, start + size + reach)


class Excerpts:
    """A recording of ``length`` samples of which only ``pieces`` (starting at ``starts``)
    are kept; ``excerpts[lo:hi]`` gives those samples when they lie inside one piece."""

    def __init__(self, length: int, starts: Sequence[int], pieces: Sequence[np.ndarray]) -> None:
        self.length = int(length)
        self.starts = [int(s) for s in starts]
        self.pieces = list(pieces)

    @classmethod
    def cut(cls, audio: np.ndarray, intervals: Sequence[tuple[int, int]]) -> Excerpts:
        """Copies of ``audio``'s merged ``intervals``: the whole array can then be freed."""
        merged = merge_intervals(intervals)
        pieces = [np.array(audio[start:end], dtype=np.float32) for start, end in merged]
        return cls(len(audio), [start for start, _ in merged], pieces)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, key: slice) -> np.ndarray:
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("Excerpts are read by contiguous slices, as cut_clip reads audio")
        lo, hi, _ = key.indices(self.length)
        hi = max(lo, hi)
        for start, piece in zip(self.starts, self.pieces):
            if start <= lo and hi <= start + len(piece):
                return piece[lo - start : hi - start]
        kept = ", ".join(f"{s}:{s + len(p)}" for s, p in zip(self.starts, self.pieces))
        raise IndexError(f"samples {lo}:{hi} lie outside the kept stretches ({kept})")

    @property
    def kept_samples(self) -> int:
        """How many samples the pieces hold together."""
        return sum(len(piece) for piece in self.pieces)


class ExcerptStore:
    """Every recording's :class:`Excerpts` in one float32 file under ``folder``, with an
    ``index.json`` that says what made them (``key``) and where each piece lies.

    Write with :meth:`save`; :meth:`load` maps the file back read-only when the index's key
    equals the one asked for (the same recordings, unchanged, and the same settings), else
    gives ``None``. Both files are written atomically, the audio first.

    Examples
    --------
    >>> import tempfile
    >>> store = ExcerptStore(Path(tempfile.mkdtemp()))
    >>> kept = [Excerpts.cut(np.arange(50, dtype=np.float32), [(5, 10)])]
    >>> store.save(kept, key={"files": ["a.wav"]}, extra=lambda: {"items": []})
    >>> back, extra = store.load(key={"files": ["a.wav"]})
    >>> back[0][6:8].tolist(), extra
    ([6.0, 7.0], {'items': []})
    >>> store.load(key={"files": ["b.wav"]}) is None
    True
    """

    AUDIO = "audio.f32"
    INDEX = "index.json"

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def save(
        self,
        excerpts: Iterable[Excerpts],
        *,
        key: dict,
        extra: Callable[[], dict] | None = None,
    ) -> None:
        """Write the pieces of ``excerpts`` as they come (an iterable: a generator keeps one
        recording in memory at a time), then the index: ``key``, the layout and ``extra()``
        (called after the last recording)."""
        layout, offset = [], 0
        with atomic_write(self.folder / self.AUDIO, "wb") as handle:
            for kept in excerpts:
                pieces = []
                for start, piece in zip(kept.starts, kept.pieces):
                    handle.write(np.ascontiguousarray(piece, dtype=np.float32).tobytes())
                    pieces.append([start, offset, len(piece)])
                    offset += len(piece)
                layout.append({"length": kept.length, "pieces": pieces})
        index = {"key": key, "layout": layout, **(extra() if extra else {})}
        write_json(self.folder / self.INDEX, index)

    def remove(self) -> None:
        """Delete the store's two files, and its folder if nothing else is in it (a folder a
        user keeps other files in stays, with them)."""
        for name in (self.AUDIO, self.INDEX):
            (self.folder / name).unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # not empty, or already gone
            self.folder.rmdir()

    def load(self, *, key: dict) -> tuple[list[Excerpts], dict[str, Any]] | None:
        """The stored excerpts (mapped from disk) and the index's other fields, or ``None``."""
        try:
            index = json.loads((self.folder / self.INDEX).read_text())
            size = (self.folder / self.AUDIO).stat().st_size // 4
        except (OSError, ValueError):
            return None
        if index.get("key") != json.loads(json.dumps(key)):
            return None
        needed = sum(n for entry in index["layout"] for _, _, n in entry["pieces"])
        if needed != size:
            return None
        audio = (
            np.memmap(self.folder / self.AUDIO, dtype=np.float32, mode="r")
            if size
            else np.zeros(0, np.float32)
        )
        excerpts = [
            Excerpts(
                entry["length"],
                [start for start, _, _ in entry["pieces"]],
                [audio[offset : offset + n] for _, offset, n in entry["pieces"]],
            )
            for entry in index["layout"]
        ]
        extra = {k: v for k, v in index.items() if k not in ("key", "layout")}
        return excerpts, extra
