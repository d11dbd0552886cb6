"""Strategies for imbalanced training data, each a scikit-learn classifier wrapping a model.

=================  ==========================================================================
strategy           what it does before / after fitting the model
=================  ==========================================================================
``none``           nothing
``under``          drop majority rows at random (``ratio=1.0`` balances; the blog dropped 5/6)
``over``           repeat minority rows at random
``smote``          synthesise minority rows (SMOTE; SMOTENC when there are categorical columns)
``smote_under``    SMOTE the minority up to ``smote_ratio``, then under-sample to ``ratio``
``weights``        keep every row; weight each class by ``1 / frequency`` (``class_weight``)
``prior``          keep every row; correct the probabilities to a known test balance
``prior_em``       keep every row; estimate the test balance by EM, then correct
=================  ==========================================================================

``ratio`` is the wanted size of the smallest class relative to every larger class after
re-sampling (1.0: all classes equal), so it works for multi-class targets as well.

Examples
--------
>>> from sklearn.linear_model import LogisticRegression
>>> rng = np.random.default_rng(0)
>>> X, y = rng.normal(size=(200, 3)), np.r_[np.zeros(180), np.ones(20)]
>>> model = ResampledClassifier(LogisticRegression(), method="under", random_state=0).fit(X, y)
>>> model.sampled_counts_.tolist()
[20, 20]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted

from castlab.core.errors import CastlabError, Fix
from castlab.imbalance._checks import (
    check_fit_input,
    check_predict_input,
    check_sample_weight,
    check_two_classes,
)
from castlab.imbalance.prior_shift import PriorShiftClassifier

__all__ = [
    "STRATEGIES",
    "ResampledClassifier",
    "WeightedClassifier",
    "make_strategy",
    "target_counts",
]

#: Strategy names, in the order tables list them.
STRATEGIES: tuple[str, ...] = (
    "none",
    "under",
    "over",
    "smote",
    "smote_under",
    "weights",
    "prior",
    "prior_em",
)

_METHODS = ("under", "over", "smote", "smote_under")


def target_counts(counts: np.ndarray, *, method: str, ratio: float) -> np.ndarray:
    """Class sizes after re-sampling.

    ``under`` shrinks each class to at most ``min(counts) / ratio``; ``over`` (and SMOTE)
    grows each class to at least ``ratio * max(counts)``.

    Examples
    --------
    >>> target_counts(np.array([600, 100]), method="under", ratio=1.0).tolist()
    [100, 100]
    >>> target_counts(np.array([600, 100, 30]), method="over", ratio=0.5).tolist()
    [600, 300, 300]
    """
    if not 0 < ratio <= 1:
        raise CastlabError(f"ratio {ratio} must be in (0, 1]", fix="1.0 balances the classes")
    counts = np.asarray(counts)
    if method == "under":
        return np.minimum(counts, np.ceil(counts[counts > 0].min() / ratio)).astype(int)
    return np.maximum(counts, np.floor(counts.max() * ratio)).astype(int)


def _categorical_mask(X: Any) -> np.ndarray:
    if isinstance(X, pd.DataFrame):
        return np.array([not pd.api.types.is_numeric_dtype(X[c]) for c in X.columns])
    return np.zeros(np.shape(X)[1], dtype=bool)


class _WrappedPredictions:
    """``predict_proba`` / ``predict`` of a wrapper whose fitted model is ``estimator_``."""

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of the fitted model, shape ``(n_samples, n_classes)``."""
        check_is_fitted(self, "estimator_")
        X = check_predict_input(self, X)
        return self.estimator_.predict_proba(X)

    def predict(self, X: Any) -> np.ndarray:
        """Most probable class, shape ``(n_samples,)``."""
        check_is_fitted(self, "estimator_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class ResampledClassifier(_WrappedPredictions, ClassifierMixin, BaseEstimator):
    """Re-sample the training rows (imbalanced-learn), then fit ``estimator`` on them.

    Only ``fit`` re-samples; predictions use the fitted model unchanged.

    Parameters
    ----------
    estimator:
        Any classifier with ``predict_proba``.
    method:
        ``"under"``, ``"over"``, ``"smote"`` or ``"smote_under"``.
    ratio:
        Smallest class size relative to each larger class after re-sampling, in (0, 1].
    smote_ratio:
        For ``"smote_under"``: minority size relative to the majority after SMOTE, before
        under-sampling to ``ratio``.
    k_neighbors:
        SMOTE neighbours (reduced automatically for tiny classes).
    random_state:
        Seed of the re-sampling.

    Attributes
    ----------
    estimator_, classes_:
        The fitted model and its classes.
    sampled_counts_:
        Rows per class the model was fitted on, shape ``(n_classes,)``.
    """

    def __init__(
        self,
        estimator: Any,
        *,
        method: str = "under",
        ratio: float = 1.0,
        smote_ratio: float = 0.5,
        k_neighbors: int = 5,
        random_state: int | None = None,
    ) -> None:
        self.estimator = estimator
        self.method = method
        self.ratio = ratio
        self.smote_ratio = smote_ratio
        self.k_neighbors = k_neighbors
        self.random_state = random_state

    def _smote(self, X: Any, y: np.ndarray, counts: np.ndarray, ratio: float) -> tuple[Any, Any]:
        from imblearn.over_sampling import SMOTE, SMOTENC, RandomOverSampler

        wanted = target_counts(counts, method="over", ratio=ratio)
        strategy = {k: int(n) for k, n in enumerate(wanted) if counts[k] > 0}
        smallest = int(counts[counts > 0].min())
        if smallest < 2:  # SMOTE needs a neighbour; fall back to repeating rows
            return RandomOverSampler(
                sampling_strategy=strategy, random_state=self.random_state
            ).fit_resample(X, y)
        k = min(self.k_neighbors, smallest - 1)
        mask = _categorical_mask(X)
        if mask.all():
            raise CastlabError(
                "SMOTE needs at least one numeric column",
                fix="use the 'over' strategy for all-categorical data",
            )
        if mask.any():
            sampler: Any = SMOTENC(
                categorical_features=np.flatnonzero(mask).tolist(),
                sampling_strategy=strategy,
                k_neighbors=k,
                random_state=self.random_state,
            )
        else:
            sampler = SMOTE(
                sampling_strategy=strategy, k_neighbors=k, random_state=self.random_state
            )
        return sampler.fit_resample(X, y)

    def fit(self, X: Any, y: Any) -> ResampledClassifier:
        """Re-sample ``X, y`` and fit a clone of ``estimator`` on the result."""
        from imblearn.over_sampling import RandomOverSampler
        from imblearn.under_sampling import RandomUnderSampler

        if self.method not in _METHODS:
            raise CastlabError(f"unknown method {self.method!r}", fix=f"choose from {_METHODS}")
        X_in, y_arr = check_fit_input(self, X, y)
        self.classes_, codes = np.unique(y_arr, return_inverse=True)
        check_two_classes(self.classes_)
        counts = np.bincount(codes)
        if self.method == "under":
            strategy = dict(enumerate(target_counts(counts, method="under", ratio=self.ratio)))
            X_s, c_s = RandomUnderSampler(
                sampling_strategy=strategy, random_state=self.random_state
            ).fit_resample(X_in, codes)
        elif self.method == "over":
            strategy = dict(enumerate(target_counts(counts, method="over", ratio=self.ratio)))
            X_s, c_s = RandomOverSampler(
                sampling_strategy=strategy, random_state=self.random_state
            ).fit_resample(X_in, codes)
        elif self.method == "smote":
            X_s, c_s = self._smote(X_in, codes, counts, self.ratio)
        else:
            X_s, c_s = self._smote(X_in, codes, counts, self.smote_ratio)
            mid = np.bincount(c_s, minlength=len(counts))
            strategy = dict(enumerate(target_counts(mid, method="under", ratio=self.ratio)))
            X_s, c_s = RandomUnderSampler(
                sampling_strategy=strategy, random_state=self.random_state
            ).fit_resample(X_s, c_s)
        self.sampled_counts_ = np.bincount(c_s, minlength=len(counts))
        self.estimator_ = clone(self.estimator).fit(X_s, self.classes_[c_s])
        return self


class WeightedClassifier(_WrappedPredictions, ClassifierMixin, BaseEstimator):
    """Fit ``estimator`` on every row, weighting each class by ``1 / frequency``.

    The weights go to the model's ``fit(..., sample_weight=...)`` (CatBoost, LightGBM and
    logistic regression accept it), scaled so the classes weigh the same in total.

    Parameters
    ----------
    estimator:
        A classifier whose ``fit`` takes ``sample_weight``.
    power:
        Exponent on the inverse frequency: 1.0 balances fully, 0.5 half-way (in log terms).
    """

    def __init__(self, estimator: Any, *, power: float = 1.0) -> None:
        self.estimator = estimator
        self.power = power

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> WeightedClassifier:
        """Fit a clone of ``estimator`` with class-balancing sample weights."""
        X, y_arr = check_fit_input(self, X, y)
        self.classes_, codes = np.unique(y_arr, return_inverse=True)
        weight = check_sample_weight(sample_weight, len(codes))
        base = np.ones(len(codes)) if weight is None else weight
        totals = np.bincount(codes, weights=base, minlength=len(self.classes_))
        class_weight = (totals.sum() / (len(totals) * np.maximum(totals, 1e-12))) ** self.power
        self.class_weight_ = class_weight
        self.estimator_ = clone(self.estimator).fit(
            X, y_arr, sample_weight=base * class_weight[codes]
        )
        return self


def make_strategy(
    name: str,
    model: Any,
    *,
    test_prior: Any = None,
    ratio: float = 1.0,
    smote_ratio: float = 0.5,
    random_state: int | None = 0,
) -> Any:
    """Wrap ``model`` in the strategy called ``name`` (see :data:`STRATEGIES`).

    ``test_prior`` is used by ``prior`` (and as the starting point for nothing else: the
    ``prior_em`` strategy gets its balance from :meth:`PriorShiftClassifier.estimate_test_prior`).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> type(make_strategy("smote_under", LogisticRegression())).__name__
    'ResampledClassifier'
    """
    if name == "none":
        return clone(model)
    if name in _METHODS:
        return ResampledClassifier(
            model, method=name, ratio=ratio, smote_ratio=smote_ratio, random_state=random_state
        )
    if name == "weights":
        return WeightedClassifier(model)
    if name == "prior":
        if test_prior is None:
            raise CastlabError(
                "the 'prior' strategy needs a test prior",
                fix=Fix("test_prior", "set", value="0.5", template="{} (or another balance)"),
            )
        return PriorShiftClassifier(model, test_prior=test_prior)
    if name == "prior_em":
        return PriorShiftClassifier(model)
    raise CastlabError(f"unknown strategy {name!r}", fix=f"choose from {', '.join(STRATEGIES)}")
