"""The classifiers the strategies wrap: CatBoost, LightGBM, and one-hot logistic regression.

All three take a pandas DataFrame whose text columns are ``category`` columns (as
:func:`castlab.imbalance.data.load_table` makes them), accept ``sample_weight`` in ``fit``,
and give ``predict_proba``. CatBoost and LightGBM use the categories natively; the logistic
model one-hot encodes them and standardises the numeric columns.

Examples
--------
>>> from castlab.imbalance.synthetic import generate_shifted_data
>>> train, test = generate_shifted_data(n_train=300, n_test=100)
>>> model = make_model(ModelConfig("logistic")).fit(train.features, train.target)
>>> model.predict_proba(test.features).shape
(100, 2)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

from castlab.core.errors import CastlabError, require_at_least
from castlab.imbalance._checks import (
    check_fit_input,
    check_predict_input,
    check_sample_weight,
    check_two_classes,
)

__all__ = ["MODELS", "CatBoostCategorical", "ModelConfig", "OneHotLogisticRegression", "make_model"]

#: Model names accepted by :func:`make_model`.
MODELS: tuple[str, ...] = ("catboost", "lightgbm", "logistic")


@dataclass(frozen=True)
class ModelConfig:
    """Which model to build and how big.

    Attributes
    ----------
    name:
        ``"catboost"``, ``"lightgbm"`` or ``"logistic"``.
    iterations:
        Boosting rounds (trees) for CatBoost / LightGBM; ignored by logistic.
    learning_rate:
        Boosting step size.
    depth:
        Tree depth (CatBoost); LightGBM grows ``2**(depth - 2) - 1`` leaves per tree (15 at 6),
        as its leaf-wise trees overfit this small table at the full depth.
    threads:
        CPU threads the model may use.
    seed:
        Random seed of the model.
    """

    name: str = "catboost"
    iterations: int = 300
    learning_rate: float = 0.08
    depth: int = 6
    threads: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        require_at_least("--iterations", self.iterations, 1)  # 0 rounds: LightGBM's traceback
        require_at_least("depth", self.depth, 1)
        require_at_least("--threads", self.threads, 1)
        if not self.learning_rate > 0:  # nan too
            raise CastlabError(f"learning rate {self.learning_rate}", fix="use e.g. 0.08")


class OneHotLogisticRegression(ClassifierMixin, BaseEstimator):
    """Logistic regression on one-hot encoded categories and standardised numbers.

    Parameters
    ----------
    C:
        Inverse L2 regularisation strength.
    max_iter:
        Solver iterations.

    Attributes
    ----------
    onehot_, scaler_:
        The fitted one-hot encoder (text columns) and standard scaler (numeric columns).
    model_:
        The fitted :class:`~sklearn.linear_model.LogisticRegression`.
    classes_:
        Class labels.
    n_iter_:
        Solver iterations run.
    """

    def __init__(self, C: float = 1.0, max_iter: int = 1000) -> None:
        self.C = C
        self.max_iter = max_iter

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> OneHotLogisticRegression:
        """Encode ``X`` and fit the logistic regression (optionally weighted)."""
        X, y = check_fit_input(self, X, y)
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
        self.text_columns_ = [
            c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])
        ]
        self.number_columns_ = [c for c in frame.columns if c not in self.text_columns_]
        self.onehot_ = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        self.scaler_ = StandardScaler()
        if self.text_columns_:
            self.onehot_.fit(frame[self.text_columns_])
        if self.number_columns_:  # weighted, so weight 2 means the same as a repeated row
            self.scaler_.fit(frame[self.number_columns_], sample_weight=sample_weight)
        self.model_ = LogisticRegression(C=self.C, max_iter=self.max_iter)
        self.model_.fit(self._encode(frame), y, sample_weight=sample_weight)
        self.classes_ = self.model_.classes_
        self.n_iter_ = self.model_.n_iter_
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape ``(n_samples, n_classes)``."""
        check_is_fitted(self, "model_")
        X = check_predict_input(self, X)
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
        return self.model_.predict_proba(self._encode(frame))

    def _encode(self, frame: pd.DataFrame) -> np.ndarray:
        parts = []
        if self.text_columns_:
            parts.append(self.onehot_.transform(frame[self.text_columns_]))
        if self.number_columns_:
            parts.append(self.scaler_.transform(frame[self.number_columns_]))
        return np.hstack(parts)

    def predict(self, X: Any) -> np.ndarray:
        """Most probable class, shape ``(n_samples,)``."""
        check_is_fitted(self, "model_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class CatBoostCategorical(ClassifierMixin, BaseEstimator):
    """CatBoost that treats every non-numeric column as a native categorical feature.

    A thin wrapper: :class:`catboost.CatBoostClassifier` wants the categorical columns named
    up front, but re-sampling may hand it any frame, so they are found in ``fit``.

    Parameters
    ----------
    iterations, learning_rate, depth:
        CatBoost's boosting rounds, step size and tree depth.
    thread_count:
        CPU threads.
    random_seed:
        CatBoost's seed.

    Attributes
    ----------
    model_:
        The fitted :class:`catboost.CatBoostClassifier`.
    categorical_:
        Names (or positions) of the columns used as categorical.
    classes_:
        Class labels.
    """

    def __init__(
        self,
        iterations: int = 300,
        learning_rate: float = 0.08,
        depth: int = 6,
        thread_count: int = 1,
        random_seed: int = 0,
    ) -> None:
        self.iterations = iterations
        self.learning_rate = learning_rate
        self.depth = depth
        self.thread_count = thread_count
        self.random_seed = random_seed

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> CatBoostCategorical:
        """Fit CatBoost with the non-numeric columns as categorical features."""
        from catboost import CatBoostClassifier

        X, y = check_fit_input(self, X, y)
        check_two_classes(np.unique(y))
        sample_weight = check_sample_weight(sample_weight, len(y))
        self.categorical_ = (
            []
            if not isinstance(X, pd.DataFrame)
            else [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        )
        self.model_ = CatBoostClassifier(
            iterations=self.iterations,
            learning_rate=self.learning_rate,
            depth=self.depth,
            thread_count=self.thread_count,
            random_seed=self.random_seed,
            cat_features=self.categorical_ or None,
            verbose=0,
            allow_writing_files=False,  # no catboost_info/ folder in the working directory
        )
        self.model_.fit(X, y, sample_weight=sample_weight)
        self.classes_ = np.asarray(self.model_.classes_)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape ``(n_samples, n_classes)``."""
        check_is_fitted(self, "model_")
        return self.model_.predict_proba(check_predict_input(self, X))

    def predict(self, X: Any) -> np.ndarray:
        """Most probable class, shape ``(n_samples,)``."""
        check_is_fitted(self, "model_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def make_model(config: ModelConfig) -> Any:
    """Build an unfitted classifier from ``config``.

    Parameters
    ----------
    config:
        Model name and size. Every model finds categorical columns from their dtype.

    Examples
    --------
    >>> type(make_model(ModelConfig("lightgbm", iterations=10))).__name__
    'LGBMClassifier'
    """
    if config.name == "catboost":
        return CatBoostCategorical(
            iterations=config.iterations,
            learning_rate=config.learning_rate,
            depth=config.depth,
            thread_count=config.threads,
            random_seed=config.seed,
        )
    if config.name == "lightgbm":
        from lightgbm import LGBMClassifier

        return LGBMClassifier(
            n_estimators=config.iterations,
            learning_rate=config.learning_rate,
            num_leaves=2 ** (config.depth - 2) - 1,  # leaf-wise trees: fewer leaves than depth-wise
            min_child_samples=40,
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.8,
            n_jobs=config.threads,
            random_state=config.seed,
            verbose=-1,
        )
    if config.name == "logistic":
        return OneHotLogisticRegression()
    raise CastlabError(f"unknown model {config.name!r}", fix=f"choose from {', '.join(MODELS)}")
