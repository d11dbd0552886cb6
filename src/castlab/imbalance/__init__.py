"""Class imbalance: strategies for an imbalanced training set scored on a re-balanced test set.

From the blog post "In Brief: Playing with Class Imbalance": a competition trained on
imbalanced data but scored log loss on a re-balanced test set. This package compares the
blog's strategies (nothing, under-sampling, SMOTE + under-sampling, sample weights) with
over-sampling, SMOTE, and prior-shift correction of the predicted probabilities, with a
known test balance or one estimated by EM from the unlabelled test features (Saerens,
Latinne & Decaestecker 2002).

Layers: :mod:`.data` (tables), :mod:`.model` (CatBoost, LightGBM, logistic),
:mod:`.strategies` and :mod:`.prior_shift` (scikit-learn wrappers), :mod:`.compare`
(cross-validation protocol), :mod:`.plots` (figures), :mod:`.cli` (commands).

Examples
--------
>>> from castlab.imbalance import generate_shifted_data, PriorShiftClassifier, make_model, ModelConfig
>>> train, test = generate_shifted_data(n_train=1000, n_test=1000, train_prior=0.1, test_prior=0.4)
>>> model = PriorShiftClassifier(make_model(ModelConfig("logistic"))).fit(train.features, train.target)
>>> estimate = model.estimate_test_prior(test.features).test_prior_[1]
>>> bool(abs(estimate - 0.4) < 0.05)
True
"""

from __future__ import annotations

import importlib
from typing import Any

# Names load on first use, so `castlab --help` (which imports .cli) stays free of
# scikit-learn, pandas and the boosting libraries.
_WHERE = {
    "CompareConfig": "compare",
    "CompareResult": "compare",
    "compare_strategies": "compare",
    "ImbalanceData": "data",
    "generate_shifted_data": "synthetic",
    "load_table": "data",
    "ModelConfig": "model",
    "make_model": "model",
    "PriorShiftClassifier": "prior_shift",
    "adjust_to_prior": "prior_shift",
    "estimate_prior_em": "prior_shift",
    "STRATEGIES": "strategies",
    "ResampledClassifier": "strategies",
    "WeightedClassifier": "strategies",
    "make_strategy": "strategies",
}

__all__ = [
    "STRATEGIES",
    "CompareConfig",
    "CompareResult",
    "ImbalanceData",
    "ModelConfig",
    "PriorShiftClassifier",
    "ResampledClassifier",
    "WeightedClassifier",
    "adjust_to_prior",
    "compare_strategies",
    "estimate_prior_em",
    "generate_shifted_data",
    "load_table",
    "make_model",
    "make_strategy",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'castlab.imbalance' has no attribute {name!r}")
    return getattr(importlib.import_module(f"castlab.imbalance.{_WHERE[name]}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
