"""Open set: profile HMMs find out-of-family proteins; the threshold answers "unknown"."""

from __future__ import annotations

import numpy as np

from castlab.proteins.data import ProteinRecord
from castlab.proteins.openset import (
    UNKNOWN,
    calibrate_threshold,
    family_profiles,
    fragments,
    out_of_family,
)
from castlab.proteins.train import ProteinTrainConfig, train_classifier

AMINO = "ACDEFGHIKLMNPQRSTVWY"


def _family(rng, n=30, length=90, mutation=0.2):
    ancestor = rng.choice(list(AMINO), length)
    rows = []
    for _ in range(n):
        row = ancestor.copy()
        changed = rng.random(length) < mutation
        row[changed] = rng.choice(list(AMINO), changed.sum())
        rows.append("".join(row))
    return rows


def test_profiles_hit_members_and_miss_unrelated_proteins():
    rng = np.random.default_rng(0)
    alignments = {"PF1": _family(rng), "PF2": _family(rng)}
    profiles = family_profiles({f: rows[:20] for f, rows in alignments.items()})
    members = [ProteinRecord(f"m{i}", s) for i, s in enumerate(alignments["PF1"][20:])]
    strangers = [ProteinRecord(f"x{i}", "".join(rng.choice(list(AMINO), 120))) for i in range(10)]
    missed = out_of_family(members + strangers, profiles, evalue=1.0)
    assert {r.name for r in missed} == {r.name for r in strangers}


def test_threshold_keeps_the_asked_share_and_fragments_fit():
    top = np.linspace(0.5, 1.0, 101)
    threshold = calibrate_threshold(top, accept=0.9)
    assert np.mean(top >= threshold) >= 0.9 and np.mean(top > threshold) < 0.9
    pieces = list(fragments("A" * 50, lengths=[10, 80], rng=np.random.default_rng(0)))
    assert [len(p) for p in pieces] == [10, 50]


def test_a_model_with_an_open_set_rule_answers_unknown_below_its_threshold(tmp_path):
    rng = np.random.default_rng(1)
    records = [
        ProteinRecord(f"{f}-{i}", s, f)
        for f in ("PF1", "PF2")
        for i, s in enumerate(_family(rng, n=24, mutation=0.1))
    ]
    config = ProteinTrainConfig(model="cnn", dim=16, finetune_epochs=3, batch_size=8)
    model = train_classifier(records[::2], records[1::2], config, tmp_path)
    queries = records[1:6]
    assert {p.family for p in model.predict_families(queries)} <= {"PF1", "PF2"}
    model.info["open_set"] = {"threshold": 1.01}  # nothing is that sure: everything rejected
    model.save(tmp_path / "open")
    reloaded = type(model).load(tmp_path / "open")
    assert {p.family for p in reloaded.predict_families(queries)} == {UNKNOWN}
