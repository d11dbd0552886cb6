"""Does training scale out? Throughput of the same run in one process and in two (DDP).

Runs the real commands users run (``castlab tunes train``, ``castlab proteins train``) with
1 process x 1 thread, 1 process x 2 threads and 2 processes x 1 thread (Lightning DDP, gloo
on CPU), and writes ``docs/results/scale.md``. Scaling efficiency = throughput with 2
processes / (2 x throughput with 1 process of 1 thread).

Usage::

    python benchmarks/scale.py                 # tunes LM and proteins CNN on this machine
    python benchmarks/scale.py --steps 60      # quicker

Throughput is measured over the whole ``fit``: the DDP rows include starting the second
process and the process group, which a longer run amortises.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import pandas as pd
from _common import RESULTS, ROOT, machine, markdown_table, write_page

RUNS = ROOT / "runs" / "scale"
#: (label, processes, threads per process)
LAYOUTS = (
    ("1 process x 1 thread", 1, 1),
    ("1 process x 2 threads", 1, 2),
    ("2 processes x 1 thread", 2, 1),
)


def _castlab(args: list[str], threads: int) -> float:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "castlab", *args], env=env, check=True, cwd=ROOT)
    return time.perf_counter() - start


def _devices(processes: int) -> list[str]:
    strategy = "ddp" if processes > 1 else "auto"
    return ["--accelerator", "cpu", "--devices", str(processes), "--strategy", strategy]


def tunes_rows(steps: int) -> list[dict]:
    """The tunes LSTM on O'Neill's (music21's corpus): tokens per second."""
    rows = []
    for label, processes, threads in LAYOUTS:
        out = RUNS / f"tunes-{processes}x{threads}"
        args = ["tunes", "train", "--corpus", "oneills", "--max-steps", str(steps)]
        args += ["--batch-size", "32", "--out", str(out), *_devices(processes)]
        wall = _castlab(args, threads)
        info = json.loads((out / "model" / "config.json").read_text())["info"]
        rows.append(
            {"model": "tunes LSTM (2 x 512)", "layout": label, "steps": info["steps"],
             "throughput": info["tokens_per_second"], "unit": "tokens/s", "command_s": wall}
        )  # fmt: skip
    return rows


def proteins_rows(epochs: int) -> list[dict]:
    """ProtCNN on generated families (8 x 150 sequences): training sequences per second."""
    from castlab.proteins.synthetic import synthetic_families

    fasta = RUNS / "families.fasta"
    fasta.parent.mkdir(parents=True, exist_ok=True)
    records = synthetic_families(n_families=8, per_family=150, seed=0)
    fasta.write_text("".join(f">{r.name}|{r.family}\n{r.sequence}\n" for r in records))
    rows = []
    for label, processes, threads in LAYOUTS:
        out = RUNS / f"proteins-{processes}x{threads}"
        args = ["proteins", "train", str(fasta), "--label-field", "1", "--model", "cnn"]
        args += ["--epochs", str(epochs), "--out", str(out), *_devices(processes)]
        wall = _castlab(args, threads)
        info = json.loads((out / "model" / "config.json").read_text())["info"]
        sequences = info["train_sequences"] * epochs
        rows.append(
            {"model": "ProtCNN (width 128)", "layout": label, "steps": info["finetune"]["steps"],
             "throughput": sequences / info["finetune"]["seconds"], "unit": "sequences/s",
             "command_s": wall}
        )  # fmt: skip
    return rows


def efficiency(frame: pd.DataFrame) -> pd.DataFrame:
    """Per model: 2-process throughput / (2 x one process of one thread)."""
    out = []
    for model, part in frame.groupby("model", sort=False):
        by = part.set_index("layout")["throughput"]
        out.append(
            {"model": model,
             "speed-up, 2 processes vs 1 process x 1 thread": by[LAYOUTS[2][0]] / by[LAYOUTS[0][0]],
             "scaling efficiency": by[LAYOUTS[2][0]] / (2 * by[LAYOUTS[0][0]]),
             "2 processes vs 1 process x 2 threads": by[LAYOUTS[2][0]] / by[LAYOUTS[1][0]]}
        )  # fmt: skip
    return pd.DataFrame(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="tunes optimiser steps per run")
    parser.add_argument("--epochs", type=int, default=4, help="ProtCNN epochs per run")
    parser.add_argument("--page-only", action="store_true", help="rewrite the page from the CSV")
    args = parser.parse_args()
    (RESULTS / "scale").mkdir(parents=True, exist_ok=True)
    if args.page_only:
        frame = pd.read_csv(RESULTS / "scale" / "throughput.csv")
    else:
        frame = pd.DataFrame(tunes_rows(args.steps) + proteins_rows(args.epochs))
        frame.to_csv(RESULTS / "scale" / "throughput.csv", index=False)
    sections = [
        "## Throughput\n",
        markdown_table(frame, digits=1),
        "\n## Scaling\n",
        markdown_table(efficiency(frame), digits=2),
        (RESULTS / "scale" / "notes.md").read_text()
        if (RESULTS / "scale" / "notes.md").exists()
        else "",
    ]
    write_page(RESULTS / "scale.md", "Scale-out: one process against two (Lightning DDP)", sections)
    print(f"wrote {RESULTS / 'scale.md'} on {machine()}")


if __name__ == "__main__":
    main()
