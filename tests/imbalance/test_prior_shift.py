"""Tests of castlab.imbalance.prior_shift: Bayes correction, EM prior estimation, estimator."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.utils.estimator_checks import check_estimator

from castlab.core.errors import CastlabError
from castlab.imbalance.prior_shift import (
    PriorShiftClassifier,
    adjust_to_prior,
    estimate_prior_em,
)


def _gaussian_task(n: int, prior: float, rng: np.random.Generator):
    """1-D task x | y ~ N(2y - 1, 1.2); returns x, y and the exact posterior at ``prior``."""
    y = (rng.random(n) < prior).astype(int)
    x = rng.normal(2.0 * y - 1.0, 1.2)
    return x, y


def _exact_posterior(x: np.ndarray, prior: float) -> np.ndarray:
    like1 = np.exp(-((x - 1.0) ** 2) / (2 * 1.2**2))
    like0 = np.exp(-((x + 1.0) ** 2) / (2 * 1.2**2))
    p1 = prior * like1 / (prior * like1 + (1 - prior) * like0)
    return np.c_[1 - p1, p1]


def test_adjust_to_prior_is_bayes_rule():
    x = np.linspace(-3, 3, 41)
    at_train = _exact_posterior(x, 0.14)
    corrected = adjust_to_prior(at_train, train_prior=[0.86, 0.14], test_prior=[0.5, 0.5])
    np.testing.assert_allclose(corrected, _exact_posterior(x, 0.5), atol=1e-12)
    same = adjust_to_prior(at_train, train_prior=[0.86, 0.14], test_prior=[0.86, 0.14])
    np.testing.assert_allclose(same, at_train)


def test_adjust_to_prior_multiclass_rows_sum_to_one():
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(4), size=50)
    out = adjust_to_prior(proba, train_prior=[0.7, 0.1, 0.1, 0.1], test_prior=[0.25] * 4)
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    # rarer-in-training classes gain probability
    assert (out[:, 1:] >= proba[:, 1:] - 1e-12).all()


@pytest.mark.parametrize("share", [0.2, 0.35, 0.5])
def test_em_recovers_known_prior_from_exact_posteriors(share):
    rng = np.random.default_rng(int(share * 100))
    x, y = _gaussian_task(3000, share, rng)
    estimate = estimate_prior_em(_exact_posterior(x, 0.14), train_prior=[0.86, 0.14])
    assert estimate.converged
    assert abs(estimate.prior[1] - y.mean()) <= 0.03


def test_em_multiclass_recovers_prior():
    rng = np.random.default_rng(5)
    centres = np.array([-2.0, 0.0, 2.0])
    train_prior = np.array([0.7, 0.2, 0.1])
    test_prior = np.array([0.2, 0.3, 0.5])
    y = rng.choice(3, size=4000, p=test_prior)
    x = rng.normal(centres[y], 1.0)
    like = np.exp(-((x[:, None] - centres[None, :]) ** 2) / 2)
    posterior_train = like * train_prior
    posterior_train /= posterior_train.sum(axis=1, keepdims=True)
    estimate = estimate_prior_em(posterior_train, train_prior=train_prior)
    np.testing.assert_allclose(estimate.prior, np.bincount(y) / len(y), atol=0.03)


def test_em_with_no_shift_stays_put():
    rng = np.random.default_rng(2)
    x, _ = _gaussian_task(2000, 0.14, rng)
    estimate = estimate_prior_em(_exact_posterior(x, 0.14), train_prior=[0.86, 0.14])
    assert abs(estimate.prior[1] - 0.14) < 0.03


def test_em_rejects_empty_input():
    with pytest.raises(CastlabError):
        estimate_prior_em(np.empty((0, 2)), train_prior=[0.5, 0.5])


def test_classifier_known_prior_lowers_log_loss_on_shifted_test(shifted):
    train, test = shifted
    plain = LogisticRegression().fit(train.features[["x0", "x1", "x2", "x3"]], train.target)
    model = PriorShiftClassifier(LogisticRegression(), test_prior=0.5)
    model.fit(train.features[["x0", "x1", "x2", "x3"]], train.target)
    X_test = test.features[["x0", "x1", "x2", "x3"]]
    assert model.train_prior_[1] == pytest.approx(0.15)
    before = log_loss(test.target, plain.predict_proba(X_test))
    after = log_loss(test.target, model.predict_proba(X_test))
    assert after < before - 0.05
    model.estimate_test_prior(X_test)
    assert model.em_result_ is not None and abs(model.test_prior_[1] - 0.5) < 0.06


def test_frozen_estimator_is_not_refitted(shifted):
    train, _ = shifted
    X = train.features[["x0", "x1"]]
    inner = LogisticRegression().fit(X, train.target)
    coef = inner.coef_.copy()
    wrapped = PriorShiftClassifier(FrozenEstimator(inner), test_prior=0.5).fit(
        X[:50], train.target[:50]
    )
    np.testing.assert_array_equal(wrapped.estimator_.estimator.coef_, coef)
    assert wrapped.train_prior_.sum() == pytest.approx(1.0)


def test_sample_weights_shape_the_training_prior():
    X = np.arange(8.0).reshape(-1, 1)
    y = np.array([0, 0, 0, 0, 0, 0, 1, 1])
    weight = np.where(y == 1, 3.0, 1.0)
    model = PriorShiftClassifier(LogisticRegression()).fit(X, y, sample_weight=weight)
    assert model.train_prior_.tolist() == [0.5, 0.5]


@pytest.mark.parametrize(
    ("prior", "words"),
    [
        (0.3, "binary"),
        ([0.5, 0.5], "2 values for 3"),
        ([0.2, 0.2, 0.2], "sum"),
        ([0.0, 0.5, 0.5], "between 0 and 1"),
        ("balanced", "unknown"),
    ],
)
def test_bad_test_prior_on_multiclass(prior, words):
    X = np.arange(12.0).reshape(-1, 1)
    y = np.repeat([0, 1, 2], 4)
    with pytest.raises(CastlabError, match=words):
        PriorShiftClassifier(LogisticRegression(), test_prior=prior).fit(X, y)


@pytest.mark.parametrize("prior", [None, "uniform"])
def test_check_estimator(prior):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_estimator(PriorShiftClassifier(LogisticRegression(), test_prior=prior))
