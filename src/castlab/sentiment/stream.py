"""Score a file of any size: read a chunk, score it, keep it, repeat; resume after a crash.

Only one chunk of posts (and its scores) is in memory at a time, so scoring a file of
millions of posts keeps memory flat. The output is CSV (``.csv``) or Parquet
(``.parquet``) with every column of the input, in order and unchanged, then castlab's
``p_negative, p_neutral, p_positive, score, label`` (all five prefixed ``sentiment_`` when the
input already has a column of one of those names, or with the ``prefix`` given).

Each scored chunk is written, whole, to a hidden folder beside the output
(``.<name>.parts/``); the output itself appears only when every chunk is done, so an
interrupted run (Ctrl-C, a crash) never leaves a file that looks complete, and running the
same command again scores only the chunks that were not finished.

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
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

from castlab.core.errors import CastlabError
from castlab.sentiment.data import ColumnMap, iter_posts
from castlab.sentiment.scorers import Scorer, add_scores, score_column_names

__all__ = ["OUTPUT_SUFFIXES", "input_stamp", "parts_folder", "score_file"]

OUTPUT_SUFFIXES = (".csv", ".parquet")


def parts_folder(out: str | Path) -> Path:
    """Where the finished chunks of ``out`` wait until the whole file is scored."""
    out = Path(out)
    return out.with_name(f".{out.name}.parts")


def input_stamp(path: str | Path) -> dict[str, Any]:
    """What identifies one version of an input file: its path, size and modification time."""
    path = Path(path)
    status = path.stat()
    return {"input": str(path.resolve()), "size": status.st_size, "mtime_ns": status.st_mtime_ns}


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


def _write_part(frame: Any, part: Path, suffix: str) -> None:
    """One scored chunk, written under a temporary name and moved into place when whole."""
    temporary = part.with_name(part.name + ".tmp")
    if suffix == ".csv":
        frame.to_csv(temporary, header=False, index=False)  # the header is written once
    else:
        frame.to_parquet(temporary, index=False)
    os.replace(temporary, part)


def _part_rows(part: Path, suffix: str) -> int:
    if suffix == ".csv":
        import pandas as pd

        return len(pd.read_csv(part, header=None, dtype=str, keep_default_na=False))
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(part).metadata.num_rows)


def _assemble(parts: list[Path], names: list[str], out: Path, suffix: str, source: Path) -> None:
    """Join the finished chunks into ``out`` (temporary name, then moved into place)."""
    temporary = out.with_name(f".{out.name}.partial")
    try:
        if suffix == ".csv":
            import pandas as pd

            with temporary.open("w", encoding="utf-8", newline="") as handle:
                pd.DataFrame(columns=names).to_csv(handle, index=False)
                for part in parts:
                    with part.open(encoding="utf-8", newline="") as chunk:
                        shutil.copyfileobj(chunk, handle)
        else:
            import pyarrow.parquet as pq

            writer = None
            try:
                for part in parts:
                    table = pq.read_table(part)
                    if writer is None:
                        writer = pq.ParquetWriter(temporary, _nulls_as_strings(table.schema))
                    writer.write_table(_conform(table, writer.schema, source))
            finally:
                if writer is not None:
                    writer.close()
        os.replace(temporary, out)
    finally:
        if temporary.exists():
            temporary.unlink()


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
    Finished chunks are kept in :func:`parts_folder` until ``out`` is written; a run with
    the same input file, scorer (its model and precision too), chunk size and columns picks
    up after the last finished chunk (another input or settings start afresh). ``out``
    appears only when complete.
    """
    from castlab.core.artifacts import read_json, write_json

    path, out = Path(path), Path(out)
    suffix = out.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise CastlabError(
            f"unknown output type {out.suffix!r}", path=out, fix="use .csv or .parquet"
        )
    if not path.exists():
        raise CastlabError("file not found", path=path, fix="check the path")
    out.parent.mkdir(parents=True, exist_ok=True)
    folder = parts_folder(out)
    state = {
        **input_stamp(path),
        "scorer": scorer.identity(),  # another model or precision: its chunks are not these
        "prefix": prefix,
        "chunk_size": chunk_size,
        "columns": asdict(columns),
    }
    if folder.exists() and (
        not (folder / "state.json").exists() or read_json(folder / "state.json") != state
    ):
        shutil.rmtree(folder)  # left by a run on another input or with other settings
    folder.mkdir(exist_ok=True)
    write_json(folder / "state.json", state)
    chunks = iter_posts(
        path, columns=columns, chunk_size=chunk_size, progress=progress, keep_columns=True
    )
    names: dict[str, str] = {}
    header: list[str] = []
    parts: list[Path] = []
    total = 0
    for index, chunk in enumerate(chunks):
        if not names:
            names = score_column_names(list(chunk.columns), prefix, path=path)
            header = [*map(str, chunk.columns), *names.values()]
            text_column = columns.resolve(list(map(str, chunk.columns)), path=path)["text"]
        part = folder / f"part-{index:06d}{suffix}"
        parts.append(part)
        if part.exists():  # finished by an earlier, interrupted run
            total += _part_rows(part, suffix)
            continue
        texts = chunk[text_column].fillna("").astype(str).tolist()
        _write_part(add_scores(chunk, scorer.score(texts), names), part, suffix)
        total += len(chunk)
    if total == 0:
        shutil.rmtree(folder)
        raise CastlabError("no posts in the file", path=path, fix="give a file with posts")
    _assemble(parts, header, out, suffix, path)
    shutil.rmtree(folder)
    return total
