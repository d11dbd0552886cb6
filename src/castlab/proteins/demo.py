"""The proteins part of ``castlab demo``: every approach on synthetic families, in about a minute.

The data are generated (:mod:`castlab.proteins.synthetic`; family names start with
``synthetic-``), split at random, and classified by the k-mer TF-IDF baseline, phmmer and
blastp nearest neighbours (blastp only when installed), a small ProtCNN, and a small AWD-LSTM
twice: pretrained as a language model then fine-tuned ULMFiT style, and trained from scratch.
Real numbers on Pfam families and kinases are in ``docs/results/proteins.md``.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from castlab.core.report import Section

__all__ = ["DEMO_TRAIN", "run_demo"]

#: Small settings that finish in well under a minute on one CPU thread.
DEMO_TRAIN = {
    "dim": 48,
    "hidden": 96,
    "layers": 2,
    "seq_len": 64,
    "pretrain_epochs": 6,
    "finetune_epochs": 6,
    "batch_size": 16,
}


def run_demo(out_dir: Path, section: Section, *, settings: dict | None = None) -> None:
    """Train and compare the approaches on synthetic families; fill ``section``.

    ``settings`` replaces :data:`DEMO_TRAIN` (the tests use a tinier one).
    """
    import pandas as pd

    from castlab.proteins.baselines import (
        BlastNearestNeighbour,
        KmerLogisticRegression,
        PhmmerNearestNeighbour,
        blast_available,
    )
    from castlab.proteins.plots import plot_approaches, plot_confusion
    from castlab.proteins.splits import SplitConfig, prepare_split, write_split
    from castlab.proteins.synthetic import synthetic_families
    from castlab.proteins.train import ProteinTrainConfig, score_probabilities, train_classifier

    out_dir = Path(out_dir)
    records = synthetic_families(n_families=6, per_family=40, mutation=0.55, seed=0)
    parts, info = prepare_split(records, SplitConfig(method="random", seed=0))
    write_split(parts, out_dir / "split", info={**info, "synthetic": True})
    section.paragraph(
        f"SYNTHETIC data: {len(records)} sequences in 6 generated families (each drawn from a "
        "random ancestor with per-position conservation, ~55% of positions mutated, small "
        f"indels); random split {len(parts['train'])}/{len(parts['valid'])}/{len(parts['test'])}."
    )
    train_x = [r.sequence for r in parts["train"]]
    train_y = [str(r.family) for r in parts["train"]]
    test = parts["test"]
    truth = [r.family for r in test]
    rows, predictions = [], {}

    def record(name: str, start: float, proba, classes) -> None:  # type: ignore[no-untyped-def]
        seconds = time.perf_counter() - start
        rows.append(
            {"approach": name, **score_probabilities(truth, proba, classes), "seconds": seconds}
        )
        predictions[name] = [classes[i] for i in proba.argmax(axis=1)]

    baselines = [
        ("k-mer TF-IDF + logistic", KmerLogisticRegression()),
        ("phmmer top-1", PhmmerNearestNeighbour()),
    ]
    if blast_available():
        baselines.append(("blastp top-1", BlastNearestNeighbour()))
    for name, baseline in baselines:
        start = time.perf_counter()
        baseline.fit(train_x, train_y)
        record(name, start, baseline.predict_proba([r.sequence for r in test]), baseline.classes_)
    networks = (
        ("ProtCNN (aa)", "cnn", True),
        ("AWD-LSTM ULMFiT (aa)", "lstm", True),
        ("AWD-LSTM no pretraining (aa)", "lstm", False),
    )
    for name, model, pretrain in networks:
        start = time.perf_counter()
        config = ProteinTrainConfig(model=model, **(settings or DEMO_TRAIN))
        if not pretrain:
            config = replace(config, pretrain_epochs=0)
        folder = out_dir / f"{model}{'' if pretrain else '-scratch'}"
        trained = train_classifier(parts["train"], parts["valid"], config, folder)
        record(name, start, trained.predict_proba([r.sequence for r in test]), trained.families)
    frame = pd.DataFrame(rows).drop(columns="n")
    frame.to_csv(out_dir / "scores.csv", index=False)
    section.table(
        frame, f"Test scores on {len(test)} synthetic sequences (seconds: fit + predict)."
    )
    bars = plot_approaches(
        frame, out_dir / "accuracy.png", title="synthetic families · test accuracy"
    )
    section.figure(bars, "Test accuracy per approach (synthetic families).")
    best = frame.sort_values("accuracy", ascending=False)["approach"].iloc[0]
    families = sorted(set(train_y))
    confusion = plot_confusion(truth, predictions[best], families, out_dir / "confusion.png")
    section.figure(confusion, f"Confusion matrix of {best} (rows: true family).")
    if not blast_available():
        section.paragraph("blastp was skipped: install Debian ncbi-blast+ to include it.")
    section.links(
        [out_dir / "scores.csv", out_dir / "split" / "test.csv"], relative_to=out_dir.parent
    )
