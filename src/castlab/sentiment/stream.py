"""Score a file of any size: read a chunk, score it, append it to the output, repeat.

Only one chunk of posts (and its scores) is in memory at a time, so scoring a file of
millions of posts keeps memory flat. The output is CSV (``.csv``) or Parquet
(``.parquet``) with every column of the input, in order and unchanged, then castlab's
``p_negative, p_neutral, p_positive, score, label`` (all five prefixed ``sentiment_`` when the
input already has a column of one of those names, or with the ``prefix`` given).

Examples
--------
>>> import tempfile, pathlib
>>> from castlab.sentiment.scorers import load_scorer
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "in.csv").write_text("id,text,label\\n1,great day,2\\n2,awful day,0\\n")
>>> score_file(folder / "in.csv", folder / "out.csv", load_scorer("vader"), chunk_size=1)
2
>>> (folder / "out.csv").read_text().splitlines()[0]
'id,text,label,sentiment_p_negative,sentiment_p_neutral,sentiment_p_positive,sentiment_score,sentiment_label'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from castlab.core.errors import CastlabError
from castlab.sentiment.data import ColumnMap, iter_posts
from castlab.sentiment.scorers import Scorer, add_scores, score_column_names

__all__ = ["score_file"]


def _nulls_as_strings(schema: Any) -> Any:
    """A column that is empty in the first chunk is typed string, so later values fit."""
    import pyarrow as pa

    return pa.schema(
        [
            field.with_type(pa.string()) if pa.types.is_null(field.type) else field
            for field in schema
        ]
    )


def _conform(table: Any, schema: Any, path: str | Path) -> Any:
    """``table`` cast to the output's ``schema``; a column whose type changed is an error."""
    import pyarrow as pa

    try:
        return table.cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as error:
        raise CastlabError(
            f"a column changes type part-way through the file ({str(error).splitlines()[0]})",
            path=path,
            fix="write the output as .csv, or give the column one type throughout",
        ) from None


def score_file(
    path: str | Path,
    out: str | Path,
    scorer: Scorer,
    *,
    columns: ColumnMap = ColumnMap(),
    prefix: str | None = None,
    chunk_size: int = 10_000,
    progress: bool = False,
) -> int:
    """Score every post of ``path`` into ``out`` (CSV or Parquet); return the number of posts.

    ``prefix`` names castlab's columns (see :func:`castlab.sentiment.scorers.score_column_names`).

    The output is written to a temporary name and moved into place at the end, so an
    interrupted run never leaves a partial file under the final name.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise CastlabError(
            f"unknown output type {out.suffix!r}", path=out, fix="use .csv or .parquet"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    writer: Any = None
    total = 0
    try:
        chunks = iter_posts(
            path, columns=columns, chunk_size=chunk_size, progress=progress, keep_columns=True
        )
        names: dict[str, str] = {}
        text_column = ""
        for chunk in chunks:
            if not names:
                names = score_column_names(list(chunk.columns), prefix, path=path)
                text_column = columns.resolve([str(c) for c in chunk.columns], path=path)["text"]
            texts = chunk[text_column].fillna("").astype(str).tolist()
            scored = add_scores(chunk, scorer.score(texts), names)
            if suffix == ".csv":
                scored.to_csv(partial, mode="a" if total else "w", header=not total, index=False)
            else:
                import pyarrow as pa
                import pyarrow.parquet as pq

                table = pa.Table.from_pandas(scored, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(partial, _nulls_as_strings(table.schema))
                writer.write_table(_conform(table, writer.schema, path))
            total += len(scored)
        if writer is not None:
            writer.close()
            writer = None
        if total == 0:
            raise CastlabError("no posts in the file", path=path, fix="give a file with posts")
        os.replace(partial, out)
    finally:
        if writer is not None:
            writer.close()
        if partial.exists():
            partial.unlink()
    return total
