"""The selfsup commands end to end on a tiny generated tree."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from castlab.cli import app

RUNNER = CliRunner()
FAST = ["--size", "16", "--epochs", "1", "--batch-size", "8", "--threads", "1"]


def _ok(args):
    result = RUNNER.invoke(app, ["selfsup", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_generate_pretrain_finetune_probe_embed_show_classify(tmp_path):
    data = tmp_path / "data"
    _ok(
        [
            "generate",
            str(data),
            "--per-class",
            "3",
            "--unlabelled",
            "8",
            "--classes",
            "2",
            "--size",
            "16",
        ]
    )
    run = tmp_path / "gb"
    out = _ok(
        ["pretrain", str(data), "--task", "inpaint", "--widths", "4,8", *FAST, "--out", str(run)]
    )
    assert "encoder written to" in out
    encoder = run / "encoder"
    out = _ok(
        ["finetune", str(data), "--encoder", str(encoder), *FAST, "--out", str(tmp_path / "ft")]
    )
    assert "val accuracy per epoch" in out
    assert "linear probe val accuracy" in _ok(
        ["probe", str(data), "--encoder", str(encoder), "--size", "16"]
    )
    _ok(
        [
            "embed",
            str(data),
            "--encoder",
            str(encoder),
            "--size",
            "16",
            "--out",
            str(tmp_path / "f.csv"),
        ]
    )
    assert (tmp_path / "f.csv").read_text().count("\n") == 3 * 2 * 2 + 8 + 1
    _ok(["show", str(data), "--run", str(run), "--size", "16", "--out", str(tmp_path / "g.png")])
    assert (tmp_path / "g.png").exists()
    image = next((data / "val").rglob("*.png"))
    out = _ok(["classify", str(tmp_path / "ft" / "model"), str(image)])
    assert out.split("\t")[1] in ("circle", "square")
    # one unreadable file among several: the others are still classified, the bad one is
    # named, and the exit code says not all went well
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    result = RUNNER.invoke(
        app, ["selfsup", "classify", str(tmp_path / "ft" / "model"), str(image), str(broken)]
    )
    assert result.exit_code == 2
    assert result.stdout.startswith(f"{image}\t") and result.stdout.count("\n") == 1
    assert f"error: {broken}: cannot decode image" in result.stderr
    config = json.loads((run / "config.json").read_text())
    assert config["pretrain"]["task"] == "inpaint"


def test_user_errors_exit_2(tmp_path):
    result = RUNNER.invoke(app, ["selfsup", "pretrain", str(tmp_path / "nope"), "--task", "x"])
    assert result.exit_code != 0 and "unknown pretext task" in str(result.exception)
    result = RUNNER.invoke(app, ["selfsup", "finetune", str(tmp_path / "nope")])
    assert "no such file or folder" in str(result.exception)


def test_a_corrupt_file_is_skipped_and_reported(tmp_path):
    data = tmp_path / "data"
    _ok(
        [
            "generate",
            str(data),
            "--per-class",
            "2",
            "--unlabelled",
            "2",
            "--classes",
            "2",
            "--size",
            "16",
        ]
    )
    (data / "unsup" / "broken.jpg").write_bytes(b"not an image")
    result = RUNNER.invoke(
        app, ["selfsup", "show", str(data), "--size", "16", "--out", str(tmp_path / "g.png")]
    )
    assert result.exit_code == 0, result.output
    assert "skipped 1 file(s)" in result.output and "broken.jpg" in result.output


def test_generate_refuses_a_folder_with_a_tree_and_counts_that_make_nothing(tmp_path):
    from typer.testing import CliRunner

    from castlab.cli import app
    from castlab.core.errors import CastlabError

    def generate(*args):
        return CliRunner().invoke(app, ["selfsup", "generate", str(tmp_path / "g"), *args])

    assert (
        generate(
            "--classes", "2", "--per-class", "1", "--unlabelled", "0", "--size", "16"
        ).exit_code
        == 0
    )
    again = generate("--classes", "3", "--size", "32")  # would mix 16- and 32-px trees
    assert isinstance(again.exception, CastlabError)
    assert "already holds a train/ folder with images in it" in str(again.exception)
    assert sorted(p.name for p in (tmp_path / "g" / "train").iterdir()) == ["circle", "square"]
    for option, value in (("--per-class", "0"), ("--unlabelled", "-5"), ("--size", "0")):
        result = CliRunner().invoke(
            app, ["selfsup", "generate", str(tmp_path / f"x{value}"), option, value]
        )
        assert isinstance(result.exception, CastlabError), result.output
        assert f"{option} {value}: cannot be below" in str(result.exception)
        assert not (tmp_path / f"x{value}").exists()


def test_show_refuses_a_count_below_one(tmp_path):
    from typer.testing import CliRunner

    from castlab.cli import app
    from castlab.core.errors import CastlabError

    result = CliRunner().invoke(app, ["selfsup", "show", str(tmp_path), "--count", "0"])
    assert isinstance(result.exception, CastlabError) and "--count 0" in str(result.exception)
