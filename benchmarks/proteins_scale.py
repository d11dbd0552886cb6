"""Proteins at scale: castlab vs blastp vs mmseqs2 on all Pfam families, random and clustered.

Data: every family in ../shared/data/pfam-families (59 accessions), de-duplicated. Each split
(random; clustered at ``--identity`` by mmseqs easy-cluster) is made over all families after
capping each family at ``--per-family`` sequences; training then uses at most
``--train-per-family`` sequences per family of the training part, and ``--test`` test
sequences are drawn at random from the test part. The same training and test sequences go
to every approach:

- blastp top-1 (ncbi-blast+, 1 thread; fit = makeblastdb),
- mmseqs2 top-1 (``mmseqs search -s 5.7``, 1 thread; fit = createdb),
- castlab ProtCNN (trained here, 1 thread), and nearest neighbour on its features (cosine),
- castlab ProtCNN + Smith-Waterman (castlab.proteins.confirm): the ProtCNN shortlists its
  ``--shortlist`` likeliest families and the ``--neighbours`` training sequences of those
  families nearest in its feature space are aligned to the query (parasail); the best-aligned
  one names the family (closed set here: no rejection).

Queries/s are measured in the same run: prediction wall time including tool start-up or model
loading. Per-family errors where castlab and blastp disagree go to a CSV.

Usage::

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/proteins_scale.py
    python benchmarks/proteins_scale.py --per-family 60 --test 200 --epochs 1   # quick
    # full scale, random split (every de-duplicated sequence split, no per-family cap):
    CASTLAB_SCALE_RUNS=runs/proteins-scale-full OMP_NUM_THREADS=1 nice -n 19 \
        python benchmarks/proteins_scale.py --per-family 0 --train-per-family 150 \
        --test 5000 --dim 64 --epochs 4 --splits random --name scale_full
    # --reuse: load a split's ProtCNN trained by an earlier run on exactly the same training
    # and validation sequences (checked by a fingerprint written next to the model)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from _common import RESULTS, SHARED, markdown_table, write_page
from _proteins import section_from_page, write_proteins_page

from castlab.core.artifacts import write_text
from castlab.proteins.baselines import BlastNearestNeighbour, MmseqsNearestNeighbour
from castlab.proteins.confirm import ConfirmConfig
from castlab.proteins.data import load_records
from castlab.proteins.model import ProteinModel
from castlab.proteins.splits import SplitConfig, prepare_split, split_identity
from castlab.proteins.train import ProteinTrainConfig, score_probabilities, train_classifier

FILES = RESULTS / "proteins"
RUNS = Path(os.environ.get("CASTLAB_SCALE_RUNS", "runs/proteins-scale"))


def cap_train(records, per_family, rng):  # type: ignore[no-untyped-def]
    groups = defaultdict(list)
    for record in records:
        groups[record.family].append(record)
    out = []
    for family in sorted(groups):
        group = groups[family]
        out += [group[i] for i in sorted(rng.permutation(len(group))[:per_family])]
    return out


def timed(name, fit, predict, test, truth):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fitted = fit()
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    proba, classes = predict(fitted, [r.sequence for r in test])
    predict_s = time.perf_counter() - start
    scores = score_probabilities(truth, proba, list(classes))
    predicted = [classes[i] for i in np.asarray(proba).argmax(axis=1)]
    row = {
        "approach": name,
        "accuracy": scores["accuracy"],
        "macro_f1": scores["macro_f1"],
        "errors": int(round((1 - scores["accuracy"]) * len(truth))),
        "fit_s": round(fit_s, 1),
        "predict_s": round(predict_s, 1),
        "queries_per_s": len(truth) / max(predict_s, 1e-9),
    }
    print(f"  {row}", flush=True)
    return row, predicted


def run_split(method, records, args, rng):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    parts, info = prepare_split(
        records,
        SplitConfig(
            method=method,
            identity=args.identity,
            per_family=args.per_family,
            seed=args.seed,
            sensitivity=args.cluster_sensitivity,
            engine=args.cluster_engine,
            threads=args.cluster_threads,
        ),
    )
    split_s = time.perf_counter() - start
    train = cap_train(parts["train"], args.train_per_family, rng)
    valid = cap_train(parts["valid"], max(5, args.train_per_family // 10), rng)
    test = [parts["test"][i] for i in sorted(rng.permutation(len(parts["test"]))[: args.test])]
    closeness = split_identity({"train": train, "test": test}, threads=args.threads)
    truth = [r.family for r in test]
    train_x, train_y = [r.sequence for r in train], [str(r.family) for r in train]
    print(
        f"{method}: {len(train)} train, {len(valid)} valid, {len(test)} test "
        f"({len(set(truth))} families) split in {split_s:.0f} s; test-train identity {closeness}",
        flush=True,
    )
    rows, predictions = [], {}

    def baseline(model):  # type: ignore[no-untyped-def]
        return lambda: model.fit(train_x, train_y)

    def baseline_predict(model, queries):  # type: ignore[no-untyped-def]
        return model.predict_proba(queries), model.classes_

    for name, model in (
        ("blastp top-1", BlastNearestNeighbour(threads=args.threads)),
        ("mmseqs2 top-1", MmseqsNearestNeighbour(threads=args.threads)),
    ):
        row, predictions[name] = timed(name, baseline(model), baseline_predict, test, truth)
        rows.append(row)
        model.close()
    folder = RUNS / method / "cnn"
    config = ProteinTrainConfig(
        model="cnn",
        dim=args.dim,
        max_tokens=512,
        finetune_epochs=args.epochs,
        batch_size=64,
        seed=args.seed,
        accelerator="cpu",
        devices="1",
    )

    reused = []
    # the training and validation sequences a model was trained on: --reuse loads a model
    # only when they are exactly this split's (never a model of another split or scale)
    fingerprint = hashlib.sha256(
        "\n".join(f"{r.family}\t{r.sequence}" for r in train + valid).encode()
    ).hexdigest()
    stamp = folder / "split_fingerprint.txt"

    def fit_cnn():  # type: ignore[no-untyped-def]
        if (
            args.reuse
            and (folder / "model" / "model.safetensors").is_file()
            and stamp.is_file()
            and stamp.read_text().strip() == fingerprint
        ):
            info = ProteinModel.load(folder / "model").info
            reused.append(float(info["finetune"]["seconds"]))
            return folder / "model"
        train_classifier(train, valid, config, folder)
        write_text(stamp, fingerprint + "\n")
        return folder / "model"

    def predict_cnn(model_dir, queries):  # type: ignore[no-untyped-def]
        model = ProteinModel.load(model_dir)
        return model.predict_proba(queries), model.families

    row, predictions["castlab ProtCNN"] = timed(
        "castlab ProtCNN", fit_cnn, predict_cnn, test, truth
    )
    if reused:  # trained by an earlier run of the same options: its recorded seconds
        row["fit_s"] = round(reused[0], 1)
    rows.append(row)
    cnn_fit = row["fit_s"]

    def fit_hybrid():  # type: ignore[no-untyped-def]
        model = ProteinModel.load(folder / "model").with_references(
            train, ConfirmConfig(families=args.shortlist, neighbours=args.neighbours)
        )
        return model.save(folder / "confirmed")

    def predict_hybrid(model_dir, queries):  # type: ignore[no-untyped-def]
        model = ProteinModel.load(model_dir)
        _, answers = model.predict_confirmed(queries)
        classes = sorted(set(train_y))
        index = {c: i for i, c in enumerate(classes)}
        proba = np.zeros((len(queries), len(classes)))
        proba[np.arange(len(queries)), [index[f] for f, _, _ in answers]] = 1.0
        return proba, classes

    hybrid = "castlab ProtCNN + Smith-Waterman"
    row, predictions[hybrid] = timed(hybrid, fit_hybrid, predict_hybrid, test, truth)
    row["fit_s"] = round(row["fit_s"] + cnn_fit, 1)
    rows.append(row)

    def fit_knn():  # type: ignore[no-untyped-def]
        model = ProteinModel.load(folder / "model")
        features = model.embed(train_x)
        return model, features / np.linalg.norm(features, axis=1, keepdims=True).clip(1e-9)

    def predict_knn(fitted, queries):  # type: ignore[no-untyped-def]
        model, bank = fitted
        features = model.embed(queries)
        features = features / np.linalg.norm(features, axis=1, keepdims=True).clip(1e-9)
        nearest = (features @ bank.T).argmax(axis=1)
        classes = sorted(set(train_y))
        index = {c: i for i, c in enumerate(classes)}
        proba = np.zeros((len(queries), len(classes)))
        proba[np.arange(len(queries)), [index[train_y[j]] for j in nearest]] = 1.0
        return proba, classes

    row, predictions["castlab ProtCNN features, nearest neighbour"] = timed(
        "castlab ProtCNN features, nearest neighbour", fit_knn, predict_knn, test, truth
    )
    row["fit_s"] = round(row["fit_s"] + cnn_fit, 1)  # the network's training is part of it
    rows.append(row)
    for row in rows:
        row.update(split=method, train=len(train), test=len(test))
    disagreements = []
    for name in (hybrid, "castlab ProtCNN", "castlab ProtCNN features, nearest neighbour"):
        for family in sorted(set(truth)):
            index = [i for i, t in enumerate(truth) if t == family]
            ours = sum(predictions[name][i] != family for i in index)
            blast = sum(predictions["blastp top-1"][i] != family for i in index)
            if ours != blast:
                disagreements.append(
                    {"split": method, "approach": name, "family": family, "test": len(index),
                     "castlab_errors": ours, "blastp_errors": blast}
                )  # fmt: skip
    info = {
        "split": method,
        "families": len(set(train_y)),
        "train": len(train),
        "test": len(test),
        "split_s": round(split_s, 1),
        "max_identity": closeness["max"],
        "median_identity": closeness["median"],
        "share_over_50": closeness["share_over_50"],
        "split_pool": sum(len(p) for p in parts.values()),
        "protcnn": "reused" if reused else "trained here",
    }
    return rows, disagreements, info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--per-family", type=int, default=2000, help="cap before splitting (0: every sequence)"
    )
    parser.add_argument("--train-per-family", type=int, default=300)
    parser.add_argument("--test", type=int, default=2000)
    parser.add_argument("--identity", type=float, default=0.5)
    parser.add_argument("--cluster-sensitivity", type=float, default=7.5, help="mmseqs -s")
    parser.add_argument(
        "--cluster-engine", default="mmseqs-all", help="mmseqs (easy-cluster) or mmseqs-all"
    )
    # 20 x 96: the fewest errors on the clustered split's validation part (2 of 506) of the
    # shortlists tried with its ProtCNN (5x32 ... 59x128; 10x64 and 10x96: 3 errors)
    parser.add_argument("--shortlist", type=int, default=20, help="families aligned per query")
    parser.add_argument("--neighbours", type=int, default=96, help="references aligned")
    parser.add_argument("--reuse", action="store_true", help="reuse a trained ProtCNN")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--splits", default="random,clustered")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--name", default="scale", help="page/CSV name (scale_clustered, scale_full: other runs)"
    )
    parser.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", 1)))
    parser.add_argument(
        "--cluster-threads", type=int, default=1, help="mmseqs threads for the clustered split"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started = time.time()
    records = load_records(SHARED / "pfam-families")
    families = Counter(r.family for r in records)
    print(f"{len(records)} sequences, {len(families)} families", flush=True)
    rng = np.random.default_rng(args.seed)
    rows, disagreements, infos = [], [], []
    for method in args.splits.split(","):
        r, d, i = run_split(method, records, args, rng)
        rows += r
        disagreements += d
        infos.append(i)
        frame = pd.DataFrame(rows)
        frame.to_csv(FILES / f"{args.name}.csv", index=False)
        pd.DataFrame(disagreements).to_csv(FILES / f"{args.name}_disagreements.csv", index=False)
        write(frame, disagreements, infos, args, len(records), len(families), started)


def write(frame, disagreements, infos, args, n_records, n_families, started) -> None:  # type: ignore[no-untyped-def]
    load = " ".join(open("/proc/loadavg").read().split()[:3])
    clustering = (
        f"clustered split: {args.cluster_engine} at {args.identity} identity "
        f"(-s {args.cluster_sensitivity}; mmseqs-all: every sequence searched against every "
        f"other, every pair found linked; {args.cluster_threads} mmseqs thread(s) for the "
        "clustering); "
        if "clustered" in args.splits
        else ""
    )
    cap = (
        f"each family capped at {args.per_family} before splitting"
        if args.per_family
        else "no per-family cap: every de-duplicated sequence of every family is split"
    )
    text = [
        f"All {n_families} Pfam families in ../shared/data/pfam-families ({n_records} sequences "
        f"read; de-duplicated, {cap}). "
        f"Training: at most {args.train_per_family} sequences per family of the training part; "
        f"test: {args.test} random sequences of the test part. ProtCNN dim {args.dim}, "
        f"{args.epochs} epochs; {clustering}ProtCNN + Smith-Waterman: "
        f"{args.shortlist} families "
        f"shortlisted, {args.neighbours} references aligned per query. Everything on {args.threads} thread(s); load average at the end "
        f"{load} (machine shared with other developers: absolute times are inflated, ratios "
        "inside one split are comparable).",
        "",
        markdown_table(pd.DataFrame(infos)),
        "",
        "protcnn: 'reused' = loaded from an earlier run of the same options on the same split "
        "(fit_s is the training time that run recorded), 'trained here' = trained in this run. "
        "max_identity: the highest identity between any test and any training sequence "
        "(mmseqs easy-search -s 7.5, alignments covering >= 80% of both); median_identity: "
        "median over test sequences of the nearest training identity.",
        "",
    ]
    for split in frame["split"].unique():
        part = frame[frame["split"] == split].copy()
        blast_qps = float(part.loc[part["approach"] == "blastp top-1", "queries_per_s"].iloc[0])
        part["x_blastp_speed"] = part["queries_per_s"] / blast_qps
        text += [
            f"### {split} split",
            "",
            markdown_table(
                part[
                    [
                        "approach",
                        "accuracy",
                        "macro_f1",
                        "errors",
                        "fit_s",
                        "predict_s",
                        "queries_per_s",
                        "x_blastp_speed",
                    ]
                ].round(4)
            ),  # fmt: skip
            "",
        ]
    if disagreements:
        text += [
            "Per-family errors where castlab and blastp disagree "
            f"(`docs/results/proteins/{args.name}_disagreements.csv`):",
            "",
            markdown_table(pd.DataFrame(disagreements)),
            "",
        ]
    text.append(f"Run time {time.time() - started:.0f} s.")
    title = "Pfam at scale: castlab vs blastp vs mmseqs2"
    if not args.per_family:
        title = (
            "Pfam at full scale (every sequence split): castlab vs blastp vs mmseqs2 "
            f"({args.splits} split, training {args.train_per_family} per family)"
        )
    elif args.name != "scale":
        title += f" ({args.splits} split)"
    page = write_page(RESULTS / "proteins" / f"{args.name}.md", title, text)
    section_from_page(args.name, title, page)
    write_proteins_page(args.name)


if __name__ == "__main__":
    main()
