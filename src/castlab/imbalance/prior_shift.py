"""Prior-shift correction: move a classifier's probabilities to a new class balance.

When only the class balance changes between training and test data (``p(x | y)`` fixed),
Bayes' rule gives the test-time posterior from the training-time one (Saerens, Latinne &
Decaestecker 2002, "Adjusting the outputs of a classifier to new a priori probabilities")::

    p_new(y | x)  proportional to  p(y | x) * p_new(y) / p_train(y)

If ``p_new(y)`` is unknown it can be estimated from unlabelled test features alone by EM:
start from ``p_train``, adjust the posteriors, take their mean as the new prior, repeat.

Unlike re-sampling, this keeps every training row and lets one fitted model serve any test
balance.

Examples
--------
>>> import numpy as np
>>> proba = np.array([[0.9, 0.1], [0.6, 0.4]])
>>> adjust_to_prior(proba, train_prior=[0.9, 0.1], test_prior=[0.5, 0.5]).round(3)
array([[0.5  , 0.5  ],
       [0.143, 0.857]])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted

from castlab.core.errors import CastlabError
from castlab.imbalance._checks import check_fit_input, check_predict_input

__all__ = [
    "PriorEstimate",
    "PriorShiftClassifier",
    "adjust_to_prior",
    "estimate_prior_em",
]

_EPS = 1e-12


def adjust_to_prior(
    proba: np.ndarray,
    *,
    train_prior: Sequence[float] | np.ndarray,
    test_prior: Sequence[float] | np.ndarray,
) -> np.ndarray:
    """Re-weight posteriors for a new class balance and renormalise each row.

    Parameters
    ----------
    proba:
        ``p_train(y | x)``, shape ``(n_samples, n_classes)``, rows summing to 1.
    train_prior, test_prior:
        Class frequencies, shape ``(n_classes,)``.

    Returns
    -------
    ``p_new(y | x)``, shape ``(n_samples, n_classes)``.

    Examples
    --------
    >>> adjust_to_prior(np.array([[0.5, 0.5]]), train_prior=[0.5, 0.5],
    ...                 test_prior=[0.8, 0.2]).tolist()
    [[0.8, 0.2]]
    """
    proba = np.asarray(proba, dtype=float)
    train = np.asarray(train_prior, dtype=float)
    # a class absent from training keeps probability 0 rather than 0 / 0
    weights = np.where(
        train > 0, np.asarray(test_prior, dtype=float) / np.maximum(train, _EPS), 0.0
    )
    adjusted = proba * weights
    return adjusted / np.maximum(adjusted.sum(axis=1, keepdims=True), _EPS)


@dataclass(frozen=True)
class PriorEstimate:
    """Result of :func:`estimate_prior_em`.

    Attributes
    ----------
    prior:
        Estimated test class frequencies, shape ``(n_classes,)``.
    n_iter:
        EM iterations run.
    converged:
        Whether the prior moved less than ``tol`` in the last iteration.
    """

    prior: np.ndarray
    n_iter: int
    converged: bool


def estimate_prior_em(
    proba: np.ndarray,
    *,
    train_prior: Sequence[float] | np.ndarray,
    max_iter: int = 1000,
    tol: float = 1e-8,
) -> PriorEstimate:
    """Estimate the class balance of unlabelled data by EM (Saerens et al. 2002).

    E-step: adjust ``proba`` to the current prior guess. M-step: the new guess is the mean
    adjusted posterior. This maximises the likelihood of the unlabelled features under the
    model, assuming only the prior moved and ``proba`` is calibrated on the training balance.

    Parameters
    ----------
    proba:
        ``p_train(y | x)`` on the unlabelled rows, shape ``(n_samples, n_classes)``.
    train_prior:
        The training class frequencies that ``proba`` reflects, shape ``(n_classes,)``.

    Examples
    --------
    A 50/50 mixture of two well separated groups, scored by a model trained at 90/10:

    >>> train = np.array([0.9, 0.1])
    >>> p_new = np.array([[0.99, 0.01]] * 50 + [[0.01, 0.99]] * 50)
    >>> p_old = adjust_to_prior(p_new, train_prior=[0.5, 0.5], test_prior=train)
    >>> estimate_prior_em(p_old, train_prior=train).prior.round(2).tolist()
    [0.5, 0.5]
    """
    proba = np.asarray(proba, dtype=float)
    if proba.ndim != 2 or len(proba) == 0:
        raise CastlabError("EM needs a non-empty (n_samples, n_classes) probability array")
    train_prior = np.asarray(train_prior, dtype=float)
    prior = train_prior.copy()
    for iteration in range(1, max_iter + 1):
        new_prior = adjust_to_prior(proba, train_prior=train_prior, test_prior=prior).mean(axis=0)
        change = float(np.max(np.abs(new_prior - prior)))
        prior = new_prior
        if change < tol:
            return PriorEstimate(prior, iteration, True)
    return PriorEstimate(prior, max_iter, False)


def _resolve_prior(spec: Any, classes: np.ndarray, train_prior: np.ndarray) -> np.ndarray:
    """Turn a ``test_prior`` parameter into one frequency per class."""
    n_classes = len(classes)
    if spec is None:
        return train_prior.copy()
    if isinstance(spec, str):
        if spec == "uniform":
            return np.full(n_classes, 1.0 / n_classes)
        raise CastlabError(
            f"unknown test_prior {spec!r}", fix="use None, 'uniform', a float or a list"
        )
    if np.isscalar(spec):
        if n_classes != 2:
            raise CastlabError(
                f"a single test_prior ({spec}) only fits binary targets; there are {n_classes} classes",
                fix="give one frequency per class",
            )
        value = float(spec)
        prior = np.array([1.0 - value, value])
    else:
        prior = np.asarray(spec, dtype=float).ravel()
    if len(prior) != n_classes:
        raise CastlabError(f"test_prior has {len(prior)} values for {n_classes} classes")
    if not np.all(np.isfinite(prior)) or np.any(prior <= 0) or np.any(prior >= 1):
        raise CastlabError(
            f"test_prior {prior.tolist()} must lie strictly between 0 and 1",
            fix="e.g. 0.5 for a balanced test set",
        )
    if abs(prior.sum() - 1) > 1e-6:
        raise CastlabError(f"test_prior {prior.tolist()} does not sum to 1")
    return prior


class PriorShiftClassifier(ClassifierMixin, BaseEstimator):
    """Fit a classifier on all training rows, then correct its probabilities for a new balance.

    Parameters
    ----------
    estimator:
        A classifier with ``predict_proba``. Wrap an already fitted model in
        :class:`sklearn.frozen.FrozenEstimator` to correct it without refitting.
    test_prior:
        Class balance to correct towards: ``None`` (no correction), ``"uniform"``, a float
        (the positive class's share of a binary task) or one frequency per class in
        ``classes_`` order. Call :meth:`estimate_test_prior` to replace it by an EM estimate.
    em_max_iter, em_tol:
        EM settings used by :meth:`estimate_test_prior`.

    Attributes
    ----------
    estimator_:
        The fitted inner classifier.
    classes_:
        Class labels.
    train_prior_:
        Class frequencies seen in ``fit``, shape ``(n_classes,)``.
    test_prior_:
        Class frequencies the probabilities are corrected to, shape ``(n_classes,)``.
    em_result_:
        The :class:`PriorEstimate` of the last :meth:`estimate_test_prior`, else ``None``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.r_[np.zeros((90, 1)), np.ones((10, 1))] + np.random.default_rng(0).normal(size=(100, 1))
    >>> y = np.r_[np.zeros(90), np.ones(10)]
    >>> model = PriorShiftClassifier(LogisticRegression(), test_prior=0.5).fit(X, y)
    >>> model.train_prior_.tolist(), model.test_prior_.tolist()
    ([0.9, 0.1], [0.5, 0.5])
    >>> bool(model.predict_proba(X)[:, 1].mean() > LogisticRegression().fit(X, y).predict_proba(X)[:, 1].mean())
    True
    """

    def __init__(
        self,
        estimator: Any,
        *,
        test_prior: Any = None,
        em_max_iter: int = 1000,
        em_tol: float = 1e-8,
    ) -> None:
        self.estimator = estimator
        self.test_prior = test_prior
        self.em_max_iter = em_max_iter
        self.em_tol = em_tol

    def fit(self, X: Any, y: Any, **fit_params: Any) -> PriorShiftClassifier:
        """Fit the inner classifier on all rows and record the training class balance."""
        X, y_arr = check_fit_input(self, X, y)
        self.estimator_ = clone(self.estimator).fit(X, y_arr, **fit_params)
        self.classes_ = np.asarray(self.estimator_.classes_)
        weights = fit_params.get("sample_weight")
        weights = np.ones(len(y_arr)) if weights is None else np.asarray(weights, dtype=float)
        totals = np.array([weights[y_arr == c].sum() for c in self.classes_])
        self.train_prior_ = totals / totals.sum()
        self.test_prior_ = _resolve_prior(self.test_prior, self.classes_, self.train_prior_)
        self.em_result_: PriorEstimate | None = None
        return self

    def estimate_test_prior(self, X: Any) -> PriorShiftClassifier:
        """Estimate the class balance of unlabelled ``X`` by EM and correct towards it.

        Sets ``test_prior_`` and ``em_result_``; returns ``self``.
        """
        check_is_fitted(self, "estimator_")
        proba = self.estimator_.predict_proba(check_predict_input(self, X))
        self.em_result_ = estimate_prior_em(
            proba, train_prior=self.train_prior_, max_iter=self.em_max_iter, tol=self.em_tol
        )
        self.test_prior_ = self.em_result_.prior
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Corrected class probabilities, shape ``(n_samples, n_classes)``."""
        check_is_fitted(self, "estimator_")
        X = check_predict_input(self, X)
        proba = self.estimator_.predict_proba(X)
        return adjust_to_prior(proba, train_prior=self.train_prior_, test_prior=self.test_prior_)

    def predict(self, X: Any) -> np.ndarray:
        """Most probable class after correction, shape ``(n_samples,)``."""
        check_is_fitted(self, "estimator_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
