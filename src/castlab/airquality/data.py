"""Air-quality tables: read, check and tidy readings or predictions of PM2.5 per place and time.

Every reader returns :class:`Readings`: a tidy frame with the columns ``location`` (a unique
key), ``name`` (the place name as written), ``date`` (a timestamp), ``latitude``,
``longitude`` (NaN when unknown), ``pm25`` (µg/m³, NaN when missing) and any other numeric
columns (features), plus a count of every problem that was handled instead of raised.

Places are keyed on name *and* coordinates: two towns called "Middelburg" at different
coordinates stay two locations (``"Middelburg (-25.78, 29.46)"`` and ``"Middelburg (-31.49,
25.01)"``).

Examples
--------
>>> import io
>>> text = "City,Date,Lat,Long,Predicted_PM25\\nA,2020-01-01,1,2,10\\nA,2020-01-02,1,2,-3\\n"
>>> readings = read_table(io.StringIO(text))
>>> readings.frame[["location", "date", "pm25"]].to_string(index=False)
'location       date  pm25\\n       A 2020-01-01  10.0\\n       A 2020-01-02   NaN'
>>> readings.issues["negative_pm25"]
1
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from castlab.core.errors import CastlabError, Fix
from castlab.core.readers import read_csv

__all__ = [
    "COLUMN_ALIASES",
    "DATE_FORMATS",
    "SENTINELS",
    "Readings",
    "clean_pm25",
    "location_keys",
    "parse_dates",
    "read_table",
    "resample",
    "tidy",
]

#: tidy column -> accepted spellings (compared lower-case, without spaces, dots, _ and -)
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "location": ("location", "station", "city", "site", "name", "sensor", "locationname"),
    "date": ("date", "datetime", "timestamp", "time", "day"),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "long", "lng"),
    "pm25": ("pm25", "predictedpm25", "p2", "pm2p5", "target"),
}
#: timestamp formats tried in order when ISO 8601 fails (US month-first, as sensors.AFRICA)
DATE_FORMATS = (
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
)
#: values loggers write for "no reading"; never real PM2.5
SENTINELS = (999.0, 9999.0, -999.0, -9999.0)
_COORD_DIGITS = 2  # decimals of the coordinates shown in a disambiguated location key


def _canonical(name: str) -> str:
    return re.sub(r"[\s._\-/()µ]+", "", name.strip().lower().replace("\ufeff", ""))


def _snake(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_") or "column"


@dataclass
class Readings:
    """A tidy air-quality table and what was done to it.

    Attributes
    ----------
    frame:
        One row per location and timestamp (see the module docstring for columns).
    issues:
        Problem -> rows affected: ``non_numeric_pm25``, ``negative_pm25``, ``sentinel_pm25``,
        ``missing_pm25``, ``duplicate_rows`` (merged by averaging), ``renamed_locations``,
        ``filled_coordinates`` (a place's rows without coordinates given its own), and
        ``non_numeric_<column>`` (text cells of a numeric feature column, made missing).
    source:
        Where the rows came from (a path or a description).
    """

    frame: pd.DataFrame
    issues: dict[str, int] = field(default_factory=dict)
    source: str = ""

    @property
    def locations(self) -> list[str]:
        """The unique location keys, sorted."""
        return sorted(self.frame["location"].unique())

    @property
    def time_step(self) -> str | None:
        """How far apart a location's readings usually are: ``"hour"``, ``"day"``, another
        pandas time span (``"0 days 00:30:00"``), or ``None`` (no location read twice).

        Examples
        --------
        >>> days = pd.DataFrame({"location": ["a"] * 3, "date": pd.date_range("2024", periods=3)})
        >>> Readings(days).time_step
        'day'
        """
        dates = self.frame[["location", "date"]].dropna().sort_values(["location", "date"])
        gaps = dates.groupby("location")["date"].diff().dropna()
        gaps = gaps[gaps > pd.Timedelta(0)]
        if gaps.empty:
            return None
        step = gaps.median()
        named = {pd.Timedelta(hours=1): "hour", pd.Timedelta(days=1): "day"}
        return named.get(step, str(step))

    @property
    def features(self) -> list[str]:
        """Numeric columns other than the target and the bookkeeping ones."""
        skip = {"pm25", "n_readings"}
        return [
            c
            for c in self.frame.columns
            if c not in skip
            and c not in ("location", "name", "date")
            and pd.api.types.is_numeric_dtype(self.frame[c])
        ]

    def summary(self) -> str:
        """One line: rows, locations, date range and the problems handled."""
        f = self.frame
        span = f"{f['date'].min():%Y-%m-%d}..{f['date'].max():%Y-%m-%d}" if len(f) else "-"
        handled = ", ".join(f"{k} {v}" for k, v in self.issues.items() if v) or "none"
        return f"{len(f)} rows, {f['location'].nunique()} locations, {span}; handled: {handled}"


def _find_column(columns: list[str], tidy_name: str, given: str | None, path: str) -> str | None:
    if given is not None:
        if given not in columns:
            raise CastlabError(
                f"no column {given!r} (columns: {', '.join(columns)})",
                path=path,
                line=1,
                fix=Fix(
                    "target" if tidy_name == "pm25" else tidy_name,
                    "name",
                    template="check the spelling and {}",
                    option="--group" if tidy_name == "location" else None,
                ),
            )
        return given
    by_canonical = {_canonical(c): c for c in columns}
    for alias in COLUMN_ALIASES[tidy_name]:
        if alias in by_canonical:
            return by_canonical[alias]
    return None


def parse_dates(values: pd.Series, *, path: str = "", date_format: str | None = None) -> pd.Series:
    """Timestamps from text in ISO 8601 or one of :data:`DATE_FORMATS`, format per value.

    Mixed formats in one column are fine (sensors.AFRICA exports mix ``MM/DD/YYYY HH:MM``
    and ``M/D/YYYY H:MM:SS``). Empty values are an error, as is text no format reads.

    Examples
    --------
    >>> parse_dates(pd.Series(["2019-01-02", "9/13/2018 0:09:31", "09/01/2018 00:05"])).tolist()
    [Timestamp('2019-01-02 00:00:00'), Timestamp('2018-09-13 00:09:31'), Timestamp('2018-09-01 00:05:00')]
    >>> parse_dates(pd.Series(["2019-01-02", "yesterday"]), path="x.csv")
    Traceback (most recent call last):
    ...
    castlab.core.errors.CastlabError: x.csv:3: unknown date format 'yesterday' (fix: use YYYY-MM-DD [HH:MM[:SS]] or MM/DD/YYYY HH:MM, or pass --date-format)
    """
    text = values.astype("string").str.strip()
    if date_format is not None:
        parsed = pd.to_datetime(text, format=date_format, errors="coerce")
    else:
        # utc=True reads offsets (2020-01-01T02:00+02:00) as UTC; naive text stays as written
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
        parsed = parsed.dt.tz_localize(None)
        for fmt in DATE_FORMATS:
            todo = parsed.isna() & text.notna()
            if not todo.any():
                break
            parsed[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
    bad = parsed.isna()
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        value = text.iloc[position]
        message = f"unknown date format {value!r}" if pd.notna(value) else "empty date"
        fix = Fix(
            "date_format", "give", template="use YYYY-MM-DD [HH:MM[:SS]] or MM/DD/YYYY HH:MM, or {}"
        )
        if date_format is not None and pd.notna(value):  # the user's format is what failed
            message = f"date {value!r} does not match the date format {date_format!r}"
            fix = Fix(
                "date_format",
                "leave_out",
                template="give the format it is written in (e.g. %Y-%m-%d), or {} "
                "to let castlab read it",
            )
        raise CastlabError(message, path=path or None, line=position + 2, fix=fix)  # header + 1
    return parsed.astype("datetime64[ns]")


def _read_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """``values`` as floats (NaN where not a number), which cells were empty (blank, ``NA``,
    ``null`` and the like) and which held something that is not a number."""
    raw = values.astype("string").str.strip()
    empty = raw.isna() | raw.isin(["", "NA", "NaN", "nan", "null", "None"])
    numbers = pd.to_numeric(raw.where(~empty), errors="coerce").astype(float)
    return numbers, empty, numbers.isna() & ~empty


def clean_pm25(
    values: pd.Series, *, sentinels: tuple[float, ...] = SENTINELS
) -> tuple[pd.Series, dict[str, int]]:
    """PM2.5 as floats with impossible values set to NaN, and how many of each were found.

    Examples
    --------
    >>> clean_pm25(pd.Series(["12.5", "n/a", "-1", "999", None]))[1]
    {'non_numeric_pm25': 1, 'negative_pm25': 1, 'sentinel_pm25': 1, 'missing_pm25': 1}
    """
    numbers, empty, non_numeric = _read_numbers(values)
    sentinel = numbers.isin(sentinels)
    negative = (numbers < 0) & ~sentinel
    issues = {
        "non_numeric_pm25": int(non_numeric.sum()),
        "negative_pm25": int(negative.sum()),
        "sentinel_pm25": int(sentinel.sum()),
        "missing_pm25": int(empty.sum()),
    }
    return numbers.mask(negative | sentinel), issues


def numeric_column(values: pd.Series, *, share: float = 0.5) -> tuple[pd.Series | None, int]:
    """``values`` as floats when more than ``share`` of its filled cells are numbers, and how
    many filled cells were not (they become missing, and are counted in the summary);
    ``(None, 0)`` for a column of text.

    Examples
    --------
    >>> numbers, bad = numeric_column(pd.Series(["1.5", "--", "3", None] + ["2"] * 8))
    >>> numbers.tolist()[:4], bad
    ([1.5, nan, 3.0, nan], 1)
    >>> numeric_column(pd.Series(["north", "south", "4"]))
    (None, 0)
    """
    if pd.api.types.is_bool_dtype(values):
        return None, 0
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float), 0
    numbers, empty, non_numeric = _read_numbers(values)
    bad = int(non_numeric.sum())
    if empty.all() or bad >= (1 - share) * int((~empty).sum()):
        return None, 0
    return numbers, bad


def location_keys(frame: pd.DataFrame) -> tuple[pd.Series, int]:
    """A unique key per place: the name, plus rounded coordinates where a name is shared.

    Returns the keys and how many names needed coordinates to tell places apart.

    Examples
    --------
    >>> f = pd.DataFrame({"name": ["M", "M", "K"], "latitude": [-25.7751, -31.49, 1.0],
    ...                   "longitude": [29.46, 25.0, 2.0]})
    >>> location_keys(f)[0].tolist()
    ['M (-25.78, 29.46)', 'M (-31.49, 25.00)', 'K']
    """
    names = frame["name"].astype(str)
    if "latitude" not in frame or frame["latitude"].isna().all():
        return names, 0
    lat = frame["latitude"].round(3)
    lon = frame["longitude"].round(3)
    known = lat.notna() & lon.notna()  # a row without coordinates is no place of its own
    places = pd.DataFrame({"name": names, "lat": lat, "lon": lon})[known].drop_duplicates()
    shared = places["name"][places["name"].duplicated()].unique()
    keys = names.copy()
    mask = names.isin(shared)
    keys[mask] = [
        f"{n} ({a:.{_COORD_DIGITS}f}, {b:.{_COORD_DIGITS}f})"
        if np.isfinite(a) and np.isfinite(b)
        else f"{n} (no coordinates)"
        for n, a, b in zip(names[mask], frame["latitude"][mask], frame["longitude"][mask])
    ]
    return keys, len(shared)


def fill_coordinates(frame: pd.DataFrame) -> int:
    """Give rows without coordinates those of their name's one place (in place); return how
    many were filled. A name seen at two places or more leaves its rows as they are.

    Examples
    --------
    >>> f = pd.DataFrame({"name": ["A", "A", "B"], "latitude": [1.0, None, None],
    ...                   "longitude": [2.0, None, None]})
    >>> fill_coordinates(f), f["latitude"].tolist()
    (1, [1.0, 1.0, nan])
    """
    if "latitude" not in frame or "longitude" not in frame:
        return 0
    missing = frame["latitude"].isna() | frame["longitude"].isna()
    if not missing.any():
        return 0
    pairs = frame.loc[~missing, ["name", "latitude", "longitude"]].round(3).drop_duplicates()
    single = pairs[~pairs["name"].duplicated(keep=False)].set_index("name")
    full = frame.loc[~missing].drop_duplicates("name").set_index("name")  # unrounded values
    fillable = missing & frame["name"].isin(single.index)
    if not fillable.any():
        return 0
    for column in ("latitude", "longitude"):
        frame.loc[fillable, column] = frame.loc[fillable, "name"].map(full[column]).to_numpy()
    return int(fillable.sum())


def tidy(
    raw: pd.DataFrame,
    *,
    source: str = "",
    location: str | None = None,
    date: str | None = None,
    target: str | None = None,
    latitude: str | None = None,
    longitude: str | None = None,
    date_format: str | None = None,
    sentinels: tuple[float, ...] = SENTINELS,
    default_location: str | None = None,
    require_target: bool = True,
) -> Readings:
    """Turn any table with a place, a date and PM2.5 into :class:`Readings`.

    Column names are found from :data:`COLUMN_ALIASES` unless given. Without a location
    column, ``default_location`` names the single place (else it is an error). With
    ``require_target=False`` (places to predict) PM2.5 may be absent or empty.
    """
    columns = [str(c) for c in raw.columns]
    raw = raw.set_axis(columns, axis=1)
    found = {
        name: _find_column(columns, name, given, source)
        for name, given in (
            ("location", location),
            ("date", date),
            ("pm25", target),
            ("latitude", latitude),
            ("longitude", longitude),
        )
    }
    for required in ("date", "pm25") if require_target else ("date",):
        if found[required] is None:
            setting = "date" if required == "date" else "target"
            raise CastlabError(
                f"no {required} column (columns: {', '.join(columns)})",
                path=source or None,
                line=1,
                fix=Fix(setting, "name"),
            )
    if found["location"] is None and default_location is None:
        raise CastlabError(
            f"no location column (columns: {', '.join(columns)})",
            path=source or None,
            line=1,
            fix=Fix("location", "name", template="{} (e.g. station or city)", option="--group"),
        )
    frame = pd.DataFrame(index=raw.index)
    frame["name"] = (
        raw[found["location"]].astype(str).str.strip() if found["location"] else default_location
    )
    frame["date"] = parse_dates(raw[found["date"]], path=source, date_format=date_format)
    for coordinate in ("latitude", "longitude"):
        column = found[coordinate]
        frame[coordinate] = (
            pd.to_numeric(raw[column], errors="coerce").astype(float) if column else np.nan
        )
    target_values = raw[found["pm25"]] if found["pm25"] else pd.Series(np.nan, index=raw.index)
    frame["pm25"], issues = clean_pm25(target_values, sentinels=sentinels)
    if not found["pm25"]:  # no PM2.5 column at all (places to predict): nothing was handled
        issues["missing_pm25"] = 0
    if require_target and len(frame) and frame["pm25"].isna().all():
        handled = ", ".join(f"{v} {k}" for k, v in issues.items() if v)
        filled = target_values[target_values.astype("string").str.strip().fillna("") != ""]
        first = f"; the first: {str(filled.iloc[0])!r}" if len(filled) else ""
        raise CastlabError(
            f"the PM2.5 column {found['pm25']!r} holds no usable value ({handled}{first})",
            path=source or None,
            fix=Fix("target", "name", template="check it is the PM2.5 column, or {}"),
        )
    used = {c for c in found.values() if c}
    for column in columns:
        if column in used:
            continue
        numbers, bad = numeric_column(raw[column])
        if numbers is not None:
            frame[_snake(column)] = numbers
            if bad:  # a stray "--" or "n/a" among numbers: those cells only are missing
                issues[f"non_numeric_{_snake(column)}"] = bad
    issues["filled_coordinates"] = fill_coordinates(frame)
    frame["location"], issues["renamed_locations"] = location_keys(frame)
    before = len(frame)
    frame = _merge_duplicates(frame)
    issues["duplicate_rows"] = before - len(frame)
    ordered = ["location", "name", "date", "latitude", "longitude", "pm25"]
    frame = frame[ordered + [c for c in frame.columns if c not in ordered]]
    return Readings(frame.reset_index(drop=True), issues, source)


def _merge_duplicates(frame: pd.DataFrame) -> pd.DataFrame:
    """Average rows that share a location and timestamp (keeps the first name)."""
    keys = ["location", "date"]
    if not frame.duplicated(keys).any():
        return frame.sort_values(keys, kind="stable")
    numeric = [c for c in frame.columns if c not in (*keys, "name")]
    merged = frame.groupby(keys, sort=True).agg({"name": "first", **dict.fromkeys(numeric, "mean")})
    return merged.reset_index()


def read_table(
    path: str | Path | IO[str],
    *,
    location: str | None = None,
    date: str | None = None,
    target: str | None = None,
    latitude: str | None = None,
    longitude: str | None = None,
    date_format: str | None = None,
    sentinels: tuple[float, ...] = SENTINELS,
    require_target: bool = True,
) -> Readings:
    """Read a CSV of readings or predictions (e.g. the blog's ``City,Date,Lat,Long,
    Predicted_PM25,...``) into :class:`Readings`. A UTF-8 byte-order mark is fine.
    ``require_target=False``: PM2.5 may be absent or empty (places to predict)."""
    source = str(path) if isinstance(path, str | Path) else "<table>"
    if isinstance(path, str | Path) and not Path(path).exists():
        raise CastlabError("file not found", path=path, fix="check the path")
    if isinstance(path, str | Path):
        raw = read_csv(path, what="readings table", low_memory=False)
    else:
        raw = _read_stream(path, source)
    return tidy(
        raw,
        source=source,
        location=location,
        date=date,
        target=target,
        latitude=latitude,
        longitude=longitude,
        date_format=date_format,
        sentinels=sentinels,
        require_target=require_target,
    )


def _read_stream(stream: IO[str], source: str) -> pd.DataFrame:
    try:
        return pd.read_csv(stream, low_memory=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        raise CastlabError(
            f"not a readable CSV: {str(error).splitlines()[0]}",
            path=source,
            fix="save it as comma-separated UTF-8 text with a header row",
        ) from None


def resample(readings: Readings, freq: str = "D", *, min_readings: int = 1) -> Readings:
    """Average each location's readings per hour (``"h"``) or day (``"D"``).

    A period keeps PM2.5 only when at least ``min_readings`` valid readings fall in it;
    ``n_readings`` counts them.

    Examples
    --------
    >>> f = pd.DataFrame({"station": "S", "time": ["2020-01-01 00:10", "2020-01-01 00:40",
    ...                   "2020-01-01 01:05"], "PM2.5": [10, 20, 7]})
    >>> resample(tidy(f), "h").frame[["date", "pm25", "n_readings"]].values.tolist()
    [[Timestamp('2020-01-01 00:00:00'), 15.0, 2], [Timestamp('2020-01-01 01:00:00'), 7.0, 1]]
    """
    if freq not in ("h", "D"):
        raise CastlabError(f"unknown period {freq!r}", fix="use h (hourly) or D (daily)")
    frame = readings.frame.copy()
    frame["date"] = frame["date"].dt.floor(freq)
    numeric = [c for c in frame.columns if c not in ("location", "name", "date", "n_readings")]
    grouped = frame.groupby(["location", "date"], sort=True)
    out = grouped.agg({"name": "first", **dict.fromkeys(numeric, "mean")})
    out["n_readings"] = grouped["pm25"].count().astype(int)
    out.loc[out["n_readings"] < min_readings, "pm25"] = np.nan
    out = out.reset_index()
    ordered = ["location", "name", "date", "latitude", "longitude", "pm25"]
    out = out[ordered + [c for c in out.columns if c not in ordered]]
    return Readings(out, dict(readings.issues), readings.source)
