"""Proteins: the conclusion of the protein benchmarks, and the results page.

Computes the conclusion tables from the saved CSVs under ``docs/results/proteins/`` (no
training), writes ``section_conclusion.md`` and assembles ``docs/results/proteins.md`` from the
part sections and the hand-written ``narrative.md`` (what the numbers mean).

Usage::

    python benchmarks/proteins.py            # seconds: rebuild the conclusion and the page

The parts, one script each (each rewrites its section and the page when it finishes):

1. ``proteins_pfam.py``: Pfam families, random and identity-clustered split; k-mer TF-IDF +
   logistic regression, phmmer and blastp top-1, ProtCNN, a transformer and AWD-LSTMs
   (ULMFiT, from random weights, from the proteome LM).
2. ``proteins_lm.py``: the proteome language model the ULMFiT LSTMs start from.
3. ``proteins_kinases.py``: human kinase groups, 5-fold stratified cross-validation.
4. ``proteins_grid.py``: the homework grid, amino acids vs unigram subwords x LSTM vs
   transformer x seeds.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from _common import markdown_table
from _proteins import (
    CASTLAB_MODELS,
    FILES,
    LM_APPROACH,
    PFAM_LM_SCRATCH,
    write_proteins_page,
    write_section,
)

ULMFIT, SCRATCH = "AWD-LSTM ULMFiT (aa)", "AWD-LSTM no pretraining (aa)"


def _ours(approaches: pd.Index) -> list[str]:
    return [a for a in approaches if any(k in a for k in CASTLAB_MODELS)]


def pfam_means(frame: pd.DataFrame) -> pd.DataFrame:
    """pfam.csv averaged over seeds, indexed by (split, approach), with the test size ``n``
    and the number of ``runs``."""
    metrics = ["accuracy", "macro_f1", "log_loss", "queries_per_s"]
    grouped = frame.groupby(["split", "approach"], sort=False)
    means = grouped[metrics].mean()
    means["n"], means["runs"] = grouped["n"].first().astype(int), grouped.size()
    return means


def pfam_target(means: pd.DataFrame) -> pd.DataFrame:
    """Per split: the most accurate castlab model against blastp, and who meets the target
    (a castlab model >= blastp's accuracy at >= 10x its queries/s)."""
    rows = []
    for split in means.index.unique("split"):
        part = means.loc[split]
        blast = [a for a in part.index if a.startswith("blastp")]
        if not blast:
            continue
        ours, b = part.loc[_ours(part.index)], part.loc[blast[0]]
        best, speeds = ours["accuracy"].idxmax(), ours["queries_per_s"] / b["queries_per_s"]
        # float ties: equal accuracies computed along different paths
        passing = ours[(ours["accuracy"] >= b["accuracy"] - 1e-9) & (speeds >= 10)]
        n = int(b["n"])
        rows.append(
            {
                "split": split,
                "most accurate castlab model": best,
                "accuracy (mean over runs)": f"{ours.loc[best, 'accuracy']:.3f}",
                "x blastp's queries/s": f"{speeds[best]:.0f}x",
                "blastp top-1 accuracy": f"{b['accuracy']:.3f}",
                "test sequences": n,
                "one error moves accuracy by": f"{1 / n:.3f}",
                "errors between the two": f"{abs(ours.loc[best, 'accuracy'] - b['accuracy']) * n:.1f}",
                "target met by": ", ".join(
                    f"{a} ({passing.loc[a, 'accuracy']:.3f}, {speeds[a]:.0f}x)"
                    for a in passing.index
                )
                or "NOT met",
            }
        )
    return pd.DataFrame(rows)


def pretraining(means: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ULMFiT vs the same LSTM from random weights on Pfam: LM pretrained on the training
    sequences, and LM pretrained on proteomes."""
    on_train, on_proteomes = [], []
    for split in ("random", "clustered"):
        if (split, ULMFIT) in means.index and (split, SCRATCH) in means.index:
            pre, scratch = means.loc[(split, ULMFIT)], means.loc[(split, SCRATCH)]
            on_train.append(
                {
                    "split": split,
                    "ULMFiT LSTM": f"{pre['accuracy']:.3f}",
                    "same LSTM, random weights": f"{scratch['accuracy']:.3f}",
                    "pretraining": "helped" if pre["accuracy"] > scratch["accuracy"] else "hurt",
                }
            )
        if (split, LM_APPROACH) in means.index and (split, PFAM_LM_SCRATCH) in means.index:
            pre, scratch = means.loc[(split, LM_APPROACH)], means.loc[(split, PFAM_LM_SCRATCH)]
            n = int(pre["n"])
            errors = [round((1 - row["accuracy"]) * n) for row in (pre, scratch)]
            on_proteomes.append(
                {
                    "split": split,
                    "proteome LM: accuracy": f"{pre['accuracy']:.3f}",
                    "proteome LM: log loss": f"{pre['log_loss']:.3f}",
                    "random weights: accuracy": f"{scratch['accuracy']:.3f}",
                    "random weights: log loss": f"{scratch['log_loss']:.3f}",
                    "errors (proteome LM vs random)": f"{errors[0]} vs {errors[1]}",
                    "test sequences": n,
                    "runs": f"{int(pre['runs'])} and {int(scratch['runs'])}",
                }
            )
    return pd.DataFrame(on_train), pd.DataFrame(on_proteomes)


def kinase_tables(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The best castlab network against every baseline; ULMFiT vs random weights per fold."""
    accuracy = frame.groupby("approach")["accuracy"].mean()
    nets = accuracy[_ours(accuracy.index)]
    best = pd.DataFrame()
    if len(nets):
        others = accuracy.drop(nets.index)
        best = pd.DataFrame(
            [
                {
                    "best castlab network": nets.idxmax(),
                    "accuracy": f"{nets.max():.3f}",
                    **{a: f"{v:.3f}" for a, v in others.items()},
                    "behind every baseline": "yes" if nets.max() < others.min() else "no",
                }
            ]
        )
    gains = pd.DataFrame()
    if LM_APPROACH in accuracy.index and SCRATCH in accuracy.index:
        folds = frame.pivot(index="fold", columns="approach", values="accuracy")
        gain = folds[LM_APPROACH] - folds[SCRATCH]
        row = {
            "ULMFiT from the proteome LM": f"{accuracy[LM_APPROACH]:.3f}",
            "same LSTM, random weights": f"{accuracy[SCRATCH]:.3f}",
            "accuracy gain": f"{gain.mean():+.3f}",
            "folds better": f"{int((gain > 0).sum())} of {len(gain)}",
            "pretraining": "helped" if gain.mean() > 0 else "did not help",
        }
        gains = pd.DataFrame([row])
    return best, gains


def verdict(a: pd.Series, b: pd.Series) -> str:
    """'higher than', 'lower than' or 'indistinguishable from' for the mean of a against b
    (their difference against one pooled std over seeds)."""
    spread = float(
        np.sqrt((a.var(ddof=1) if len(a) > 1 else 0) + (b.var(ddof=1) if len(b) > 1 else 0))
    )
    difference = float(a.mean() - b.mean())
    if abs(difference) <= max(spread, 1e-9):
        return "indistinguishable from"
    return "higher than" if difference > 0 else "lower than"


def grid_tables(grid: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Mean accuracy by vocabulary; amino acids vs the best subword vocabulary; LSTM vs
    transformer over all tokenizers."""
    by_vocab, versus = [], []
    for model in grid["model"].unique():
        part = grid[grid["model"] == model]
        aa = part[part["tokenizer"] == "aa"]["accuracy"]
        subword = part[part["tokenizer"] != "aa"]
        if aa.empty or subword.empty:
            continue
        means = part.groupby("vocab")["accuracy"].mean()
        by_vocab.append({"model": model, **{str(int(v)): f"{m:.3f}" for v, m in means.items()}})
        vocab = int(subword.groupby("vocab")["accuracy"].mean().idxmax())
        best = subword[subword["vocab"] == vocab]["accuracy"]
        versus.append(
            {
                "model": model,
                "single amino acids": f"{aa.mean():.3f} ± {aa.std():.3f}",
                "best subword vocabulary": vocab,
                "its accuracy": f"{best.mean():.3f} ± {best.std():.3f}",
                "amino acids are": f"{verdict(aa, best)} subwords",
            }
        )
    lstm, transformer = grid[grid["model"] == "lstm"], grid[grid["model"] == "transformer"]
    models = pd.DataFrame()
    if len(lstm) and len(transformer):
        row = {
            "LSTM": f"{lstm['accuracy'].mean():.3f}",
            "transformer": f"{transformer['accuracy'].mean():.3f}",
            "the LSTM is": f"{verdict(lstm['accuracy'], transformer['accuracy'])} the transformer",
        }
        models = pd.DataFrame([row])
    return pd.DataFrame(by_vocab), pd.DataFrame(versus), models


def conclusion() -> str:
    """The conclusion tables, computed from the CSVs under docs/results/proteins/."""
    parts: list[tuple[str, pd.DataFrame]] = []
    if (FILES / "pfam.csv").exists():
        means = pfam_means(pd.read_csv(FILES / "pfam.csv"))
        on_train, on_proteomes = pretraining(means)
        parts += [
            ("Pfam: the most accurate castlab model against blastp top-1", pfam_target(means)),
            ("Pfam: ULMFiT (LM pretrained on the training sequences) vs random weights", on_train),
            ("Pfam: ULMFiT from the proteome LM vs the same LSTM from random weights", on_proteomes),
        ]  # fmt: skip
    if (FILES / "kinases.csv").exists():
        best, gains = kinase_tables(pd.read_csv(FILES / "kinases.csv"))
        parts += [
            ("Kinase groups: mean accuracy over the 5 folds", best),
            ("Kinase groups: ULMFiT from the proteome LM vs random weights (same folds, epochs "
             "and shape)", gains),
        ]  # fmt: skip
    if (FILES / "grid_results.csv").exists():
        by_vocab, versus, models = grid_tables(pd.read_csv(FILES / "grid_results.csv"))
        parts += [
            ("Grid: mean accuracy by vocabulary size (29 = amino acids)", by_vocab),
            ("Grid: single amino acids vs the best subword vocabulary (difference vs one pooled "
             "std over seeds)", versus),
            ("Grid, all tokenizers: mean accuracy", models),
        ]  # fmt: skip
    return "\n".join(f"{title}:\n\n{markdown_table(t)}" for title, t in parts if len(t))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.parse_args()
    started = time.time()
    title = "Conclusion (computed from the tables above)"
    write_section("conclusion", title, conclusion(), started)
    print(write_proteins_page("conclusion"), f"done in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
