"""Score many files into a folder: one after another, or one file per task on a Dask cluster.

``castlab sentiment score 'posts/*.parquet' --out scored/`` writes ``scored/<name>.parquet``
for each input (every input column kept, castlab's columns added, see :mod:`.stream`).
With ``--dask`` each file is one task on a Dask cluster (a ``LocalCluster`` of
``workers`` processes when no scheduler address is given): each worker process builds the
scorer once and reuses it for every file it is given. Scores do not depend on how the
files are shared out, so the folder is the same as a single-process run.

A finished file is recorded beside it (``.<name>.done.json``: the input's size and time,
the scorer), so a rerun after an interruption skips it; a file interrupted half-way
resumes from its last finished chunk (:func:`castlab.sentiment.stream.score_file`).
``_SUCCESS.json`` is written last, when every file is done.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> for name in ("a", "b"):
...     _ = (folder / f"{name}.csv").write_text("text\\ngreat day\\n")
>>> summary = score_files(sorted(folder.glob("*.csv")), folder / "scored", ScorerSpec("vader"))
>>> summary["posts"], sorted(p.name for p in (folder / "scored").glob("*.parquet"))
(2, ['a.parquet', 'b.parquet'])
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from castlab.core.errors import CastlabError
from castlab.sentiment.data import ColumnMap

__all__ = ["ScorerSpec", "expand_inputs", "score_files"]


@dataclass(frozen=True)
class ScorerSpec:
    """How to build a scorer where it runs (a worker builds its own from this)."""

    name: str = "default"  # as load_scorer: default, vader, minilm, finetune, hf:<id>
    model: str | None = None  # head folder (minilm) or run folder (finetune)
    labels: tuple[str, ...] | None = None  # hf: the model's output labels in order
    batch_size: int = 64
    precision: str | None = None  # default/finetune: float32, bfloat16 or int8
    threads: int = 1  # torch threads in each process that scores


_SCORERS: dict[ScorerSpec, Any] = {}  # one scorer per spec in each (worker) process


def _scorer(spec: ScorerSpec) -> Any:
    """The scorer for ``spec``, built on first use in this process and kept."""
    if spec not in _SCORERS:
        from castlab.sentiment.scorers import load_scorer

        if spec.name != "vader":  # VADER needs no torch (a worker starts faster without it)
            import torch

            torch.set_num_threads(spec.threads)
        _SCORERS[spec] = load_scorer(
            spec.name,
            model=spec.model,
            labels=spec.labels,
            batch_size=spec.batch_size,
            precision=spec.precision,
        )
    return _SCORERS[spec]


def expand_inputs(pattern: str | Path) -> list[Path]:
    """A file, a folder (its files, sorted) or a glob such as ``'posts/*.parquet'``.

    A single path is returned as it is (missing or not); a folder or pattern without files
    is an error.

    Examples
    --------
    >>> expand_inputs("/nowhere/*.parquet")
    Traceback (most recent call last):
    ...
    castlab.core.errors.CastlabError: /nowhere/*.parquet: no files match (fix: check the path or pattern; quote a pattern so the shell leaves it to castlab)
    """
    text = str(pattern)
    path = Path(text)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    elif glob.has_magic(text):
        files = sorted(Path(p) for p in glob.glob(text) if Path(p).is_file())
    else:
        return [path]  # one file: reading it says if it is missing
    if not files:
        raise CastlabError(
            "no files match",
            path=text,
            fix="check the path or pattern; quote a pattern so the shell leaves it to castlab",
        )
    return files


@dataclass(frozen=True)
class _Job:
    source: Path
    out: Path
    spec: ScorerSpec
    columns: ColumnMap = field(default_factory=ColumnMap)
    prefix: str | None = None
    chunk_size: int = 10_000


def _record(job: _Job) -> Path:
    return job.out.with_name(f".{job.out.name}.done.json")


def _stamp(job: _Job) -> dict[str, Any]:
    from castlab.sentiment.stream import input_stamp

    scorer = {k: v for k, v in asdict(job.spec).items() if k != "threads"}  # same scores
    return {
        **input_stamp(job.source),
        "scorer": scorer,
        "prefix": job.prefix,
        "columns": asdict(job.columns),
    }


def _is_done(job: _Job) -> int | None:
    """The number of posts of a file finished by an earlier run (None: not finished)."""
    from castlab.core.artifacts import read_json

    record = _record(job)
    if not (job.out.exists() and record.exists()):
        return None
    done = read_json(record)
    return int(done["posts"]) if done.get("stamp") == _stamp(job) else None


def _run(job: _Job) -> int:
    """Score one file (in whichever process runs it) and record it as done."""
    from castlab.core.artifacts import write_json
    from castlab.sentiment.stream import score_file

    posts = score_file(
        job.source,
        job.out,
        _scorer(job.spec),
        columns=job.columns,
        prefix=job.prefix,
        chunk_size=job.chunk_size,
    )
    write_json(_record(job), {"stamp": _stamp(job), "posts": posts})
    return posts


def _jobs(
    inputs: Sequence[Path], out_dir: Path, spec: ScorerSpec, suffix: str, **options: Any
) -> list[_Job]:
    names: dict[str, Path] = {}
    for source in inputs:
        name = source.name.removesuffix(".gz")
        stem = name.rsplit(".", 1)[0] if "." in name else name
        if stem in names:
            raise CastlabError(
                f"two inputs would both be written to {stem}{suffix}",
                path=source,
                fix=f"rename one of {names[stem]} and {source}",
            )
        names[stem] = source
    return [
        _Job(source, out_dir / f"{stem}{suffix}", spec, **options) for stem, source in names.items()
    ]


def score_files(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    spec: ScorerSpec = ScorerSpec(),
    *,
    columns: ColumnMap = ColumnMap(),
    prefix: str | None = None,
    chunk_size: int = 10_000,
    suffix: str = ".parquet",
    dask: str | None = None,
    workers: int = 2,
) -> dict[str, Any]:
    """Score each input file into ``out_dir/<name><suffix>``; return a summary (also saved).

    ``dask=None`` scores the files one after another in this process; ``dask="local"``
    starts a ``LocalCluster`` of ``workers`` single-threaded processes (``spec.threads``
    torch threads each); any other value is a scheduler address (``tcp://host:8786``).
    Files finished by an earlier run are skipped. The summary (``_SUCCESS.json``) lists
    each output and its number of posts.
    """
    from castlab.core.artifacts import write_json

    if suffix not in (".csv", ".parquet"):
        raise CastlabError(f"unknown output type {suffix!r}", fix="use .csv or .parquet")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    success = out_dir / "_SUCCESS.json"
    if success.exists():
        success.unlink()  # the folder is complete again only when this run ends
    options = {"columns": columns, "prefix": prefix, "chunk_size": chunk_size}
    jobs = _jobs([Path(p) for p in inputs], out_dir, spec, suffix, **options)
    posts = {job.out.name: _is_done(job) for job in jobs}
    todo = [job for job in jobs if posts[job.out.name] is None]
    if dask is None:
        for job in todo:
            posts[job.out.name] = _run(job)
    elif todo:
        for job, count in zip(todo, _run_on_dask(todo, dask, workers, spec.threads)):
            posts[job.out.name] = count
    summary = {
        "files": len(jobs),
        "skipped": len(jobs) - len(todo),
        "posts": sum(int(n or 0) for n in posts.values()),
        "outputs": posts,
        "scorer": asdict(spec),
        "earlier": earlier_outputs(out_dir, {job.out.name for job in jobs}),
    }
    write_json(success, summary)
    return summary


def earlier_outputs(out_dir: Path, this_run: set[str]) -> dict[str, str]:
    """Scored files in ``out_dir`` that earlier runs wrote and this one did not, with the
    scorer of each (``"?"`` when unknown): they are kept (scoring them again may take hours),
    but a glob over the folder would mix them in, perhaps scored another way.

    Examples
    --------
    >>> import json, tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "b.parquet").write_bytes(b"")
    >>> _ = (folder / ".b.parquet.done.json").write_text(
    ...     json.dumps({"stamp": {"scorer": {"name": "default"}}}))
    >>> earlier_outputs(folder, {"a.parquet"})
    {'b.parquet': 'default'}
    """
    from castlab.core.artifacts import read_json

    found = {}
    for record in sorted(out_dir.glob(".*.done.json")):
        name = record.name[1 : -len(".done.json")]
        if name in this_run or not (out_dir / name).exists():
            continue
        try:
            scorer = read_json(record)["stamp"]["scorer"]["name"]
        except (CastlabError, KeyError, TypeError):
            scorer = "?"
        found[name] = str(scorer)
    return found


def _run_on_dask(jobs: list[_Job], address: str, workers: int, threads: int) -> list[int]:
    """Run ``_run`` for each job on a Dask cluster, one task per file; the counts in order."""
    from distributed import Client, LocalCluster

    if address == "local":
        # one thread per worker: torch uses spec.threads inside the task
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env={"OMP_NUM_THREADS": str(threads)},
        )
        client = Client(cluster)
    else:
        cluster = None
        try:
            client = Client(address, timeout="10s")
        except OSError as error:
            raise CastlabError(
                f"cannot reach the Dask scheduler ({error})",
                path=address,
                fix="start one with `dask scheduler` or leave the address out for a local one",
            ) from None
    try:
        futures = client.map(_run, jobs, pure=False)
        return [int(n) for n in client.gather(futures)]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
