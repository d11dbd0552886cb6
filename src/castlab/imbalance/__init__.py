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

from castlab.core.exports import lazy_exports

# Names load on first use, so `castlab --help` (which imports .cli) stays free of
# scikit-learn, pandas and the boosting libraries.
__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
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
    },
)
