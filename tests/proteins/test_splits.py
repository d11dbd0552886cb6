"""De-duplication and splits: deterministic, complete, and clusters never straddle parts."""

from __future__ import annotations

from collections import Counter

import pytest

from castlab.core.errors import CastlabError
from castlab.proteins.data import ProteinRecord
from castlab.proteins.splits import (
    clustered_split,
    deduplicate,
    identity_clusters,
    random_split,
    read_split,
    subsample,
    write_split,
)
from castlab.proteins.synthetic import synthetic_families


def _names(parts):
    return {part: [r.name for r in records] for part, records in parts.items()}


def test_random_split_is_deterministic_complete_and_keeps_family_shares(families):
    a, b = random_split(families, seed=1), random_split(families, seed=1)
    assert _names(a) == _names(b)
    assert _names(a) != _names(random_split(families, seed=2))
    names = [n for part in a.values() for n in (r.name for r in part)]
    assert sorted(names) == sorted(r.name for r in families)
    train = Counter(r.family for r in a["train"])
    assert all(18 <= count <= 21 for count in train.values())  # 80% of 24 each


def test_clustered_split_keeps_close_homologues_together():
    # two families; in each, 3 tight clusters of near-identical sequences
    records = []
    for f, base in enumerate(["MKVLAAGIVGLLLAACWYHHPPQE", "WWPPHHCCYYMMKKEEDDRRSSTT"]):
        for c in range(3):
            core = base[c:] + base[:c]  # rotated: different k-mers between clusters
            for m in range(4):
                seq = core[:m] + "A" + core[m + 1 :]
                records.append(ProteinRecord(f"{f}-{c}-{m}", seq, f"F{f}"))
    parts = clustered_split(records, identity=0.8, fractions=(0.34, 0.33, 0.33), seed=0)
    where = {r.name: part for part, rs in parts.items() for r in rs}
    for f in range(2):
        for c in range(3):
            assert len({where[f"{f}-{c}-{m}"] for m in range(4)}) == 1
    assert sum(len(p) for p in parts.values()) == len(records)


def test_identity_clusters_separate_unrelated_sequences():
    sequences = [r.sequence for r in synthetic_families(n_families=2, per_family=5, mutation=0.1)]
    labels = identity_clusters(sequences, identity=0.5)
    assert len(set(labels[:5])) == 1 and len(set(labels[5:])) == 1 and labels[0] != labels[5]


def test_deduplicate_and_subsample():
    records = [ProteinRecord(f"r{i}", "MK" + "A" * (i % 5), f"f{i % 2}") for i in range(20)]
    kept, dropped = deduplicate(records)
    assert len({r.sequence for r in kept}) == len(kept)
    assert dropped["duplicates"] + dropped["conflicting"] + len(kept) == 20
    many = synthetic_families(n_families=3, per_family=10)
    small = subsample(many, max_per_family=4, families=2, seed=0)
    assert Counter(r.family for r in small) == {"synthetic-F00": 4, "synthetic-F01": 4}


def test_bad_fractions_raise(families):
    with pytest.raises(CastlabError, match="summing to 1"):
        random_split(families, fractions=(0.5, 0.2, 0.2))


def test_split_round_trips_through_disk(tmp_path, split):
    write_split(split, tmp_path, info={"split": "random"})
    assert read_split(tmp_path) == split
    assert (tmp_path / "split.json").exists()


def test_prepare_split_deduplicates_subsamples_and_splits():
    from castlab.proteins.splits import SplitConfig, prepare_split

    records = synthetic_families(n_families=3, per_family=30, seed=1)
    doubled = records + records[:5]  # five exact duplicates
    parts, info = prepare_split(doubled, SplitConfig(method="clustered", per_family=20, seed=2))
    kept = [r for part in parts.values() for r in part]
    assert len(kept) == 60 and len({r.sequence for r in kept}) == 60
    assert info["method"] == "clustered" and sum(info["dropped"].values()) >= 5
    with pytest.raises(CastlabError, match="unknown split"):
        prepare_split(records, SplitConfig(method="by-length"))
