"""GIF and MP4 writing; without ffmpeg the MP4 is skipped with a message."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from castlab.art import media


def _frames(n=4, size=15):
    return [np.full((size, size, 3), 40 * i, np.uint8) for i in range(n)]


def test_gif_has_every_frame_and_loops(tmp_path):
    path = media.write_gif(_frames(), tmp_path / "a.gif")
    gif = Image.open(path)
    assert gif.n_frames == 4 and gif.info.get("loop") == 0


def test_no_frames_is_an_error(tmp_path):
    with pytest.raises(ValueError):
        media.write_gif([], tmp_path / "a.gif")


def test_without_ffmpeg_mp4_is_skipped_with_a_message(tmp_path, monkeypatch):
    monkeypatch.setattr(media, "ffmpeg_path", lambda: None)
    notes: list[str] = []
    assert media.write_mp4(_frames(), tmp_path / "a.mp4", report=notes.append) is None
    assert "ffmpeg not found" in notes[0] and not (tmp_path / "a.mp4").exists()


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
def test_mp4_with_odd_sides_plays(tmp_path):
    path = media.write_mp4(_frames(size=15), tmp_path / "a.mp4", fps=4)
    assert path is not None and path.stat().st_size > 0
    if shutil.which("ffprobe"):
        probe = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height",
             "-of", "csv=p=0", str(path)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert probe.stdout.strip() == "h264,16,16"
    assert [p.name for p in tmp_path.iterdir()] == ["a.mp4"]
