"""Sequence identity from real alignments: clusters for the clustered split, and leak checks.

Two engines give the same answers within alignment details:

- ``mmseqs`` (Debian ``mmseqs2``): ``easy-cluster --min-seq-id`` with exact alignment
  identity (``--alignment-mode 3``) and connected-component clustering (``--cluster-mode
  1``, single linkage, as practitioners build homology-separated splits), and
  ``easy-search`` for the highest identity between two sets.
- ``align`` (parasail, in process, used when mmseqs is absent): semi-global Smith-Waterman
  alignment (BLOSUM62, gap open 11, extend 1); identity = identical aligned residues / length
  of the shorter sequence (CD-HIT's definition). Every pair is aligned, so it suits sets up to
  a few thousand sequences.

Both ask the alignment to cover most of the sequences (mmseqs ``-c 0.8``; parasail: the
shorter sequence's length is the denominator), so a short shared motif is not "identity".

Examples
--------
>>> round(alignment_identity("MKVLAAGIVGLL", "MKVLAAGIVGLA"), 3)
0.917
>>> identity_clusters_aligned(["MKVLAAGIVGLL", "MKVLAAGIVGLA", "WWPPHHCCYYRR"], identity=0.8)
[0, 0, 1]
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from castlab.core.errors import CastlabError

__all__ = [
    "alignment_identity",
    "identity_clusters_aligned",
    "identity_clusters_mmseqs",
    "max_identity",
    "mmseqs_available",
    "sequence_clusters",
]


def mmseqs_available() -> bool:
    """Whether the ``mmseqs`` program (Debian mmseqs2) is on the PATH."""
    return shutil.which("mmseqs") is not None


def alignment_identity(first: str, second: str) -> float:
    """Identical aligned residues / shorter length (semi-global alignment, parasail)."""
    import parasail

    result = parasail.sg_stats_striped_16(first, second, 11, 1, parasail.blosum62)
    return result.matches / max(1, min(len(first), len(second)))


def _components(n: int, pairs: list[tuple[int, int]]) -> list[int]:
    """Connected-component id per item, numbered in order of first appearance."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rows = np.array([p[0] for p in pairs], dtype=np.int64)
    cols = np.array([p[1] for p in pairs], dtype=np.int64)
    graph = coo_matrix((np.ones(len(pairs)), (rows, cols)), shape=(n, n)).tocsr()
    _, labels = connected_components(graph, directed=False)
    first: dict[int, int] = {}
    return [first.setdefault(int(label), len(first)) for label in labels]


def identity_clusters_aligned(sequences: Sequence[str], *, identity: float) -> list[int]:
    """Single-linkage clusters of pairs at alignment identity >= ``identity`` (all pairs)."""
    pairs = [
        (i, j)
        for i in range(len(sequences))
        for j in range(i + 1, len(sequences))
        if alignment_identity(sequences[i], sequences[j]) >= identity
    ]
    return _components(len(sequences), pairs)


def _write_fasta(path: Path, sequences: Sequence[str], prefix: str) -> None:
    with path.open("w") as handle:
        for i, sequence in enumerate(sequences):
            handle.write(f">{prefix}{i}\n{sequence}\n")


def _mmseqs(arguments: list[str], folder: Path, threads: int) -> None:
    command = ["mmseqs", *arguments, "--threads", str(threads), "-v", "1"]
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    if result.returncode != 0:
        raise CastlabError(
            f"mmseqs {arguments[0]} failed: {(result.stderr or result.stdout).strip()[-300:]}",
            fix="check the mmseqs2 installation (apt-get install mmseqs2)",
        )


def identity_clusters_mmseqs(
    sequences: Sequence[str],
    *,
    identity: float,
    threads: int = 1,
    sensitivity: float = 4.0,
    all_pairs: bool = False,
) -> list[int]:
    """Single-linkage clusters from ``mmseqs easy-cluster --min-seq-id identity``.

    ``sensitivity`` is the prefilter's ``-s`` (mmseqs' default 4; 7.5 finds more remote
    pairs, at more seconds). easy-cluster compares members with cluster representatives only,
    so two members of different clusters can still be close; ``all_pairs`` searches every
    sequence against every other (``easy-search``, the same alignment rule) and links every
    pair it finds, as the leak check of :func:`max_identity` does.
    """
    if not mmseqs_available():
        raise CastlabError("mmseqs is not installed", fix="apt-get install mmseqs2 (Debian)")
    rule = ["--min-seq-id", str(identity), "--alignment-mode", "3", "-c", "0.8"]
    with tempfile.TemporaryDirectory(prefix="castlab-mmseqs-") as tmp:
        folder = Path(tmp)
        _write_fasta(folder / "in.fasta", sequences, "s")
        if all_pairs:
            _mmseqs(
                ["easy-search", "in.fasta", "in.fasta", "out_cluster.tsv", "tmp", *rule,
                 "-s", str(sensitivity), "--max-seqs", "1000",
                 "--format-output", "query,target"],
                folder,
                threads,
            )  # fmt: skip
        else:
            _mmseqs(
                ["easy-cluster", "in.fasta", "out", "tmp", *rule, "--cluster-mode", "1",
                 "-s", str(sensitivity)],
                folder,
                threads,
            )  # fmt: skip
        pairs = []
        for line in (folder / "out_cluster.tsv").read_text().splitlines():
            representative, member = line.split("\t")
            pairs.append((int(representative[1:]), int(member[1:])))
    return _components(len(sequences), pairs)


def sequence_clusters(
    sequences: Sequence[str],
    *,
    identity: float,
    engine: str = "auto",
    threads: int = 1,
    sensitivity: float = 4.0,
) -> list[int]:
    """Cluster id per sequence, linking pairs at identity >= ``identity``.

    ``engine``: ``mmseqs`` (easy-cluster), ``mmseqs-all`` (every pair searched, see
    :func:`identity_clusters_mmseqs`), ``align`` (parasail) or ``auto`` (mmseqs when
    installed); ``sensitivity``: mmseqs' prefilter ``-s`` (parasail aligns every pair).
    """
    if engine == "auto":
        engine = "mmseqs" if mmseqs_available() else "align"
    if len(sequences) < 2:
        return [0] * len(sequences)
    if engine in ("mmseqs", "mmseqs-all"):
        return identity_clusters_mmseqs(
            sequences,
            identity=identity,
            threads=threads,
            sensitivity=sensitivity,
            all_pairs=engine == "mmseqs-all",
        )
    if engine == "align":
        return identity_clusters_aligned(sequences, identity=identity)
    raise CastlabError(
        f"unknown identity engine {engine!r}", fix="use auto, mmseqs, mmseqs-all or align"
    )


def max_identity(
    queries: Sequence[str],
    targets: Sequence[str],
    *,
    engine: str = "auto",
    threads: int = 1,
    coverage: float = 0.8,
) -> np.ndarray:
    """(n_queries,) highest identity of each query to any target (0 where nothing aligns).

    mmseqs reports identity over the aligned columns (``fident``) of its hits at the most
    sensitive setting (``-s 7.5``, E <= 10) whose alignment covers ``coverage`` of both
    sequences (the clusters' rule); parasail aligns every pair.
    """
    if engine == "auto":
        engine = "mmseqs" if mmseqs_available() else "align"
    best = np.zeros(len(queries))
    if not queries or not targets:
        return best
    if engine == "align":
        for i, query in enumerate(queries):
            best[i] = max(alignment_identity(query, target) for target in targets)
        return best
    with tempfile.TemporaryDirectory(prefix="castlab-mmseqs-") as tmp:
        folder = Path(tmp)
        _write_fasta(folder / "q.fasta", queries, "q")
        _write_fasta(folder / "t.fasta", targets, "t")
        _mmseqs(
            ["easy-search", "q.fasta", "t.fasta", "hits.tsv", "tmp", "-s", "7.5",
             "--alignment-mode", "3", "--format-output", "query,target,fident",
             "--max-seqs", "50", "-c", str(coverage)],
            folder,
            threads,
        )  # fmt: skip
        for line in (folder / "hits.tsv").read_text().splitlines():
            query, _, fident = line.split("\t")
            index = int(query[1:])
            best[index] = max(best[index], float(fident))
    return best
