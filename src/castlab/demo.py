"""``castlab demo``: run each domain on its embedded default data and write one HTML report.

Each domain contributes a ``demo`` module with ``run_demo(out_dir, section) -> None`` that
writes its outputs under ``out_dir`` and fills its report ``section``. A domain that fails
shows its error in the report and the demo carries on with the next one.
"""

from __future__ import annotations

import html
import importlib
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the report (numpy) is imported when a demo runs: castlab's CLI reads
    from castlab.core.report import Report  # DOMAIN_DEMOS for its help at every start

__all__ = ["DOMAIN_DEMOS", "run_demo"]

#: domain name -> (module with ``run_demo``, one-line description). Add new domains here.
DOMAIN_DEMOS: dict[str, tuple[str, str]] = {
    "tunes": ("castlab.tunes.demo", "An ABC language model that writes complete Irish tunes."),
    "lifelog": ("castlab.lifelog.demo", "Time, mood and typing from self-tracking exports."),
    "imbalance": ("castlab.imbalance.demo", "Imbalanced training data, prior-shift correction."),
    "proteins": ("castlab.proteins.demo", "Protein families from sequence: LMs, CNN, alignment."),
    "sentiment": ("castlab.sentiment.demo", "Post sentiment per author and per capital city."),
    "birds": ("castlab.birds.demo", "Bird calls: PCEN peaks, a mel CNN, soundscape thresholds."),
    "art": ("castlab.art.demo", "Images made by optimisation: pixels, Fourier, strokes, style."),
    "selfsup": ("castlab.selfsup.demo", "Pretext tasks on unlabelled images, few-label classes."),
    "airquality": ("castlab.airquality.demo", "PM2.5 for sites with no sensor; a dashboard."),
}


def run_demo(out_dir: str | Path = "castlab-report", domains: list[str] | None = None) -> Path:
    """Run the demos of ``domains`` (default: all) and return the report's path.

    A domain that fails shows its error in the report (escaped, like every text in it) and the
    others still run; the call then raises, naming the failed parts.

    Examples
    --------
    >>> import sys, tempfile, types
    >>> def fail(out_dir, section):
    ...     raise ValueError("a bar of <3> beats")
    >>> sys.modules["broken_demo"] = types.SimpleNamespace(run_demo=fail)
    >>> DOMAIN_DEMOS["broken"] = ("broken_demo", "A part that fails.")
    >>> out = Path(tempfile.mkdtemp())
    >>> run_demo(out, ["broken"])
    Traceback (most recent call last):
    RuntimeError: demo parts failed: broken; see .../index.html
    >>> "a bar of &lt;3&gt; beats" in (out / "index.html").read_text()
    True
    >>> del DOMAIN_DEMOS["broken"], sys.modules["broken_demo"]
    """
    from castlab.core.report import Report

    out_dir = Path(out_dir)
    report = Report("castlab demo")
    failures = []
    names = domains or list(DOMAIN_DEMOS)
    _in_progress(report, names).write(out_dir)  # an earlier demo's report is not this one's
    for done, name in enumerate(names):
        module_name, intro = DOMAIN_DEMOS[name]
        section = report.section(name, intro)
        start = time.perf_counter()
        try:
            module = importlib.import_module(module_name)
            module.run_demo(out_dir / name, section)
        except Exception as error:  # one broken domain must not hide the others
            failures.append(name)
            section.html(
                "<p class='error'>This part failed: "
                f"{html.escape(f'{type(error).__name__}: {error}')}</p>"
            )
        section.paragraph(f"Ran in {time.perf_counter() - start:.1f} s.")
        # write as we go: a crash or Ctrl-C keeps what is done, and the parts still to run
        # say so (a report of an earlier demo in this folder is replaced part by part)
        _in_progress(report, names[done + 1 :]).write(out_dir)
    path = report.write(out_dir)
    if failures:
        raise RuntimeError(f"demo parts failed: {', '.join(failures)}; see {path}")
    return path


def _in_progress(report: Report, pending: list[str]) -> Report:
    """``report`` with a section for each part of ``pending`` saying it has not run yet.

    Examples
    --------
    >>> from castlab.core.report import Report
    >>> partial = _in_progress(Report("castlab demo"), ["birds"])
    >>> "Not run yet" in partial.render() and partial.sections[0].title
    'birds'
    """
    from castlab.core.report import Report, Section

    waiting = [
        Section(
            name,
            DOMAIN_DEMOS[name][1],
            [
                "<p class='error'>Not run yet: this report is written as the demo goes. If the "
                "demo stopped before this part, run <code>castlab demo</code> again.</p>"
            ],
        )
        for name in pending
    ]
    return Report(report.title, [*report.sections, *waiting])
