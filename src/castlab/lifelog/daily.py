"""One tidy daily table joining whatever exports are present: a row per day, a column per metric.

Column groups (absent when their source is absent):

* Toggl: ``hours_logged`` (0 on days inside the export with nothing logged), and hours per
  ``project: <name>``, ``client: <name>`` and ``tag: <name>``. Entries crossing midnight
  are split between the two days.
* Daylio: ``mood`` (mean of the day's entries, 1-5), ``mood_entries`` and one 0/1 column per
  ``activity: <name>`` (missing on days without an entry).
* uLogMe: ``keystrokes``, ``active_minutes`` (9-second windows with any typing) and
  ``top_application`` (most keystrokes), on uLogMe days (which start at 7 am).

The index is every calendar day from the first to the last day seen, named ``date``, so
``shift(-1)`` is always "the next day". ``weekday`` and ``month`` are added for grouping.

Examples
--------
>>> import pandas as pd
>>> from datetime import datetime
>>> entries = pd.DataFrame({"start": [datetime(2024, 1, 1, 23)], "end": [datetime(2024, 1, 2, 1)],
...                         "hours": [2.0], "project": ["A"], "client": ["C"], "tags": [()]})
>>> daily_table(toggl=entries)["hours_logged"].tolist()
[1.0, 1.0]
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from castlab.core.errors import CastlabError
from castlab.lifelog.ulogme import UlogmeLog

__all__ = ["PREFIXES", "daily_table", "metric_columns", "split_at_midnight"]

#: Prefixes of the per-name columns; the part after the prefix is the name in the export.
PREFIXES = ("project: ", "client: ", "tag: ", "activity: ")
_DERIVED = {"mood", "mood_entries", "weekday", "month", "top_application"}


def split_at_midnight(entries: pd.DataFrame) -> pd.DataFrame:
    """Split Toggl entries into per-day pieces: columns ``date``, ``hours``, ``project``,
    ``client``, ``tags``. An entry from 23:00 to 01:00 becomes 1 h on each day.

    Examples
    --------
    >>> e = pd.DataFrame({"start": [datetime(2024, 1, 1, 23)], "end": [datetime(2024, 1, 2, 1)],
    ...                   "hours": [2.0], "project": ["A"], "client": ["C"], "tags": [()]})
    >>> split_at_midnight(e)["hours"].tolist()
    [1.0, 1.0]
    """
    pieces = []
    for row in entries.itertuples(index=False):
        start, end = row.start.to_pydatetime(), row.end.to_pydatetime()
        while True:
            midnight = datetime.combine(start.date() + timedelta(days=1), datetime.min.time())
            stop = min(end, midnight)
            pieces.append(
                (
                    datetime.combine(start.date(), datetime.min.time()),
                    (stop - start).total_seconds() / 3600,
                    row.project,
                    row.client,
                    row.tags,
                )
            )
            if end <= midnight:
                break
            start = midnight
    frame = pd.DataFrame(pieces, columns=["date", "hours", "project", "client", "tags"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def _toggl_columns(entries: pd.DataFrame) -> tuple[pd.DataFrame, pd.Timestamp, pd.Timestamp]:
    pieces = split_at_midnight(entries)
    days = pd.date_range(pieces["date"].min(), pieces["date"].max(), freq="D", name="date")
    parts = [pieces.groupby("date")["hours"].sum().rename("hours_logged")]
    for column, prefix in (("project", "project: "), ("client", "client: ")):
        wide = pieces.pivot_table(index="date", columns=column, values="hours", aggfunc="sum")
        parts.append(wide.add_prefix(prefix))
    tags = pieces.explode("tags").dropna(subset=["tags"])
    if len(tags):
        wide = tags.pivot_table(index="date", columns="tags", values="hours", aggfunc="sum")
        parts.append(wide.add_prefix("tag: "))
    frame = pd.concat(parts, axis=1).reindex(days).fillna(0.0)
    frame.columns = [str(c) for c in frame.columns]
    return frame, days[0], days[-1]


def _daylio_columns(entries: pd.DataFrame) -> pd.DataFrame:
    grouped = entries.groupby("date")
    frame = pd.DataFrame(
        {"mood": grouped["mood"].mean(), "mood_entries": grouped["mood"].size().astype(float)}
    )
    done = entries[["date", "activities"]].explode("activities").dropna(subset=["activities"])
    if len(done):
        wide = pd.crosstab(done["date"], done["activities"]).clip(upper=1).astype(float)
        wide = wide.reindex(frame.index).fillna(0.0)
        frame = frame.join(wide.add_prefix("activity: "))
    frame.index.name = "date"
    return frame


def _ulogme_columns(log: UlogmeLog) -> pd.DataFrame:
    keys = log.keys
    frame = pd.DataFrame(
        {
            "keystrokes": keys.groupby("day")["keystrokes"].sum().astype(float),
            # 9-second windows with any typing, in minutes
            "active_minutes": keys.assign(active=keys["keystrokes"] > 0)
            .groupby("day")["active"]
            .sum()
            * 9.0
            / 60.0,
        }
    )
    if len(log.windows) and len(keys):
        merged = pd.merge_asof(keys, log.windows[["time", "application"]], on="time")
        merged["application"] = merged["application"].fillna("(unknown)")
        per_app = merged.groupby(["day", "application"])["keystrokes"].sum().reset_index()
        top = per_app.sort_values("keystrokes", ascending=False).drop_duplicates("day")
        frame["top_application"] = top.set_index("day")["application"]
    frame.index.name = "date"
    return frame


def daily_table(
    *,
    toggl: pd.DataFrame | None = None,
    daylio: pd.DataFrame | None = None,
    ulogme: UlogmeLog | None = None,
) -> pd.DataFrame:
    """Join the sources that are present into one row per calendar day (see module doc).

    Parameters are the frames returned by :func:`castlab.lifelog.data.read_toggl`,
    :func:`~castlab.lifelog.data.read_daylio` and :func:`~castlab.lifelog.data.read_ulogme`.
    """
    parts: list[pd.DataFrame] = []
    if toggl is not None and len(toggl):
        parts.append(_toggl_columns(toggl)[0])
    if daylio is not None and len(daylio):
        parts.append(_daylio_columns(daylio))
    if ulogme is not None and len(ulogme.keys):
        parts.append(_ulogme_columns(ulogme))
    if not parts:
        given = [
            name
            for name, source in (("Toggl", toggl), ("Daylio", daylio), ("uLogMe", ulogme))
            if source is not None
        ]
        raise CastlabError(
            f"no data: the {' and '.join(given)} export(s) given hold no entries"
            if given
            else "no data: pass at least one export",
            fix="give --toggl, --daylio and/or --ulogme with entries in them",
        )
    first = min(part.index.min() for part in parts)
    last = max(part.index.max() for part in parts)
    days = pd.date_range(first, last, freq="D", name="date")
    table = pd.concat([part.reindex(days) for part in parts], axis=1)
    table.insert(0, "weekday", pd.Series(days.day_name(), index=days, dtype="str"))
    table.insert(1, "month", pd.Series(days.strftime("%Y-%m"), index=days, dtype="str"))
    return table


def metric_columns(table: pd.DataFrame) -> list[str]:
    """The numeric daily metrics of ``table`` that could explain mood (not mood itself).

    Examples
    --------
    >>> t = pd.DataFrame({"mood": [3.0], "hours_logged": [2.0], "weekday": ["Monday"]})
    >>> metric_columns(t)
    ['hours_logged']
    """
    return [
        column
        for column in table.columns
        if column not in _DERIVED and np.issubdtype(table[column].dtype, np.number)
    ]
