"""Frames to animations: a GIF with Pillow, an MP4 through the ``ffmpeg`` program if present.

Both are written atomically. Without ffmpeg on the PATH :func:`write_mp4` returns ``None``
and says so through ``report``; nothing else depends on it.

Examples
--------
>>> import tempfile, pathlib, numpy as np
>>> frames = [np.full((16, 16, 3), v, np.uint8) for v in (0, 128, 255)]
>>> path = write_gif(frames, pathlib.Path(tempfile.mkdtemp()) / "a.gif")
>>> from PIL import Image
>>> Image.open(path).n_frames
3
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from castlab.core.artifacts import atomic_write

__all__ = ["ffmpeg_path", "write_gif", "write_mp4"]


def write_gif(
    frames: Sequence[np.ndarray], path: str | Path, *, duration_ms: int = 80, hold_ms: int = 1000
) -> Path:
    """Write uint8 ``(H, W, 3)`` frames as a looping GIF; the last frame is held longer."""
    from PIL import Image

    if not frames:
        raise ValueError("no frames to write")
    pictures = [Image.fromarray(frame) for frame in frames]
    durations = [duration_ms] * (len(pictures) - 1) + [hold_ms]
    with atomic_write(path, "wb") as handle:
        pictures[0].save(
            handle,
            format="GIF",
            save_all=True,
            append_images=pictures[1:],
            duration=durations,
            loop=0,
            optimize=False,
        )
    return Path(path)


def ffmpeg_path() -> str | None:
    """The ``ffmpeg`` program on the PATH, or ``None``."""
    return shutil.which("ffmpeg")


def write_mp4(
    frames: Sequence[np.ndarray],
    path: str | Path,
    *,
    fps: int = 12,
    report: Callable[[str], None] | None = None,
) -> Path | None:
    """Write frames as an H.264 MP4 (yuv420p, plays everywhere); ``None`` without ffmpeg
    (or when ffmpeg fails), said through ``report``.

    Frames are padded to even sides (H.264 needs them) by repeating the edge.
    """
    ffmpeg = ffmpeg_path()
    if ffmpeg is None:
        if report:
            report("ffmpeg not found: MP4 skipped (the GIF has the same frames)")
        return None
    if not frames:
        raise ValueError("no frames to write")
    height, width = frames[0].shape[:2]
    even = [np.pad(f, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge") for f in frames]
    h, w = even[0].shape[:2]
    data = b"".join(np.ascontiguousarray(f, dtype=np.uint8).tobytes() for f in even)
    data += even[-1].tobytes() * fps  # hold the result for a second
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp.mp4")  # ffmpeg seeks in it: a real file
    command = [
        ffmpeg, "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
        "-s", f"{w}x{h}", "-r", str(fps), "-i", "-", "-c:v", "libx264",
        "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(temporary),
    ]  # fmt: skip
    try:
        result = subprocess.run(command, input=data, capture_output=True, check=False)
        if result.returncode != 0:
            message = result.stderr.decode(errors="replace").strip().splitlines()
            if report:
                report(
                    f"ffmpeg failed ({message[-1] if message else result.returncode}): MP4 skipped"
                )
            return None
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return Path(path)
