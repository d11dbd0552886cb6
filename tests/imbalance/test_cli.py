"""Tests of the ``castlab imbalance`` commands through the real entry point."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from castlab.cli import main
from castlab.imbalance.cli import app, parse_test_prior
from castlab.imbalance.synthetic import generate_shifted_data

from .conftest import write_table


def _run(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["castlab", "imbalance", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tables")
    train, test = generate_shifted_data(
        n_train=600, n_test=400, train_prior=0.15, test_prior=0.5, seed=7
    )
    return write_table(train, folder / "train.csv"), write_table(test, folder / "test.csv")


def test_every_command_has_help_with_example():
    for command in app.registered_commands:
        assert "Example: castlab imbalance" in (command.callback.__doc__ or ""), command.name


def test_compare_writes_table_and_plots(monkeypatch, capsys, tables, tmp_path):
    train, _ = tables
    code, out, _ = _run(
        monkeypatch,
        capsys,
        "compare",
        str(train),
        "--target",
        "label",
        "--positive",
        "positive",
        "--model",
        "logistic",
        "--folds",
        "3",
        "--repeats",
        "1",
        "--strategies",
        "none,under,prior",
        "--out",
        str(tmp_path / "run"),
    )
    assert code in (0, None)
    summary = pd.read_csv(tmp_path / "run" / "summary.csv")
    assert summary["strategy"].tolist() == ["none", "under", "prior"]
    assert (tmp_path / "run" / "reliability.png").exists()
    assert "prior" in out


def test_compare_with_estimated_prior(monkeypatch, capsys, tables, tmp_path):
    train, test = tables
    code, out, _ = _run(
        monkeypatch,
        capsys,
        "compare",
        str(train),
        "--target",
        "label",
        "--test-prior",
        "estimate",
        "--unlabelled",
        str(test),
        "--model",
        "logistic",
        "--folds",
        "2",
        "--repeats",
        "1",
        "--strategies",
        "none,prior",
        "--out",
        str(tmp_path / "run"),
    )
    assert code in (0, None)
    share = float(out.split("positive=")[1].split()[0])
    assert abs(share - 0.5) < 0.08


def test_estimate_prior_command(monkeypatch, capsys, tables):
    train, test = tables
    code, out, _ = _run(
        monkeypatch,
        capsys,
        "estimate-prior",
        str(train),
        "--target",
        "label",
        "--unlabelled",
        str(test),
        "--model",
        "logistic",
    )
    assert code in (0, None)
    assert "positive: training 0.150 -> unlabelled" in out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--target", "nope"], "no column 'nope'"),
        (["--target", "label", "--positive", "maybe"], "positive label 'maybe'"),
        (["--target", "label", "--test-prior", "1.5"], "between 0 and 1"),
        (["--target", "label", "--test-prior", "half"], "not a number"),
        (["--target", "label", "--test-prior", "estimate"], "needs --unlabelled"),
        (
            ["--target", "label", "--model", "logistic", "--ratio", "0", "--strategies", "under"],
            "ratio 0.0 must be in (0, 1]",
        ),
        (["--target", "label", "--model", "svm"], "unknown model"),
        (["--target", "label", "--folds", "1"], "--folds 1: K-fold needs 2 folds or more"),
        (["--target", "label", "--repeats", "0"], "--repeats 0: nothing would be scored"),
        (
            ["--target", "label", "--model", "lightgbm", "--iterations", "0"],
            "--iterations 0: cannot be below 1",  # was LightGBM's ValueError traceback
        ),
        (["--target", "label", "--out", __file__], "a file is there, a folder is needed"),
        (
            ["--target", "label", "--strategies", "none,magic", "--model", "logistic"],
            "unknown strategies",
        ),
        # these three were tracebacks (the duplicate after writing half the outputs)
        (["--target", "label", "--strategies", "none,prior,prior"], "strategies named twice"),
        (["--target", "label", "--strategies", ""], "no strategy to compare"),
        (["--target", "label", "--smote-ratio", "1.5"], "--smote-ratio 1.5 must be in (0, 1]"),
        (["--target", "label", "--test-prior", "none"], "leave 'prior' out of --strategies"),
        (["--target", "label", "--test-prior", "positive=0.2"], "no share for negative"),
        (["--target", "label", "--test-prior", "yes=0.2,negative=0.8"], "names 'yes'"),
    ],
)
def test_user_errors_exit_2_with_one_line(monkeypatch, capsys, tables, args, words):
    train, _ = tables
    code, _, err = _run(monkeypatch, capsys, "compare", str(train), *args)
    assert code == 2
    assert words in err
    assert err.count("\n") == 1 and err.startswith("error: ")


def test_constant_target_exit_2(monkeypatch, capsys, tmp_path):
    path = tmp_path / "flat.csv"
    path.write_text("x,y\n1,a\n2,a\n3,a\n")
    code, _, err = _run(monkeypatch, capsys, "compare", str(path), "--target", "y")
    assert code == 2 and "one value only" in err


def test_parse_test_prior():
    assert parse_test_prior("none", n_classes=2) is None
    assert parse_test_prior("0.2,0.3,0.5", n_classes=3) == (0.2, 0.3, 0.5)
    classes = ("1", "10", "2")  # string order: the shares' order is not the numbers'
    named = parse_test_prior("1=0.6,2=0.3,10=0.1", n_classes=3, classes=classes)
    assert named == (0.6, 0.1, 0.3)


def test_compare_prints_the_balance_it_used_and_warns_of_tiny_folds(monkeypatch, capsys, tmp_path):
    """A class of 3 rows re-sampled to 50/50 left 2 validation rows per fold with a full,
    confident ranking; the balance used by class name and a warning are now printed."""
    rng = np.random.default_rng(0)
    path = tmp_path / "rare.csv"
    pd.DataFrame(
        {"x": rng.normal(size=300), "y": ["yes" if i < 3 else "no" for i in range(300)]}
    ).to_csv(path, index=False)
    code, out, _ = _run(
        monkeypatch, capsys, "compare", str(path), "--target", "y", "--model", "logistic",
        "--folds", "2", "--repeats", "1", "--strategies", "none,prior", "--out",
        str(tmp_path / "o"),
    )  # fmt: skip
    assert code in (0, None)
    assert "validation folds re-sampled to no=0.500, yes=0.500" in out
    assert "warning: 2 of 2 validation folds hold fewer than 30 rows (as few as 2)" in out
    # the 3 rare rows split 1 / 2 between the folds: 2 and 4 validation rows, 3 on average
    assert pd.read_csv(tmp_path / "o" / "summary.csv")["val_rows"].tolist() == [3, 3]


def test_estimate_prior_warns_when_em_misses_the_training_rows_own_balance(tables):
    """EM trusts the model's probabilities: a catboost of 3 rounds misjudges even the rows
    it was fitted on, and that is said; a logistic model's check passes quietly."""
    from castlab.imbalance.compare import estimate_unlabelled_prior
    from castlab.imbalance.data import load_table, load_unlabelled
    from castlab.imbalance.model import ModelConfig

    train, test = tables
    table = load_table(train, target="label")
    features = load_unlabelled(test, like=table)
    for config, warned in ((ModelConfig("catboost", iterations=3), True),
                           (ModelConfig("logistic"), False)):  # fmt: skip
        notes: list[str] = []
        estimate_unlabelled_prior(table, features, model=config, report=notes.append)
        assert bool(notes) == warned, notes
        if warned:
            assert notes[0].startswith("warning: EM on the training rows themselves")


def test_generate_command(monkeypatch, capsys, tmp_path):
    code, _, _ = _run(monkeypatch, capsys, "generate", str(tmp_path), "--rows", "200")
    assert code in (0, None)
    train = pd.read_csv(tmp_path / "train.csv")
    assert len(train) == 200 and (train["label"] == "positive").mean() == pytest.approx(0.15)


def test_root_help_lists_imbalance_in_a_fresh_process():
    done = subprocess.run(
        [sys.executable, "-c", "from castlab.cli import main; main()", "imbalance", "--help"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert "compare" in done.stdout and "estimate-prior" in done.stdout


def test_generate_refuses_too_few_rows_for_every_class(monkeypatch, capsys, tmp_path):
    code, _, err = _run(monkeypatch, capsys, "generate", str(tmp_path / "g"), "--rows", "3")
    assert code == 2 and "would give train.csv no row of some class" in err
    assert not (tmp_path / "g").exists()
