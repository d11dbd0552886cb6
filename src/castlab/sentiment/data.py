"""Posts in, tidy frames out: scraper exports streamed in chunks, and the labelled tweet sets.

Every frame of posts has the columns of :data:`POST_COLUMNS` (``text`` always filled; the
others may be missing). Files of millions of rows are read in chunks of ``chunk_size``
rows, so memory stays flat whatever the file's size.

The labelled data for training and evaluation is SemEval 2013-2016 Task 4A (raw tweets,
training) and TweetEval's sentiment validation split (evaluation). Every SemEval tweet
that also appears in the TweetEval validation split is removed from training (matched after
:func:`match_key` normalisation), so the validation numbers are honest.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "posts.csv"
>>> _ = path.write_text("username,tweet\\nann,I love it\\nbob,meh\\n")
>>> frame = read_posts(path)
>>> list(frame["author"]), list(frame["text"])
(['ann', 'bob'], ['I love it', 'meh'])
"""

from __future__ import annotations

import html
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

from castlab.core.errors import CastlabError, Fix
from castlab.core.readers import (
    check_first_row,
    first_lines,
    open_maybe_gzip,
    read_text,
    sniff_encoding,
    sniff_separator,
    stream_error,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "LABELS",
    "POST_COLUMNS",
    "SCORE_COLUMNS",
    "SCORE_PREFIX",
    "ColumnMap",
    "iter_posts",
    "match_key",
    "normalise_tweet",
    "read_posts",
    "read_semeval",
    "read_tweeteval",
    "score_column_prefix",
    "tidy_posts",
    "training_tweets",
]

LABELS = ("negative", "neutral", "positive")  # label ids 0, 1, 2, as in TweetEval
POST_COLUMNS = ("text", "author", "time", "place", "country", "latitude", "longitude")
SCORE_COLUMNS = ("p_negative", "p_neutral", "p_positive", "score", "label")  # castlab's, in order

# Column names used by common exports, tried in order (twint CSV/JSON; snscrape JSONL, which
# nests users and places, flattened with dots; X API v2; Mastodon).
_ALIASES: dict[str, tuple[str, ...]] = {
    "text": ("text", "tweet", "rawContent", "content", "full_text", "body", "post"),
    "author": ("author", "username", "user.username", "screen_name", "account.acct", "user"),
    "time": ("created_at", "date", "timestamp", "time"),
    "place": ("place", "place.fullName", "place.full_name", "near", "location"),
    "country": ("country", "place.country", "country_code", "place.countryCode"),
    "latitude": ("latitude", "lat", "coordinates.latitude"),
    "longitude": ("longitude", "lon", "lng", "coordinates.longitude"),
}


@dataclass(frozen=True)
class ColumnMap:
    """Which input column holds each post field; ``None`` means recognise it by name."""

    text: str | None = None
    author: str | None = None
    time: str | None = None
    place: str | None = None
    country: str | None = None
    latitude: str | None = None
    longitude: str | None = None

    def resolve(self, columns: list[str], *, path: str | Path | None = None) -> dict[str, str]:
        """Map ``{post field: input column}`` for the fields found in ``columns``.

        Examples
        --------
        >>> ColumnMap(author="handle").resolve(["handle", "tweet", "date"])
        {'text': 'tweet', 'author': 'handle', 'time': 'date'}
        """
        found: dict[str, str] = {}
        for field in fields(self):
            chosen = getattr(self, field.name)
            if chosen is not None:
                if chosen not in columns:
                    raise CastlabError(
                        f"no column {chosen!r} for {field.name}",
                        path=path,
                        fix=f"choose one of: {', '.join(columns[:20])}",
                    )
                found[field.name] = chosen
                continue
            for alias in _ALIASES[field.name]:
                if alias in columns:
                    found[field.name] = alias
                    break
        if "text" not in found:
            raise CastlabError(
                "no text column found",
                path=path,
                fix=Fix("text_column", "choose", choices=tuple(columns[:20])),
            )
        return found


SCORE_PREFIX = "sentiment_"  # castlab's columns get this prefix when the input has their names


def score_column_prefix(columns: list[str]) -> str | None:
    """The prefix under which ``columns`` hold all of castlab's score columns, else ``None``.

    Unprefixed columns are looked for first, then :data:`SCORE_PREFIX` (what ``sentiment
    score`` uses when the input already had a ``label`` or ``score`` column), then any
    other prefix (``sentiment score --prefix vader_``). Scores under two other prefixes are
    an error: which to use cannot be told.

    Examples
    --------
    >>> score_column_prefix(["label", "sentiment_p_negative", "sentiment_p_neutral",
    ...                      "sentiment_p_positive", "sentiment_score", "sentiment_label"])
    'sentiment_'
    >>> score_column_prefix(["text", *("vader_" + name for name in SCORE_COLUMNS)])
    'vader_'
    >>> score_column_prefix(["text", "label", "score"]) is None
    True
    """
    first = SCORE_COLUMNS[0]
    found = [
        column[: -len(first)]
        for column in columns
        if column.endswith(first)
        and all(column[: -len(first)] + name in columns for name in SCORE_COLUMNS)
    ]
    for prefix in ("", SCORE_PREFIX):
        if prefix in found:
            return prefix
    if len(found) > 1:
        raise CastlabError(
            f"the posts hold scores under {len(found)} prefixes ({', '.join(found)}): which to use "
            "cannot be told",
            fix="keep one set of score columns in the file, or score it again into a new one",
        )
    return found[0] if found else None


def _tidy(raw: pd.DataFrame, mapping: dict[str, str]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(index=raw.index)
    for name in POST_COLUMNS:
        if name in mapping:
            frame[name] = raw[mapping[name]]
    frame["text"] = frame["text"].fillna("").astype(str)
    # a file written by `castlab sentiment score` keeps its scores (a user's own `label` or
    # `score` column alone is not castlab's: all five columns must be there)
    prefix = score_column_prefix([str(c) for c in raw.columns])
    if prefix is not None:
        for name in SCORE_COLUMNS:
            column = raw[prefix + name]
            frame[name] = (
                column
                if name == "label"
                else _numbers(column, prefix + name, (-1.0, 1.0) if name == "score" else (0.0, 1.0))
            )
    for name, span in (("latitude", (-90.0, 90.0)), ("longitude", (-180.0, 180.0))):
        if name in frame:
            frame[name] = _numbers(frame[name], mapping[name], span)
    return frame.reset_index(drop=True)


def _numbers(column: pd.Series, name: str, span: tuple[float, float]) -> pd.Series:
    """``column`` as numbers, an empty cell missing; a cell that is no number in ``span``
    (text, ``nan``, a score of 5) is refused, naming its row, rather than left out of the
    means unnoticed.

    Examples
    --------
    >>> import pandas as pd
    >>> _numbers(pd.Series(["0.5", None]), "score", (-1.0, 1.0)).tolist()
    [0.5, nan]
    >>> _numbers(pd.Series(["0.5", "abc"]), "score", (-1.0, 1.0))
    Traceback (most recent call last):
    castlab.core.errors.CastlabError: column 'score' holds 'abc' in row 2 of the posts: not a number from -1 to 1 (fix: ...)
    """
    import numpy as np
    import pandas as pd

    values = pd.to_numeric(column, errors="coerce")
    bad = column.notna() & ~values.between(*span)
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        low, high = (f"{v:g}" for v in span)
        raise CastlabError(
            f"column {name!r} holds {column.iloc[first]!r} in row {column.index[first] + 1} of "
            f"the posts: not a number from {low} to {high}",
            fix="correct the cell or leave it empty (or score the posts again with castlab "
            "sentiment score)",
        )
    return values


def tidy_posts(frame: pd.DataFrame, *, columns: ColumnMap = ColumnMap()) -> pd.DataFrame:
    """Any frame of posts -> the tidy post columns (``text``, ``author``, ...) and its scores.

    Turns a frame read with ``keep_columns=True`` (and scored) into what the views need.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"id": [7], "username": ["ann"], "tweet": ["hi"]})
    >>> list(tidy_posts(raw).columns)
    ['text', 'author']
    """
    return _tidy(frame, columns.resolve([str(c) for c in frame.columns]))


def _jsonl_chunks(path: Path, chunk_size: int) -> Iterator[pd.DataFrame]:
    import pandas as pd

    records: list[dict] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise CastlabError(
                    f"not a JSON line: {error.msg}", path=path, line=number, column=error.colno
                ) from None
            if not isinstance(record, dict):  # a JSON array file, or a bare number
                raise CastlabError(
                    "expected one post per line as a JSON object ({...}), found "
                    + (
                        "an array" if isinstance(record, list) else f"the value {line.strip()[:20]}"
                    ),
                    path=path,
                    line=number,
                    fix=f"make it JSON Lines, e.g. jq -c '.[]' {path.name} > posts.jsonl"
                    if isinstance(record, list)
                    else 'write JSON Lines: one {"text": ...} object per line',
                )
            records.append(record)
            if len(records) == chunk_size:
                yield pd.json_normalize(records)
                records = []
    if records:
        yield pd.json_normalize(records)


def _flat_keys(record: dict, prefix: str = "") -> Iterator[str]:
    """The column names ``pandas.json_normalize`` gives a record (nested dicts joined by dots)."""
    for key, value in record.items():
        if isinstance(value, dict):  # an empty one gives no column, as in json_normalize
            yield from _flat_keys(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


def jsonl_columns(path: str | Path) -> list[str]:
    """Every column of a JSONL file, in order of first appearance (records may differ).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "posts.jsonl"
    >>> _ = path.write_text('{"id": 1, "text": "a"}\\n{"text": "b", "user": {"name": "x"}}\\n')
    >>> jsonl_columns(path)
    ['id', 'text', 'user.name']
    """
    seen: dict[str, None] = {}
    try:
        with Path(path).open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    raise CastlabError(
                        f"not a JSON line: {error.msg}", path=path, line=number, column=error.colno
                    ) from None
                if isinstance(record, dict):
                    seen.update(dict.fromkeys(_flat_keys(record)))
    except UnicodeError as error:
        raise stream_error(error, path) from None
    return list(seen)


def _suffix(path: Path) -> str:
    return "".join(path.suffixes[-2:]).lower() if path.suffix == ".gz" else path.suffix.lower()


def _line_chunks(path: Path, chunk_size: int) -> Iterator[pd.DataFrame]:
    """A plain-text file of one post per line (TweetEval's ``val_text.txt``) as ``text``."""
    import pandas as pd

    encoding = sniff_encoding(path)  # refuses a binary file too
    lines: list[str] = []
    with open_maybe_gzip(path, encoding=encoding) as handle:
        for line in handle:
            if line.strip():
                lines.append(line.strip())
            if len(lines) == chunk_size:
                yield pd.DataFrame({"text": lines})
                lines = []
    if lines:
        yield pd.DataFrame({"text": lines})


def _raw_chunks(path: Path, chunk_size: int) -> Iterator[pd.DataFrame]:
    import pandas as pd

    suffix = _suffix(path)
    if suffix in (".csv", ".csv.gz", ".tsv"):
        encoding = sniff_encoding(path)
        head = first_lines(path, encoding)  # one read for the separator and the first row
        sep = "\t" if suffix == ".tsv" else sniff_separator(head[0] if head else "")
        check_first_row(head, sep, path)
        try:
            yield from pd.read_csv(  # "NA" (Namibia, a user), "null", "N/A" stay text:
                path,  # only an empty cell is missing
                sep=sep,
                chunksize=chunk_size,
                dtype=str,
                encoding=encoding,
                keep_default_na=False,
                na_values=[""],
            )
        except pd.errors.EmptyDataError:
            raise CastlabError(
                "the file is empty", path=path, fix="give a file with posts"
            ) from None
        except (UnicodeError, EOFError, OSError, zlib.error, pd.errors.ParserError) as error:
            raise stream_error(error, path) from None
    elif suffix in (".jsonl", ".json", ".ndjson"):
        try:
            yield from _jsonl_chunks(path, chunk_size)
        except (UnicodeError, EOFError, OSError, zlib.error) as error:
            raise stream_error(error, path) from None
    elif suffix in (".txt", ".txt.gz"):
        try:
            yield from _line_chunks(path, chunk_size)
        except (UnicodeError, EOFError, OSError, zlib.error) as error:
            raise stream_error(error, path) from None
    elif suffix == ".parquet":
        import pyarrow
        import pyarrow.parquet as pq

        try:
            for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_size):
                yield batch.to_pandas()
        except (pyarrow.ArrowException, OSError) as error:
            raise CastlabError(
                f"not a readable Parquet file ({str(error).splitlines()[0][:100]})",
                path=path,
                fix="write it again (pandas: to_parquet) or pass a CSV",
            ) from None
    else:
        raise CastlabError(
            f"unknown file type {path.suffix!r}",
            path=path,
            fix="give a .csv, .tsv, .jsonl, .parquet or .txt (one post per line) file",
        )


def iter_posts(
    path: str | Path,
    *,
    columns: ColumnMap = ColumnMap(),
    chunk_size: int = 50_000,
    progress: bool = False,
    keep_columns: bool = False,
) -> Iterator[pd.DataFrame]:
    """Yield the posts of a CSV / TSV / JSONL / Parquet file as tidy frames of ``chunk_size`` rows.

    Only one chunk is held at a time. With ``progress`` a progress bar counts posts on stderr.
    With ``keep_columns`` the chunks are the file's own columns, in the file's order and with
    their own names and values (CSV cells as strings, nested JSON flattened with dots, every
    chunk with the same columns), for writing results the user can join back.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "posts.jsonl"
    >>> _ = path.write_text('{"rawContent": "hi", "user": {"username": "ann"}}\\n' * 5)
    >>> [len(chunk) for chunk in iter_posts(path, chunk_size=2)]
    [2, 2, 1]
    """
    path = Path(path)
    if not path.exists():
        raise CastlabError("file not found", path=path, fix="check the path")
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(unit=" posts", desc=path.name, mininterval=1.0)
    mapping: dict[str, str] | None = None
    names: list[str] | None = None
    try:
        for raw in _raw_chunks(path, chunk_size):
            if names is None:
                is_jsonl = _suffix(path) in (".jsonl", ".json", ".ndjson")
                # every key of the file, not just the first chunk's: a kept column must exist
                # from the first chunk written on (a JSONL key can first appear late)
                names = (
                    jsonl_columns(path)
                    if keep_columns and is_jsonl
                    else [str(c) for c in raw.columns]
                )
                mapping = columns.resolve(names, path=path)
            assert mapping is not None
            if keep_columns:
                chunk = raw.reindex(columns=names)  # JSONL records need not share keys
            else:
                missing = [c for c in mapping.values() if c not in raw.columns]
                for column in missing:  # JSONL records need not all have the same keys
                    raw[column] = None
                try:
                    chunk = _tidy(raw, mapping)
                except CastlabError as error:
                    raise error.at(path) from None
            if bar is not None:
                bar.update(len(chunk))
            yield chunk
    finally:
        if bar is not None:
            bar.close()


def read_posts(
    path: str | Path, *, columns: ColumnMap = ColumnMap(), keep_columns: bool = False
) -> pd.DataFrame:
    """Read a whole file of posts into one tidy frame (see :func:`iter_posts` for big files).

    With ``keep_columns`` the frame has the file's own columns instead (see :func:`iter_posts`);
    :func:`castlab.sentiment.scorers.score_posts` adds the scores to it and
    :func:`tidy_posts` gives the views' columns.
    """
    import pandas as pd

    chunks = list(iter_posts(path, columns=columns, keep_columns=keep_columns))
    if not any(len(chunk) for chunk in chunks):  # no chunk, or a header with no rows
        raise CastlabError("no posts in the file", path=path, fix="give a file with posts")
    return pd.concat(chunks, ignore_index=True)


_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_MENTION = re.compile(r"@\w+")
_URL = re.compile(r"https?://\S+|www\.\S+")


def normalise_tweet(text: str) -> str:
    """The text a scorer sees: handles become ``@user`` and links ``http``, as in TweetEval.

    Examples
    --------
    >>> normalise_tweet("@bob look https://t.co/x  now")
    '@user look http now'
    """
    text = _MENTION.sub("@user", text)
    text = _URL.sub("http", text)
    return " ".join(text.split())


def _clean_semeval(text: str) -> str:
    text = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    text = html.unescape(text).strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    return text


def match_key(text: str) -> str:
    """The key two copies of one tweet share: lower case, no handles, links or punctuation.

    Examples
    --------
    >>> match_key('"@Ann It\\u2019s GREAT! http://t.co/1"') == match_key("@user It's great!")
    True
    """
    text = _clean_semeval(text).lower()
    text = _URL.sub(" ", _MENTION.sub(" ", text))
    return re.sub(r"[^a-z0-9]+", "", text)


def read_semeval(folder: str | Path) -> pd.DataFrame:
    """Read every ``twitter-*-A.tsv`` of SemEval Task 4A: columns ``id, label, text, file``.

    ``label`` is 0 negative, 1 neutral, 2 positive; text is decoded (``\\u2019`` escapes,
    HTML entities, wrapping quotes) but otherwise raw.
    """
    import pandas as pd

    folder = Path(folder)
    files = sorted(folder.glob("twitter-*-A.tsv"))
    if not files:
        raise CastlabError(
            "no twitter-*-A.tsv files", path=folder, fix="point at the SemEval Subtask A folder"
        )
    rows = []
    for file in files:
        for number, line in enumerate(read_text(file).splitlines(), start=1):
            parts = line.split("\t")
            if len(parts) < 3 or parts[1] not in LABELS:
                raise CastlabError(
                    "expected id<TAB>label<TAB>text", path=file, line=number, fix="check the file"
                )
            rows.append((parts[0], LABELS.index(parts[1]), _clean_semeval(parts[2]), file.name))
    return pd.DataFrame(rows, columns=["id", "label", "text", "file"])


def read_tweeteval(folder: str | Path, split: str = "val") -> pd.DataFrame:
    """Read TweetEval sentiment ``{split}_text.txt`` and ``{split}_labels.txt``: ``text, label``."""
    import pandas as pd

    folder = Path(folder)
    text_path, label_path = folder / f"{split}_text.txt", folder / f"{split}_labels.txt"
    for path in (text_path, label_path):
        if not path.exists():
            raise CastlabError("file not found", path=path, fix="point at the TweetEval folder")
    texts = read_text(text_path).split("\n")  # not splitlines: tweets may hold \u2028 and such
    labels = read_text(label_path).split("\n")
    for lines in (texts, labels):
        while lines and not lines[-1].strip():  # the end of the file, not a tweet
            lines.pop()
    if len(texts) != len(labels):  # one line each: a tweet would be paired with another's label
        raise CastlabError(
            f"{len(texts)} texts but {len(labels)} labels",
            path=label_path if len(labels) < len(texts) else text_path,
            fix=f"give one label per line of {text_path.name}",
        )
    for number, label in enumerate(labels, start=1):
        if label.strip() not in ("0", "1", "2"):
            raise CastlabError(
                f"label {label.strip()!r} is not 0, 1 or 2",
                path=label_path,
                line=number,
                fix="TweetEval labels are 0 (negative), 1 (neutral) and 2 (positive)",
            )
    return pd.DataFrame({"text": [t.strip() for t in texts], "label": [int(x) for x in labels]})


def training_tweets(semeval: str | Path, tweeteval: str | Path) -> pd.DataFrame:
    """SemEval 2013-2016 minus every tweet also in TweetEval validation, one row per text.

    Returns ``id, label, text, file``; duplicates (same :func:`match_key`) keep the first.
    """
    tweets = read_semeval(semeval)
    held_out = {match_key(t) for t in read_tweeteval(tweeteval, "val")["text"]}
    keys = tweets["text"].map(match_key)
    keep = ~keys.isin(held_out) & ~keys.duplicated() & (keys != "")
    return tweets[keep].reset_index(drop=True)
