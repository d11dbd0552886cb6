"""Input checks shared by the imbalance wrappers (scikit-learn's contract, pandas-friendly).

A pandas DataFrame passes through unchanged, so categorical columns reach CatBoost and
LightGBM as categories; anything else is checked and converted like any scikit-learn input.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_consistent_length, column_or_1d, validate_data

__all__ = [
    "check_fit_input",
    "check_predict_input",
    "check_sample_weight",
    "check_two_classes",
]


def check_fit_input(estimator: Any, X: Any, y: Any) -> tuple[Any, np.ndarray]:
    """Validate ``X, y`` for ``fit``; set ``n_features_in_`` (and ``feature_names_in_``).

    Returns ``X`` (a DataFrame as given, otherwise a numeric array) and ``y`` as 1-D array.
    """
    if isinstance(X, pd.DataFrame):
        validate_data(estimator, X, skip_check_array=True)
        if y is None:
            raise ValueError(
                f"{type(estimator).__name__} requires y to be passed, but the target y is None"
            )
        if len(X) == 0:
            raise ValueError("Found array with 0 sample(s) while a minimum of 1 is required.")
        y = column_or_1d(y, warn=True)
        check_consistent_length(X, y)
    else:
        X, y = validate_data(estimator, X, y)
    check_classification_targets(y)
    return X, np.asarray(y)


def check_predict_input(estimator: Any, X: Any) -> Any:
    """Validate ``X`` for prediction against what ``fit`` saw; return it (DataFrame kept)."""
    if isinstance(X, pd.DataFrame):
        validate_data(estimator, X, reset=False, skip_check_array=True)
        return X
    return validate_data(estimator, X, reset=False)


def check_sample_weight(sample_weight: Any, n_samples: int) -> np.ndarray | None:
    """Return ``sample_weight`` as a float array of shape ``(n_samples,)`` (or ``None``)."""
    if sample_weight is None:
        return None
    weight = np.asarray(sample_weight, dtype=float)
    if weight.shape != (n_samples,):
        raise ValueError(f"sample_weight.shape == {weight.shape}, expected ({n_samples},)")
    if np.any(weight < 0) or not np.all(np.isfinite(weight)):
        raise ValueError("sample_weight must be finite and non-negative")
    if weight.sum() <= 0:
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return weight


def check_two_classes(classes: np.ndarray) -> None:
    """Refuse to fit on a single class, with the wording scikit-learn's checks expect."""
    if len(classes) < 2:
        raise ValueError(f"needs samples of at least 2 classes; got 1 class ({classes[0]!r})")
