"""Reader for uLogMe log folders: keystrokes per 9 seconds and the active window's title.

uLogMe (github.com/karpathy/ulogme) writes one pair of files per day into ``logs/``:
``keyfreq_<t>.txt`` with lines ``<unix time> <key count>`` every 9 s and
``window_<t>.txt`` with ``<unix time> <window title>`` at each change of window
(``__LOCKEDSCREEN`` while locked), where ``<t>`` is the unix time of that day's 7 am.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "keyfreq_1700031600.txt").write_text("1700035200 12\\n1700035209 3\\n")
>>> _ = (folder / "window_1700031600.txt").write_text("1700035200 a.py - Visual Studio Code\\n")
>>> log = read_ulogme(folder, timezone="UTC")
>>> int(log.keys["keystrokes"].sum()), log.windows.loc[0, "application"]
(15, 'Visual Studio Code')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from castlab.core.errors import CastlabError
from castlab.lifelog.data import read_text

__all__ = ["UlogmeLog", "application_name", "read_ulogme"]


@dataclass(frozen=True)
class UlogmeLog:
    """A uLogMe log folder, read.

    ``keys``: one row per 9-second sample, columns ``time`` (local datetime), ``keystrokes``
    (int), ``day`` (the uLogMe day, starting at ``day_start_hour``). ``windows``: one row per
    change of the active window, columns ``time``, ``title``, ``application``, ``day``.
    """

    keys: pd.DataFrame
    windows: pd.DataFrame
    day_start_hour: int = 7


_LOG_NAME = re.compile(r"^(keyfreq|window)_(\d+)\.txt$")


def application_name(title: str) -> str:
    """Guess the application from a window title: the part after the last " - ".

    Examples
    --------
    >>> application_name("notes.ipynb - Jupyter Notebook - Mozilla Firefox")
    'Mozilla Firefox'
    >>> application_name("__LOCKEDSCREEN")
    '(locked)'
    """
    title = title.strip()
    if title == "__LOCKEDSCREEN":
        return "(locked)"
    parts = [part.strip() for part in re.split(r" [-\u2013\u2014] ", title) if part.strip()]
    return parts[-1] if parts else "(unknown)"


def _local_zone(timezone: str | None) -> object:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if timezone is None:
        try:
            with open("/etc/localtime", "rb") as handle:
                return ZoneInfo.from_file(handle)
        except OSError:
            return "UTC"
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise CastlabError(
            f"unknown time zone {timezone!r}", fix="use a name like Europe/London or UTC"
        ) from None


def read_ulogme(
    folder: str | Path, *, timezone: str | None = None, day_start_hour: int = 7
) -> UlogmeLog:
    """Read a uLogMe ``logs/`` folder of ``keyfreq_<t>.txt`` and ``window_<t>.txt`` files.

    Lines are ``<unix time> <key count>`` and ``<unix time> <window title>``. Times are
    shown in ``timezone`` (default: this machine's zone) and a day runs from
    ``day_start_hour`` to the same hour next morning, as in uLogMe. Other files (notes,
    blog) are ignored.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise CastlabError(
            "uLogMe log folder not found", path=folder, fix="pass --ulogme uLogMe's logs/ folder"
        )
    if not 0 <= day_start_hour <= 23:
        raise CastlabError(f"day start hour must be 0-23, got {day_start_hour}")
    keys: list[tuple[int, int]] = []
    windows: list[tuple[int, str]] = []
    files = sorted(p for p in folder.iterdir() if _LOG_NAME.match(p.name))
    if not files:
        there = sorted(p.name for p in folder.iterdir())
        named = f" ({', '.join(there[:3])}{', ...' if len(there) > 3 else ''})" if there else ""
        raise CastlabError(
            f"no keyfreq_*.txt or window_*.txt files among the {len(there)} file(s) there{named}",
            path=folder,
            fix="give uLogMe's own logs: the keyfreq_<time>.txt and window_<time>.txt files of "
            "its logs/ folder",
        )
    for file in files:
        kind = _LOG_NAME.match(file.name).group(1)  # type: ignore[union-attr]
        for number, text in enumerate(read_text(file, "uLogMe").splitlines(), 1):
            text = text.rstrip("\r\n")
            if not text.strip():
                continue
            stamp, _, rest = text.strip(" ").partition(" ")
            if not stamp.isdigit():
                raise CastlabError(
                    f"expected a unix time, found {stamp!r}", path=file, line=number, column=1
                )
            if int(stamp) >= 10**10:  # after the year 2286 in seconds: milliseconds or worse
                raise CastlabError(
                    f"unix time {stamp} is not in seconds (it would be after the year 2286)",
                    path=file,
                    line=number,
                    column=1,
                    fix="uLogMe writes whole seconds; divide millisecond stamps by 1000",
                )
            if kind == "keyfreq":
                if not rest.strip().isdigit():
                    raise CastlabError(
                        f"expected a key count, found {rest.strip()!r}",
                        path=file,
                        line=number,
                        column=len(stamp) + 2,
                        fix="each line is '<unix time> <key count>'",
                    )
                keys.append((int(stamp), int(rest)))
            else:
                windows.append((int(stamp), rest))
    zone = _local_zone(timezone)
    shift = pd.Timedelta(hours=day_start_hour)

    def local(stamps: list[int]) -> pd.Series:
        utc = pd.to_datetime(pd.Series(stamps, dtype="int64"), unit="s", utc=True)
        return utc.dt.tz_convert(zone).dt.tz_localize(None)

    key_frame = pd.DataFrame(
        {
            "time": local([k[0] for k in keys]),
            "keystrokes": pd.Series([k[1] for k in keys], dtype="int64"),
        }
    )
    window_frame = pd.DataFrame(
        {
            "time": local([w[0] for w in windows]),
            "title": pd.Series([w[1] for w in windows], dtype="str"),
        }
    )
    window_frame["application"] = window_frame["title"].map(application_name).astype("str")
    for frame in (key_frame, window_frame):
        frame.sort_values("time", kind="stable", inplace=True, ignore_index=True)
        frame["day"] = (frame["time"] - shift).dt.normalize()
    return UlogmeLog(keys=key_frame, windows=window_frame, day_start_hour=day_start_hour)
