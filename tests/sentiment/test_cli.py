"""``castlab sentiment``: help with examples, real runs on small files, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from castlab.cli import app as root_app
from castlab.core.errors import CastlabError
from castlab.sentiment.synthetic import generate_author_posts, generate_capital_posts

runner = CliRunner()
COMMANDS = ["score", "authors", "map", "train", "evaluate", "collect"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    result = runner.invoke(root_app, ["sentiment", command, "--help"])
    assert result.exit_code == 0
    assert "Example: castlab sentiment " + command in " ".join(result.output.split())


def test_score_then_authors_then_map(tmp_path):
    posts = generate_author_posts(n_per_author=15, seed=0)
    places = generate_capital_posts(n_countries=5, per_country=3, seed=0)
    table = pd.concat([posts, places], ignore_index=True).drop(columns=["true_label", "iso3"])
    table = table.rename(columns={"text": "tweet", "author": "username"})
    source = tmp_path / "posts.csv"
    table.to_csv(source, index=False)
    scored = tmp_path / "scored.csv"
    result = runner.invoke(
        root_app,
        [
            "sentiment",
            "score",
            str(source),
            "--out",
            str(scored),
            "--scorer",
            "vader",
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"scored {len(table)} posts with vader" in result.output
    frame = pd.read_csv(scored)
    assert {"p_negative", "p_neutral", "p_positive", "score", "username"} <= set(frame.columns)

    out = tmp_path / "authors"
    result = runner.invoke(root_app, ["sentiment", "authors", str(scored), "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(out / "authors.csv")
    assert set(summary["author"]) == {"cheerful_chris", "neutral_nat", "grumpy_gus"}
    assert (out / "hexbins.png").exists()

    out = tmp_path / "map"
    result = runner.invoke(root_app, ["sentiment", "map", str(scored), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out / "capitals.csv")) == 5
    assert (out / "map.png").exists() and (out / "map.html").exists()

    no_places = tmp_path / "no-places.csv"
    frame.drop(columns=["country", "latitude", "longitude"], errors="ignore").to_csv(no_places)
    result = runner.invoke(root_app, ["sentiment", "map", str(no_places), "--out", str(out)])
    assert isinstance(result.exception, CastlabError)
    assert "no-places.csv: no country column, nor latitude" in str(result.exception)


def test_score_keeps_a_label_column_and_the_ids(tmp_path):
    source = tmp_path / "t.csv"
    source.write_text("id,text,label\n17,I love this,2\n18,I hate this,0\n")
    scored = tmp_path / "scored.csv"
    args = ["sentiment", "score", str(source), "--out", str(scored), "--scorer", "vader"]
    result = runner.invoke(root_app, [*args, "--no-progress"])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(scored)
    assert list(frame.columns[:4]) == ["id", "text", "label", "sentiment_p_negative"]
    assert list(frame["id"]) == [17, 18] and list(frame["sentiment_label"]) == [
        "positive",
        "negative",
    ]
    result = runner.invoke(root_app, [*args, "--prefix", "", "--no-progress"])
    assert "already has a column 'label'" in str(result.exception)  # main() exits 2 on it


def test_score_a_glob_into_a_folder_and_resume(tmp_path):
    for name in ("a", "b"):
        (tmp_path / f"{name}.csv").write_text("id,text\n1,I love this\n2,I hate this\n")
    out = tmp_path / "scored"
    args = ["sentiment", "score", str(tmp_path / "*.csv"), "--out", str(out), "--scorer", "vader"]
    result = runner.invoke(root_app, args)
    assert result.exit_code == 0, result.output
    assert "scored 4 posts in 2 files" in result.output
    assert list(pd.read_parquet(out / "b.parquet")["label"]) == ["positive", "negative"]
    assert "(2 already done)" in runner.invoke(root_app, args).output
    result = runner.invoke(root_app, [*args[:3], "--out", str(tmp_path / "one.csv")])
    assert "need an output folder" in str(result.exception)


def test_score_refuses_an_output_it_cannot_write_rather_than_make_a_folder(tmp_path):
    (tmp_path / "p.csv").write_text("id,text\n1,I love it\n")
    out = tmp_path / "s8.txt"
    result = runner.invoke(
        root_app,
        ["sentiment", "score", str(tmp_path / "p.csv"), "--out", str(out), "--scorer", "vader"],
    )
    assert "cannot write .txt files" in str(result.exception) and not out.exists()
    gz = tmp_path / "x.csv.gz"  # the fix said --out x.csv.csv
    result = runner.invoke(
        root_app,
        ["sentiment", "score", str(tmp_path / "p.csv"), "--out", str(gz), "--scorer", "vader"],
    )
    assert "(--out x.csv)" in str(result.exception)


def _castlab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "castlab", "sentiment", *args], capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["score", "missing.csv", "--scorer", "vader"], "file not found"),
        (["evaluate", "--tweeteval", "nowhere", "--scorer", "vader"], "file not found"),
        (["score", "x.csv", "--scorer", "bert"], "unknown scorer"),
        (["collect", "x", "--query", "cats"], "X_BEARER_TOKEN"),
        (["collect", "myspace"], "unknown source"),
        (
            ["train", "--semeval", ".", "--tweeteval", ".", "--kind", "head", "--lr", "0.1"],
            "--kind head does not use --lr",
        ),
        # options the scorer would score without were ignored (exit 0), the file unread
        (["score", "x.csv", "--scorer", "vader", "--dtype", "int8"], "--dtype int8 is for"),
        (["score", "x.csv", "--scorer", "default", "--labels", "a,b,c"], "--labels names"),
        (["score", "x.csv", "--scorer", "vader", "--workers", "7"], "without --dask"),
    ],
)
def test_user_errors_are_one_line_with_exit_code_2(tmp_path, args, message):
    result = subprocess.run(
        [sys.executable, "-m", "castlab", "sentiment", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "X_BEARER_TOKEN"},
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.stderr


def test_evaluate_vader_on_tweeteval(shared_data):
    result = _castlab(
        "evaluate", "--tweeteval", str(shared_data / "tweeteval-sentiment"), "--scorer", "vader"
    )
    assert result.returncode == 0, result.stderr
    assert "macro recall 0.59" in result.stdout  # VADER's usual +-0.05 rule on TweetEval val


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--chunk-size", "0"], "--chunk-size 0: cannot be below 1"),  # pandas' ValueError
        (["--batch-size", "-3"], "--batch-size -3: cannot be below 1"),  # an AssertionError
    ],
)
def test_score_refuses_sizes_below_1(tmp_path, args, message):
    (tmp_path / "p.csv").write_text("id,text\n1,I love it\n")
    out = tmp_path / "s.csv"
    result = runner.invoke(
        root_app, ["sentiment", "score", str(tmp_path / "p.csv"), "--out", str(out), *args]
    )
    assert message in str(result.exception) and not out.exists()


def test_authors_with_none_left_by_min_posts_says_so_and_writes_nothing(tmp_path):
    (tmp_path / "p.csv").write_text("id,text,author\n1,I love it,a\n2,awful,b\n3,good,a\n")
    out = tmp_path / "authors"
    args = ["--scorer", "vader", "--out", str(out), "--min-posts", "3"]
    result = runner.invoke(root_app, ["sentiment", "authors", str(tmp_path / "p.csv"), *args])
    assert "no author has 3 posts (the most any has: 2)" in str(result.exception)
    assert not out.exists()  # an empty authors.csv was left, then a NaN traceback


def _train(tmp_path, *args):
    """``sentiment train`` with data folders that are never read: its checks come first."""
    data = ["--semeval", str(tmp_path / "semeval"), "--tweeteval", str(tmp_path / "tweeteval")]
    return runner.invoke(root_app, ["sentiment", "train", *data, *args])


def test_train_head_refuses_the_options_only_finetune_uses(tmp_path):
    """--kind head ignored them: --max-steps 2 --lr 5e-5 trained 400 steps at lr 0.01."""
    import typer

    from castlab.sentiment.cli import _FINETUNE_ONLY

    out = tmp_path / "run"
    args = ["--kind", "head", "--out", str(out), "--max-steps", "2", "--lr", "5e-5"]
    result = _train(tmp_path, *args, "--batch-size", "16", "--max-train", "64")
    message = "--kind head does not use --max-steps, --batch-size, --lr (they set the fine-tuning)"
    assert message in str(result.exception) and "use --kind finetune" in str(result.exception)
    assert not out.exists()
    result = _train(tmp_path, "--kind", "head", "--no-resume", "--init-head", "none")
    assert "does not use --init-head, --resume" in str(result.exception)
    command = typer.main.get_command(root_app).commands["sentiment"].commands["train"]
    for option in command.params:  # the help says which options a head does not use
        assert option.help.startswith("finetune:") == (option.name in _FINETUNE_ONLY), option.name


def test_train_refuses_a_folder_holding_the_other_kind_of_run(tmp_path):
    """A head written over a fine-tuning run left its model/ (which --scorer finetune then
    loaded), and --resume in a head's folder was KeyError 'finetune'."""
    import json
    import shutil

    from castlab.sentiment.scorers import HEAD_DIR

    head = shutil.copytree(HEAD_DIR, tmp_path / "head")
    result = _train(tmp_path, "--out", str(head), "--max-steps", "2")
    assert "head: holds a --kind head run; a --kind finetune run written here would mix" in str(
        result.exception
    )
    result = _train(tmp_path, "--out", str(head), "--resume")
    assert "holds a --kind head run, not a --kind finetune run to resume" in str(result.exception)
    tuned = tmp_path / "tuned"
    (tuned / "checkpoints").mkdir(parents=True)
    (tuned / "config.json").write_text(json.dumps({"finetune": {}, "train": {}}))
    result = _train(tmp_path, "--kind", "head", "--out", str(tuned))
    assert "tuned: holds a --kind finetune run; a --kind head run" in str(result.exception)
    assert sorted(p.name for p in tuned.iterdir()) == ["checkpoints", "config.json"]
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "config.json").write_text(json.dumps({"steps": 400}))
    result = _train(tmp_path, "--out", str(odd), "--resume")
    assert "config.json: not the config.json of a --kind finetune run" in str(result.exception)
