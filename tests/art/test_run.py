"""paint(): outputs, reproducibility with a seed, Ctrl-C keeps the best frame, config round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from castlab.art.run import ArtConfig, load_config, paint, parse_palette
from castlab.core.artifacts import OUTPUTS_RECORD
from castlab.core.errors import CastlabError

TINY = {"target": "sample:china", "size": 32, "steps": 20, "frames": 5}


def test_outputs_and_summary(tmp_path):
    config = ArtConfig(param="pixels", goals=(("mse", 1.0), ("tv", 0.01)), lr=0.1, **TINY)
    result = paint(config, tmp_path)
    names = {p.name for p in tmp_path.iterdir()}
    assert {
        "image.png",
        "frames.gif",
        "loss.png",
        "history.csv",
        "config.json",
        "summary.json",
    } <= names
    assert Image.open(tmp_path / "frames.gif").n_frames == 6  # steps 1, 4, 8, 12, 16, 20
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["steps_done"] == 20 and summary["stopped"] is None
    assert summary["psnr"] > 15 and 0 < summary["ssim"] <= 1
    assert Image.open(tmp_path / "image.png").size == (32, 32)
    assert result.summary == summary


def test_same_seed_same_image_other_seed_other_image(tmp_path):
    config = ArtConfig(param="strokes", strokes=8, goals=(("mse", 1.0),), **TINY)
    first = paint(config, tmp_path / "a").optimisation.best_array
    again = paint(config, tmp_path / "b").optimisation.best_array
    other = paint(
        ArtConfig(**{**config.__dict__, "seed": 1}), tmp_path / "c"
    ).optimisation.best_array
    assert np.array_equal(first, again) and not np.array_equal(first, other)


def test_config_json_repeats_the_run(tmp_path):
    config = ArtConfig(
        param="palette", palette=("#000000", "#ffffff"), goals=(("mse", 1.0),), **TINY
    )
    paint(config, tmp_path / "a")
    assert load_config(tmp_path / "a" / "config.json") == config


@pytest.mark.parametrize("stop", [KeyboardInterrupt, RuntimeError])
def test_stopping_keeps_the_best_frame_so_far(tmp_path, stop):
    def stop_at_12(state):
        if state.step == 12:
            raise stop("stop")

    config = ArtConfig(param="pixels", goals=(("mse", 1.0),), lr=0.1, **TINY)
    with pytest.raises(stop):
        paint(config, tmp_path, callback=stop_at_12)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["stopped"] == stop.__name__ and summary["steps_done"] == 12
    assert summary["best_step"] <= 12
    assert (tmp_path / "image.png").exists() and (tmp_path / "frames.gif").exists()
    temporary = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert not temporary and (tmp_path / OUTPUTS_RECORD).exists()  # what the run wrote


def test_a_rerun_without_an_mp4_leaves_none_of_the_run_before(tmp_path, monkeypatch):
    """A rerun into the same folder where ffmpeg is missing said "no MP4" but left the
    earlier run's frames.mp4 beside its new frames; a user's own file stays."""
    config = ArtConfig(param="pixels", goals=(("mse", 1.0),), lr=0.1, **TINY)
    (tmp_path / "frames.mp4").write_bytes(b"an earlier run's video")
    (tmp_path / "notes.txt").write_text("mine")
    monkeypatch.setattr("castlab.art.media.write_mp4", lambda frames, path, report: path)
    paint(config, tmp_path)  # as if it wrote frames.mp4
    monkeypatch.setattr("castlab.art.media.write_mp4", lambda frames, path, report: None)
    paint(config, tmp_path)  # no ffmpeg now
    assert not (tmp_path / "frames.mp4").exists()
    assert (tmp_path / "notes.txt").read_text() == "mine" and (tmp_path / "image.png").exists()


def test_style_transfer_from_the_content_image(tmp_path):
    config = ArtConfig(
        param="pixels", goals=(("content", 1.0), ("style", 5.0)), content="sample:china",
        style="sample:flower", init="content", size=32, steps=15, frames=3,
    )  # fmt: skip
    run = paint(config, tmp_path).optimisation
    assert run.history_[-1]["style"] < run.history_[0]["style"]


def test_palette_goal_from_target_colours(tmp_path):
    config = ArtConfig(
        param="pixels", goals=(("mse", 1.0), ("palette", 1.0)), palette_size=4, **TINY
    )
    assert "palette" in paint(config, tmp_path).optimisation.history_[0]


@pytest.mark.parametrize(
    "changes,message",
    [
        (
            {"goals": (("style", 1.0),)},
            r"goal style needs a style image \(fix: pass --style IMAGE\)",
        ),
        ({"goals": (("clip", 1.0),)}, "needs --prompt and --clip-model"),
        ({"size": 4000}, "--size 4000"),
        ({"param": "oil"}, "unknown parameterisation"),
        ({"init": "content"}, "--init content needs --content"),
        ({"palette": ("#12345",), "param": "palette"}, "not a hex colour"),
        ({"goals": (("palette", 1.0),), "palette_size": 0}, "a palette needs at least 2 colours"),
    ],
)
def test_bad_configs_fail_before_any_step(tmp_path, changes, message):
    config = ArtConfig(**{**ArtConfig(**TINY).__dict__, **changes})
    with pytest.raises(CastlabError, match=message):
        paint(config, tmp_path)
    assert not (tmp_path / "summary.json").exists()


def test_load_config_refuses_other_json(tmp_path):
    (tmp_path / "x.json").write_text('{"epochs": 3}')
    with pytest.raises(CastlabError, match="unknown keys"):
        load_config(tmp_path / "x.json")
    # values of the wrong kind were tracebacks
    (tmp_path / "g.json").write_text('{"goals": [["mse", "x"]]}')
    with pytest.raises(CastlabError, match="not an art config"):
        load_config(tmp_path / "g.json")
    (tmp_path / "s.json").write_text('{"steps": "x"}')
    with pytest.raises(CastlabError, match="steps is 'x', not a number"):
        load_config(tmp_path / "s.json")
    assert parse_palette(["ffffff"]).tolist() == [[1.0, 1.0, 1.0]]
