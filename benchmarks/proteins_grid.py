"""Proteins, part 3: the blog's homework grid on a Pfam subset.

Single amino acids vs unigram subwords at ``--vocab-sizes``, LSTM vs transformer, ``--seeds``
seeds each (castlab.proteins.experiment): test accuracy, macro-F1 and log loss, mean ± std
over seeds. Writes ``docs/results/proteins/grid_results.csv``, ``grid_table.md``,
``grid_accuracy_vs_vocab.png`` and ``section_grid.md``, then reassembles
``docs/results/proteins.md``.

Usage::

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/proteins_grid.py --grid-families 8 \\
        --grid-per-family 60                       # the page's run
    python benchmarks/proteins_grid.py --grid-families 8 --grid-per-family 60 --grid-from-csv
                                                   # report a stopped grid's finished runs
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import pandas as pd
import torch
from _common import markdown_table
from _proteins import DATA, FILES, RUNS, write_proteins_page, write_section

from castlab.core.artifacts import write_text
from castlab.proteins.experiment import ExperimentConfig, run_experiment, summarise
from castlab.proteins.plots import plot_accuracy_vs_vocab
from castlab.proteins.train import ProteinTrainConfig


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


def section_text(frame: pd.DataFrame, config: ExperimentConfig, from_csv: bool) -> str:
    train = config.train
    how = (
        f"whose language model was pretrained {train.pretrain_epochs} epochs on them, "
        "fine-tuned with gradual unfreezing"
        if train.pretrain_epochs
        else "trained from scratch (no LM pretraining: see the note below)"
    )
    text = (
        f"Data: the {config.families} largest Pfam families of the set above, "
        f"{config.per_family} sequences each, random split (seed 0). Each run: tokenizer learnt "
        f"on the training sequences, then a classifier (width {train.dim}, 2 layers, concat "
        f"pooling) {how} for {train.finetune_epochs} epochs; seeds {list(config.seeds)} (the "
        "seed changes initialisation and batch order; the split is fixed). "
    )
    if from_csv:
        text += (
            "Table and plot rebuilt from the results.csv of the grid run (the same options "
            "without --grid-from-csv). "
        )
    text += f"Runs finished: {len(frame)} of {len(config.runs())}"
    if len(frame) < len(config.runs()):
        text += " (the grid was stopped to fit the session; the table shows those that finished)"
    return (
        text + ".\n\n" + markdown_table(summarise(frame))
        + "\n![grid](proteins/grid_accuracy_vs_vocab.png)\n"
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--grid-families", type=int, default=10)
    parser.add_argument("--grid-per-family", type=int, default=40)
    parser.add_argument("--grid-dim", type=int, default=32)
    parser.add_argument("--grid-pretrain-epochs", type=int, default=0)
    parser.add_argument("--grid-epochs", type=int, default=12)
    parser.add_argument("--vocab-sizes", type=int, nargs="+", default=[64, 256, 1024])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--grid-from-csv", action="store_true", help="report a stopped grid's runs")
    args = parser.parse_args()
    torch.set_num_threads(1)
    FILES.mkdir(parents=True, exist_ok=True)
    started = time.time()
    frame, config = grid_part(args)
    title = "Homework grid: amino acids vs subwords, LSTM vs transformer"
    write_section("grid", title, section_text(frame, config, args.grid_from_csv), started)
    print(write_proteins_page("grid"), f"done in {time.time() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
