"""Tests of castlab.imbalance.synthetic: tables with a known prior shift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from castlab.core.errors import CastlabError
from castlab.imbalance.synthetic import generate_shifted_data


def test_generated_data_has_exact_priors_and_same_class_conditionals():
    train, test = generate_shifted_data(
        n_train=4000, n_test=4000, train_prior=0.1, test_prior=0.6, seed=3
    )
    assert train.prior[1] == pytest.approx(0.1)
    assert test.prior[1] == pytest.approx(0.6)
    # only p(y) moves: per-class feature means agree between the tables
    for k in (0, 1):
        a = train.features[train.target == k]["x0"].mean()
        b = test.features[test.target == k]["x0"].mean()
        assert abs(a - b) < 0.15
    overall_gap = abs(train.features["x0"].mean() - test.features["x0"].mean())
    class_gap = abs(
        train.features[train.target == 0]["x0"].mean()
        - train.features[train.target == 1]["x0"].mean()
    )
    assert overall_gap > 0.3 * class_gap  # the mixture itself did shift
    assert isinstance(train.features["group"].dtype, pd.CategoricalDtype)


def test_generated_multiclass_and_bad_prior():
    train, _ = generate_shifted_data(
        n_train=500, n_test=10, train_prior=[0.6, 0.3, 0.1], test_prior=[0.3, 0.3, 0.4]
    )
    assert train.classes == ("class0", "class1", "class2")
    assert np.bincount(train.target).tolist() == [300, 150, 50]
    with pytest.raises(CastlabError, match="between 0 and 1"):
        generate_shifted_data(train_prior=1.5)
