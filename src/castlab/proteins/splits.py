"""De-duplicate labelled sequences and split them: at random, or by sequence-identity cluster.

The random split is ProtCNN's: families keep their share in every part. The clustered split
first links every pair of sequences whose alignment identity reaches a threshold (single
linkage; ``mmseqs easy-cluster --min-seq-id``, or parasail alignments when mmseqs2 is not
installed: :mod:`castlab.proteins.identity`), then sends whole clusters to one part, so no
sequence in the test part has a homologue at that identity in training.
:func:`split_identity` measures it: the highest identity between any test and any training
sequence.

Splits are deterministic (seeded) and written to disk as ``train.csv``, ``valid.csv``,
``test.csv`` (columns name, family, sequence) with ``split.json`` describing how.

Examples
--------
>>> from castlab.proteins.synthetic import synthetic_families
>>> records = synthetic_families(n_families=3, per_family=20, seed=0)
>>> parts = random_split(records, seed=0)
>>> sorted(parts), sum(len(p) for p in parts.values())
(['test', 'train', 'valid'], 60)
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from castlab.core.artifacts import atomic_write, read_json, write_json
from castlab.core.errors import CastlabError, require_at_least
from castlab.proteins.data import ProteinRecord, check_sequence
from castlab.proteins.identity import max_identity, sequence_clusters

__all__ = [
    "PARTS",
    "SplitConfig",
    "clustered_split",
    "deduplicate",
    "prepare_split",
    "random_split",
    "read_split",
    "split_identity",
    "subsample",
    "write_split",
]

PARTS = ("train", "valid", "test")


def deduplicate(records: Iterable[ProteinRecord]) -> tuple[list[ProteinRecord], dict[str, int]]:
    """Drop repeated (family, sequence) pairs and sequences labelled with two families.

    Returns the kept records (first occurrence wins) and counts of what was dropped.

    Examples
    --------
    >>> kept, dropped = deduplicate([ProteinRecord("a", "MK", "f"), ProteinRecord("b", "MK", "f"),
    ...                              ProteinRecord("c", "MV", "f"), ProteinRecord("d", "MV", "g")])
    >>> [r.name for r in kept], dropped
    (['a'], {'duplicates': 1, 'conflicting': 2})
    """
    by_sequence: dict[str, set[str | None]] = defaultdict(set)
    records = list(records)
    for record in records:
        by_sequence[record.sequence].add(record.family)
    seen: set[str] = set()
    kept, duplicates, conflicting = [], 0, 0
    for record in records:
        if len(by_sequence[record.sequence]) > 1:
            conflicting += 1  # one sequence, two labels: no right answer to learn
        elif record.sequence in seen:
            duplicates += 1
        else:
            seen.add(record.sequence)
            kept.append(record)
    return kept, {"duplicates": duplicates, "conflicting": conflicting}


def subsample(
    records: Sequence[ProteinRecord],
    *,
    max_per_family: int,
    families: int = 0,
    min_per_family: int = 1,
    seed: int = 0,
) -> list[ProteinRecord]:
    """At most ``max_per_family`` records of each family (and only the ``families`` largest).

    Families with fewer than ``min_per_family`` records are dropped. Deterministic in ``seed``.
    """
    rng = np.random.default_rng(seed)
    groups: dict[str, list[ProteinRecord]] = defaultdict(list)
    for record in records:
        groups[str(record.family)].append(record)
    names = sorted(groups, key=lambda f: (-len(groups[f]), f))
    names = [f for f in names if len(groups[f]) >= min_per_family]
    if families:
        names = names[:families]
    out = []
    for family in sorted(names):
        group = groups[family]
        order = rng.permutation(len(group))[:max_per_family]
        out.extend(group[i] for i in sorted(order))
    return out


def _assign(
    units: Sequence[list[int]], fractions: Sequence[float], rng: np.random.Generator
) -> list[int]:
    """Split part per unit (a unit is a group of records that travel together)."""
    order = rng.permutation(len(units))
    total = sum(len(u) for u in units)
    targets = np.cumsum(fractions) * total
    parts, filled = [0] * len(units), 0
    for index in order:
        part = int(np.searchsorted(targets, filled, side="right"))
        parts[index] = min(part, len(fractions) - 1)
        filled += len(units[index])
    return parts


def _split(
    records: Sequence[ProteinRecord],
    units_of: dict[str, list[list[int]]],
    fractions: Sequence[float],
    seed: int,
) -> dict[str, list[ProteinRecord]]:
    if len(fractions) != 3 or abs(sum(fractions) - 1) > 1e-6 or min(fractions) < 0:
        raise CastlabError(
            f"split fractions {tuple(fractions)} must be three shares summing to 1",
            fix="use e.g. 0.8,0.1,0.1",
        )
    rng = np.random.default_rng(seed)
    out: dict[str, list[ProteinRecord]] = {part: [] for part in PARTS}
    for family in sorted(units_of):
        units = units_of[family]
        for unit, part in zip(units, _assign(units, fractions, rng)):
            out[PARTS[part]].extend(records[i] for i in unit)
    return out


def random_split(
    records: Sequence[ProteinRecord],
    *,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
) -> dict[str, list[ProteinRecord]]:
    """Each family's records shuffled into train/valid/test by ``fractions``."""
    units: dict[str, list[list[int]]] = defaultdict(list)
    for i, record in enumerate(records):
        units[str(record.family)].append([i])
    return _split(records, units, fractions, seed)


def clustered_split(
    records: Sequence[ProteinRecord],
    *,
    identity: float = 0.5,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    engine: str = "auto",
    threads: int = 1,
    sensitivity: float = 4.0,
) -> dict[str, list[ProteinRecord]]:
    """Like :func:`random_split`, but whole identity clusters move together.

    Clusters link every pair at alignment identity >= ``identity``
    (:func:`castlab.proteins.identity.sequence_clusters`, mmseqs2 or parasail) across all
    records; within a family, the records of one cluster go to one part.
    """
    labels = sequence_clusters(
        [r.sequence for r in records],
        identity=identity,
        engine=engine,
        threads=threads,
        sensitivity=sensitivity,
    )
    groups: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for index, (record, label) in enumerate(zip(records, labels)):
        groups[str(record.family)][label].append(index)
    units = {family: [g[label] for label in sorted(g)] for family, g in groups.items()}
    return _split(records, units, fractions, seed)


def split_identity(
    parts: dict[str, list[ProteinRecord]], *, engine: str = "auto", threads: int = 1
) -> dict[str, float]:
    """How close the test part comes to training: the highest and the median nearest identity.

    Returns ``max`` (the highest identity between any test and any training sequence),
    ``median`` (of each test sequence's nearest training identity) and ``share_over_50``.
    """
    nearest = max_identity(
        [r.sequence for r in parts["test"]],
        [r.sequence for r in parts["train"]],
        engine=engine,
        threads=threads,
    )
    if not len(nearest):
        return {"max": 0.0, "median": 0.0, "share_over_50": 0.0}
    return {
        "max": float(nearest.max()),
        "median": float(np.median(nearest)),
        "share_over_50": float(np.mean(nearest >= 0.5)),
    }


@dataclass(frozen=True)
class SplitConfig:
    """How labelled records become train/valid/test parts."""

    method: str = "random"  # random | clustered (by sequence identity)
    identity: float = 0.5  # clustered: link sequences at >= this alignment identity
    engine: str = "auto"  # clustered: mmseqs | mmseqs-all | align (parasail) | auto (mmseqs)
    sensitivity: float = 4.0  # clustered with mmseqs: prefilter -s (7.5: most sensitive)
    threads: int = 1  # clustered with mmseqs: threads for the clustering search
    per_family: int = 0  # keep at most this many records per family (0: all)
    families: int = 0  # keep only the largest N families (0: all)
    min_per_family: int = 1  # drop families with fewer records
    seed: int = 0


def prepare_split(
    records: Iterable[ProteinRecord], config: SplitConfig = SplitConfig()
) -> tuple[dict[str, list[ProteinRecord]], dict[str, Any]]:
    """De-duplicate, subsample and split ``records``; return the parts and what was done.

    Examples
    --------
    >>> from castlab.proteins.synthetic import synthetic_families
    >>> records = synthetic_families(n_families=3, per_family=20, seed=0)
    >>> parts, info = prepare_split(records, SplitConfig(per_family=10))
    >>> sum(len(p) for p in parts.values()), info["method"]
    (30, 'random')
    """
    if config.method not in ("random", "clustered"):
        raise CastlabError(f"unknown split {config.method!r}", fix="use random or clustered")
    require_at_least("--per-family", config.per_family, 0)  # -3 would drop 3 of each
    require_at_least("families", config.families, 0)
    if config.method == "clustered" and not 0 < config.identity <= 1:  # nan too
        raise CastlabError(
            f"--identity {config.identity}: an alignment identity lies in 0-1",
            fix="use e.g. --identity 0.5 (link sequences at >= 50% identity)",
        )
    kept, dropped = deduplicate(records)
    if config.per_family or config.families or config.min_per_family > 1:
        kept = subsample(
            kept,
            max_per_family=config.per_family or len(kept),
            families=config.families,
            min_per_family=config.min_per_family,
            seed=config.seed,
        )
    if config.method == "random":
        parts = random_split(kept, seed=config.seed)
    else:
        parts = clustered_split(
            kept,
            identity=config.identity,
            seed=config.seed,
            engine=config.engine,
            sensitivity=config.sensitivity,
            threads=config.threads,
        )
    return parts, {**asdict(config), "dropped": dropped}


def write_split(
    parts: dict[str, list[ProteinRecord]], directory: str | Path, *, info: dict[str, Any]
) -> Path:
    """Write ``train.csv``, ``valid.csv``, ``test.csv`` and ``split.json`` into ``directory``."""
    directory = Path(directory)
    for part in PARTS:
        with atomic_write(directory / f"{part}.csv") as handle:
            writer = csv.writer(handle)
            writer.writerow(["name", "family", "sequence"])
            writer.writerows((r.name, r.family or "", r.sequence) for r in parts.get(part, []))
    counts = {part: len(parts.get(part, [])) for part in PARTS}
    write_json(directory / "split.json", {**info, "counts": counts})
    return directory


def read_split(directory: str | Path) -> dict[str, list[ProteinRecord]]:
    """Read a split written by :func:`write_split`."""
    directory = Path(directory)
    read_json(directory / "split.json")  # a clear error when this is not a split folder
    out = {}
    for part in PARTS:
        path = directory / f"{part}.csv"
        with path.open(newline="", encoding="utf-8") as handle:
            out[part] = [
                ProteinRecord(
                    row["name"],
                    check_sequence(row["sequence"], path=path, line=n, record=row["name"]),
                    row["family"] or None,
                )
                for n, row in enumerate(csv.DictReader(handle), start=2)
            ]
    return out
