"""Proteins, part 1: every approach on Pfam families, random and identity-clustered split.

Writes ``docs/results/proteins/pfam.csv``, ``pfam_accuracy.png`` and
``section_pfam.md``, then reassembles ``docs/results/proteins.md``.

Usage::

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/proteins_pfam.py          # the page's run
    python benchmarks/proteins_pfam.py --families 8 --per-family 30 --pfam-seeds 1   # quick

Data: ../shared/data/pfam-families, de-duplicated, the ``--families`` largest families with
``--per-family`` sequences each (castlab.proteins.splits.prepare_split, seed 0). Measures
accuracy, macro-F1, log loss, fit seconds and queries/s (prediction wall time including model
loading / tool start-up) of k-mer TF-IDF + logistic regression, phmmer top-1, blastp top-1,
ProtCNN, a transformer and an AWD-LSTM pretrained as a language model and fine-tuned ULMFiT
style (and, with ``--lm``, the same LSTM started from a proteome LM).
"""

from __future__ import annotations

import argparse
import re
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import torch
from _common import markdown_table
from _proteins import (
    DATA,
    FILES,
    LM_APPROACH,
    PFAM_LM_SCRATCH,
    RUNS,
    add_lm_options,
    ensemble_row,
    folder_name,
    lm_configs,
    pfam_table,
    run_approaches,
    write_proteins_page,
    write_section,
)

from castlab.proteins.baselines import esm_available
from castlab.proteins.data import family_counts, load_records
from castlab.proteins.plots import plot_approaches
from castlab.proteins.pretrain import ProteinLanguageModel
from castlab.proteins.splits import SplitConfig, prepare_split
from castlab.proteins.train import ProteinTrainConfig


def model_choices(args: argparse.Namespace, lm: ProteinLanguageModel | None) -> dict:
    """``--pfam-models`` key -> (approach name, training config, setup shown in the table)."""
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
    return choices


def pfam_part(args: argparse.Namespace) -> tuple[pd.DataFrame, dict]:
    records = load_records(DATA / "pfam-families")
    lm = ProteinLanguageModel.load(args.lm) if args.lm else None
    choices = model_choices(args, lm)
    unknown = set(args.pfam_models) - set(choices)
    if unknown:
        raise SystemExit(f"--pfam-models {sorted(unknown)}: these need --lm FOLDER")
    setups = {name: setup for name, _, setup in choices.values()}
    models = {
        f"{name} seed {seed}": replace(config, seed=seed)
        for name, config, _ in (choices[key] for key in args.pfam_models)
        for seed in range(args.pfam_seeds)
    }
    frames, info = [], {}
    for split_name in ("random", "clustered"):
        config = SplitConfig(
            method=split_name,
            identity=args.identity,
            per_family=args.per_family,
            families=args.families,
            min_per_family=args.per_family,
            seed=0,
        )
        parts, done = prepare_split(records, config)  # dedupe -> subsample -> split
        used = [r for part in parts.values() for r in part]
        info["records_after_dedup"] = len(records) - sum(done["dropped"].values())
        info.update(dropped=done["dropped"], used=len(used), families=len(family_counts(used)))
        info[split_name] = {k: len(v) for k, v in parts.items()}
        print(f"pfam {split_name}: {info[split_name]}", flush=True)
        run_dir = RUNS / f"pfam-{split_name}"
        rows = run_approaches(
            parts,
            models,
            run_dir,
            with_baselines=not args.skip_pfam_baselines,
            esm=args.esm,
            language_models={LM_APPROACH: lm} if lm is not None else None,
        )
        for key in args.pfam_rescore:  # time saved seed models again, without training
            for seed in range(args.pfam_seeds):
                name = f"{choices[key][0]} seed {seed}"
                rows.append(
                    ensemble_row(name, [run_dir / folder_name(name) / "model"], parts["test"])
                )
                print(f"  {rows[-1]}", flush=True)
        for key in args.pfam_ensembles:  # the seed models trained by this or an earlier run
            approach = choices[key][0]
            folders = [
                run_dir / folder_name(f"{approach} seed {seed}") / "model"
                for seed in range(args.pfam_seeds)
            ]
            name = f"{approach} ensemble of {len(folders)}"
            rows.append(ensemble_row(name, folders, parts["test"]))
            setups[name] = f"mean probability of the {len(folders)} seed models above"
            print(f"  {rows[-1]}", flush=True)
        frame = pd.DataFrame(rows)
        frame["seed"] = pd.to_numeric(frame["approach"].str.extract(r" seed (\d+)$")[0])
        frame["approach"] = frame["approach"].str.replace(r" seed \d+$", "", regex=True)
        frame["setup"] = frame["approach"].map(setups).fillna("deterministic")
        frame.insert(0, "split", split_name)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True), info


def merge_earlier(frame: pd.DataFrame, info: dict) -> pd.DataFrame:
    """--append: replace the re-run approaches in pfam.csv, keep the rest in its order."""
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
    return frame.sort_values(
        ["split", "approach"],
        key=lambda c: (
            c.map(order).fillna(99)
            if c.name == "approach"
            else c.map({"random": 0, "clustered": 1})
        ),
    ).reset_index(drop=True)


def section_text(frame: pd.DataFrame, info: dict, args: argparse.Namespace) -> str:
    text = (
        f"Data: ../shared/data/pfam-families (kortemme-covariation, bitbol seed+full, "
        f"hmmer-examples), {info['records_after_dedup']} sequences after de-duplication "
        f"({info['dropped']}); the {info['families']} largest families, {args.per_family} "
        f"sequences each ({info['used']} in all, seed 0). Random split {info['random']}; "
        "clustered split (single linkage at estimated identity "
        f">= {args.identity} within a family, whole clusters per part) {info['clustered']}. "
        "Models: as the setup column says, each trained with seeds 0, 1, ... (mean ± std over "
        "seeds; the split is fixed); the ULMFiT LSTM is pretrained as a language model on the "
        "training sequences first (the 'no pretraining' networks start from random weights). "
        "The alignment and k-mer baselines are deterministic (one run).\n\n"
    )
    if info.get("kept"):
        rerun = ", ".join(sorted(set(frame["approach"]) - set(info["kept"])))
        last = f"; the last one: {info['earlier']}" if info.get("earlier") else ""
        text += (
            f"This command re-ran {rerun}; the other rows come from earlier runs (same data, "
            f"split and code for them{last}).\n\n"
        )
    text += markdown_table(pfam_table(frame))
    if args.pfam_note:
        text += f"\n{args.pfam_note}\n"
    return text + "\n![accuracy](proteins/pfam_accuracy.png)\n"


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
    add_lm_options(parser, tokens=False)
    args = parser.parse_args()
    if args.esm is not None and not esm_available(args.esm):
        parser.error(f"--esm {args.esm}: no config.json there (a transformers ESM model folder)")
    torch.set_num_threads(1)
    FILES.mkdir(parents=True, exist_ok=True)
    started = time.time()
    frame, info = pfam_part(args)
    if args.append and (FILES / "pfam.csv").exists():
        frame = merge_earlier(frame, info)
    frame.to_csv(FILES / "pfam.csv", index=False)
    plot_approaches(
        frame, FILES / "pfam_accuracy.png", group="split", title="Pfam families · test accuracy"
    )
    title = "Pfam families: random and clustered split"
    write_section("pfam", title, section_text(frame, info, args), started)
    print(write_proteins_page("pfam"), f"done in {time.time() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
