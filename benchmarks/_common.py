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

__all__ = ["RESULTS", "SHARED", "command_line", "machine", "markdown_table", "write_page"]

ROOT = Path(__file__).resolve().parents[1]
#: where results pages live
RESULTS = ROOT / "docs" / "results"
#: the project's real datasets, beside the repository (never copied into it)
SHARED = ROOT.parent / "shared" / "data"


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
    """The exact command that ran this script, quoted so it can be pasted."""
    return shlex.join(["python", *sys.argv])


def _cell(value: object, digits: int) -> str:
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return "-"
        if value != 0 and abs(value) < 10 ** (-digits):
            return f"{value:.{digits}g}"
        return f"{value:.{digits}f}"
    return str(value)


def markdown_table(frame: pd.DataFrame, digits: int = 3) -> str:
    """A pipe table of ``frame`` (no tabulate dependency).

    Examples
    --------
    >>> print(markdown_table(pd.DataFrame({"a": [1], "b": [0.5]}), digits=2), end="")
    | a | b |
    |---|---|
    | 1 | 0.50 |
    """
    head = "| " + " | ".join(map(str, frame.columns)) + " |\n|" + "---|" * len(frame.columns) + "\n"
    rows = (
        "| " + " | ".join(_cell(v, digits) for v in row) + " |\n"
        for row in frame.itertuples(index=False)
    )
    return head + "".join(rows)


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
    return write_text(path, "\n".join(header) + "\n".join(sections).rstrip() + "\n")
