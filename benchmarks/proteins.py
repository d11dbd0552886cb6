"""Protein family classification: every approach on Pfam families and human kinase groups,
plus the blog's homework grid. Writes ``docs/results/proteins.md`` and files under
``docs/results/proteins/``.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/proteins.py            # the run on the results page
    python benchmarks/proteins.py --families 8 --per-family 30 --seeds 1 --skip-kinases  # quick

Parts (each rewrites the page when it finishes, so a stopped run keeps what is done):

1. Pfam families (../shared/data/pfam-families, de-duplicated, subsampled): random split and
   identity-clustered split; accuracy, macro-F1, log loss, fit seconds and queries/s (prediction
   wall time including model loading / tool start-up) for k-mer TF-IDF + logistic regression,
   phmmer top-1, blastp top-1, ProtCNN and an AWD-LSTM pretrained as a language model and
   fine-tuned ULMFiT style.
2. Human kinase groups (KinHub, 9 groups with >= 5 members): 5-fold stratified CV of the
   baselines and the --kinase-models networks (ProtCNN by default).
3. The homework grid: single amino acid vs unigram subwords at 3 vocabulary sizes, LSTM vs
   transformer, N seeds each (castlab.proteins.experiment).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from castlab.core.artifacts import write_text
from castlab.proteins.baselines import (
    BlastNearestNeighbour,
    EsmEmbeddingLogistic,
    KmerLogisticRegression,
    PhmmerNearestNeighbour,
    blast_available,
    esm_available,
)
from castlab.proteins.data import ProteinRecord, check_sequence, family_counts, load_records
from castlab.proteins.experiment import ExperimentConfig, markdown_table, run_experiment, summarise
from castlab.proteins.model import load_classifier
from castlab.proteins.plots import plot_accuracy_vs_vocab, plot_approaches
from castlab.proteins.pretrain import ProteinLanguageModel
from castlab.proteins.splits import clustered_split, deduplicate, random_split, subsample
from castlab.proteins.train import ProteinTrainConfig, score_probabilities, train_classifier

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "docs" / "results"
FILES = RESULTS / "proteins"
RUNS = ROOT / "runs" / "proteins-benchmark"
CASTLAB_MODELS = ("ProtCNN", "LSTM", "Transformer")  # approaches that are castlab networks
LM_APPROACH = "AWD-LSTM ULMFiT, proteome LM (aa)"  # starts from --lm (castlab proteins pretrain)
PFAM_LM_SCRATCH = "AWD-LSTM no pretraining, LM shape (aa)"  # its twin from random weights


def _machine() -> str:
    text = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    model = next(
        (ln.split(":", 1)[1].strip() for ln in text.splitlines() if ln.startswith("Model name")),
        platform.processor() or "unknown CPU",
    )
    return (
        f"{model}, {os.cpu_count()} logical CPUs (shared), torch threads {torch.get_num_threads()}"
    )


def _baselines(phmmer: bool = True, esm: Path | None = None) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = [("k-mer TF-IDF + logistic", KmerLogisticRegression())]
    if esm_available(esm):
        out.append((f"{Path(esm).name} embeddings + logistic", EsmEmbeddingLogistic(esm)))
    if phmmer:
        out.append(("phmmer top-1 (pyhmmer)", PhmmerNearestNeighbour()))
    if blast_available():
        out.append(("blastp top-1 (ncbi-blast+)", BlastNearestNeighbour()))
    return out


def run_approaches(
    parts: dict[str, list[ProteinRecord]],
    models: dict[str, ProteinTrainConfig],
    run_dir: Path,
    *,
    baselines: bool = True,
    phmmer: bool = True,
    esm: Path | None = None,
    language_models: dict[str, ProteinLanguageModel] | None = None,
) -> list[dict]:
    """Fit every baseline and model on train(+valid), score on test.

    ``language_models`` maps a model name to the pretrained LM it starts from (its fit
    seconds then exclude that one-off pretraining).
    """
    train, valid, test = parts["train"], parts["valid"], parts["test"]
    truth = [r.family for r in test]
    queries = [r.sequence for r in test]
    rows = []
    for name, baseline in _baselines(phmmer, esm) if baselines else []:
        start = time.perf_counter()
        baseline.fit([r.sequence for r in train + valid], [str(r.family) for r in train + valid])
        fitted = time.perf_counter()
        proba = baseline.predict_proba(queries)  # blastp: a new process, so start-up is included
        predicted = time.perf_counter()
        rows.append(_row(name, truth, proba, baseline.classes_, fitted - start, predicted - fitted))
        print(f"  {rows[-1]}", flush=True)
    for name, config in models.items():
        start = time.perf_counter()
        folder = run_dir / _folder_name(name)
        lm = (language_models or {}).get(name.split(" seed ")[0])
        train_classifier(train, valid, config, folder, language_model=lm)
        fitted = time.perf_counter()
        proba, families, seconds = _timed_prediction([folder / "model"], test)
        rows.append(_row(name, truth, proba, families, fitted - start, seconds))
        print(f"  {rows[-1]}", flush=True)
    return rows


def _folder_name(approach: str) -> str:
    """The run folder of an approach: 'ProtCNN (aa) seed 0' -> 'ProtCNN-aa-seed-0'."""
    return "-".join(approach.replace("(", "").replace(")", "").split())


def _timed_prediction(
    folders: list[Path], test: list[ProteinRecord]
) -> tuple[np.ndarray, list[str], float]:
    """Load the model (several: their ensemble) and predict ``test``; loading is timed too,
    as it is part of a query."""
    start = time.perf_counter()
    classifier = load_classifier(*folders)
    proba = classifier.predict_proba([r.sequence for r in test])
    return proba, classifier.families, time.perf_counter() - start


def ensemble_row(name: str, folders: list[Path], test: list[ProteinRecord]) -> dict:
    """Score the average of the trained models in ``folders`` (no training; one folder: that
    model). Fit seconds are the models' recorded training seconds, summed."""
    proba, families, seconds = _timed_prediction(folders, test)
    fit_s = sum(
        json.loads((f / "config.json").read_text())["info"]["finetune"]["seconds"] for f in folders
    )
    truth = [r.family for r in test]
    return _row(name, truth, proba, families, fit_s, seconds)


def _row(name, truth, proba, classes, fit_s, predict_s) -> dict:  # type: ignore[no-untyped-def]
    return {
        "approach": name,
        **score_probabilities(truth, proba, list(classes)),
        "fit_s": fit_s,
        "predict_s": predict_s,
        "queries_per_s": len(truth) / max(predict_s, 1e-9),
    }


def lm_configs(
    lm: ProteinLanguageModel, args: argparse.Namespace, *, max_tokens: int
) -> tuple[ProteinTrainConfig, ProteinTrainConfig]:
    """ULMFiT from the pretrained LM, and the same LSTM shape trained from random weights."""
    shape = {"dim": lm.shape.dim, "hidden": lm.shape.hidden, "layers": lm.shape.layers}
    common = {"model": "lstm", "finetune_epochs": args.kinase_lstm_epochs, **shape}
    ulmfit = ProteinTrainConfig(
        pretrain_epochs=args.kinase_lm_epochs, max_tokens=max_tokens, **common
    )
    return ulmfit, replace(ulmfit, pretrain_epochs=0)


def pfam_part(args: argparse.Namespace) -> tuple[pd.DataFrame, dict]:
    records, dropped = deduplicate(load_records(DATA / "pfam-families"))
    total = len(records)
    records = subsample(
        records,
        max_per_family=args.per_family,
        families=args.families,
        min_per_family=args.per_family,
        seed=0,
    )
    cnn_dim, cnn_epochs = args.cnn_dim or args.dim, args.cnn_epochs or args.epochs
    tf_epochs = args.transformer_epochs or args.epochs
    choices = {
        "cnn": ("ProtCNN (aa)", ProteinTrainConfig(
            model="cnn", dim=cnn_dim, finetune_epochs=cnn_epochs, finetune_lr=5e-3, max_tokens=512
        ), f"width {cnn_dim}, {cnn_epochs} epochs"),
        "transformer": ("Transformer no pretraining (aa)", ProteinTrainConfig(
            model="transformer", dim=args.dim, pretrain_epochs=0, finetune_epochs=tf_epochs,
            max_tokens=512,
        ), f"width {args.dim}, 2 layers, {tf_epochs} epochs"),
        "ulmfit": ("AWD-LSTM ULMFiT (aa)", ProteinTrainConfig(
            model="lstm", dim=args.dim, hidden=2 * args.dim, pretrain_epochs=args.pretrain_epochs,
            finetune_epochs=args.epochs, max_tokens=512,
        ), f"width {args.dim}, LM {args.pretrain_epochs} + {args.epochs} epochs"),
        "scratch": ("AWD-LSTM no pretraining (aa)", ProteinTrainConfig(
            model="lstm", dim=args.dim, hidden=2 * args.dim, pretrain_epochs=0,
            finetune_epochs=args.epochs, max_tokens=512,
        ), f"width {args.dim}, {args.epochs} epochs"),
    }  # fmt: skip
    lm = ProteinLanguageModel.load(args.lm) if args.lm else None
    if lm is not None:
        ulmfit, scratch = lm_configs(lm, args, max_tokens=512)
        epochs = f"{args.kinase_lm_epochs} + {args.kinase_lstm_epochs}"
        choices["ulmfit-lm"] = (
            LM_APPROACH,
            ulmfit,
            f"proteome LM, {lm.shape.layers} layers x {lm.shape.hidden}; LM {epochs} epochs",
        )
        choices["lstm-lm-shape"] = (
            PFAM_LM_SCRATCH,
            scratch,
            f"the proteome LM's shape, random weights, {args.kinase_lstm_epochs} epochs",
        )
    unknown = set(args.pfam_models) - set(choices)
    if unknown:
        raise SystemExit(f"--pfam-models {sorted(unknown)}: these need --lm FOLDER")
    setups = {name: setup for name, _, setup in choices.values()}
    models = {
        f"{name} seed {seed}": replace(config, seed=seed)
        for name, config, _ in (choices[key] for key in args.pfam_models)
        for seed in range(args.pfam_seeds)
    }
    frames, info = [], {"records_after_dedup": total, "dropped": dropped, "used": len(records)}
    for split_name in ("random", "clustered"):
        if split_name == "random":
            parts = random_split(records, seed=0)
        else:
            parts = clustered_split(records, identity=args.identity, seed=0)
        info[split_name] = {k: len(v) for k, v in parts.items()}
        print(f"pfam {split_name}: {info[split_name]}", flush=True)
        rows = run_approaches(
            parts,
            models,
            RUNS / f"pfam-{split_name}",
            baselines=not args.skip_pfam_baselines,
            esm=args.esm,
            language_models={LM_APPROACH: lm} if lm is not None else None,
        )
        for key in args.pfam_rescore:  # time saved seed models again, without training
            approach = choices[key][0]
            for seed in range(args.pfam_seeds):
                name = f"{approach} seed {seed}"
                folder = RUNS / f"pfam-{split_name}" / _folder_name(name) / "model"
                rows.append(ensemble_row(name, [folder], parts["test"]))
                print(f"  {rows[-1]}", flush=True)
        for key in args.pfam_ensembles:  # the seed models trained by this or an earlier run
            approach = choices[key][0]
            folders = [
                RUNS / f"pfam-{split_name}" / _folder_name(f"{approach} seed {seed}") / "model"
                for seed in range(args.pfam_seeds)
            ]
            name = f"{approach} ensemble of {len(folders)}"
            rows.append(ensemble_row(name, folders, parts["test"]))
            setups[name] = f"mean probability of the {len(folders)} seed models above"
            print(f"  {rows[-1]}", flush=True)
        frame = pd.DataFrame(rows)
        seeds = frame["approach"].str.extract(r" seed (\d+)$")[0]
        frame["seed"] = pd.to_numeric(seeds)
        frame["approach"] = frame["approach"].str.replace(r" seed \d+$", "", regex=True)
        frame["setup"] = frame["approach"].map(setups).fillna("deterministic")
        frame.insert(0, "split", split_name)
        frames.append(frame)
    info["families"] = len(family_counts(records))
    return pd.concat(frames, ignore_index=True), info


def read_kinases() -> list[ProteinRecord]:
    """KinHub groups joined to UniProt sequences; multi-group rows and groups < 5 dropped."""
    groups = pd.read_csv(DATA / "human-kinome-groups" / "kinhub.csv")
    sequences = pd.read_csv(DATA / "human-kinome-groups" / "kinhub_uniprot.csv")
    table = groups.merge(sequences, left_on="UniprotID", right_on="uniprot_id")
    table = table[~table["Group"].str.contains(",")].drop_duplicates("UniprotID")
    counts = table["Group"].value_counts()
    table = table[table["Group"].isin(counts[counts >= 5].index)]
    return [
        ProteinRecord(
            row.UniprotID, check_sequence(row.canonical_sequence, record=row.UniprotID), row.Group
        )
        for row in table.itertuples()
    ]


def kinase_part(args: argparse.Namespace) -> tuple[pd.DataFrame, dict]:
    from sklearn.model_selection import StratifiedKFold

    records, dropped = deduplicate(read_kinases())
    labels = [r.family for r in records]
    choices = {
        "cnn": ("ProtCNN (aa)", ProteinTrainConfig(
            model="cnn", dim=args.dim, finetune_epochs=args.epochs, finetune_lr=5e-3,
            max_tokens=args.kinase_tokens,
        )),
        "transformer": ("Transformer no pretraining (aa)", ProteinTrainConfig(
            model="transformer", dim=args.dim, pretrain_epochs=0,
            finetune_epochs=args.kinase_transformer_epochs,
            max_tokens=args.kinase_transformer_tokens,
        )),
    }  # fmt: skip
    lm = ProteinLanguageModel.load(args.lm) if args.lm else None
    if lm is not None:
        ulmfit, scratch = lm_configs(lm, args, max_tokens=args.kinase_lstm_tokens)
        choices["ulmfit"] = (LM_APPROACH, ulmfit)
        choices["lstm"] = ("AWD-LSTM no pretraining (aa)", scratch)
    unknown = set(args.kinase_models) - set(choices)
    if unknown:
        raise SystemExit(f"--kinase-models {sorted(unknown)}: ulmfit and lstm need --lm FOLDER")
    models = dict(choices[key] for key in args.kinase_models)
    rows = []
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    for fold, (train_index, test_index) in enumerate(folds.split(np.zeros(len(labels)), labels)):
        train = [records[i] for i in train_index]
        valid = train[::10] if models else []
        parts = {
            "train": [r for i, r in enumerate(train) if i % 10],
            "valid": valid,
            "test": [records[i] for i in test_index],
        }
        if not models:
            parts = {"train": train, "valid": [], "test": parts["test"]}
        print(f"kinases fold {fold}", flush=True)
        rows_fold = run_approaches(
            parts,
            models,
            RUNS / f"kinases-fold{fold}",
            phmmer=not args.kinase_skip_phmmer,
            baselines=not args.kinase_models_only,
            esm=args.esm,
            language_models={LM_APPROACH: lm} if lm is not None else None,
        )
        for row in rows_fold:
            rows.append({"fold": fold, **row})
    info = {"kinases": len(records), "dropped": dropped, "groups": family_counts(records)}
    return pd.DataFrame(rows), info


def grid_part(args: argparse.Namespace) -> tuple[pd.DataFrame, ExperimentConfig]:
    config = ExperimentConfig(
        name="homework grid · Pfam subset",
        source=str(DATA / "pfam-families"),
        families=args.grid_families,
        per_family=args.grid_per_family,
        split="random",
        tokenizers=("aa", "unigram"),
        vocab_sizes=tuple(args.vocab_sizes),
        models=("lstm", "transformer"),
        seeds=tuple(range(args.seeds)),
        train=replace(
            ProteinTrainConfig(),
            dim=args.grid_dim, hidden=2 * args.grid_dim, layers=2, heads=2, seq_len=64,
            pretrain_epochs=args.grid_pretrain_epochs, finetune_epochs=args.grid_epochs, max_tokens=384,
        ),
    )  # fmt: skip
    if args.grid_from_csv:  # a stopped grid: report the runs that finished
        frame = pd.read_csv(RUNS / "grid" / "results.csv")
        write_text(RUNS / "grid" / "table.md", markdown_table(summarise(frame)))
        plot_accuracy_vs_vocab(frame, RUNS / "grid" / "accuracy_vs_vocab.png", title=config.name)
    else:
        frame = run_experiment(config, RUNS / "grid")
    for name in ("results.csv", "table.md", "accuracy_vs_vocab.png"):
        (FILES / f"grid_{name}").write_bytes((RUNS / "grid" / name).read_bytes())
    return frame, config


def pfam_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per split and approach: mean ± std over seeds, and how many seeds ran."""
    frame = frame.copy()
    if "setup" not in frame:  # rows from before seeds were recorded
        frame["setup"] = "one run"
    frame["setup"] = frame["setup"].fillna("one run")
    table = _summary(frame, ["split", "approach", "setup"])
    table["runs"] = frame.groupby(["split", "approach", "setup"], sort=False).size().to_numpy()
    return table


def _pfam_means(path: Path) -> pd.DataFrame:
    """pfam.csv averaged over seeds: one row per (split, approach), with its test size ``n``
    and its number of ``runs``."""
    frame = pd.read_csv(path)
    metrics = ["accuracy", "macro_f1", "log_loss", "queries_per_s"]
    grouped = frame.groupby(["split", "approach"], sort=False)
    means = grouped[metrics].mean()
    means["n"], means["runs"] = grouped["n"].first().astype(int), grouped.size()
    return means.reset_index()


def _summary(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    metrics = ["accuracy", "macro_f1", "log_loss", "fit_s", "queries_per_s"]
    stats = frame.groupby(by, sort=False)[metrics].agg(["mean", "std"])
    out = stats.index.to_frame(index=False)
    for metric in metrics:
        digits = 1 if metric in ("fit_s", "queries_per_s") else 3
        out[metric] = [
            f"{m:.{digits}f} ± {s:.{digits}f}" if not np.isnan(s) else f"{m:.{digits}f}"
            for m, s in zip(stats[(metric, "mean")], stats[(metric, "std")])
        ]
    return out


def _has_approach(csv: Path, approach: str) -> bool:
    """Whether the results table ``csv`` exists and has rows for ``approach``."""
    return csv.exists() and approach in set(pd.read_csv(csv)["approach"])


def _invocation_prefix() -> str:
    """The thread limit and niceness this process really ran with, as shell words.

    Under ``OMP_NUM_THREADS=1 nice -n 10`` this is ``"OMP_NUM_THREADS=1 nice -n 10 "``; with
    neither set it is ``""``, so the page records the command as it was really run.
    """
    words = []
    if os.environ.get("OMP_NUM_THREADS"):
        words.append(f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}")
    niceness = os.nice(0)
    if niceness > 0:
        words.append(f"nice -n {niceness}")
    return " ".join(words) + " " if words else ""


def write_page(
    args: argparse.Namespace, sections: dict[str, tuple[str, str]], started: float
) -> Path:
    command = _invocation_prefix() + "python benchmarks/proteins.py " + shlex.join(sys.argv[1:])
    lines = [
        "# Proteins: family classification, tokenizers x language models x alignment",
        "",
        "- Commands: each part below names the command that produced it (parts ran as separate "
        "processes side by side to fit the time); `python benchmarks/proteins.py` runs them all.",
        f"- Page written: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "- Scope: sized for 2 CPU cores shared with other training, so every part uses a subset "
        "(stated in the part) and short training; single runs unless seeds are listed. Not run: "
        "pretrained ESM embeddings (the baseline is built and tested with a tiny random ESM; no "
        "ESM weights are on this offline machine: `--esm FOLDER` adds the row); "
        + (
            ""
            if _has_approach(FILES / "pfam.csv", LM_APPROACH)
            else "Pfam rows starting from the proteome LM "
            "(`--pfam-models ulmfit-lm lstm-lm-shape --lm FOLDER`); "
        )
        + "subword-token or transformer LMs pretrained on the proteomes; more than one seed of "
        "the kinase LSTMs.",
        f"- Machine: {_machine()}; other jobs shared the 2 cores during the run, so seconds and "
        "queries/s are pessimistic and noisy, but all approaches ran under the same load.",
        "- Queries/s = test sequences / wall seconds of prediction, including model loading (castlab "
        "models), database search start-up (blastp runs as a new process per batch) or in-process "
        "digitisation (phmmer). Fit seconds include tokenizer, LM pretraining and database building, "
        "except the proteome LM's one-off pretraining (its own section gives its time).",
        "- Log loss: natural log, probabilities clipped at 1e-15. For phmmer/blastp the probability of "
        "family f is 2^(best bit score of f), normalised (see castlab.proteins.baselines).",
        "",
    ]
    for key, (title, text) in sections.items():  # this run's parts, saved for other runs' pages
        (FILES / f"section_{key}.md").write_text(
            f"## {title}\n\nCommand: `{command.strip()}`; finished {datetime.now(UTC):%Y-%m-%d %H:%M} "
            f"UTC after {time.time() - started:.0f} s.\n\n{text}\n"
        )
    for key in ("pfam", "lm", "kinases", "grid", "conclusion"):  # parts run earlier or in parallel
        if (FILES / f"section_{key}.md").exists():
            lines += [(FILES / f"section_{key}.md").read_text()]
    path = RESULTS / "proteins.md"
    path.write_text("\n".join(lines))
    return path


def lm_section(args: argparse.Namespace) -> str:
    """What the pretrained LM of --lm is, how it was made and how well it predicts residues."""
    lm = ProteinLanguageModel.load(args.lm)
    info, config = lm.info, lm.info.get("config", {})
    kinases = [r.sequence[: args.kinase_lstm_tokens - 1] for r in read_kinases()]
    kinase_accuracy = lm.next_token_accuracy(kinases, max_tokens=args.kinase_lstm_tokens)
    residues = pd.Series(list("".join(kinases))).value_counts(normalize=True)

    def shown(key: str) -> str:
        return f"{info[key]:.3f}" if key in info else "not measured (no epoch ended)"

    return (
        f"Made by: `{args.lm_command or 'castlab proteins pretrain ...'}`, "
        f"{info.get('seconds', float('nan')):.0f} s on one core.\n\n"
        f"Data: {info.get('source')} (../shared/data/protein-unlabelled: E. coli K-12, "
        f"Pseudomonas koreensis and Flavobacterium pectinovorum reference proteomes), "
        f"{info.get('sequences')} sequences shuffled, 5% held out; {info.get('train_tokens'):,} "
        f"training tokens (single amino acids).\n\n"
        f"Model: AWD-LSTM ({lm.shape.layers} layers, embedding {lm.shape.dim}, hidden "
        f"{lm.shape.hidden}, weight-dropped, tied decoder), windows of {config.get('seq_len')} "
        f"tokens, batch {config.get('batch_size')}, {config.get('epochs')} epoch(s) = "
        f"{info.get('steps')} steps of one-cycle AdamW.\n\n"
        "| measure | value |\n|---|---|\n"
        f"| next-residue accuracy, held-out proteome proteins | {shown('val_accuracy')} |\n"
        f"| validation loss (nats per residue; uniform over 20 = 3.00) | {shown('val_loss')} |\n"
        f"| next-residue accuracy on the {len(kinases)} human kinases (first "
        f"{args.kinase_lstm_tokens - 1} residues; never seen) | {kinase_accuracy:.3f} |\n"
        f"| always guessing the kinases' commonest residue ({residues.index[0]}) | "
        f"{residues.iloc[0]:.3f} |\n"
        "\nThe blog's LM reached ~32% next-token accuracy on *subword* tokens, which are longer "
        "than one residue, so the numbers are not comparable.\n"
    )


def _verdict(a: pd.Series, b: pd.Series) -> str:
    """'higher', 'lower' or 'indistinguishable' for the mean of a against b (1 pooled std)."""
    spread = float(
        np.sqrt((a.var(ddof=1) if len(a) > 1 else 0) + (b.var(ddof=1) if len(b) > 1 else 0))
    )
    difference = float(a.mean() - b.mean())
    if abs(difference) <= max(spread, 1e-9):
        return "indistinguishable from"
    return "higher than" if difference > 0 else "lower than"


def conclusion() -> str:
    """Plain statements computed from the CSVs under docs/results/proteins/."""
    lines = []
    pfam_path = FILES / "pfam.csv"
    if pfam_path.exists():
        pfam = _pfam_means(pfam_path)
        for split in pfam["split"].unique():
            part = pfam[pfam["split"] == split].set_index("approach")
            ours = part.loc[[a for a in part.index if any(k in a for k in CASTLAB_MODELS)]]
            best = ours["accuracy"].idxmax()
            blast = [a for a in part.index if a.startswith("blastp")]
            if blast:
                b = part.loc[blast[0]]
                speeds = ours["queries_per_s"] / b["queries_per_s"]
                # float ties: equal accuracies computed along different paths
                passing = ours[(ours["accuracy"] >= b["accuracy"] - 1e-9) & (speeds >= 10)]
                lines.append(
                    f"- Pfam {split} split: most accurate castlab model {best} "
                    f"{ours.loc[best, 'accuracy']:.3f} accuracy (mean over its runs), "
                    f"{speeds[best]:.0f}x blastp's queries/s; blastp top-1 {b['accuracy']:.3f}. "
                    "Target (a castlab model >= blastp accuracy and >= 10x its queries/s): "
                    + (
                        "met by "
                        + ", ".join(
                            f"{a} ({passing.loc[a, 'accuracy']:.3f}, {speeds[a]:.0f}x)"
                            for a in passing.index
                        )
                        if len(passing)
                        else "NOT met"
                    )
                    + "."
                )
                n = int(b["n"])
                lines.append(
                    f"  The {split} test part has {n} sequences, so one error moves accuracy by "
                    f"{1 / n:.3f}: the best castlab model and blastp differ by "
                    f"{abs(ours.loc[best, 'accuracy'] - b['accuracy']) * n:.1f} errors; see the "
                    "table's std for how much single seeds differ."
                )
    if pfam_path.exists():
        pfam = _pfam_means(pfam_path).set_index(["split", "approach"])
        for split in ("random", "clustered"):
            key_pre, key_scratch = (
                (split, "AWD-LSTM ULMFiT (aa)"),
                (split, "AWD-LSTM no pretraining (aa)"),
            )
            if key_pre in pfam.index and key_scratch in pfam.index:
                folders = sorted((RUNS / f"pfam-{split}").glob("AWD-LSTM-ULMFiT*"))
                config = folders[0] / "model" / "config.json" if folders else Path("-")
                lm = ""
                if config.exists():
                    pre = json.loads(config.read_text())["info"].get("pretrain", {})
                    lm = (
                        f" (its language model reached {pre.get('val_accuracy', float('nan')):.3f} "
                        f"next-residue accuracy after {pre.get('steps')} steps)"
                    )
                pre_acc, scratch_acc = (
                    pfam.loc[key_pre, "accuracy"],
                    pfam.loc[key_scratch, "accuracy"],
                )
                lines.append(
                    f"- Pretraining, Pfam {split} split: ULMFiT LSTM {pre_acc:.3f}{lm} vs the same "
                    f"LSTM from random weights {scratch_acc:.3f}: at this pretraining budget, "
                    f"pretraining {'helped' if pre_acc > scratch_acc else 'hurt'}. The blog's gain "
                    "came from a language model that had learnt something (about 32% next-token "
                    "accuracy on subwords); one that has not yet beaten guessing common residues "
                    "is a worse start than random weights."
                )
    if pfam_path.exists():
        pfam = _pfam_means(pfam_path).set_index(["split", "approach"])
        for split in ("random", "clustered"):
            if (split, LM_APPROACH) in pfam.index and (split, PFAM_LM_SCRATCH) in pfam.index:
                pre, scratch = pfam.loc[(split, LM_APPROACH)], pfam.loc[(split, PFAM_LM_SCRATCH)]
                n = int(pre["n"])
                errors = [round((1 - row["accuracy"]) * n) for row in (pre, scratch)]
                lines.append(
                    f"- Pretraining on proteomes, Pfam {split} split: ULMFiT from the proteome LM "
                    f"{pre['accuracy']:.3f} (log loss {pre['log_loss']:.3f}) vs the same LSTM "
                    f"from random weights {scratch['accuracy']:.3f} (log loss "
                    f"{scratch['log_loss']:.3f}), i.e. {errors[0]} vs {errors[1]} errors in {n} "
                    f"test sequences, {int(pre['runs'])} and {int(scratch['runs'])} run(s); "
                    "compare the spread of the 3-seed rows before reading a gap of one or two "
                    "errors as real."
                )
    kinase_path = FILES / "kinases.csv"
    if kinase_path.exists():
        kinases = pd.read_csv(kinase_path).groupby("approach")["accuracy"].mean()
        nets = kinases[[a for a in kinases.index if any(k in a for k in CASTLAB_MODELS)]]
        if len(nets):
            lines.append(
                f"- Kinase groups: best castlab network {nets.idxmax()} {nets.max():.3f} vs "
                + ", ".join(f"{a} {v:.3f}" for a, v in kinases.drop(nets.index).items())
                + (
                    ": on ~400 full-length training kinases per fold, every castlab network here "
                    "(trained for a few epochs on 2 CPU cores) is behind every baseline."
                    if nets.max() < kinases.drop(nets.index).min()
                    else "."
                )
            )
        scratch = "AWD-LSTM no pretraining (aa)"
        if LM_APPROACH in kinases.index and scratch in kinases.index:
            folds = pd.read_csv(kinase_path).pivot(
                index="fold", columns="approach", values="accuracy"
            )
            gain = folds[LM_APPROACH] - folds[scratch]
            lines.append(
                f"- Pretraining, kinase groups: ULMFiT from the proteome LM "
                f"{kinases[LM_APPROACH]:.3f} vs the same LSTM from random weights "
                f"{kinases[scratch]:.3f} (same folds, epochs and shape): pretraining "
                f"{'helped' if gain.mean() > 0 else 'did not help'} "
                f"({gain.mean():+.3f} accuracy, better in {int((gain > 0).sum())} of "
                f"{len(gain)} folds)."
            )
    grid_path = FILES / "grid_results.csv"
    if grid_path.exists():
        grid = pd.read_csv(grid_path)
        for model in grid["model"].unique():
            part = grid[grid["model"] == model]
            aa = part[part["tokenizer"] == "aa"]["accuracy"]
            subword = part[part["tokenizer"] != "aa"]
            if aa.empty or subword.empty:
                continue
            means = subword.groupby("vocab")["accuracy"].mean()
            vocab = int(means.idxmax())
            best = subword[subword["vocab"] == vocab]["accuracy"]
            trend = ", ".join(
                f"{int(v)}: {m:.3f}" for v, m in part.groupby("vocab")["accuracy"].mean().items()
            )
            lines.append(
                f"- Grid, {model}: mean accuracy by vocabulary size (29 = amino acids): {trend}."
            )
            lines.append(
                f"- Grid, {model}: single amino acids {aa.mean():.3f} ± {aa.std():.3f} vs the best "
                f"subword vocabulary ({vocab}) {best.mean():.3f} ± {best.std():.3f}: amino acids are "
                f"{_verdict(aa, best)} subwords (difference vs one pooled std over seeds)."
            )
        lstm, transformer = grid[grid["model"] == "lstm"], grid[grid["model"] == "transformer"]
        if len(lstm) and len(transformer):
            lines.append(
                f"- Grid, all tokenizers: LSTM {lstm['accuracy'].mean():.3f} vs transformer "
                f"{transformer['accuracy'].mean():.3f} mean accuracy; the LSTM is "
                f"{_verdict(lstm['accuracy'], transformer['accuracy'])} the transformer."
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--families", type=int, default=15)
    parser.add_argument("--per-family", type=int, default=60)
    parser.add_argument("--identity", type=float, default=0.5)
    parser.add_argument("--dim", type=int, default=48)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--pretrain-epochs", type=int, default=8)
    parser.add_argument("--kinase-tokens", type=int, default=1024)
    parser.add_argument(
        "--kinase-models",
        nargs="*",
        default=["cnn"],
        help="cnn, transformer, ulmfit, lstm (the last two need --lm; none: baselines only)",
    )
    parser.add_argument("--kinase-transformer-epochs", type=int, default=10)
    parser.add_argument(
        "--lm",
        type=Path,
        default=None,
        help="pretrained LM folder (castlab proteins pretrain): enables the ulmfit/lstm models",
    )
    parser.add_argument("--lm-command", default="", help="the command that made --lm (shown)")
    parser.add_argument("--kinase-lm-epochs", type=int, default=1, help="ULMFiT stage 2 epochs")
    parser.add_argument("--kinase-lstm-epochs", type=int, default=8, help="classifier epochs")
    parser.add_argument("--kinase-lstm-tokens", type=int, default=512)
    parser.add_argument("--kinase-transformer-tokens", type=int, default=512)
    parser.add_argument("--kinase-skip-phmmer", action="store_true")
    parser.add_argument(
        "--kinase-models-only", action="store_true", help="add/replace those rows in kinases.csv"
    )
    parser.add_argument(
        "--kinase-append",
        action="store_true",
        help="keep kinases.csv rows of approaches not re-run",
    )
    parser.add_argument("--skip-kinases", action="store_true")
    parser.add_argument("--skip-pfam", action="store_true")
    parser.add_argument(
        "--pfam-models", nargs="*", default=["cnn", "transformer", "ulmfit", "scratch"]
    )
    parser.add_argument(
        "--esm", type=Path, default=None, help="ESM model folder: adds the embeddings baseline"
    )
    parser.add_argument("--pfam-seeds", type=int, default=3, help="seeds per Pfam model")
    parser.add_argument(
        "--pfam-rescore",
        nargs="*",
        default=[],
        help="score these models' saved seed runs again (timing) instead of training them",
    )
    parser.add_argument("--pfam-note", default="", help="a remark printed under the Pfam table")
    parser.add_argument(
        "--pfam-ensembles",
        nargs="*",
        default=["cnn", "transformer"],
        help="also score the average of these models' seed runs",
    )
    parser.add_argument("--cnn-dim", type=int, default=64, help="ProtCNN width on Pfam")
    parser.add_argument("--cnn-epochs", type=int, default=30, help="ProtCNN epochs on Pfam")
    parser.add_argument("--transformer-epochs", type=int, default=25, help="on Pfam")
    parser.add_argument("--skip-pfam-baselines", action="store_true")
    parser.add_argument("--append", action="store_true", help="merge into an existing pfam.csv")
    parser.add_argument("--skip-grid", action="store_true")
    parser.add_argument("--grid-families", type=int, default=10)
    parser.add_argument("--grid-per-family", type=int, default=40)
    parser.add_argument("--grid-dim", type=int, default=32)
    parser.add_argument("--grid-pretrain-epochs", type=int, default=0)
    parser.add_argument("--grid-epochs", type=int, default=12)
    parser.add_argument("--vocab-sizes", type=int, nargs="+", default=[64, 256, 1024])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--grid-from-csv", action="store_true", help="report a stopped grid's runs")
    parser.add_argument("--conclusion-only", action="store_true", help="rewrite the page's summary")
    args = parser.parse_args()
    if args.esm is not None and not esm_available(args.esm):
        parser.error(f"--esm {args.esm}: no config.json there (a transformers ESM model folder)")
    torch.set_num_threads(1)
    FILES.mkdir(parents=True, exist_ok=True)
    started = time.time()
    sections: dict[str, tuple[str, str]] = {}
    if args.conclusion_only:
        args.skip_pfam = args.skip_kinases = args.skip_grid = True
        sections["conclusion"] = ("Conclusion (computed from the tables above)", conclusion())
    if not args.skip_pfam:
        frame, info = pfam_part(args)
        if (
            args.append and (FILES / "pfam.csv").exists()
        ):  # replace re-run approaches, keep the rest
            old = pd.read_csv(FILES / "pfam.csv")
            keep = ~old.set_index(["split", "approach"]).index.isin(
                frame.set_index(["split", "approach"]).index
            )
            info["kept"] = sorted(set(old[keep]["approach"]))
            earlier = FILES / "section_pfam.md"
            if earlier.exists():  # name the command that made the kept rows
                match = re.search(r"Command: (`[^`]+`)", earlier.read_text())
                info["earlier"] = match.group(1) if match else ""
            frame = pd.concat([old[keep], frame], ignore_index=True)
            order = {name: i for i, name in enumerate(dict.fromkeys(old["approach"]))}
            frame = frame.sort_values(
                ["split", "approach"],
                key=lambda c: (
                    c.map(order).fillna(99)
                    if c.name == "approach"
                    else c.map({"random": 0, "clustered": 1})
                ),
            ).reset_index(drop=True)
        frame.to_csv(FILES / "pfam.csv", index=False)
        plot_approaches(
            frame, FILES / "pfam_accuracy.png", group="split", title="Pfam families · test accuracy"
        )
        table = pfam_table(frame)
        sections["pfam"] = (
            "Pfam families: random and clustered split",
            f"Data: ../shared/data/pfam-families (kortemme-covariation, bitbol seed+full, hmmer-examples), "
            f"{info['records_after_dedup']} sequences after de-duplication ({info['dropped']}); the "
            f"{info['families']} largest families, {args.per_family} sequences each ({info['used']} in all, "
            f"seed 0). Random split {info['random']}; clustered split (single linkage at estimated identity "
            f">= {args.identity} within a family, whole clusters per part) {info['clustered']}. Models: "
            "as the setup column says, each trained with seeds 0, 1, ... (mean ± std over seeds; the "
            "split is fixed); the ULMFiT LSTM is pretrained as a language model on the training "
            "sequences first (the 'no pretraining' networks start from random weights). The "
            "alignment and k-mer baselines are deterministic (one run).\n\n"
            + (
                f"This command re-ran {', '.join(sorted(set(frame['approach']) - set(info['kept'])))}; "
                "the other rows come from earlier runs (same data, split and code for them"
                + (f"; the last one: {info['earlier']}" if info.get("earlier") else "")
                + ").\n\n"
                if info.get("kept")
                else ""
            )
            + markdown_table(table)
            + (f"\n{args.pfam_note}\n" if args.pfam_note else "")
            + "\n![accuracy](proteins/pfam_accuracy.png)\n",
        )
        write_page(args, sections, started)
    if args.lm:
        sections["lm"] = ("The proteome language model (ULMFiT stage 1)", lm_section(args))
    if not args.skip_kinases:
        frame, info = kinase_part(args)
        merge = args.kinase_models_only or args.kinase_append
        if merge and (FILES / "kinases.csv").exists():  # replace the re-run rows, keep the rest
            old = pd.read_csv(FILES / "kinases.csv")
            rerun = set(frame["approach"])
            frame = pd.concat([old[~old["approach"].isin(rerun)], frame], ignore_index=True)
        frame.to_csv(FILES / "kinases.csv", index=False)
        sections["kinases"] = (
            "Human kinase groups: 5-fold cross-validation",
            f"Data: ../shared/data/human-kinome-groups, {info['kinases']} kinases with one group "
            f"(multi-group rows and groups under 5 members dropped; de-duplication dropped "
            f"{info['dropped']}); groups {info['groups']}. Full-length UniProt sequences"
            + (
                ""
                if not set(frame["approach"]) & {"ProtCNN (aa)", "Transformer no pretraining (aa)"}
                else f" (ProtCNN sees the first {args.kinase_tokens - 1} residues and trains "
                f"{args.epochs} epochs; the transformer sees the first "
                f"{args.kinase_transformer_tokens - 1} and trains {args.kinase_transformer_epochs} "
                f"epochs; width {args.dim}, one seed each)"
            )
            + (
                f". The two AWD-LSTM rows have the proteome LM's shape and see the first "
                f"{args.kinase_lstm_tokens - 1} residues: ULMFiT fine-tunes the proteome LM "
                f"(section above) on each fold's training kinases for {args.kinase_lm_epochs} "
                f"epoch(s), then trains the classifier {args.kinase_lstm_epochs} epochs with "
                "gradual unfreezing and discriminative learning rates; 'no pretraining' trains the "
                f"same network from random weights for {args.kinase_lstm_epochs} epochs. Their fit "
                "seconds leave out the one-off LM pretraining"
                if args.lm
                else ""
            )
            + ". Mean ± std over the 5 stratified folds (seed 0)."
            + (
                " phmmer is not in this table: on full-length kinases (every pair is homologous, "
                "and titin and obscurin are 34,350 and 7,968 residues long) it had not finished "
                "the first fold after 11 minutes on this shared machine, so it was left out."
                if args.kinase_skip_phmmer
                else ""
            )
            + "\n\n"
            + markdown_table(_summary(frame, ["approach"])),
        )
        write_page(args, sections, started)
    if not args.skip_grid:
        frame, config = grid_part(args)
        sections["grid"] = (
            "Homework grid: amino acids vs subwords, LSTM vs transformer",
            f"Data: the {config.families} largest Pfam families of the set above, {config.per_family} "
            f"sequences each, random split (seed 0). Each run: tokenizer learnt on the training "
            f"sequences, then a classifier (width {config.train.dim}, 2 layers, concat pooling) "
            + (
                f"whose language model was pretrained {config.train.pretrain_epochs} epochs on them, "
                "fine-tuned with gradual unfreezing"
                if config.train.pretrain_epochs
                else "trained from scratch (no LM pretraining: see the note below)"
            )
            + f" for {config.train.finetune_epochs} epochs; seeds {list(config.seeds)} (the seed "
            "changes initialisation and batch order; the split is fixed). "
            + (
                "Table and plot rebuilt from the results.csv of the grid run (the same options "
                "without --grid-from-csv). "
                if args.grid_from_csv
                else ""
            )
            + f"Runs finished: {len(frame)} of {len(config.runs())}"
            + (
                " (the grid was stopped to fit the session; the table shows those that finished)"
                if len(frame) < len(config.runs())
                else ""
            )
            + ".\n\n"
            + markdown_table(summarise(frame))
            + "\n![grid](proteins/grid_accuracy_vs_vocab.png)\n",
        )
        write_page(args, sections, started)
    if sections:
        write_page(args, sections, started)
    print(f"done in {time.time() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
