"""Proteins, part 2: human kinase groups (KinHub), 5-fold stratified cross-validation.

Writes ``docs/results/proteins/kinases.csv`` and ``section_kinases.md``, then reassembles
``docs/results/proteins.md``.

Usage::

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/proteins_kinases.py     # baselines + ProtCNN
    python benchmarks/proteins_kinases.py --kinase-models ulmfit lstm --kinase-models-only \\
        --lm runs/proteins/lm-proteomes/model   # add the LSTM rows, keep the others

Data: ../shared/data/human-kinome-groups, kinases with one group (multi-group rows and groups
under 5 members dropped), full-length UniProt sequences. Measures accuracy, macro-F1, log
loss, fit seconds and queries/s (mean ± std over the folds) of the k-mer, phmmer and blastp
baselines and the ``--kinase-models`` networks (ProtCNN by default).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from _common import markdown_table
from _proteins import (
    FILES,
    LM_APPROACH,
    RUNS,
    add_lm_options,
    lm_configs,
    read_kinases,
    run_approaches,
    summary,
    write_proteins_page,
    write_section,
)

from castlab.proteins.baselines import esm_available
from castlab.proteins.data import family_counts
from castlab.proteins.pretrain import ProteinLanguageModel
from castlab.proteins.splits import deduplicate
from castlab.proteins.train import ProteinTrainConfig


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
        test = [records[i] for i in test_index]
        if models:  # every tenth training kinase validates the networks
            parts = {"train": [r for i, r in enumerate(train) if i % 10], "valid": train[::10]}
        else:
            parts = {"train": train, "valid": []}
        print(f"kinases fold {fold}", flush=True)
        rows_fold = run_approaches(
            {**parts, "test": test},
            models,
            RUNS / f"kinases-fold{fold}",
            phmmer=not args.kinase_skip_phmmer,
            with_baselines=not args.kinase_models_only,
            esm=args.esm,
            language_models={LM_APPROACH: lm} if lm is not None else None,
        )
        rows += [{"fold": fold, **row} for row in rows_fold]
    info = {"kinases": len(records), "dropped": dropped, "groups": family_counts(records)}
    return pd.DataFrame(rows), info


def section_text(frame: pd.DataFrame, info: dict, args: argparse.Namespace) -> str:
    text = (
        f"Data: ../shared/data/human-kinome-groups, {info['kinases']} kinases with one group "
        f"(multi-group rows and groups under 5 members dropped; de-duplication dropped "
        f"{info['dropped']}); groups {info['groups']}. Full-length UniProt sequences"
    )
    if set(frame["approach"]) & {"ProtCNN (aa)", "Transformer no pretraining (aa)"}:
        text += (
            f" (ProtCNN sees the first {args.kinase_tokens - 1} residues and trains "
            f"{args.epochs} epochs; the transformer sees the first "
            f"{args.kinase_transformer_tokens - 1} and trains {args.kinase_transformer_epochs} "
            f"epochs; width {args.dim}, one seed each)"
        )
    if args.lm:
        text += (
            f". The two AWD-LSTM rows have the proteome LM's shape and see the first "
            f"{args.kinase_lstm_tokens - 1} residues: ULMFiT fine-tunes the proteome LM "
            f"(section above) on each fold's training kinases for {args.kinase_lm_epochs} "
            f"epoch(s), then trains the classifier {args.kinase_lstm_epochs} epochs with "
            "gradual unfreezing and discriminative learning rates; 'no pretraining' trains the "
            f"same network from random weights for {args.kinase_lstm_epochs} epochs. Their fit "
            "seconds leave out the one-off LM pretraining"
        )
    text += ". Mean ± std over the 5 stratified folds (seed 0)."
    if args.kinase_skip_phmmer:
        text += (
            " phmmer is not in this table: on full-length kinases (every pair is homologous, "
            "and titin and obscurin are 34,350 and 7,968 residues long) it had not finished "
            "the first fold after 11 minutes on this shared machine, so it was left out."
        )
    return text + "\n\n" + markdown_table(summary(frame, ["approach"]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dim", type=int, default=48)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--kinase-tokens", type=int, default=1024)
    parser.add_argument(
        "--kinase-models",
        nargs="*",
        default=["cnn"],
        help="cnn, transformer, ulmfit, lstm (the last two need --lm; none: baselines only)",
    )
    parser.add_argument("--kinase-transformer-epochs", type=int, default=10)
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
    parser.add_argument(
        "--esm", type=Path, default=None, help="ESM model folder: adds the embeddings baseline"
    )
    add_lm_options(parser)
    args = parser.parse_args()
    if args.esm is not None and not esm_available(args.esm):
        parser.error(f"--esm {args.esm}: no config.json there (a transformers ESM model folder)")
    torch.set_num_threads(1)
    FILES.mkdir(parents=True, exist_ok=True)
    started = time.time()
    frame, info = kinase_part(args)
    merge = args.kinase_models_only or args.kinase_append
    if merge and (FILES / "kinases.csv").exists():  # replace the re-run rows, keep the rest
        old = pd.read_csv(FILES / "kinases.csv")
        frame = pd.concat([old[~old["approach"].isin(set(frame["approach"]))], frame])
    frame.to_csv(FILES / "kinases.csv", index=False)
    title = "Human kinase groups: 5-fold cross-validation"
    write_section("kinases", title, section_text(frame, info, args), started)
    print(write_proteins_page("kinases"), f"done in {time.time() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
