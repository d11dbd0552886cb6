import shutil

import pytest
from typer.testing import CliRunner

from castlab.cli import app
from castlab.core.errors import CastlabError

runner = CliRunner()


def test_generate_writes_playable_files(tmp_path):
    result = runner.invoke(
        app,
        [
            "tunes",
            "generate",
            "--prompt",
            "|:G",
            "--type",
            "jig",
            "--meter",
            "6/8",
            "--key",
            "G",
            "--count",
            "2",
            "--seed",
            "5",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("X:") == 2 and "R:jig" in result.output
    assert (tmp_path / "tune-5.abc").exists() and (tmp_path / "tune-6.mid").exists()
    assert (tmp_path / "tune-5.wav").stat().st_size > 10000
    if shutil.which("abcm2ps"):
        assert (tmp_path / "tune-5.svg").exists()
    # a rerun into the folder keeps the earlier tunes (one may be liked) but says so
    again = ["tunes", "generate", "--type", "reel", "--seed", "6", "--out", str(tmp_path)]
    result = runner.invoke(app, again)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "tune-5.abc").exists()
    assert "also holds 1 tune(s) of earlier runs (tune-5.abc), kept as they are" in result.stderr


def test_generate_is_reproducible_with_a_seed():
    args = ["tunes", "generate", "--type", "reel", "--seed", "3"]
    assert runner.invoke(app, args).output == runner.invoke(app, args).output


def test_unconstrained_generation_like_the_blog():
    result = runner.invoke(
        app,
        [
            "tunes",
            "generate",
            "--prompt",
            "|:G",
            "--length",
            "100",
            "--temperature",
            "0.7",
            "--unconstrained",
            "--meter",
            "6/8",
            "--key",
            "G",
            "--type",
            "jig",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "|:G" in result.output


def test_generate_a_plain_hornpipe_guided_away_from_a_reel():
    args = ["--type", "hornpipe", "--meter", "2/2", "--dotting", "plain", "--guidance", "2"]
    args += ["--triplet-temperature", "1"]  # triplets at the model's own rate (TokenTemperature)
    args += ["--dotted-temperature", "0.9"]  # and dotted pairs at theirs
    result = runner.invoke(app, ["tunes", "generate", *args, "--guidance-against", "reel"])
    assert result.exit_code == 0, result.output
    assert "R:hornpipe\nM:2/2\nN:plain\n" in result.output


@pytest.mark.parametrize(
    "args,message",
    [
        (["--key", "H#"], "not a key"),
        (["--instrument", "banjo"], "unknown instrument"),
        (["--count", "0"], "count must be at least 1"),
        (["--dotting", "swung"], "unknown dotting"),
        (["--triplet-temperature", "0"], "triplet temperature must be > 0"),
        (["--dotted-temperature", "0"], "dotted temperature must be > 0"),
        (["--triplet-temperature", "nan"], "triplet temperature must be > 0"),
        (["--type", "jig", "--guidance", "nan"], "guidance nan must be a number >= 0"),
        (["--type", "jig", "--guidance-against", "reel"], "needs guidance (none is stored"),
        (["--guidance-against", "reel"], "needs guidance towards a --type"),
        (["--type", "hornpipe", "--guidance", "2", "--guidance-against", "polka"], "'polka' never"),
    ],
)
def test_bad_options_exit_2(args, message):
    from castlab.core.errors import CastlabError

    result = runner.invoke(app, ["tunes", "generate", *args])
    assert isinstance(result.exception, CastlabError) and message in str(result.exception)


def test_generate_refuses_a_file_as_out_before_sampling(tmp_path):
    from castlab.core.errors import CastlabError

    (tmp_path / "afile").write_text("mine")
    result = runner.invoke(app, ["tunes", "generate", "--out", str(tmp_path / "afile")])
    assert isinstance(result.exception, CastlabError)
    assert "a folder is needed" in str(result.exception) and "X:" not in result.output


def test_train_then_resume_then_evaluate(tmp_path):
    run = tmp_path / "run"
    common = [
        "--corpus",
        "oneills",
        "--out",
        str(run),
        "--dim",
        "16",
        "--hidden",
        "16",
        "--layers",
        "1",
        "--seq-len",
        "32",
        "--batch-size",
        "64",
        "--max-steps",
        "4",
    ]
    result = runner.invoke(app, ["tunes", "train", *common])
    assert result.exit_code == 0, result.output
    assert "model saved" in result.output
    # O'Neill's has 3 malformed tunes; the console names them, not only config.json
    assert "skipped 3 malformed tune(s); first: " in result.output and "X:906" in result.output
    model = (run / "model" / "model.safetensors").read_bytes()
    resumed = runner.invoke(app, ["tunes", "train", "--out", str(run), "--resume"])
    # already finished: nothing to resume, and the model is untouched
    assert isinstance(resumed.exception, CastlabError), resumed.output
    assert "already finished" in str(resumed.exception)
    assert (run / "model" / "model.safetensors").read_bytes() == model
    result = runner.invoke(
        app,
        [
            "tunes",
            "evaluate",
            "--model",
            str(run / "model"),
            "--count",
            "2",
            "--out",
            str(tmp_path / "eval.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "held_out: accuracy=" in result.output and "aabb_share=1" in result.output


def test_a_corpus_file_is_recorded_by_absolute_path(tmp_path, monkeypatch):
    from castlab.tunes.cli import _corpus_sources

    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.abc").write_text("X:1\n")
    # evaluate, run from another folder, must find the file the model learnt from
    assert _corpus_sources(["mine.abc", "oneills"]) == (str(tmp_path / "mine.abc"), "oneills")
    assert _corpus_sources(None) == ("oneills", "ryans", "airds")


def test_evaluate_refuses_an_out_it_cannot_write_before_the_work(tmp_path):
    from castlab.core.errors import CastlabError

    (tmp_path / "afile").write_text("mine")
    out = tmp_path / "afile" / "scores.json"
    result = runner.invoke(app, ["tunes", "evaluate", "--out", str(out), "--model", "nowhere"])
    # the model folder 'nowhere' is never read: the --out check comes first
    assert isinstance(result.exception, CastlabError)
    assert "a file is there, a folder is needed" in str(result.exception)


def test_evaluate_refuses_a_count_of_zero_before_the_work():
    """--count 0 was refused only after the held-out metrics had been computed."""
    result = runner.invoke(app, ["tunes", "evaluate", "--count", "0", "--model", "nowhere"])
    assert isinstance(result.exception, CastlabError)  # not the missing model: never read
    assert "count must be at least 1" in str(result.exception)
