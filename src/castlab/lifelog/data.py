"""Importers for Toggl Track and Daylio exports, with errors that say where and why.

Each reader checks its format row by row and raises :class:`~castlab.core.errors.CastlabError`
naming the file, line and column of the first problem (uLogMe logs are read by
:mod:`castlab.lifelog.ulogme`). They accept what real exports
contain: a UTF-8 byte-order mark, Windows line endings, quoted fields with commas or line
breaks, empty notes, custom Daylio mood names and Toggl entries that cross midnight.

Examples
--------
>>> import numpy as np, tempfile
>>> from castlab.lifelog.synthetic import GeneratorConfig, write_exports
>>> paths = write_exports(tempfile.mkdtemp(), rng=np.random.default_rng(0),
...                       config=GeneratorConfig(days=20, ulogme_days=1))
>>> entries = read_toggl(paths.toggl)
>>> list(entries.columns[:4])
['start', 'end', 'hours', 'project']
>>> read_daylio(paths.daylio)["mood"].between(1, 5).all()
np.True_
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from castlab.core.errors import CastlabError, Fix
from castlab.core.readers import check_not_binary

__all__ = [
    "DEFAULT_MOODS",
    "parse_mood_map",
    "read_daylio",
    "read_text",
    "read_toggl",
]

#: Daylio's five built-in mood names and their scores (5 = best).
DEFAULT_MOODS: dict[str, float] = {"rad": 5.0, "good": 4.0, "meh": 3.0, "bad": 2.0, "awful": 1.0}

_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y")
_TIME_FORMATS = ("%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p")
_HMS = re.compile(r"^(\d+):([0-5]\d):([0-5]\d)$")
_DECIMAL_HOURS = re.compile(r"^\d+(\.\d+)?$")
#: the longest Duration read from a bare number: more is almost surely minutes typed as hours
#: (a timer left running shows as HH:MM:SS, which is read whatever its length)
_MOST_DECIMAL_HOURS = 24.0


def read_text(path: Path, what: str) -> str:
    """Read a text export (UTF-8 with or without BOM, or UTF-16), or say why it cannot."""
    if not path.is_file():
        raise CastlabError(f"{what} file not found", path=path, fix="check the path")
    raw = path.read_bytes()
    check_not_binary(path, raw[:65536])
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # spreadsheet "Unicode text" saves
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise CastlabError(
            "not UTF-8 text", path=path, line=line, fix="export again or save the file as UTF-8"
        ) from None


def _csv_rows(
    path: Path, text: str, required: tuple[str, ...]
) -> tuple[dict[str, int], Iterator[tuple[int, list[str]]]]:
    """Return ``(column name -> index, iterator of (line number, fields))`` for a CSV text."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise CastlabError("the file is empty", path=path, fix="export the data again") from None
    except csv.Error as error:
        raise CastlabError(
            f"broken CSV header: {error}", path=path, line=1, fix="export the data again"
        ) from None
    columns = {" ".join(name.split()).lower(): i for i, name in enumerate(header)}
    missing = [name for name in required if name not in columns]
    if missing:
        raise CastlabError(
            f"missing column(s) {', '.join(missing)}; found {', '.join(header)}",
            path=path,
            line=1,
            fix="pass the CSV exported by the app, with its header line",
        )

    def rows() -> Iterator[tuple[int, list[str]]]:
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise CastlabError(
                    f"broken CSV: {error}",
                    path=path,
                    line=start,
                    fix="check the quotes on that line, or export the data again",
                ) from None
            if not any(field.strip() for field in row):
                continue
            if len(row) < len(header) or any(field.strip() for field in row[len(header) :]):
                raise CastlabError(
                    f"expected {len(header)} fields, found {len(row)}",
                    path=path,
                    line=start,
                    column=min(len(row), len(header)) + 1,
                    fix="quote fields that contain commas",
                )
            yield start, row

    return columns, rows()


def _parse_with(text: str, formats: tuple[str, ...], what: str, where: dict[str, Any]) -> datetime:
    value = " ".join(text.split())  # strptime ignores case, so "5:01 pm" reads too
    for fmt in formats:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    raise CastlabError(f"cannot read {what} {text!r}", fix=f"use {formats[0]}", **where)


def _parse_hours(text: str, where: dict[str, Any]) -> float:
    value = text.strip()
    match = _HMS.match(value)
    if match:
        hours, minutes, seconds = (int(part) for part in match.groups())
        return hours + minutes / 60 + seconds / 3600
    if _DECIMAL_HOURS.match(value):
        hours = float(value)
        if hours > _MOST_DECIMAL_HOURS:  # "90" meant as minutes would run for 4 days
            minutes = round(hours)
            raise CastlabError(
                f"Duration {value!r} is read as {hours:g} hours, longer than a day",
                fix="Toggl durations are HH:MM:SS; a bare number is read as decimal hours "
                f"({value} means {hours:g} h): for {minutes} minutes write "
                f"{minutes // 60}:{minutes % 60:02d}:00 or {minutes / 60:.4g}",
                **where,
            )
        return hours
    raise CastlabError(
        f"cannot read Duration {text!r}",
        fix="use HH:MM:SS, e.g. 01:30:00",
        **where,
    )


@dataclass(frozen=True)
class _Fields:
    """The fields of one CSV row, each returned with where it is (for error messages)."""

    path: Path
    line: int
    row: list[str]
    columns: dict[str, int]

    def __call__(self, name: str) -> tuple[str, dict[str, Any]]:
        index = self.columns.get(name)
        if index is None:
            return "", {}
        return self.row[index], {"path": self.path, "line": self.line, "column": index + 1}


def read_toggl(path: str | Path) -> pd.DataFrame:
    """Read a Toggl Track "Detailed report" CSV into one row per time entry.

    Columns: ``start``, ``end`` (local datetimes), ``hours`` (float), ``project``, ``client``,
    ``task``, ``description`` (str), ``tags`` (tuple of str), ``billable`` (bool). The
    Duration column is the source of truth; ``end`` is ``start + hours`` so an entry crossing
    midnight keeps its full length. Duration is HH:MM:SS, or a bare number read as decimal
    hours (``1.5`` is 1 h 30 min); a bare number over 24 is refused, since ``90`` is far
    likelier 90 minutes than 90 hours.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> header = "Project,Start date,Start time,Duration\\n"
    >>> _ = p.write_text(header + "A,2024-01-01,23:30:00,01:00:00\\n")
    >>> read_toggl(p).loc[0, "end"]
    Timestamp('2024-01-02 00:30:00')
    """
    path = Path(path)
    columns, rows = _csv_rows(path, read_text(path, "Toggl"), ("start date", "start time"))
    if "duration" not in columns and not {"end date", "end time"} <= columns.keys():
        raise CastlabError(
            "no Duration column and no End date/End time columns",
            path=path,
            line=1,
            fix="export the Detailed report from Toggl Track",
        )
    records = []
    for line, row in rows:
        field = _Fields(path, line, row, columns)
        day_text, where = field("start date")
        clock_text, where_clock = field("start time")
        start = datetime.combine(
            _parse_with(day_text, _DATE_FORMATS, "Start date", where).date(),
            _parse_with(clock_text, _TIME_FORMATS, "Start time", where_clock).time(),
        )
        duration_text, where_duration = field("duration")
        if duration_text.strip():
            hours = _parse_hours(duration_text, where_duration)
        else:
            end_day, where_end = field("end date")
            end_clock, where_end_clock = field("end time")
            if not (end_day.strip() and end_clock.strip()):
                raise CastlabError(
                    "no Duration and no End date/time",
                    path=path,
                    line=line,
                    fix="fill in Duration as HH:MM:SS",
                )
            end = datetime.combine(
                _parse_with(end_day, _DATE_FORMATS, "End date", where_end).date(),
                _parse_with(end_clock, _TIME_FORMATS, "End time", where_end_clock).time(),
            )
            hours = (end - start).total_seconds() / 3600
            if hours < 0:
                raise CastlabError("the entry ends before it starts", path=path, line=line)
        tags = tuple(tag.strip() for tag in field("tags")[0].split(",") if tag.strip())
        records.append(
            {
                "start": start,
                "end": start + timedelta(hours=hours),
                "hours": hours,
                "project": field("project")[0].strip() or "(no project)",
                "client": field("client")[0].strip() or "(no client)",
                "task": field("task")[0].strip(),
                "description": field("description")[0].strip(),
                "tags": tags,
                "billable": field("billable")[0].strip().lower() in {"yes", "true", "1"},
            }
        )
    if not records:
        raise CastlabError("no time entries in the file", path=path, fix="export a longer period")
    frame = pd.DataFrame.from_records(records)
    return frame.sort_values("start", kind="stable").reset_index(drop=True)


def parse_mood_map(
    spec: str | Path | Mapping[str, float] | None, *, files: bool = True
) -> dict[str, float]:
    """Build a Daylio mood-name -> score map from defaults plus custom names.

    ``spec`` is ``None`` (Daylio's defaults), a mapping, a text like ``"okay=3,content=4"`` or a
    path to a small file with one ``name = score`` (or ``name,score``) per line; ``#`` starts a
    comment. Custom names extend and override the defaults; scores must lie in 1-5. Names
    are matched case-insensitively. ``files=False`` reads ``spec`` as text only, never as a
    path (a web page's text box must not open files on the server).

    Examples
    --------
    >>> parse_mood_map("content=4, okay=3.5")["okay"]
    3.5
    >>> parse_mood_map(None)["rad"]
    5.0
    """
    moods = dict(DEFAULT_MOODS)
    if spec is None:
        return moods
    if isinstance(spec, Mapping):
        items = [(str(k), str(v), None) for k, v in spec.items()]
        source: Path | None = None
    else:
        source = Path(spec) if files and Path(spec).is_file() else None
        if source is not None:
            lines = read_text(source, "mood map").splitlines()
            pieces = [(text.split("#", 1)[0], number) for number, text in enumerate(lines, 1)]
        elif files and not re.search(r"[=:]", str(spec)):
            raise CastlabError(
                "mood map file not found", path=spec, fix="pass a file or text like 'okay=3'"
            )
        else:
            pieces = [(piece, None) for piece in str(spec).split(",")]
        items = []
        for text, number in pieces:
            if not text.strip():
                continue
            parts = re.split(r"\s*[=:,]\s*", text.strip(), maxsplit=1)
            if len(parts) != 2:
                raise CastlabError(
                    f"cannot read mood mapping {text.strip()!r}",
                    path=source,
                    line=number,
                    fix="write name=score, e.g. okay=3",
                )
            items.append((parts[0], parts[1], number))
    for name, value, number in items:
        try:
            score = float(value)
        except ValueError:
            score = float("nan")
        if not 1 <= score <= 5:
            raise CastlabError(
                f"mood score for {name!r} must be a number from 1 to 5, got {value!r}",
                path=source,
                line=number,
            )
        moods[" ".join(name.split()).lower()] = score
    return moods


def read_daylio(
    path: str | Path, *, moods: str | Path | Mapping[str, float] | None = None
) -> pd.DataFrame:
    """Read a Daylio CSV export into one row per mood entry, oldest first.

    Accepts the usual header ``full_date,date,weekday,time,mood,activities,note`` (newer
    exports add ``note_title``; older ones have ``year`` instead of ``full_date``), 12 h or 24 h
    times and activities joined by ``|``. ``moods`` maps custom mood names to scores (see
    :func:`parse_mood_map`); bare numbers 1-5 are read as scores.

    Columns: ``timestamp`` (datetime), ``date`` (midnight of the day), ``mood_name`` (str),
    ``mood`` (float 1-5), ``activities`` (tuple of str), ``note`` (str, may be empty).
    """
    path = Path(path)
    scores = parse_mood_map(moods)
    text = read_text(path, "Daylio")
    columns, rows = _csv_rows(path, text, ("date", "time", "mood"))
    if "full_date" not in columns and "year" not in columns:
        raise CastlabError(
            "need a full_date (or year) column", path=path, line=1, fix="export CSV from Daylio"
        )
    records = []
    unknown: dict[str, tuple[int, int]] = {}
    for line, row in rows:
        field = _Fields(path, line, row, columns)

        if "full_date" in columns:
            day = _parse_with(
                row[columns["full_date"]], _DATE_FORMATS, "full_date", field("full_date")[1]
            )
        else:
            text_day = f"{row[columns['date']].strip()} {row[columns['year']].strip()}"
            day = _parse_with(text_day, ("%B %d %Y", "%d %B %Y"), "date", field("date")[1])
        clock = _parse_with(row[columns["time"]], _TIME_FORMATS, "time", field("time")[1])
        name = " ".join(row[columns["mood"]].split())
        score = scores.get(name.lower())
        if score is None:
            try:
                score = float(name) if 1 <= float(name) <= 5 else None
            except ValueError:
                score = None
        if score is None:
            unknown.setdefault(name, (line, columns["mood"] + 1))
            continue
        activities = row[columns["activities"]] if "activities" in columns else ""
        records.append(
            {
                "timestamp": datetime.combine(day.date(), clock.time()),
                "date": datetime.combine(day.date(), time()),
                "mood_name": name,
                "mood": score,
                "activities": tuple(a.strip() for a in activities.split("|") if a.strip()),
                "note": row[columns["note"]].strip() if "note" in columns else "",
            }
        )
    if unknown:
        first, (line, column) = next(iter(unknown.items()))
        others = [name for name in unknown if name != first]
        more = f" (also {', '.join(repr(n) for n in others)})" if others else ""
        raise CastlabError(
            f"unknown mood name {first!r}{more}",
            path=path,
            line=line,
            column=column,
            fix=Fix("mood_map", "set", value=f"'{first}=3'", template="give each a score 1-5: {}"),
        )
    if not records:
        raise CastlabError("no mood entries in the file", path=path, fix="export Daylio again")
    frame = pd.DataFrame.from_records(records)
    return frame.sort_values("timestamp", kind="stable").reset_index(drop=True)
