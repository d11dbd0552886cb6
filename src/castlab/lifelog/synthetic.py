"""Realistic Toggl, Daylio and uLogMe exports with known (planted) effects on mood.

The generated files follow the real formats byte for byte where it matters (Toggl's
header and HH:MM:SS durations, Daylio's 12-hour times and ``" | "``-joined activities,
uLogMe's 7-am day files), including the awkward parts: a byte-order mark, quoted fields
with commas and line breaks, empty notes, days with no entry, two entries on some days
and work that runs past midnight. The daily mood is::

    mood = round(base + outdoors_effect * outdoors + monday_effect * monday
                 + overwork_effect * (hours > overwork_hours) + noise), clipped to 1..5

and every other activity has no effect, so an analysis must find ``outdoors`` and must
not trust the rest.

Examples
--------
>>> import numpy as np, tempfile
>>> paths = write_exports(tempfile.mkdtemp(), rng=np.random.default_rng(1),
...                       config=GeneratorConfig(days=10, ulogme_days=1))
>>> paths.toggl.name, paths.daylio.name, paths.ulogme.name
('toggl_detailed.csv', 'daylio_export.csv', 'ulogme_logs')
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from castlab.core.artifacts import write_text

__all__ = ["NULL_ACTIVITIES", "ExportPaths", "GeneratorConfig", "write_exports"]

#: Activities logged in Daylio that have no effect on the generated mood.
NULL_ACTIVITIES: dict[str, float] = {  # name -> chance of appearing on a day
    "friends": 0.25,
    "reading": 0.35,
    "gaming": 0.2,
    "cooking": 0.3,
    "shopping": 0.15,
    "movies": 0.1,
    "cleaning": 0.2,
    "family": 0.15,
    "music": 0.25,
    "coffee out": 0.2,
}

_PROJECTS = (  # (client, project, description, tags)
    ("Acme Ltd", "Forecasting", "Model training, round 2", "deep work"),
    ("Acme Ltd", "Forecasting", 'Call with "data" team', "meetings, billable"),
    ("Zindi", "Air quality", "Feature engineering", "deep work, billable"),
    ("", "Blog", "Draft: personal metrics", "writing"),
    ("University", "Teaching", "Class prep", "teaching"),
    ("", "Admin", "Invoices, email", ""),
)
_APPS = (  # (window title, mean keystrokes per 9 s while in it, weight)
    ("lifelog.ipynb - JupyterLab", 14.0, 4.0),
    ("analysis.py - Visual Studio Code", 11.0, 2.0),
    ("Inbox - Mozilla Thunderbird", 6.0, 1.0),
    ("Slack", 5.0, 1.0),
    ("YouTube - Google Chrome", 0.5, 1.0),
    ("Terminal", 8.0, 1.0),
)


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate. Effects are in mood points (1-5 scale)."""

    start: str = "2023-01-01"  # first day, ISO date
    days: int = 365
    ulogme_days: int = 14  # uLogMe is logged for the last this many days (files are large)
    timezone: str = "UTC"  # zone of the uLogMe clock (unix times are written in UTC)
    base_mood: float = 3.7
    outdoors_effect: float = 0.6  # planted: being outdoors raises the mood
    outdoors_probability: float = 0.35
    monday_effect: float = -0.4  # planted: Mondays are worse
    overwork_hours: float = 5.0  # planted: more logged hours than this ...
    overwork_effect: float = -0.5  # ... lowers the mood by this much
    noise: float = 0.7  # standard deviation of the daily mood before rounding
    skip_probability: float = 0.06  # chance of a day with no Daylio entry
    second_entry_probability: float = 0.15  # chance of a second Daylio entry on a day
    mood_names: tuple[str, str, str, str, str] = ("awful", "bad", "meh", "good", "rad")  # 1..5


@dataclass(frozen=True)
class ExportPaths:
    """Where :func:`write_exports` put each export."""

    toggl: Path
    daylio: Path
    ulogme: Path


def _hours_worked(day: date, rng: np.random.Generator) -> float:
    if day.weekday() >= 5:
        return float(rng.uniform(0.3, 2.0)) if rng.random() < 0.25 else 0.0
    return float(np.clip(rng.gamma(shape=4.0, scale=0.9), 0.3, 9.0))


def _toggl_rows(day: date, hours: float, rng: np.random.Generator) -> list[list[str]]:
    if hours <= 0:
        return []
    pieces = rng.dirichlet(np.ones(int(rng.integers(1, 5)))) * hours
    late = rng.random() < 0.05  # some evenings run past midnight
    clock = datetime.combine(day, datetime.min.time()) + timedelta(
        hours=float(rng.uniform(22.5, 23.5) - hours if late else rng.uniform(8.0, 10.5))
    )
    rows = []
    for piece in pieces:
        client, project, description, tags = _PROJECTS[int(rng.integers(len(_PROJECTS)))]
        seconds = max(60, round(piece * 3600))
        end = clock + timedelta(seconds=seconds)
        h, rest = divmod(seconds, 3600)
        rows.append(
            [
                "Sam Example",
                "sam@example.org",
                client,
                project,
                "",
                description,
                "Yes" if "billable" in tags else "No",
                f"{clock:%Y-%m-%d}",
                f"{clock:%H:%M:%S}",
                f"{end:%Y-%m-%d}",
                f"{end:%H:%M:%S}",
                f"{h:02d}:{rest // 60:02d}:{rest % 60:02d}",
                tags,
                "",
            ]
        )
        clock = end + timedelta(minutes=float(rng.uniform(2, 50)))
    return rows


def _daylio_line(when: datetime, mood: str, activities: list[str], note: str) -> str:
    def quoted(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    clock = f"{when:%I:%M %p}".lstrip("0")
    head = [f"{when:%Y-%m-%d}", f"{when:%B} {when.day}", f"{when:%A}", clock, mood]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(head)
    return buffer.getvalue() + "," + quoted(" | ".join(activities)) + "," + quoted(note)


_NOTES = (
    "",
    "",
    "",
    "",
    "",
    "Long walk, saw a heron",
    'Finished "the big report"',
    "Tired.\nEarly night",
    "Dinner with friends, great food",
)


def _ulogme_day(
    day: date, hours: float, zone: str, rng: np.random.Generator
) -> tuple[int, list[str], list[str]]:
    """Return (7-am unix time, keyfreq lines, window lines) for one uLogMe day."""
    seven = pd.Timestamp(datetime.combine(day, datetime.min.time()), tz=zone) + pd.Timedelta(
        hours=7
    )
    t0 = int(seven.timestamp())
    start = t0 + int(rng.uniform(0.8, 2.5) * 3600)
    # a work day spans the logged hours plus breaks and meetings; a day off is short
    span = min(15.0, 1.8 * hours + rng.uniform(2.0, 5.0)) if hours > 0 else rng.uniform(0.5, 2.5)
    stop = start + int(span * 3600)
    keys, windows = [], []
    t = start
    weights = np.array([w for _, _, w in _APPS])
    while t < stop:
        if rng.random() < 0.15:  # a break: the screen locks
            title, rate, length = "__LOCKEDSCREEN", 0.0, rng.uniform(10, 60) * 60
        else:
            title, rate, _ = _APPS[int(rng.choice(len(_APPS), p=weights / weights.sum()))]
            length = rng.exponential(15 * 60) + 60
        windows.append(f"{t} {title}")
        end = min(stop, t + int(length))
        while t < end:
            burst = rng.random() < 0.7  # typing comes in bursts
            keys.append(f"{t} {int(rng.poisson(rate * (1.3 if burst else 0.2)))}")
            t += 9
    windows.append(f"{t} __LOCKEDSCREEN")
    return t0, keys, windows


def write_exports(
    out_dir: str | Path, *, rng: np.random.Generator, config: GeneratorConfig = GeneratorConfig()
) -> ExportPaths:
    """Write ``toggl_detailed.csv``, ``daylio_export.csv`` and ``ulogme_logs/`` into ``out_dir``.

    The same ``rng`` state gives the same files. Returns their paths.
    """
    out_dir = Path(out_dir)
    first = date.fromisoformat(config.start)
    days = [first + timedelta(days=i) for i in range(config.days)]
    activity_names = list(NULL_ACTIVITIES)
    toggl_rows: list[list[str]] = []
    daylio_lines: list[tuple[datetime, str]] = []
    hours_by_day: dict[date, float] = {}
    for day in days:
        hours = _hours_worked(day, rng)
        hours_by_day[day] = hours
        toggl_rows.extend(_toggl_rows(day, hours, rng))
        outdoors = rng.random() < config.outdoors_probability
        activities = [a for a in activity_names if rng.random() < NULL_ACTIVITIES[a]]
        if outdoors:
            activities.insert(int(rng.integers(len(activities) + 1)), "outdoors")
        if hours > 0:
            activities.insert(0, "work")
        latent = (
            config.base_mood
            + config.outdoors_effect * outdoors
            + config.monday_effect * (day.weekday() == 0)
            + config.overwork_effect * (hours > config.overwork_hours)
        )
        if rng.random() < config.skip_probability:
            continue
        entries = 2 if rng.random() < config.second_entry_probability else 1
        for k in range(entries):
            score = int(np.clip(np.rint(latent + rng.normal(0, config.noise)), 1, 5))
            when = datetime.combine(day, datetime.min.time()) + timedelta(
                hours=float(
                    rng.uniform(12, 17) if k == 0 and entries == 2 else rng.uniform(19, 23.9)
                )
            )
            note = _NOTES[int(rng.integers(len(_NOTES)))]
            line = _daylio_line(when, config.mood_names[score - 1], activities, note)
            daylio_lines.append((when, line))
    header = [
        "User",
        "Email",
        "Client",
        "Project",
        "Task",
        "Description",
        "Billable",
        "Start date",
        "Start time",
        "End date",
        "End time",
        "Duration",
        "Tags",
        "Amount ()",
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # Toggl writes CRLF line ends
    writer.writerow(header)
    writer.writerows(toggl_rows)
    paths = ExportPaths(
        out_dir / "toggl_detailed.csv", out_dir / "daylio_export.csv", out_dir / "ulogme_logs"
    )
    write_text(paths.toggl, "\ufeff" + buffer.getvalue())
    daylio_lines.sort(reverse=True)  # Daylio lists the newest entry first
    daylio_text = "full_date,date,weekday,time,mood,activities,note\n" + "\n".join(
        line for _, line in daylio_lines
    )
    write_text(paths.daylio, "\ufeff" + daylio_text + "\n")
    paths.ulogme.mkdir(parents=True, exist_ok=True)
    for day in days[max(0, len(days) - config.ulogme_days) :]:
        t0, keys, windows = _ulogme_day(day, hours_by_day[day], config.timezone, rng)
        write_text(paths.ulogme / f"keyfreq_{t0}.txt", "\n".join(keys) + "\n")
        write_text(paths.ulogme / f"window_{t0}.txt", "\n".join(windows) + "\n")
    return paths
