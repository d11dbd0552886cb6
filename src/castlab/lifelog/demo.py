"""The lifelog part of ``castlab demo``: generated exports with a planted effect, analysed.

Examples
--------
>>> import tempfile
>>> from castlab.core.report import Report
>>> run_demo(Path(tempfile.mkdtemp()), Report("demo").section("lifelog"))  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from castlab.core.report import Section
from castlab.lifelog.report import ReportConfig, fill_section, load_sources
from castlab.lifelog.synthetic import GeneratorConfig, write_exports

__all__ = ["run_demo"]

SEED = 2026


def run_demo(out_dir: Path, section: Section) -> None:
    """Generate a year of exports into ``out_dir/exports``, analyse them, fill ``section``."""
    out_dir = Path(out_dir)
    generator = GeneratorConfig()
    paths = write_exports(out_dir / "exports", rng=np.random.default_rng(SEED), config=generator)
    section.paragraph(
        f"Generated exports (seed {SEED}): {generator.days} days of Toggl and Daylio, "
        f"{generator.ulogme_days} days of uLogMe. Planted: being outdoors adds "
        f"{generator.outdoors_effect:+.1f} mood points, Mondays {generator.monday_effect:+.1f}, "
        f"more than {generator.overwork_hours:g} logged hours {generator.overwork_effect:+.1f}; "
        "every other activity has no effect. Run the same on your own files with "
        "castlab lifelog report --toggl A.csv --daylio B.csv --ulogme LOGS/ --out DIR."
    )
    sources = load_sources(
        toggl=paths.toggl, daylio=paths.daylio, ulogme=paths.ulogme, timezone=generator.timezone
    )
    results = fill_section(section, sources, out_dir, ReportConfig(seed=SEED))
    effects = results["activity_effects"].set_index("activity")
    if "outdoors" in effects.index:
        row = effects.loc["outdoors"]
        section.paragraph(
            f"Recovered: outdoors {row['effect']:+.2f} [{row['low']:+.2f}, {row['high']:+.2f}] "
            f"(planted {generator.outdoors_effect:+.1f} before rounding moods to whole points)."
        )
