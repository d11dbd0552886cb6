"""Reading the text files users hand castlab, whatever a spreadsheet or an export did to them.

:func:`read_text` decodes UTF-8 (with or without a byte-order mark) and UTF-16 with a BOM,
and turns anything else (latin-1, a binary file behind a ``.csv`` name, a gzip cut short)
into one :class:`CastlabError` naming the file, the line and the fix. :func:`read_csv` reads
a table through it: comma, semicolon, tab or ``|`` separated (sniffed from the header, or
given), plain or gzip-compressed, with duplicate column names refused rather than renamed.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "a.csv").write_bytes("city;pm25\\r\\nNairobi;12,5\\r\\n".encode("utf-16"))
>>> frame = read_csv(folder / "a.csv")
>>> list(frame.columns), frame.iloc[0, 0]
(['city', 'pm25'], 'Nairobi')
>>> _ = (folder / "b.csv").write_bytes("name\\ncaf\\xe9\\n".encode("latin-1"))
>>> read_text(folder / "b.csv")
Traceback (most recent call last):
...
castlab.core.errors.CastlabError: .../b.csv:2: not UTF-8 text (byte 0xe9) (fix: save the file as UTF-8, e.g. iconv -f latin1 -t utf-8)
>>> sniff_separator("a\\tb\\tc\\n1\\t2\\t3\\n")
'\\t'
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from castlab.core.errors import CastlabError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "SEPARATORS",
    "binary_kind",
    "check_not_binary",
    "decode_text",
    "files_under",
    "open_maybe_gzip",
    "first_line",
    "read_csv",
    "read_text",
    "sniff_encoding",
    "sniff_separator",
    "stream_error",
]

#: Separators :func:`sniff_separator` chooses between, most usual first.
SEPARATORS = (",", ";", "\t", "|")

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

_SAVE_AS_CSV = "open it in the spreadsheet and save it as CSV (UTF-8)"
#: File signatures of binary files users hand text readers by mistake: (magic, kind, fix).
_BINARY_KINDS = (
    (b"PK\x03\x04", "a ZIP archive (an .xlsx, .docx or .zip file)", _SAVE_AS_CSV),
    (b"\xd0\xcf\x11\xe0", "an old Office file (.xls or .doc)", _SAVE_AS_CSV),
    (b"%PDF", "a PDF document", "use the text file itself"),
    (b"\x89PNG", "a PNG image", "use the text file itself"),
    (b"\xff\xd8\xff", "a JPEG image", "use the text file itself"),
    (b"GIF8", "a GIF image", "use the text file itself"),
    (b"SQLite format 3", "an SQLite database", "export the table to CSV first"),
    (b"PAR1", "a Parquet file", "name it .parquet where Parquet is read, or export CSV"),
    (b"\x1f\x8b", "gzip-compressed", "name it .gz, or gunzip it first"),
)


def binary_kind(raw: bytes) -> tuple[str, str] | None:
    """``(what the file is, the fix)`` when the first bytes of a file show it is not text.

    Known signatures (ZIP/xlsx, PDF, images, ...) are named; any other NUL byte outside
    UTF-16 makes it "a binary file". Text, UTF-16 with a byte-order mark included, gives None.

    Examples
    --------
    >>> binary_kind(b"PK\\x03\\x04...")[0]
    'a ZIP archive (an .xlsx, .docx or .zip file)'
    >>> binary_kind(b"id,text\\n1,hi\\n") is None
    True
    """
    for magic, kind, fix in _BINARY_KINDS:
        if raw.startswith(magic):
            return kind, fix
    if not raw.startswith(_UTF16_BOMS) and b"\x00" in raw:
        return "a binary file", "use the text file itself"
    return None


def check_not_binary(path: str | Path, raw: bytes | None = None) -> None:
    """Raise a CastlabError naming what ``path`` is when its first bytes are not text.

    ``raw``: the file's first bytes when the caller has read them already (else the first
    64 KiB are read; a missing or unreadable file is left to the caller's own reading).
    """
    if raw is None:
        try:
            with open(path, "rb") as handle:
                raw = handle.read(65536)
        except OSError:
            return
    found = binary_kind(raw[:65536])
    if found is not None:
        kind, fix = found
        raise CastlabError(f"{kind}, not text", path=path, fix=fix)


def files_under(folder: str | Path) -> list[Path]:
    """Every file under ``folder``, sorted, following linked folders (``data/veery ->
    /shared/veery``, as users link datasets in) but entering each real folder once, so a
    link loop ends. (``Path.rglob`` does not follow linked folders before Python 3.13.)

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "shared").mkdir(); _ = (root / "shared" / "a.wav").write_bytes(b"")
    >>> (root / "mine").mkdir(); (root / "mine" / "veery").symlink_to(root / "shared")
    >>> [p.relative_to(root).as_posix() for p in files_under(root / "mine")]
    ['mine/veery/a.wav']
    """
    seen: set[str] = set()
    found = []
    for where, folders, names in os.walk(folder, followlinks=True):
        real = os.path.realpath(where)
        if real in seen:
            folders[:] = []
            continue
        seen.add(real)
        found += [Path(where) / n for n in names if (Path(where) / n).is_file()]
    return sorted(found)


def decode_text(raw: bytes, path: str | Path) -> str:
    """Decode file bytes as UTF-8 / UTF-8 with BOM / UTF-16 with BOM, or raise CastlabError.

    A NUL byte outside UTF-16 means a binary file; bytes that are not UTF-8 (a latin-1 or
    Windows-1252 save) are reported with their line.
    """
    if raw.startswith(_UTF16_BOMS):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise CastlabError(
                "UTF-16 text cut short", path=path, fix="export or save the file again"
            ) from None
    check_not_binary(path, raw)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise CastlabError(
            f"not UTF-8 text (byte 0x{raw[error.start]:02x})",
            path=path,
            line=line,
            fix="save the file as UTF-8, e.g. iconv -f latin1 -t utf-8",
        ) from None


def read_text(path: str | Path, *, what: str = "file") -> str:
    """The text of ``path`` (``.gz`` is decompressed), decoded by :func:`decode_text`."""
    path = Path(path)
    if not path.is_file():
        raise CastlabError(f"{what} not found", path=path, fix="check the path")
    raw = path.read_bytes()
    if path.suffix.lower() == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as error:
            raise CastlabError(
                f"not a complete gzip file ({error})",
                path=path,
                fix="copy or download the file again; gunzip -t checks it",
            ) from None
    return decode_text(raw, path)


def open_maybe_gzip(path: str | Path, mode: str = "rt", **options: Any) -> IO[Any]:
    """``open(path, mode, **options)``, decompressing on the fly when ``path`` ends in ``.gz``."""
    opener = gzip.open if Path(path).suffix.lower() == ".gz" else open
    return opener(path, mode, **options)  # type: ignore[no-any-return]


def sniff_encoding(path: str | Path) -> str:
    """``"utf-16"`` for a file starting with a UTF-16 byte-order mark, else ``"utf-8-sig"``.

    For streaming readers that cannot hold the file (``.gz`` is looked into); a gzip file
    that does not even start right is a CastlabError.
    """
    path = Path(path)
    try:
        with open_maybe_gzip(path, "rb") as handle:
            start = handle.read(65536)
    except (EOFError, OSError, zlib.error) as error:
        raise CastlabError(
            f"cannot read the file ({error})", path=path, fix="copy or download it again"
        ) from None
    check_not_binary(path, start)
    return "utf-16" if start[:2] in _UTF16_BOMS else "utf-8-sig"


def first_line(path: str | Path, encoding: str) -> str:
    """The first line of a text file (``.gz`` decompressed), decoded leniently for sniffing."""
    try:
        with open_maybe_gzip(path, encoding=encoding, errors="replace", newline="") as handle:
            return handle.readline(1_000_000)
    except (EOFError, OSError, zlib.error):
        return ""


def check_first_row(lines: Iterable[str], sep: str, path: str | Path) -> None:
    """Refuse a first data row with more fields than the header: pandas would silently take
    the extra leading fields as an index and shift every value of the table.

    Examples
    --------
    >>> check_first_row(["id,text", "1,hi"], ",", "a.csv")
    >>> check_first_row(["id,text", "1,hi,there,you"], ",", "a.csv")
    Traceback (most recent call last):
    ...
    castlab.core.errors.CastlabError: a.csv:2: 4 fields, the header has 2 (fix: ...)
    """
    reader = csv.reader(lines, delimiter=sep)
    try:
        header, first = next(reader, []), next(reader, None)
    except csv.Error:
        return  # pandas says what is wrong with the quoting
    if first is not None and len(first) > len(header):
        raise CastlabError(
            f"{len(first)} fields, the header has {len(header)}",
            path=path,
            line=2,
            fix="quote values that hold the separator, or add the missing column names",
        )


def first_lines(path: str | Path, encoding: str, count: int = 1000) -> list[str]:
    """Up to ``count`` first lines of a text file (``.gz`` decompressed), decoded leniently,
    each cut at a million characters as :func:`first_line`'s."""
    try:
        with open_maybe_gzip(path, encoding=encoding, errors="replace", newline="") as handle:
            lines = (handle.readline(1_000_000) for _ in range(count))
            return [line for line in lines if line]
    except (EOFError, OSError, zlib.error):
        return []


def stream_error(error: BaseException, path: str | Path) -> CastlabError:
    """The CastlabError for what a streaming CSV/JSONL reader raised part-way through a file."""
    if isinstance(error, UnicodeDecodeError):
        try:
            check_not_binary(path)
        except CastlabError as binary:
            return binary
        return CastlabError(
            f"not UTF-8 text (byte 0x{error.object[error.start]:02x})",
            path=path,
            fix="save the file as UTF-8, e.g. iconv -f latin1 -t utf-8",
        )
    if isinstance(error, EOFError | zlib.error | gzip.BadGzipFile):
        return CastlabError(
            "the compressed file is cut short or damaged",
            path=path,
            fix="copy or download the file again; gunzip -t checks it",
        )
    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return CastlabError(
        f"cannot read the file ({message})",
        path=path,
        fix="check it opens in a spreadsheet or text editor, or export it again",
    )


def sniff_separator(text: str) -> str:
    """The separator of a delimited text: the candidate found most often in its header line.

    Quoted parts are ignored, so ``"a,b";c`` counts one ``;``. A header with none of
    :data:`SEPARATORS` (a single column) gives ``","``.
    """
    header = (text.splitlines() or [""])[0]
    counts = {}
    for sep in SEPARATORS:
        try:
            fields = next(csv.reader([header], delimiter=sep))
        except (csv.Error, StopIteration):
            fields = [header]
        counts[sep] = len(fields) - 1
    best = max(SEPARATORS, key=lambda sep: counts[sep])  # ties keep the earlier one
    return best if counts[best] > 0 else ","


def read_csv(
    path: str | Path, *, sep: str | None = None, what: str = "table", **options: Any
) -> pd.DataFrame:
    """Read a delimited table into pandas, or raise one CastlabError naming file, line and fix.

    ``sep`` of None sniffs it (:func:`sniff_separator`); ``options`` go to
    :func:`pandas.read_csv` (``dtype``, ``na_values``, ...). An empty file, a header with a
    column named twice, or rows pandas cannot split are errors; so is a table with no rows.
    """
    import pandas as pd

    path = Path(path)
    if path.suffix.lower() == ".parquet":
        raise CastlabError(
            f"a Parquet file where a {what} CSV is read",
            path=path,
            fix="export it as CSV (pandas: read_parquet(...).to_csv(...))",
        )
    text = read_text(path, what=what)
    if not text.strip():
        raise CastlabError(f"empty {what}", path=path, fix="pass a CSV with a header row")
    sep = sep or sniff_separator(text)
    try:
        header = next(csv.reader([(text.splitlines() or [""])[0]], delimiter=sep), [])
    except csv.Error as error:
        raise CastlabError(
            f"cannot read the header ({error})", path=path, line=1, fix="check its quotes"
        ) from None
    seen: set[str] = set()
    for number, name in enumerate(header, start=1):
        name = name.strip()
        if name and name in seen:
            raise CastlabError(
                f"column {name!r} appears twice in the header",
                path=path,
                line=1,
                column=number,
                fix="rename or remove one of them",
            )
        seen.add(name)
    check_first_row(text.splitlines()[:1000], sep, path)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, **options)
    except pd.errors.EmptyDataError:
        raise CastlabError(f"empty {what}", path=path, fix="pass a CSV with a header row") from None
    except pd.errors.ParserError as error:
        message = str(error).strip().splitlines()[0]
        raise CastlabError(
            f"cannot split the rows ({message})",
            path=path,
            fix=f"check quoting and that every row has as many fields as the header "
            f"(separator {sep!r}, as the header row suggests)",
        ) from None
    if frame.empty:
        raise CastlabError(f"no rows in the {what}", path=path, fix="pass a CSV with data rows")
    return frame
