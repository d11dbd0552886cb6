"""Score a file of any size: read a chunk, score it, append it to the output, repeat.

Only one chunk of posts (and its scores) is in memory at a time, so scoring a file of
millions of posts keeps memory flat. The output is CSV (``.csv``) or Parquet
(``.parquet``) with the post columns plus ``p_negative, p_neutral, p_positive, score, label``.

Examples
--------
>>> import tempfile, pathlib
>>> from castlab.sentiment.scorers import load_scorer
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "in.csv").write_text("text\\ngreat day\\nawful day\\n")
>>> score_file(folder / "in.csv", folder / "out.csv", load_scorer("vader"), chunk_size=1)
2
>>> (folder / "out.csv").read_text().splitlines()[0]
'text,p_negative,p_neutral,p_positive,score,label'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from castlab.core.errors import CastlabError
from castlab.sentiment.data import ColumnMap, iter_posts
from castlab.sentiment.scorers import Scorer

__all__ = ["score_file"]


def score_file(
    path: str | Path,
    out: str | Path,
    scorer: Scorer,
    *,
    columns: ColumnMap = ColumnMap(),
    chunk_size: int = 10_000,
    progress: bool = False,
) -> int:
    """Score every post of ``path`` into ``out`` (CSV or Parquet); return the number of posts.

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
        for chunk in iter_posts(path, columns=columns, chunk_size=chunk_size, progress=progress):
            scores = scorer.score(list(chunk["text"]))
            scored = chunk.join(scores)
            if suffix == ".csv":
                scored.to_csv(partial, mode="a" if total else "w", header=not total, index=False)
            else:
                import pyarrow as pa
                import pyarrow.parquet as pq

                table = pa.Table.from_pandas(scored, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(partial, table.schema)
                writer.write_table(table.cast(writer.schema))
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
