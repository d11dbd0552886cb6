"""Tests of castlab.imbalance.model: the three classifiers on categorical frames."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from castlab.core.errors import CastlabError
from castlab.imbalance.model import MODELS, ModelConfig, make_model


@pytest.mark.parametrize("name", MODELS)
def test_models_learn_from_categorical_frames(shifted, name):
    train, test = shifted
    model = make_model(ModelConfig(name, iterations=40, threads=1))
    fitted = clone(model).fit(train.features, train.target)
    proba = fitted.predict_proba(test.features)
    assert proba.shape == (len(test.target), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    assert roc_auc_score(test.target, proba[:, 1]) > 0.75


@pytest.mark.parametrize("name", MODELS)
def test_models_use_sample_weight(shifted, name):
    train, test = shifted
    weight = np.where(train.target == 1, 5.0, 1.0)
    config = ModelConfig(name, iterations=40, threads=1)
    plain = make_model(config).fit(train.features, train.target)
    weighted = make_model(config).fit(train.features, train.target, sample_weight=weight)
    gain = weighted.predict_proba(test.features)[:, 1] - plain.predict_proba(test.features)[:, 1]
    assert gain.mean() > 0.05


def test_catboost_finds_categorical_columns(shifted):
    train, _ = shifted
    model = make_model(ModelConfig("catboost", iterations=5)).fit(train.features, train.target)
    assert model.categorical_ == ["group"]


def test_unseen_category_at_prediction(shifted):
    train, test = shifted
    frame = test.features.copy()
    frame["group"] = frame["group"].cat.add_categories(["zzz"])
    frame.loc[0, "group"] = "zzz"
    for name in MODELS:
        model = make_model(ModelConfig(name, iterations=10)).fit(train.features, train.target)
        assert np.isfinite(model.predict_proba(frame)).all()


def test_unknown_model():
    with pytest.raises(CastlabError, match="unknown model"):
        make_model(ModelConfig("xgboost"))


def test_catboost_wrapper_check_estimator():
    import warnings

    from sklearn.utils.estimator_checks import check_estimator

    from castlab.imbalance.model import CatBoostCategorical

    expected = {
        "check_sample_weight_equivalence_on_dense_data": "CatBoost's boosting does not treat "
        "weight 2 exactly like a repeated row",
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_estimator(CatBoostCategorical(iterations=5), expected_failed_checks=expected)
