"""The proteins commands end to end on tiny generated files."""

from __future__ import annotations

import csv
import json

import numpy as np
from typer.testing import CliRunner

from castlab.cli import app
from castlab.proteins.default import default_model_dir
from castlab.proteins.synthetic import synthetic_families

runner = CliRunner()


def _write_families(folder):
    records = synthetic_families(n_families=3, per_family=20, mutation=0.2, seed=1)
    for family in sorted({r.family for r in records}):
        path = folder / f"{family}.fasta"
        path.write_text(
            "".join(f">{r.name}\n{r.sequence}\n" for r in records if r.family == family)
        )
    return records


def test_train_predict_evaluate(tmp_path):
    records = _write_families(tmp_path)
    files = sorted(str(p) for p in tmp_path.glob("*.fasta"))
    # plain FASTA: the family comes from a label CSV
    labels = tmp_path / "labels.csv"
    labels.write_text("name,family\n" + "".join(f"{r.name},{r.family}\n" for r in records))
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        [
            "proteins",
            "train",
            *files,
            "--labels",
            str(labels),
            "--model",
            "cnn",
            "--epochs",
            "3",
            "--dim",
            "16",
            "--precision",
            "32-true",  # the shared run options (--precision was 'No such option')
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "test: accuracy" in result.output
    assert json.loads((out / "config.json").read_text())["train"]["precision"] == "32-true"
    scores = json.loads((out / "test_scores.json").read_text())
    assert scores["accuracy"] > 0.5
    query = tmp_path / "query.fa"
    query.write_text(f">q1\n{records[0].sequence}\n>q2\n{records[-1].sequence}\n")
    predictions = tmp_path / "p.csv"
    result = runner.invoke(
        app,
        [
            "proteins",
            "predict",
            str(out / "model"),
            str(query),
            "--out",
            str(predictions),
            "--top-k",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(predictions.open()))
    assert [r["name"] for r in rows] == ["q1", "q2"] and rows[0]["top_k"].count(";") == 1
    assert 0 < float(rows[0]["probability"]) <= 1
    # --also averages several models; a model averaged with itself predicts the same
    twice = tmp_path / "twice.csv"
    model_dir = str(out / "model")
    result = runner.invoke(
        app,
        ["proteins", "predict", model_dir, str(query), "--out", str(twice), "--also", model_dir],
    )
    assert result.exit_code == 0, result.output
    assert [r["probability"] for r in csv.DictReader(twice.open())] == [
        r["probability"] for r in rows
    ]
    result = runner.invoke(app, ["proteins", "evaluate", str(out / "model"), str(out / "split")])
    assert result.exit_code == 0 and "accuracy" in result.output and "queries/s" in result.output


def test_unlabelled_fasta_is_a_user_error(tmp_path):
    path = tmp_path / "plain.fasta"
    path.write_text(">a\nMKV\n>b\nMKL\n")
    result = runner.invoke(app, ["proteins", "train", str(path), "--out", str(tmp_path / "r")])
    assert result.exit_code != 0 and "no family" in str(result.exception)


def test_predict_refuses_top_k_0_and_an_input_without_sequences(tmp_path):
    empty, out = tmp_path / "empty.fasta", tmp_path / "p.csv"
    empty.write_text("")
    result = runner.invoke(app, ["proteins", "predict", str(empty), "--out", str(out)])
    assert "no sequences" in str(result.exception) and not out.exists()
    fasta = tmp_path / "one.fasta"
    fasta.write_text(">a\nMKVLAAGIV\n")
    result = runner.invoke(app, ["proteins", "predict", str(fasta), "--top-k", "0"])
    assert "--top-k 0" in str(result.exception)
    for batch in ("0", "-1"):  # 0 said the file had no sequences; -1 was a traceback
        result = runner.invoke(app, ["proteins", "predict", str(fasta), "--batch", batch])
        assert f"--batch {batch}: no sequence per batch" in str(result.exception)
    header_only = tmp_path / "header.csv"
    header_only.write_text("ID,SEQUENCE,LABEL\n")
    model = str(default_model_dir())
    result = runner.invoke(app, ["proteins", "evaluate", model, str(header_only)])
    assert "no sequences in" in str(result.exception)  # it was sklearn's ValueError


def test_train_lstm_with_unlabelled_pretraining_file(tmp_path):
    records = _write_families(tmp_path)
    unlabelled = tmp_path / "proteome.faa"
    unlabelled.write_text("".join(f">u{i}\n{r.sequence[::-1]}\n" for i, r in enumerate(records)))
    out = tmp_path / "run"
    files = sorted(str(p) for p in tmp_path.glob("synthetic-*.fasta"))
    labels = tmp_path / "labels.csv"
    labels.write_text("name,family\n" + "".join(f"{r.name},{r.family}\n" for r in records))
    result = runner.invoke(
        app,
        ["proteins", "train", *files, "--labels", str(labels), "--model", "lstm", "--pretrain", str(unlabelled),
         "--pretrain-epochs", "1", "--epochs", "1", "--dim", "16", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    info = json.loads((out / "model" / "config.json").read_text())["info"]
    # pretraining saw the labelled training sequences plus the unlabelled file
    assert info["pretrain"]["train_tokens"] > 1.5 * sum(len(r.sequence) for r in records)


def test_pretrain_then_train_from_the_language_model(tmp_path):
    records = _write_families(tmp_path)
    proteome = tmp_path / "proteome.faa"
    proteome.write_text("".join(f">u{i}\n{r.sequence}\n" for i, r in enumerate(records)))
    lm = tmp_path / "lm"
    result = runner.invoke(
        app,
        ["proteins", "pretrain", str(proteome), "--out", str(lm), "--dim", "16", "--hidden", "24",
         "--layers", "1", "--seq-len", "32", "--max-steps", "3", "--accelerator", "cpu"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "no validation yet" in result.output  # 3 steps end before the first epoch
    files = sorted(str(p) for p in tmp_path.glob("synthetic-*.fasta"))
    labels = tmp_path / "labels.csv"
    labels.write_text("name,family\n" + "".join(f"{r.name},{r.family}\n" for r in records))
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        ["proteins", "train", *files, "--labels", str(labels), "--lm", str(lm / "model"),
         "--pretrain-epochs", "0", "--epochs", "1", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    saved = json.loads((out / "model" / "config.json").read_text())
    assert saved["classifier"]["hidden"] == 24  # the LM's shape, not --dim's default
    assert saved["info"]["language_model"]["source"] == "proteome.faa"
    # a classifier folder is not a language model: a one-line user error
    result = runner.invoke(
        app, ["proteins", "train", *files, "--labels", str(labels), "--lm", str(out / "model")]
    )
    assert result.exit_code != 0 and "not a protein language-model folder" in str(result.exception)


def test_train_with_confirm_answers_unknown_for_a_stranger(tmp_path):
    records = _write_families(tmp_path)
    files = sorted(str(p) for p in tmp_path.glob("*.fasta"))
    (tmp_path / "labels.csv").write_text(
        "name,family\n" + "".join(f"{r.name},{r.family}\n" for r in records)
    )
    out = tmp_path / "run"
    cnn = ["--model", "cnn", "--epochs", "2", "--dim", "16", "--confirm", "--out", str(out)]
    labels = ["--labels", str(tmp_path / "labels.csv")]
    result = runner.invoke(app, ["proteins", "train", *files, *labels, *cnn])
    assert result.exit_code == 0, result.output
    assert "confirmed by Smith-Waterman" in result.output
    assert (out / "model" / "references.json").exists()
    scores = json.loads((out / "test_scores.json").read_text())
    assert scores["confirmed_accuracy"] >= 0.8
    stranger = "".join(np.random.default_rng(5).choice(list("ACDEFGHIKLMNPQRSTVWY"), 150))
    query = tmp_path / "q.fa"
    query.write_text(f">member\n{records[0].sequence}\n>stranger\n{stranger}\n")
    predictions = tmp_path / "p.csv"
    result = runner.invoke(
        app, ["proteins", "predict", str(out / "model"), str(query), "--out", str(predictions)]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(predictions.open()))
    assert [r["family"] for r in rows] == [records[0].family, "unknown"]
    assert float(rows[0]["evalue"]) < float(rows[1]["evalue"])
    result = runner.invoke(app, ["proteins", "train", *files, "--confirm", "--out", str(out)])
    assert result.exit_code != 0 and "--confirm needs a ProtCNN" in str(result.exception)
