"""The demo section: every approach scored on synthetic data, labelled synthetic."""

from __future__ import annotations

import pandas as pd

from castlab.core.report import Report
from castlab.proteins.demo import run_demo

TINY = {
    "dim": 16,
    "hidden": 16,
    "layers": 1,
    "seq_len": 32,
    "pretrain_epochs": 1,
    "finetune_epochs": 1,
    "batch_size": 32,
    "max_tokens": 160,
}


def test_demo_fills_its_section(tmp_path):
    report = Report("t")
    section = report.section("proteins")
    run_demo(tmp_path / "proteins", section, settings=TINY)
    html = report.render()
    assert "SYNTHETIC data" in html and "<table" in html and html.count("<img") == 2
    scores = pd.read_csv(tmp_path / "proteins" / "scores.csv")
    assert {
        "k-mer TF-IDF + logistic",
        "phmmer top-1",
        "ProtCNN (aa)",
        "AWD-LSTM no pretraining (aa)",
    } <= set(scores["approach"])
    assert scores["accuracy"].between(0, 1).all()
    assert (tmp_path / "proteins" / "split" / "test.csv").exists()
