"""Helpers every benchmark script shares: the machine line, markdown tables, the page writer.

Each script in benchmarks/ measures one domain's headline numbers and writes
``docs/results/<domain>.md``; narrative lives in the page, numbers come from the script.
"""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from castlab.core.artifacts import write_text
from castlab.core.report import markdown_table  # the one table writer, shared with the library

__all__ = ["RESULTS", "SHARED", "command_line", "machine", "markdown_table", "write_page"]

ROOT = Path(__file__).resolve().parents[1]
#: where results pages live
RESULTS = ROOT / "docs" / "results"
#: the project's real datasets, beside the repository (never copied into it)
SHARED = ROOT.parent / "shared" / "data"


def vector_extensions() -> str:
    """The widest x86 vector extension this CPU has ("AVX-512", "AVX2", or "no AVX2"):
    machines with one model name differ in it, and a tflite model's speed with them."""
    try:
        flags = next(
            ln.split(":", 1)[1].split()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("flags")
        )
    except (OSError, StopIteration):
        return "unknown vector extensions"
    return "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"


def machine(extra: Sequence[str] = ()) -> str:
    """One line naming the CPU model, the CPUs this process may use and key versions."""
    model = platform.processor() or platform.machine()
    try:
        lines = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next(
            (
                ln.split(":", 1)[1].strip()
                for ln in lines.splitlines()
                if ln.startswith("Model name")
            ),
            model,
        )
    except OSError:
        pass
    versions = [f"Python {sys.version.split()[0]}", f"numpy {np.__version__}"]
    versions.append(f"pandas {pd.__version__}")
    try:
        import torch

        versions.append(f"torch {torch.__version__}")
    except ImportError:
        pass
    threads = os.environ.get("OMP_NUM_THREADS")
    cpus = f"{len(os.sched_getaffinity(0))} CPUs" + (
        f", OMP_NUM_THREADS={threads}" if threads else ""
    )
    return f"{model}, {cpus}, {', '.join([*versions, *extra])}"


def command_line() -> str:
    """The exact command that ran this script, quoted so it can be pasted.

    The thread limit and niceness it really ran with come first: under
    ``OMP_NUM_THREADS=1 nice -n 10`` the line starts with those words.
    """
    words = []
    if os.environ.get("OMP_NUM_THREADS"):
        words.append(f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}")
    if os.nice(0) > 0:
        words += ["nice", "-n", str(os.nice(0))]
    return " ".join([*words, shlex.join(["python", *sys.argv])])


def write_page(path: str | Path, title: str, sections: Sequence[str]) -> Path:
    """Write a results page atomically: title, the command, machine and date, then sections."""
    header = [
        f"# {title}",
        "",
        f"- Command: `{command_line()}`",
        f"- Machine: {machine()}",
        f"- Date: {date.today().isoformat()}",
        "",
    ]
    return write_text(path, "\n".join([*header, ""]) + "\n".join(sections).rstrip() + "\n")
