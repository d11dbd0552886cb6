"""Fault scenarios: kill -9 or Ctrl-C in the middle of training, scoring and report writing.

Each scenario runs the real ``castlab`` command in a child process, stops it part-way, looks
at what was left, runs the same command again (with ``--resume`` for training) and returns
a :class:`FaultResult`: what was lost, what was redone, what half-written file was kept.
``test_faults.py`` asserts on them and ``benchmarks/reliability.py`` tabulates them.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.signals import default_sigint

__all__ = ["FaultResult", "kill_during_report", "kill_during_scoring", "kill_during_training"]

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}


@dataclass
class FaultResult:
    """What one fault scenario showed; ``problems`` empty means nothing lost or half kept."""

    scenario: str
    stopped_with: str
    exit_code: int | None = None  # of the stopped run
    rerun_exit_code: int | None = None
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _castlab(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "castlab", *args],
        cwd=cwd,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,  # the Ctrl-C scenario must reach it
    )


def _wait_for(condition: Callable[[], bool], process: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def _stop(process: subprocess.Popen, how: signal.Signals) -> tuple[int, str]:
    process.send_signal(how)
    try:
        _, stderr = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        _, stderr = process.communicate()
    return process.returncode, stderr


def _leftovers(folder: Path) -> list[str]:
    """Half-written files: atomic-write temporaries and partial checkpoints."""
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.name.endswith((".tmp", ".partial")) and p.is_file()
    )


def kill_during_training(root: Path, abc: Path, how: signal.Signals) -> FaultResult:
    """``castlab tunes train`` stopped after its first checkpoint, then ``--resume``d."""
    import torch

    name = "SIGINT (Ctrl-C)" if how == signal.SIGINT else "SIGKILL (kill -9)"
    result = FaultResult("training: castlab tunes train, then --resume", name)
    run = root / f"train-{how.name}"
    steps = 600  # on a quiet machine 150 tiny steps could end within the 0.5 s before the stop
    args = ["tunes", "train", "--corpus", str(abc), "--dim", "16", "--hidden", "16", "--layers",
            "1", "--seq-len", "16", "--batch-size", "2", "--epochs", "1000", "--max-steps",
            str(steps), "--out", str(run)]  # fmt: skip
    checkpoint = run / "checkpoints" / "last.ckpt"
    process = _castlab(args, root)
    if not _wait_for(checkpoint.exists, process, timeout=240):
        process.kill()
        result.problems.append(f"no checkpoint before the stop: {process.communicate()[1][-300:]}")
        return result
    time.sleep(0.5)  # stop it mid-epoch, after the first checkpoint
    result.exit_code, stderr = _stop(process, how)
    if how == signal.SIGINT:
        if result.exit_code != 130 or "interrupted" not in stderr:
            result.problems.append(f"Ctrl-C gave exit {result.exit_code}: {stderr[-200:]!r}")
    if (run / "model").exists():
        result.problems.append("a model/ folder exists after the stop")
    if not checkpoint.exists():
        result.problems.append("the checkpoint is gone")
        return result
    saved_step = torch.load(checkpoint, weights_only=True, map_location="cpu")["global_step"]
    result.notes.append(f"stopped at step {saved_step} of {steps}")
    kept = _leftovers(run)
    rerun = _castlab([*args, "--resume"], root)
    stdout, stderr = rerun.communicate(timeout=600)
    result.rerun_exit_code = rerun.returncode
    if rerun.returncode != 0:
        result.problems.append(f"--resume failed: {stderr[-300:]!r}")
        return result
    if f"({steps} steps" not in stdout:
        result.problems.append(f"the resumed run did not end at step {steps}: {stdout[-200:]!r}")
    logged = _logged_steps(run / "metrics.csv")
    if logged and min(logged) < saved_step - 1:
        result.problems.append(f"redone: the resumed run logged step {min(logged)} < {saved_step}")
    result.notes.append(f"resumed from step {saved_step}, first step logged {min(logged or [0])}")
    if not list(run.glob("metrics.part*.csv")):
        result.problems.append("the log before the stop was lost")
    kept = sorted(set(kept) & set(_leftovers(run)))
    if kept:
        result.problems.append(f"half-written files kept: {kept}")
    return result


def _logged_steps(metrics: Path) -> list[int]:
    if not metrics.exists():
        return []
    with metrics.open() as handle:
        return [int(row["step"]) for row in csv.DictReader(handle) if row.get("step")]


def kill_during_scoring(root: Path, folder: Path, how: signal.Signals) -> FaultResult:
    """``castlab birds peaks`` (one append per finished file) stopped part-way, run again."""
    result = FaultResult("scoring: castlab birds peaks, then the same command", how.name)
    out = root / f"peaks-{how.name}.csv"
    args = ["birds", "peaks", str(folder), "--count", "3", "--out", str(out)]
    reference = root / "peaks-reference.csv"
    done = subprocess.run(
        [sys.executable, "-m", "castlab", *args[:-1], str(reference)], env=ENV, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    expected = _rows(reference)
    process = _castlab(args, root)
    _wait_for(lambda: out.exists() and len(_rows(out)) >= 2, process, timeout=240)
    result.exit_code, _ = _stop(process, how)
    before = _rows(out) if out.exists() else []
    result.notes.append(f"{len({r[0] for r in before})} of {len({r[0] for r in expected})} files")
    rerun = subprocess.run(
        [sys.executable, "-m", "castlab", *args], env=ENV, capture_output=True, text=True
    )
    result.rerun_exit_code = rerun.returncode
    after = _rows(out)
    if sorted(after) != sorted(expected):
        result.problems.append(
            f"rows differ from an uninterrupted run ({len(after)} vs {len(expected)})"
        )
    if len(after) != len(set(after)):
        result.problems.append("rows written twice")
    done_before = len({r[0] for r in before})
    if f"{done_before} already there" not in rerun.stdout:
        result.problems.append(f"finished files redone: {rerun.stdout.strip()[-120:]!r}")
    return result


def _rows(path: Path) -> list[tuple[str, ...]]:
    with path.open(newline="") as handle:
        return [tuple(row) for row in list(csv.reader(handle))[1:]]


def kill_during_report(root: Path, exports: Path, how: signal.Signals) -> FaultResult:
    """``castlab lifelog report`` stopped once its first figure is written: no half page kept."""
    result = FaultResult("report writing: castlab lifelog report, then the same command", how.name)
    out = root / f"report-{how.name}"
    args = ["lifelog", "report", "--toggl", str(exports / "toggl_detailed.csv"), "--daylio",
            str(exports / "daylio_export.csv"), "--ulogme", str(exports / "ulogme_logs"),
            "--out", str(out)]  # fmt: skip
    process = _castlab(args, root)
    _wait_for(lambda: out.exists() and any(out.rglob("*.png")), process, timeout=240)
    result.exit_code, _ = _stop(process, how)
    page = out / "index.html"
    if page.exists() and not page.read_text().rstrip().endswith("</html>"):
        result.problems.append("a half-written index.html was kept")
    result.notes.append("the page was " + ("complete" if page.exists() else "not written yet"))
    rerun = subprocess.run(
        [sys.executable, "-m", "castlab", *args], env=ENV, capture_output=True, text=True
    )
    result.rerun_exit_code = rerun.returncode
    if rerun.returncode != 0 or not page.read_text().rstrip().endswith("</html>"):
        result.problems.append(f"the rerun did not write the page: {rerun.stderr[-200:]!r}")
    kept = [p for p in _leftovers(out) if (out / p).exists()]
    if kept and how != signal.SIGKILL:
        result.problems.append(f"temporary files left: {kept}")
    elif kept:
        result.notes.append(f"{len(kept)} hidden .tmp file(s) left by kill -9 (never read)")
    return result
