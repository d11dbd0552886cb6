"""What the protein benchmark scripts share: constants, approaches, timing, tables, the page.

One script per part writes its section ``docs/results/proteins/section_<part>.md`` and then
reassembles ``docs/results/proteins.md`` from every section file there, so parts run as
separate processes (or at separate times) and a stopped run keeps what is done:

- ``proteins_pfam.py``: Pfam families, random and clustered split
- ``proteins_lm.py``: the proteome language model (ULMFiT stage 1)
- ``proteins_kinases.py``: human kinase groups, 5-fold cross-validation
- ``proteins_grid.py``: the homework grid (tokenizer x vocabulary x model x seed)
- ``proteins.py``: the conclusion tables (computed from the saved CSVs) and the page
"""

from __future__ import annotations

import argparse
import json
import re
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from _common import RESULTS, SHARED, command_line, machine, write_page

from castlab.core.artifacts import write_text
from castlab.proteins.baselines import (
    BlastNearestNeighbour,
    EsmEmbeddingLogistic,
    KmerLogisticRegression,
    PhmmerNearestNeighbour,
    blast_available,
    esm_available,
)
from castlab.proteins.data import ProteinRecord, check_sequence
from castlab.proteins.model import load_classifier
from castlab.proteins.pretrain import ProteinLanguageModel
from castlab.proteins.train import ProteinTrainConfig, score_probabilities, train_classifier

ROOT = Path(__file__).resolve().parents[1]
DATA = SHARED
FILES = RESULTS / "proteins"
RUNS = ROOT / "runs" / "proteins-benchmark"
PAGE = RESULTS / "proteins.md"
#: section files in page order; the hand-written narrative.md follows the conclusion
SECTIONS = (
    "scale_full",
    "scale_full_t400",
    "scale_full_clustered",
    "scale",
    "scale_clustered",
    "default",
    "pfam",
    "lm",
    "kinases",
    "grid",
    "conclusion",
)
CASTLAB_MODELS = ("ProtCNN", "LSTM", "Transformer")  # approaches that are castlab networks
LM_APPROACH = "AWD-LSTM ULMFiT, proteome LM (aa)"  # starts from --lm (castlab proteins pretrain)
PFAM_LM_SCRATCH = "AWD-LSTM no pretraining, LM shape (aa)"  # its twin from random weights
#: the machine line of the page the sections made before the split first appeared on
EARLIER_MACHINE = "AMD EPYC, 2 logical CPUs (shared), torch threads 1"


def add_lm_options(parser: argparse.ArgumentParser, *, tokens: bool = True) -> None:
    """The options of the models that start from a pretrained proteome LM (--lm)."""
    parser.add_argument(
        "--lm",
        type=Path,
        default=None,
        help="pretrained LM folder (castlab proteins pretrain): enables the ulmfit/lstm models",
    )
    parser.add_argument("--kinase-lm-epochs", type=int, default=1, help="ULMFiT stage 2 epochs")
    parser.add_argument("--kinase-lstm-epochs", type=int, default=8, help="classifier epochs")
    if tokens:
        parser.add_argument("--kinase-lstm-tokens", type=int, default=512)


def baselines(phmmer: bool = True, esm: Path | None = None) -> list[tuple[str, object]]:
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
    with_baselines: bool = True,
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
    for name, baseline in baselines(phmmer, esm) if with_baselines else []:
        start = time.perf_counter()
        baseline.fit([r.sequence for r in train + valid], [str(r.family) for r in train + valid])
        fitted = time.perf_counter()
        proba = baseline.predict_proba(queries)  # blastp: a new process, so start-up is included
        predicted = time.perf_counter()
        rows.append(_row(name, truth, proba, baseline.classes_, fitted - start, predicted - fitted))
        print(f"  {rows[-1]}", flush=True)
    for name, config in models.items():
        start = time.perf_counter()
        folder = run_dir / folder_name(name)
        lm = (language_models or {}).get(name.split(" seed ")[0])
        train_classifier(train, valid, config, folder, language_model=lm)
        fitted = time.perf_counter()
        proba, families, seconds = timed_prediction([folder / "model"], test)
        rows.append(_row(name, truth, proba, families, fitted - start, seconds))
        print(f"  {rows[-1]}", flush=True)
    return rows


def folder_name(approach: str) -> str:
    """The run folder of an approach: 'ProtCNN (aa) seed 0' -> 'ProtCNN-aa-seed-0'."""
    return "-".join(approach.replace("(", "").replace(")", "").split())


def timed_prediction(
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
    proba, families, seconds = timed_prediction(folders, test)
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


def summary(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean ± std per group as strings (3 decimals; seconds and queries/s 1 decimal)."""
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


def pfam_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per split and approach: mean ± std over seeds, and how many seeds ran."""
    frame = frame.copy()
    if "setup" not in frame:  # rows from before seeds were recorded
        frame["setup"] = "one run"
    frame["setup"] = frame["setup"].fillna("one run")
    table = summary(frame, ["split", "approach", "setup"])
    table["runs"] = frame.groupby(["split", "approach", "setup"], sort=False).size().to_numpy()
    return table


def has_approach(csv: Path, approach: str) -> bool:
    """Whether the results table ``csv`` exists and has rows for ``approach``."""
    return csv.exists() and approach in set(pd.read_csv(csv)["approach"])


def write_section(key: str, title: str, text: str, started: float) -> Path:
    """Save one part's section (with the command, machine and time that made it)."""
    return write_text(
        FILES / f"section_{key}.md",
        f"## {title}\n\nCommand: `{command_line()}`; finished {datetime.now(UTC):%Y-%m-%d %H:%M} "
        f"UTC after {time.time() - started:.0f} s on {machine()}.\n\n{text}\n",
    )


def section_from_page(key: str, title: str, page: Path) -> Path:
    """Make a part's own results page (``write_page``: command, machine, date) a section."""
    body = page.read_text().split("\n", 1)[1].strip()
    return write_text(FILES / f"section_{key}.md", f"## {title}\n\n{body}\n")


def _finished(text: str) -> str:
    match = re.search(r"finished (\d{4}-\d\d-\d\d \d\d:\d\d UTC)", text)
    return match.group(1) if match else "time not recorded"


def write_proteins_page(written: str = "") -> Path:
    """Assemble the page from every section file (``written``: the one this process wrote)."""
    paths = {key: FILES / f"section_{key}.md" for key in SECTIONS}
    texts = {key: path.read_text() for key, path in paths.items() if path.exists()}
    carried = [key for key in texts if key != written]
    # the single script of before the split chose its parts with --skip-* / --conclusion-only
    old = re.compile(r"benchmarks/proteins\.py .*--(skip-|conclusion-only)")
    before_split = [key for key in carried if old.search(texts[key].split("\n")[2])]
    intro = [
        "- Parts: each section below names the command that produced it; parts run as separate "
        "processes (`benchmarks/proteins_pfam.py`, `proteins_lm.py`, `proteins_kinases.py`, "
        "`proteins_grid.py`), each rewriting its section and this page; "
        "`benchmarks/proteins.py` recomputes the conclusion from the saved CSVs.",
    ]
    if carried:
        intro.append(
            "- Sections carried over from earlier runs (text, tables and commands as those runs "
            "wrote them): "
            + ", ".join(f"{k} (finished {_finished(texts[k])})" for k in carried)
            + "."
        )
    if before_split:
        intro.append(
            f"- Made before the benchmark was split into one script per part: "
            f"{', '.join(before_split)}. Their commands name the single `benchmarks/proteins.py` "
            "of then, whose `--skip-*` options chose the parts; the same part options now go to "
            f"`benchmarks/proteins_<part>.py`. They ran on {EARLIER_MACHINE}."
        )
    intro += [
        "- Scope: sized for 2 CPU cores shared with other training, so every part uses a subset "
        "(stated in the part) and short training; single runs unless seeds are listed. Not run: "
        "pretrained ESM embeddings (the baseline is built and tested with a tiny random ESM; no "
        "ESM weights are on this offline machine: `--esm FOLDER` adds the row); "
        + (
            ""
            if has_approach(FILES / "pfam.csv", LM_APPROACH)
            else "Pfam rows starting from the proteome LM "
            "(`proteins_pfam.py --pfam-models ulmfit-lm lstm-lm-shape --lm FOLDER`); "
        )
        + "subword-token or transformer LMs pretrained on the proteomes; more than one seed of "
        "the kinase LSTMs.",
        "- Load: other jobs shared the 2 cores during the runs, so seconds and queries/s are "
        "pessimistic and noisy, but all approaches of a table ran under the same load.",
        "- Queries/s = test sequences / wall seconds of prediction, including model loading "
        "(castlab models), database search start-up (blastp runs as a new process per batch) or "
        "in-process digitisation (phmmer). Fit seconds include tokenizer, LM pretraining and "
        "database building, except the proteome LM's one-off pretraining (its own section gives "
        "its time).",
        "- Log loss: natural log, probabilities clipped at 1e-15. For phmmer/blastp the "
        "probability of family f is 2^(best bit score of f), normalised (see "
        "castlab.proteins.baselines).",
        "",
    ]
    sections = ["\n".join(intro), *texts.values()]
    if (FILES / "narrative.md").exists() and "conclusion" in texts:
        sections.append((FILES / "narrative.md").read_text())
    title = "Proteins: family classification, tokenizers x language models x alignment"
    return write_page(PAGE, title, sections)
