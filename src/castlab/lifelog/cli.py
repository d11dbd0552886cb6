"""``castlab lifelog ...``: thin commands over :mod:`castlab.lifelog`.

Library imports sit inside the commands so ``castlab --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["app"]

app = typer.Typer(
    help="Personal metrics from Toggl Track, Daylio and uLogMe exports (all local).\n\n"
    "Example: castlab lifelog report --daylio daylio_export.csv --out my-report",
    no_args_is_help=True,
)

Toggl = Annotated[
    Path | None,
    typer.Option(
        help="Toggl Track detailed-report CSV; Duration is HH:MM:SS, a bare number is "
        "decimal hours (1.5 = 1:30:00)."
    ),
]
Daylio = Annotated[Path | None, typer.Option(help="Daylio CSV export.")]
Ulogme = Annotated[Path | None, typer.Option(help="uLogMe logs/ folder (keyfreq_*, window_*).")]
MoodMap = Annotated[
    str | None,
    typer.Option(
        help="Scores for custom Daylio moods: 'okay=3,content=4' or a file of name=score."
    ),
]
Timezone = Annotated[
    str | None,
    typer.Option(
        help="Time zone of the uLogMe clock, e.g. Europe/London (default: this machine's)."
    ),
]
DayStart = Annotated[int, typer.Option(help="Hour a uLogMe day starts.")]


@app.command()
def report(
    toggl: Toggl = None,
    daylio: Daylio = None,
    ulogme: Ulogme = None,
    out: Annotated[Path, typer.Option(help="Folder for index.html and the CSVs.")] = Path(
        "lifelog-report"
    ),
    mood_map: MoodMap = None,
    timezone: Timezone = None,
    day_start_hour: DayStart = 7,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    bootstrap: Annotated[int, typer.Option(help="Bootstrap resamples per activity.")] = 2000,
    alpha: Annotated[float, typer.Option(help="False-discovery rate for associations.")] = 0.05,
) -> None:
    """Analyse any subset of the three exports and write an HTML report to OUT/index.html.

    Example: castlab lifelog report --toggl toggl.csv --daylio daylio.csv --ulogme logs/ --out r
    """
    from castlab.lifelog.report import ReportConfig, load_sources, write_report

    config = ReportConfig(seed=seed, n_boot=bootstrap, alpha=alpha)  # checked before reading
    sources = load_sources(
        toggl=toggl,
        daylio=daylio,
        ulogme=ulogme,
        moods=mood_map,
        timezone=timezone,
        day_start_hour=day_start_hour,
    )
    path = write_report(out, sources, config)
    typer.echo(f"report written to {path}")


@app.command()
def daily(
    toggl: Toggl = None,
    daylio: Daylio = None,
    ulogme: Ulogme = None,
    out: Annotated[Path, typer.Option(help="CSV file to write.")] = Path("daily.csv"),
    mood_map: MoodMap = None,
    timezone: Timezone = None,
    day_start_hour: DayStart = 7,
) -> None:
    """Join the exports into one tidy table (a row per day) and write it as CSV.

    Example: castlab lifelog daily --daylio daylio.csv --toggl toggl.csv --out daily.csv
    """
    from castlab.core.artifacts import output_file, write_text
    from castlab.lifelog.daily import daily_table
    from castlab.lifelog.report import load_sources

    out = output_file(out, "daily.csv")
    sources = load_sources(
        toggl=toggl,
        daylio=daylio,
        ulogme=ulogme,
        moods=mood_map,
        timezone=timezone,
        day_start_hour=day_start_hour,
    )
    table = daily_table(toggl=sources.toggl, daylio=sources.daylio, ulogme=sources.ulogme)
    write_text(out, table.to_csv(float_format="%.6g"))
    typer.echo(f"{len(table)} days x {table.shape[1]} columns written to {out}")


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder for the three exports.")] = Path(
        "lifelog-exports"
    ),
    days: Annotated[int, typer.Option(help="Days of Toggl and Daylio data.")] = 365,
    ulogme_days: Annotated[int, typer.Option(help="Days of uLogMe logs (the last ones).")] = 14,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Write realistic example exports (outdoors planted to raise mood) to try the report on.

    Example: castlab lifelog generate --out exports --days 365 --seed 0
    """
    import numpy as np

    from castlab.core.errors import CastlabError
    from castlab.lifelog.synthetic import GeneratorConfig, write_exports

    if days < 1 or ulogme_days < 0:
        raise CastlabError("--days must be at least 1 and --ulogme-days at least 0")
    logs = out / "ulogme_logs"
    if logs.is_dir() and any(logs.iterdir()):  # old day files would be read with the new ones
        raise CastlabError(
            "already holds uLogMe logs (ulogme_logs/ is not empty): the new ones would mix with them",
            path=out,
            fix="choose another --out, or delete that folder first",
        )
    config = GeneratorConfig(days=days, ulogme_days=min(ulogme_days, days))
    paths = write_exports(out, rng=np.random.default_rng(seed), config=config)
    typer.echo(f"wrote {paths.toggl}, {paths.daylio} and {paths.ulogme}/")
