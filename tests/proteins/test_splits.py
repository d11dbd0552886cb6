"""De-duplication and splits: deterministic, complete, and clusters never straddle parts."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from castlab.core.errors import CastlabError
from castlab.proteins.data import ProteinRecord
from castlab.proteins.identity import (
    alignment_identity,
    max_identity,
    mmseqs_available,
    sequence_clusters,
)
from castlab.proteins.splits import (
    clustered_split,
    deduplicate,
    random_split,
    read_split,
    split_identity,
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


AMINO = "ACDEFGHIKLMNPQRSTVWY"


def _random_protein(rng, length=160):
    return "".join(rng.choice(list(AMINO), length))


def _at_identity(sequence, identity, rng):
    """A copy of ``sequence`` with exactly (1 - identity) of its positions substituted."""
    out = list(sequence)
    for i in rng.choice(len(sequence), round((1 - identity) * len(sequence)), replace=False):
        out[i] = rng.choice([a for a in AMINO if a != sequence[i]])
    return "".join(out)


def test_alignment_identity_of_pairs_at_known_identity():
    rng = np.random.default_rng(0)
    base = _random_protein(rng)
    measured = {p: alignment_identity(base, _at_identity(base, p, rng)) for p in (0.9, 0.5, 0.3)}
    assert abs(measured[0.9] - 0.9) < 0.02 and abs(measured[0.5] - 0.5) < 0.05
    assert measured[0.3] < 0.42  # aligners find a few extra matches at twilight identity


def _known_pairs():
    rng = np.random.default_rng(1)
    base = _random_protein(rng)
    sequences = [base] + [_at_identity(base, p, rng) for p in (0.9, 0.5, 0.3)]
    return sequences + [_random_protein(rng)]  # and one unrelated


def test_clusters_link_exactly_the_pairs_above_the_threshold():
    sequences = _known_pairs()
    at_70 = sequence_clusters(sequences, identity=0.7, engine="align")
    assert at_70[0] == at_70[1] and len({at_70[0], at_70[2], at_70[3], at_70[4]}) == 4
    at_40 = sequence_clusters(sequences, identity=0.4, engine="align")
    assert at_40[0] == at_40[1] == at_40[2] and len({at_40[0], at_40[3], at_40[4]}) == 3


@pytest.mark.skipif(not mmseqs_available(), reason="mmseqs2 is not installed (Debian mmseqs2)")
def test_mmseqs_clusters_and_search_agree_with_the_known_identities():
    sequences = _known_pairs()  # mmseqs costs ~10 s per prefilter step: one clustering only
    at_40 = sequence_clusters(sequences, identity=0.4, engine="mmseqs")
    assert at_40[0] == at_40[1] == at_40[2] and len({at_40[0], at_40[3], at_40[4]}) == 3
    nearest = max_identity(sequences[1:4], sequences[:1], engine="mmseqs")
    assert abs(nearest[0] - 0.9) < 0.02 and abs(nearest[1] - 0.5) < 0.05 and nearest[2] < 0.42


@pytest.mark.skipif(not mmseqs_available(), reason="mmseqs2 is not installed (Debian mmseqs2)")
def test_mmseqs_all_pairs_links_a_chain_through_its_middle_member():
    rng = np.random.default_rng(2)
    first = _random_protein(rng)
    positions = rng.permutation(len(first))  # A->B and B->C change different positions
    second, third = list(first), None
    for i in positions[:56]:
        second[i] = rng.choice([a for a in AMINO if a != first[i]])
    third = list(second)
    for i in positions[56:112]:
        third[i] = rng.choice([a for a in AMINO if a != second[i]])
    chain = ["".join(first), "".join(second), "".join(third), _random_protein(rng)]
    assert alignment_identity(chain[0], chain[2]) < 0.45 < 0.6 < alignment_identity(*chain[1:3])
    labels = sequence_clusters(chain, identity=0.5, engine="mmseqs-all")
    assert labels[0] == labels[1] == labels[2] != labels[3]  # single linkage, every pair


def test_clustered_split_leaves_no_close_homologue_across_parts():
    engine = "align"
    rng = np.random.default_rng(2)
    records = []
    for f in range(2):
        for c in range(6):  # 6 unrelated clusters per family, each a base and 3 copies at 90%
            base = _random_protein(rng, 120)
            for m, seq in enumerate([base] + [_at_identity(base, 0.9, rng) for _ in range(3)]):
                records.append(ProteinRecord(f"{f}-{c}-{m}", seq, f"F{f}"))
    parts = clustered_split(
        records, identity=0.5, fractions=(0.5, 0.25, 0.25), seed=0, engine=engine
    )
    assert all(parts[p] for p in ("train", "valid", "test"))
    where = {r.name: part for part, rs in parts.items() for r in rs}
    for f in range(2):
        for c in range(6):
            assert len({where[f"{f}-{c}-{m}"] for m in range(4)}) == 1
    assert split_identity(parts, engine=engine)["max"] < 0.5
    # the random split of the same records puts 90% copies on both sides, and the check sees it
    mixed = random_split(records, fractions=(0.5, 0.25, 0.25), seed=0)
    assert split_identity(mixed, engine=engine)["max"] >= 0.85


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
    parts, info = prepare_split(
        doubled, SplitConfig(method="clustered", per_family=20, seed=2, engine="align")
    )
    kept = [r for part in parts.values() for r in part]
    assert len(kept) == 60 and len({r.sequence for r in kept}) == 60
    assert info["method"] == "clustered" and sum(info["dropped"].values()) >= 5
    with pytest.raises(CastlabError, match="unknown split"):
        prepare_split(records, SplitConfig(method="by-length"))


def test_prepare_split_refuses_a_negative_per_family_and_an_identity_outside_0_1(families):
    from castlab.proteins.splits import SplitConfig, prepare_split

    with pytest.raises(CastlabError, match="--per-family -3"):  # it kept all but 3 of each
        prepare_split(families, SplitConfig(per_family=-3))
    for identity in (float("nan"), 1.5, 0.0):
        with pytest.raises(CastlabError, match="identity lies in 0-1"):
            prepare_split(families, SplitConfig(method="clustered", identity=identity))
