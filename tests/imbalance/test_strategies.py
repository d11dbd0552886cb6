"""Tests of castlab.imbalance.strategies: re-sampling and weighting wrappers."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import check_estimator

from castlab.core.errors import CastlabError
from castlab.imbalance.model import OneHotLogisticRegression
from castlab.imbalance.prior_shift import PriorShiftClassifier
from castlab.imbalance.strategies import (
    STRATEGIES,
    ResampledClassifier,
    WeightedClassifier,
    make_strategy,
    target_counts,
)


class _Recorder(OneHotLogisticRegression):
    """Remembers what it was fitted on."""

    def fit(self, X, y, sample_weight=None):
        self.seen_X_, self.seen_y_, self.seen_weight_ = X, np.asarray(y), sample_weight
        return super().fit(X, y, sample_weight=sample_weight)


def test_target_counts():
    assert target_counts(np.array([600, 100]), method="under", ratio=1.0).tolist() == [100, 100]
    # the blog dropped 5/6 of the majority: 600 -> 100 at ratio 1; 0.5 keeps 200
    assert target_counts(np.array([600, 100]), method="under", ratio=0.5).tolist() == [200, 100]
    assert target_counts(np.array([600, 100, 30]), method="over", ratio=1.0).tolist() == [600] * 3
    with pytest.raises(CastlabError, match="ratio"):
        target_counts(np.array([5, 1]), method="under", ratio=0.0)


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("under", [135, 135]),
        ("over", [765, 765]),
        ("smote", [765, 765]),
        ("smote_under", [382, 382]),
    ],
)
def test_resampled_counts_binary(shifted, method, expected):
    train, _ = shifted  # 765 negatives, 135 positives
    model = ResampledClassifier(_Recorder(), method=method, random_state=0)
    model.fit(train.features, train.target)
    assert model.sampled_counts_.tolist() == expected
    assert np.bincount(model.estimator_.seen_y_).tolist() == expected
    proba = model.predict_proba(train.features)
    assert proba.shape == (900, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_smote_keeps_categories_valid(shifted):
    train, _ = shifted
    model = ResampledClassifier(_Recorder(), method="smote", random_state=0)
    model.fit(train.features, train.target)
    seen = model.estimator_.seen_X_
    assert isinstance(seen, pd.DataFrame)
    assert set(seen["group"].astype(str)) <= set("abcde")  # SMOTENC: no invented levels
    # synthetic numeric rows lie between real minority rows, not far outside them
    real = train.features[train.target == 1]["x0"]
    made = seen[model.estimator_.seen_y_ == 1]["x0"]
    assert made.min() >= real.min() - 1e-9 and made.max() <= real.max() + 1e-9


def test_resampling_multiclass_string_labels():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = np.array(["a"] * 200 + ["b"] * 70 + ["c"] * 30)
    X[y == "b"] += 1.5
    X[y == "c"] -= 1.5
    for method in ("under", "over", "smote", "smote_under"):
        model = ResampledClassifier(LogisticRegression(), method=method, random_state=1).fit(X, y)
        counts = model.sampled_counts_
        assert counts.min() == counts.max(), method  # ratio 1.0 balances every class
        assert set(model.predict(X)) <= {"a", "b", "c"}
        assert model.classes_.tolist() == ["a", "b", "c"]


def test_smote_falls_back_for_a_single_minority_row():
    X = np.arange(12.0).reshape(-1, 1)
    y = np.array([0] * 11 + [1])
    model = ResampledClassifier(LogisticRegression(), method="smote", random_state=0).fit(X, y)
    assert model.sampled_counts_.tolist() == [11, 11]


def test_weighted_classifier_balances_total_weight(shifted):
    train, _ = shifted
    model = WeightedClassifier(_Recorder()).fit(train.features, train.target)
    weight = model.estimator_.seen_weight_
    totals = np.bincount(train.target, weights=weight)
    assert totals[0] == pytest.approx(totals[1])
    assert weight.sum() == pytest.approx(len(train.target))
    # weighting moves predictions towards the rare class
    plain = _Recorder().fit(train.features, train.target)
    assert (
        model.predict_proba(train.features)[:, 1].mean()
        > plain.predict_proba(train.features)[:, 1].mean() + 0.1
    )


def test_make_strategy_covers_every_name():
    kinds = {
        name: type(make_strategy(name, LogisticRegression(), test_prior=0.5)).__name__
        for name in STRATEGIES
    }
    assert kinds["none"] == "LogisticRegression"
    assert kinds["under"] == kinds["smote_under"] == "ResampledClassifier"
    assert kinds["weights"] == "WeightedClassifier"
    assert kinds["prior"] == kinds["prior_em"] == "PriorShiftClassifier"
    with pytest.raises(CastlabError, match="unknown strategy"):
        make_strategy("magic", LogisticRegression())
    with pytest.raises(CastlabError, match="needs a test prior"):
        make_strategy("prior", LogisticRegression())


def test_unknown_method_is_refused():
    with pytest.raises(CastlabError, match="unknown method"):
        ResampledClassifier(LogisticRegression(), method="tomek").fit(np.eye(4), [0, 1, 0, 1])


@pytest.mark.parametrize(
    "estimator",
    [
        ResampledClassifier(LogisticRegression(), method="under", random_state=0),
        ResampledClassifier(LogisticRegression(), method="over", random_state=0),
        ResampledClassifier(LogisticRegression(), method="smote", random_state=0),
        ResampledClassifier(LogisticRegression(), method="smote_under", random_state=0),
        WeightedClassifier(LogisticRegression()),
        PriorShiftClassifier(LogisticRegression(), test_prior="uniform"),
        OneHotLogisticRegression(),
    ],
    ids=lambda e: getattr(e, "method", type(e).__name__),
)
def test_check_estimator(estimator):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_estimator(estimator)
