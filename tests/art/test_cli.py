"""The art commands: thin, with examples; outputs written; user errors one line, exit 2."""

from __future__ import annotations

import json
import subprocess
import sys

import typer
from typer.testing import CliRunner

from castlab.art.cli import app
from tests.signals import default_sigint


def test_every_command_has_an_example():
    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        assert f"Example: castlab art {name}" in command.help


def test_paint_writes_outputs_and_repeat_repeats(tmp_path):
    runner = CliRunner()
    out = tmp_path / "run"
    args = ["paint", "--target", "sample:flower", "--param", "pixels", "--goal", "mse=1",
            "--goal", "tv=0.01", "--size", "32", "--steps", "12", "--lr", "0.1", "--threads", "1",
            "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "PSNR" in result.output and f"written to {out}" in result.output
    assert "frames to frames.gif and frames.mp4" in result.output  # said before the slow part
    config = json.loads((out / "config.json").read_text())
    assert config["goals"] == [["mse", 1.0], ["tv", 0.01]] and config["lr"] == 0.1
    again = tmp_path / "again"
    result = runner.invoke(
        app, ["repeat", str(out / "config.json"), "--out", str(again), "--threads", "1"]
    )
    assert result.exit_code == 0, result.output
    assert (again / "image.png").read_bytes() == (out / "image.png").read_bytes()
    # a refused setting leaves the run folder as it was: its config still repeats its image
    before = (out / "config.json").read_bytes()
    refused = runner.invoke(app, [*args[:-4], "--lr", "-1", "--threads", "1", "--out", str(out)])
    assert refused.exit_code != 0 and "learning rate" in str(refused.exception)
    assert (out / "config.json").read_bytes() == before


def test_style_command(tmp_path):
    result = CliRunner().invoke(
        app,
        ["style", "--content", "sample:china", "--style", "sample:flower", "--size", "32",
         "--steps", "5", "--threads", "1", "--out", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["init"] == "content" and [g[0] for g in config["goals"]] == ["content", "style"]


def test_bad_image_is_one_line_and_exit_code_2(tmp_path):
    bad = tmp_path / "photo.png"
    bad.write_text("not an image")
    result = subprocess.run(
        [sys.executable, "-m", "castlab", "art", "paint", "--target", str(bad), "--size", "32",
         "--steps", "2", "--out", str(tmp_path / "out")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "not an image Pillow can read" in lines[0], result.stderr


def test_an_image_name_as_out_is_refused_before_painting(tmp_path):
    from castlab.core.errors import CastlabError

    out = tmp_path / "result.png"
    args = ["paint", "--target", "sample:china", "--steps", "2", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, CastlabError) and "run's folder" in str(result.exception)
    assert not out.exists()


def test_ctrl_c_keeps_the_best_frame(tmp_path):
    import signal
    import time

    out = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "castlab", "art", "paint", "--target", "sample:flower",
         "--param", "pixels", "--size", "32", "--steps", "1000000", "--frames", "100000",
         "--threads", "1", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not (out / "image.png").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stopped"] == "KeyboardInterrupt" and summary["steps_done"] >= 1
    from PIL import Image

    assert Image.open(out / "image.png").size == (32, 32)
    assert Image.open(out / "frames.gif").n_frames >= 1
