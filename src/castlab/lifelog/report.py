"""The lifelog HTML report: load whichever exports are given, analyse, plot, explain.

Used by ``castlab lifelog report`` (a report of its own) and by ``castlab demo`` (one
section of the shared report). Next to ``index.html`` it writes ``daily.csv`` and one CSV per
analysis, plus ``config.json`` with the settings used. Nothing leaves the machine.

Examples
--------
>>> import numpy as np, tempfile
>>> from castlab.lifelog.synthetic import GeneratorConfig, write_exports
>>> folder = tempfile.mkdtemp()
>>> paths = write_exports(folder, rng=np.random.default_rng(0),
...                       config=GeneratorConfig(days=40, ulogme_days=1))
>>> sources = load_sources(daylio=paths.daylio)
>>> write_report(folder + "/report", sources, ReportConfig(n_boot=200)).name
'index.html'
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from castlab.core.artifacts import record_outputs, write_json, write_text
from castlab.core.errors import CastlabError, require_at_least, require_between
from castlab.core.report import Report, Section
from castlab.lifelog import analyses, plots
from castlab.lifelog.daily import daily_table
from castlab.lifelog.data import read_daylio, read_toggl
from castlab.lifelog.ulogme import UlogmeLog, read_ulogme

__all__ = [
    "PRIVACY_NOTE",
    "LifelogSources",
    "ReportConfig",
    "fill_section",
    "load_sources",
    "write_report",
]

PRIVACY_NOTE = (
    "Everything in this report was computed on this computer from the files you passed; "
    "castlab uploads nothing and needs no network. The page is self-contained (figures are "
    "embedded). It shows no Daylio notes and no window titles, only application names "
    "(the last part of each title)."
)


@dataclass(frozen=True)
class ReportConfig:
    """Settings of the analyses shown in the report."""

    seed: int = 0  # seeds the bootstrap, so the same inputs give the same report
    n_boot: int = 2000  # bootstrap resamples per activity
    alpha: float = 0.05  # false-discovery rate for the association scan
    min_days: int = 10  # fewest paired days for an association test
    min_activity_days: int = 5  # fewest days with (and without) an activity to rate it

    def __post_init__(self) -> None:
        require_at_least("--bootstrap", self.n_boot, 1)
        require_between("--alpha", self.alpha, 0, 1, example=0.05)
        require_at_least("min_days", self.min_days, 3)  # a rank correlation needs 3 pairs
        require_at_least("min_activity_days", self.min_activity_days, 1)


@dataclass(frozen=True)
class LifelogSources:
    """The exports that were given, already read (``None`` when absent)."""

    toggl: pd.DataFrame | None = None
    daylio: pd.DataFrame | None = None
    ulogme: UlogmeLog | None = None


def load_sources(
    *,
    toggl: str | Path | None = None,
    daylio: str | Path | None = None,
    ulogme: str | Path | None = None,
    moods: str | Path | Mapping[str, float] | None = None,
    timezone: str | None = None,
    day_start_hour: int = 7,
) -> LifelogSources:
    """Read whichever of the three exports are given; at least one is needed."""
    if toggl is None and daylio is None and ulogme is None:
        raise CastlabError(
            "no exports given", fix="pass at least one of --toggl, --daylio, --ulogme"
        )
    return LifelogSources(
        toggl=None if toggl is None else read_toggl(toggl),
        daylio=None if daylio is None else read_daylio(daylio, moods=moods),
        ulogme=None
        if ulogme is None
        else read_ulogme(ulogme, timezone=timezone, day_start_hour=day_start_hour),
    )


def _typical_day(log: UlogmeLog) -> pd.Timestamp | None:
    """The day whose keystroke total is the median of the days with any typing."""
    totals = log.keys.groupby("day")["keystrokes"].sum()
    totals = totals[totals > 0].sort_values()
    return None if totals.empty else totals.index[len(totals) // 2]


def fill_section(
    section: Section, sources: LifelogSources, out_dir: str | Path, config: ReportConfig
) -> dict[str, pd.DataFrame]:
    """Analyse ``sources``, write figures and CSVs under ``out_dir``, fill ``section``.

    The CSVs and figures an earlier run wrote into ``out_dir`` and this one did not (a Toggl
    table when only Daylio is given now) are deleted, so none passes for part of this report;
    other files there are left alone.

    Returns the analysis tables by name (``daily``, ``activity_effects``, ...).
    """
    out_dir = Path(out_dir)
    figures = out_dir / "figures"
    rng = np.random.default_rng(config.seed)
    written: list[Path] = []  # what this run wrote, so an earlier run's leftovers can go

    def write_csv(frame: pd.DataFrame, name: str, *, index: bool = False) -> None:
        csv = frame.to_csv(index=index, float_format="%.6g")
        written.append(write_text(out_dir / name, csv))

    def figure(path: Path, caption: str) -> None:
        written.append(path)
        section.figure(path, caption)

    section.paragraph(PRIVACY_NOTE)
    table = daily_table(toggl=sources.toggl, daylio=sources.daylio, ulogme=sources.ulogme)
    results: dict[str, pd.DataFrame] = {"daily": table}
    write_csv(table, "daily.csv", index=True)
    given = [name for name in ("toggl", "daylio", "ulogme") if getattr(sources, name) is not None]
    section.paragraph(
        f"Sources: {', '.join(given)}. The daily table has {len(table)} days "
        f"({table.index[0]:%Y-%m-%d} to {table.index[-1]:%Y-%m-%d}) and "
        f"{table.shape[1]} columns; it is saved as daily.csv."
    )
    has_mood = "mood" in table.columns
    if sources.toggl is not None:
        per_month = analyses.time_per_month(sources.toggl)
        results["time_per_month"] = per_month
        write_csv(per_month, "time_per_month.csv")
        total = sources.toggl["hours"].sum()
        section.paragraph(f"Toggl: {len(sources.toggl)} time entries, {total:.1f} hours logged.")
        figure(
            plots.plot_time_per_month(per_month, figures / "time_per_month.png"),
            "Hours logged per month, by project.",
        )
    if has_mood:
        mood = table["mood"].dropna()
        section.paragraph(
            f"Daylio: mood on {len(mood)} days, mean {mood.mean():.2f} (1 = worst, 5 = best)."
        )
        figure(
            plots.plot_year_in_pixels(table, figures / "year_in_pixels.png"),
            "Year in pixels: each day's mean mood.",
        )
        weekday = analyses.mood_by_weekday(table)
        results["mood_by_weekday"] = weekday
        figure(
            plots.plot_mood_by_weekday(weekday, figures / "mood_by_weekday.png"),
            "Mean mood per weekday; bars are 95% t-intervals.",
        )
    if has_mood and "hours_logged" in table.columns:
        by_hours = analyses.mood_by_hours(table)
        results["mood_by_hours"] = by_hours
        if by_hours["days"].sum() > 0:
            figure(
                plots.plot_mood_by_hours(by_hours, figures / "mood_by_hours.png"),
                "Mean mood by hours logged that day, with 95% intervals.",
            )
        else:
            section.paragraph(
                "The Toggl and Daylio exports share no days, so mood against "
                "hours worked cannot be shown."
            )
    if has_mood:
        effects = analyses.activity_effects(
            table, rng=rng, n_boot=config.n_boot, min_days=config.min_activity_days
        )
        results["activity_effects"] = effects
        write_csv(effects, "activity_effects.csv")
        if len(effects):
            figure(
                plots.plot_activity_effects(effects, figures / "activity_effects.png"),
                "Mood with minus without each activity; orange intervals exclude 0.",
            )
            section.table(effects, "Activities ranked by their mood difference.")
        associations = analyses.mood_associations(
            table, alpha=config.alpha, min_days=config.min_days
        )
        results["associations"] = associations
        write_csv(associations, "associations.csv")
        if len(associations):
            chance = int(
                ((associations["p_value"] < config.alpha) & ~associations["significant"]).sum()
            )
            figure(
                plots.plot_associations(associations, figures / "associations.png"),
                "Strongest associations of daily metrics with mood.",
            )
            section.paragraph(
                f"{len(associations)} metric/day pairs were tested; "
                f"{int(associations['significant'].sum())} stay significant at a "
                f"false-discovery rate of {config.alpha:g} (Benjamini-Hochberg). {chance} more "
                f"have p < {config.alpha:g} but may well be chance. These are associations, not "
                "causes: a busy project and a bad mood can share a third cause."
            )
            shown = associations.head(20).assign(
                p_value=lambda f: f["p_value"].map("{:.2g}".format),
                q_value=lambda f: f["q_value"].map("{:.2g}".format),
            )
            section.table(shown, "Top 20 associations (q = FDR-adjusted p).")
        else:
            section.paragraph(
                f"No metric has {config.min_days} days paired with a mood (and varying), so "
                "the scan for associations with mood was not run; it needs more days."
            )
    if sources.ulogme is not None:
        day = _typical_day(sources.ulogme)
        if day is not None:
            series = analyses.keystroke_intensity(sources.ulogme, day)
            figure(
                plots.plot_keystroke_intensity(series, figures / "keystrokes_day.png"),
                f"Keystroke intensity on a typical day ({day:%Y-%m-%d}, median total).",
            )
        per_app = analyses.keystrokes_per_application(sources.ulogme)
        results["keystrokes_per_application"] = per_app
        write_csv(per_app, "keystrokes_per_application.csv")
        figure(
            plots.plot_keystrokes_per_application(per_app, figures / "per_app.png"),
            "Keystrokes per application (from uLogMe window titles).",
        )
    written.append(write_json(out_dir / "config.json", asdict(config)))
    record_outputs(out_dir, "lifelog report", written)  # figures/ too: paths are relative
    section.html(
        f"<p class='links'>Tables: {html.escape('daily.csv')} and one CSV per analysis, "
        "next to this page.</p>"
    )
    return results


def write_report(out_dir: str | Path, sources: LifelogSources, config: ReportConfig) -> Path:
    """Write ``out_dir/index.html`` (one section: lifelog) and the CSVs; return its path."""
    out_dir = Path(out_dir)
    report = Report("castlab lifelog report")
    section = report.section("Personal metrics", "Time, mood and typing from your own exports.")
    fill_section(section, sources, out_dir, config)
    return report.write(out_dir)
