"""Reliability: every command over the hostile-input corpus, and the fault scenarios.

Writes ``docs/results/reliability.md`` and ``docs/results/reliability/runs.csv`` (one row per
command x hostile input). The corpus, the command matrix and the fault scenarios are the
ones the tests use (``tests/reliability/``), so the page and ``make test`` judge the same way.

Usage::

    python benchmarks/reliability.py                 # everything (about 15 min on 1 thread)
    python benchmarks/reliability.py --no-faults     # the fuzz table only
    python benchmarks/reliability.py --only "tunes"  # commands whose name starts with it

Per command: hostile inputs tried, clean errors (exit 2, one line naming the file and the
fix, nothing complete-looking left), inputs it simply handled (exit 0), crashes (a
traceback or another exit code) and unclear errors (exit 2 but the line misses the file or
the fix, or output was left). Target (issue 21): 0 tracebacks, 0 lost results, every case
listed.
"""

from __future__ import annotations

import argparse
import csv
import errno
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.reliability: the corpus, matrix and faults

import pandas as pd  # noqa: E402
from _common import RESULTS, markdown_table, write_page  # noqa: E402
from tests.reliability import faults  # noqa: E402
from tests.reliability.corpus import ABC, CASE_NAMES, build_corpus  # noqa: E402
from tests.reliability.matrix import COMMANDS, Models, judge, out_path, run_command  # noqa: E402

#: The campaign's story, kept on the page by every run (written by hand, not measured here).
NARRATIVE = """\
## What the campaign found, and what was fixed

Each of these was a traceback, a hang or a silent wrong result before; each now has a
regression test (`tests/reliability/test_regressions.py`, `test_faults.py`,
`tests/core/test_readers.py`, `test_properties.py`):

- **Encodings**: latin-1, UTF-16 (with BOM) and binary files behind a `.csv` name crashed
  `sentiment score/authors/map/evaluate/train` with `UnicodeDecodeError`; the tables of
  tunes, imbalance and airquality gave errors with no fix. `castlab.core.readers` now
  decodes UTF-8, UTF-8 with BOM and UTF-16 with BOM, and reports anything else with its line
  and the fix (`iconv -f latin1 -t utf-8`); sentiment's streaming reader sniffs the encoding.
- **Semicolon / tab CSVs** are read (the separator is sniffed from the header) instead of
  failing with "no column": `core.readers.read_csv` (tunes, imbalance, airquality tables)
  and sentiment's chunked reader.
- **A cut-short gzip** made click print `Aborted.` with exit code 1 (an `EOFError`); a broken
  Parquet file was a pyarrow traceback: both are one `CastlabError` now.
- **A broken `model.safetensors`** (or a pickle behind that name) was a safetensors
  traceback in every command that loads a model; a broken `config.json` had no fix.
- **An empty proteins grid TOML** started the whole default experiment (hours of training).
- **A 10 MB author name** kept matplotlib busy for minutes in `sentiment authors`.
- **A posts file with a header and no rows** crashed `sentiment authors` (NaN to int); an
  empty FASTA crashed `proteins evaluate` inside scikit-learn.
- **An image cut inside its header** was a Pillow traceback in `art paint/style`.
- **Ctrl-C during training** exited silently with code 1 (Lightning calls `sys.exit(1)`);
  it now says "interrupted; finished outputs and checkpoints are kept" and exits 130.
- **A Ctrl-C could be lost**: Python raises KeyboardInterrupt wherever the interpreter is,
  and inside a destructor or weakref callback (garbage collection runs them throughout
  training) it is printed as "Exception ignored" and dropped. One rerun of this page saw it:
  the Ctrl-C scenario's training ran on to step 600 and exited 0. `fit` now notes a Ctrl-C
  and stops at the next batch end (`core.training.CtrlC`; a second Ctrl-C stops at once),
  and puts back the SIGINT handler it found (Lightning left SIGINT ignored after an
  interrupted fit).
- **`last.ckpt`** was written in place, so a kill -9 during the write could leave half a
  checkpoint that `--resume` then failed on; it is now written beside and moved into place,
  and a damaged one is a clear error.
- **A full disk** (ENOSPC) was an `OSError` traceback; it is one line naming the file.
- **The learning-rate range test** stopped after one epoch (10 steps on a small loader) and
  then silently "suggested" its smallest rate, 1e-5; the test's 1e-5..1 bound hid it.
- **Reports**: generated ABC (which holds `<` as broken rhythm) went into the tunes demo's
  `<pre>` unescaped, and so did exception text in `castlab demo`; a test now walks every
  `section.html(f"...")` in the package and fails on an unescaped value.
- Messages that named neither the file nor the fix: "no tunes to evaluate" (now names the
  corpus), "need at least two sequences to pretrain" (names the FASTA files), lifelog's
  "broken CSV" and art's "cannot decode image" (now give a fix).
- **Model folders whose config.json was changed** (2026-12-05, a reviewer's hand-made
  copies of real model folders): sizes allocated before any check (tunes `hidden` 60000
  asked for 57.6 GB, proteins `blocks` 10**7 took 9.6 GB over 196 s, birds `n_fft` 10**9
  asked numpy for 119 GiB) and tracebacks for a missing section or a string for a size. A
  network is now built on torch's meta device and its shapes compared with the saved
  weights first (`core.artifacts.build_for_weights`), counts of layers and blocks are
  capped, and each is one line (`tests/reliability/test_hostile_models.py`). NaN weights,
  a `config.json` or thresholds file linked to `/dev/zero`, a `last.ckpt` holding pickled
  objects (torch refused it, with its advice to load it unsafely) are one line too.
- **Runs and reruns** (2026-12-05, a reviewer's Ctrl-C and kill -9 runs): `--resume` with
  another seed, learning rate, pretext task, encoder or training data trained on silently;
  a `--resume` of a finished selfsup run emptied its summary; a new run into a folder of an
  unfinished one replaced its checkpoint at once; reruns left the run before's files (an
  old `adversarial.csv`, `frames.mp4`, timelines) beside the new ones. Each is refused, or
  cleaned up, now (`tests/core/test_training.py`, `test_artifacts.py`).

Property-based tests (hypothesis, 40 examples each) over every reader found one more:
`read_csv` crashed on a file with old-Mac `\\r` line ends (fixed).

## How it is judged

A run is clean when it exits 0 or 2, prints no traceback, and when it exits 2 prints one
line that names the input file (or, for a problem with a setting, a fix naming the option)
and a fix, and leaves no output that looks finished (a file at `--out`, or `index.html`,
`model/`, `encoder/`, `scores.csv`, ... in an output folder). Exit 0 on a hostile input is
allowed: many are ordinary files a command should read (CRLF, UTF-8 with BOM, a semicolon
CSV, a 1x1 or CMYK image, silence). The corpus is generated by
`tests/reliability/corpus.py` from castlab's own generators; nothing is checked in.

`make test` runs the same judge on one case per command (`tests/reliability/test_cli_fuzz.py`,
a different one per command, plus a few chosen ones such as the `label`-column CSV of issue 21
for `sentiment score`) and the in-process pieces of the fault scenarios (Ctrl-C in `fit`, a
kill while `last.ckpt` is written, ENOSPC); this page runs every case and every scenario in
child processes.

## Not covered here

- `castlab sentiment collect` (reads the network, not files), `castlab demo` and
  `castlab ui` are not in the command table; the UI's uploads over the size limit / of the
  wrong type in a real browser are left to the UI tests.
- Disk full is a mocked `ENOSPC` at `fsync`, not a real tiny tmpfs (mounting one needs
  privileges CI may not have).
- music21 was tried as a second judge of generated tunes' bar lengths and not used: its ABC
  reader splits bars at some decorations and very short notes, reporting measures of 0.1875
  quarters that abc2midi and castlab both read as whole bars.
"""


def fuzz(root: Path, only: list[str]) -> pd.DataFrame:
    kinds = build_corpus(root / "corpus")
    valid = {case.name: case.path for case in kinds["valid"]}
    models = Models(root / "models", valid)
    (root / "models").mkdir()
    rows = []
    for command in COMMANDS:
        if only and not any(command.name.startswith(o) for o in only):
            continue
        for kind in command.kinds:
            for case in kinds[kind]:
                out = out_path(root, command, case)
                args = command.args(case.path, out, models)
                start = time.perf_counter()
                outcome = run_command(args)
                judge(outcome, case, out if command.output else None, args)
                rows.append(
                    {
                        "command": f"castlab {command.name}",
                        "kind": kind,
                        "case": case.name,
                        "exit_code": outcome.exit_code,
                        "crashed": outcome.crashed,
                        "clean": outcome.clean,
                        "seconds": round(time.perf_counter() - start, 2),
                        "message": outcome.message[:300],
                        "problems": "; ".join(outcome.problems)[:300],
                    }
                )
                status = "ok " if outcome.clean else "BAD"
                print(f"{status} {command.name:28s} {kind}/{case.name:22s} {outcome.problems}")
    return pd.DataFrame(rows)


def per_command(runs: pd.DataFrame) -> pd.DataFrame:
    table = []
    for command, group in runs.groupby("command", sort=False):
        errors = group["exit_code"] == 2
        table.append(
            {
                "command": command,
                "hostile inputs": len(group),
                "clean error (exit 2)": int((errors & group["clean"]).sum()),
                "handled (exit 0)": int(((group["exit_code"] == 0) & group["clean"]).sum()),
                "crashed": int(group["crashed"].sum()),
                "unclear error": int((~group["clean"] & ~group["crashed"]).sum()),
            }
        )
    frame = pd.DataFrame(table)
    total = {"command": "**all**", **frame.drop(columns="command").sum().to_dict()}
    return pd.concat([frame, pd.DataFrame([total])], ignore_index=True)


def per_case(runs: pd.DataFrame) -> pd.DataFrame:
    counts = Counter(runs["case"])
    bad = Counter(runs.loc[~runs["clean"], "case"])
    names = list(CASE_NAMES) + sorted(set(counts) - set(CASE_NAMES))
    return pd.DataFrame(
        [{"case": n, "commands tried": counts.get(n, 0), "not clean": bad.get(n, 0)} for n in names]
    )


def disk_full(root: Path) -> faults.FaultResult:
    """A write failing with ENOSPC (mocked at fsync, where a full disk shows up)."""
    result = faults.FaultResult("disk full: castlab imbalance generate", "OSError ENOSPC (mocked)")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    out = root / "disk-full"
    with mock.patch("castlab.core.artifacts.os.fsync", full):
        outcome = run_command(["imbalance", "generate", str(out), "--rows", "50"])
    result.exit_code = outcome.exit_code
    result.notes.append(outcome.message)
    if outcome.exit_code != 2 or outcome.traceback or "fix:" not in outcome.message:
        result.problems.append(f"not a clean error: {outcome.traceback[-200:] or outcome.message}")
    left = [p.name for p in out.rglob("*") if p.is_file()] if out.exists() else []
    if left:
        result.problems.append(f"files left: {left}")
    return result


def fault_table(root: Path) -> pd.DataFrame:
    root.mkdir(parents=True)
    corpus = root / "inputs"
    corpus.mkdir()
    abc = corpus / "tunes.abc"
    abc.write_text(ABC)
    generate = [sys.executable, "-m", "castlab"]
    birds, life = corpus / "birds", corpus / "life"
    subprocess.run(
        [*generate, "birds", "generate", str(birds), "--species", "3", "--per-species", "3",
         "--seconds", "4", "--soundscapes", "0"], check=True, env=faults.ENV, capture_output=True
    )  # fmt: skip
    subprocess.run(
        [*generate, "lifelog", "generate", "--out", str(life), "--days", "200"],
        check=True,
        env=faults.ENV,
        capture_output=True,
    )
    results = []
    for how in (signal.SIGINT, signal.SIGKILL):
        results.append(faults.kill_during_training(root, abc, how))
        results.append(faults.kill_during_scoring(root, birds / "species", how))
        results.append(faults.kill_during_report(root, life, how))
    results.append(disk_full(root))
    for result in results:
        print(result)
    return pd.DataFrame(
        [
            {
                "scenario": r.scenario,
                "stopped with": r.stopped_with,
                "exit code": r.exit_code,
                "rerun exit code": "" if r.rerun_exit_code is None else r.rerun_exit_code,
                "lost, redone or half-written": "; ".join(r.problems) or "nothing",
                "notes": "; ".join(r.notes),
            }
            for r in results
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], help="command name prefixes")
    parser.add_argument("--no-faults", action="store_true", help="skip the fault scenarios")
    parser.add_argument("--out", type=Path, default=RESULTS / "reliability.md")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    load_before = os.getloadavg()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="castlab-reliability-") as tmp:
        runs = fuzz(Path(tmp), args.only)
        fuzz_seconds = time.perf_counter() - start
        fault_frame = None if args.no_faults else fault_table(Path(tmp) / "faults")
    folder = args.out.parent / "reliability"
    folder.mkdir(parents=True, exist_ok=True)
    runs.to_csv(folder / "runs.csv", index=False, quoting=csv.QUOTE_MINIMAL)
    if fault_frame is not None:
        fault_frame.to_csv(folder / "faults.csv", index=False)
    table = per_command(runs)
    crashes = int(runs["crashed"].sum())
    unclear = int((~runs["clean"] & ~runs["crashed"]).sum())
    sections = [
        "## Summary",
        "",
        f"- {len(runs)} runs of {runs['command'].nunique()} commands over "
        f"{runs['case'].nunique()} kinds of hostile input: **{crashes} crashed** (traceback or "
        f"an exit code other than 0/2), **{unclear} unclear errors** (exit 2 but the line "
        "misses the file or the fix, or output was left behind).",
        f"- Fuzz part: {fuzz_seconds:.0f} s wall; load average before the run "
        f"{load_before[0]:.1f} (the machine is shared; times are not benchmarks).",
    ]
    if fault_frame is not None:
        lost = int((fault_frame["lost, redone or half-written"] != "nothing").sum())
        sections.append(
            f"- Fault scenarios: {len(fault_frame)}, **{lost} lost or kept a half file**."
        )
    sections += ["", NARRATIVE.rstrip("\n"), ""]
    sections += ["## Per command", "", markdown_table(table), ""]
    sections += ["## Per hostile input", "", markdown_table(per_case(runs)), ""]
    bad = runs.loc[~runs["clean"], ["command", "kind", "case", "exit_code", "problems"]]
    sections += ["## Runs that were not clean", ""]
    sections += [markdown_table(bad) if len(bad) else "None.", ""]
    if fault_frame is not None:
        sections += ["## Faults", "", markdown_table(fault_frame), ""]
    sections += [
        "Every run's exit code, message and problems: "
        "[reliability/runs.csv](reliability/runs.csv).",
    ]
    path = write_page(args.out, "Reliability: hostile inputs and faults", sections)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
