"""Baselines: k-mer logistic regression, phmmer and blastp nearest neighbours."""

from __future__ import annotations

import numpy as np
import pytest

from castlab.proteins.baselines import (
    BlastNearestNeighbour,
    KmerLogisticRegression,
    PhmmerNearestNeighbour,
    blast_available,
    probabilities_from_bitscores,
)
from castlab.proteins.train import score_probabilities


def _fit_score(model, split):
    train = split["train"]
    model.fit([r.sequence for r in train], [r.family for r in train])
    test = split["test"]
    proba = model.predict_proba([r.sequence for r in test])
    assert proba.shape == (len(test), 4) and np.allclose(proba.sum(axis=1), 1)
    return score_probabilities([r.family for r in test], proba, model.classes_)


def test_kmer_logistic_regression(split):
    assert _fit_score(KmerLogisticRegression(), split)["accuracy"] >= 0.9


def test_phmmer_nearest_neighbour(split):
    model = PhmmerNearestNeighbour()
    assert _fit_score(model, split)["accuracy"] >= 0.9
    # a sequence that matches nothing gets equal probabilities
    assert np.allclose(model.predict_proba(["WWWWWWWWWW"]), 0.25)


@pytest.mark.skipif(not blast_available(), reason="blastp (Debian ncbi-blast+) is not installed")
def test_blastp_nearest_neighbour(split):
    model = BlastNearestNeighbour()
    assert _fit_score(model, split)["accuracy"] >= 0.9
    best = model.best_scores([split["train"][0].sequence])[0]
    assert max(best, key=best.get) == split["train"][0].family
    model.close()


def test_bitscore_probabilities_favour_the_best_family():
    proba = probabilities_from_bitscores([{"a": 50.0, "b": 40.0}], ["a", "b", "c"])
    assert proba.argmax() == 0 and proba[0, 1] == pytest.approx(2**-10 * proba[0, 0])
