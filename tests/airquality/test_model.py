"""The regressor: fit, intervals, importance, safe saving for LightGBM and CatBoost."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from castlab.airquality.model import ModelConfig, PM25Regressor
from castlab.core.errors import CastlabError


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=600), "b": rng.normal(size=600)})
    y = 30 + 6 * X["a"] + rng.normal(scale=1.0, size=600)
    return X, y


@pytest.mark.parametrize("kind", ["lightgbm", "catboost"])
def test_fit_save_load_roundtrip(kind, data, tmp_path):
    X, y = data
    model = PM25Regressor(ModelConfig(kind=kind, iterations=80, learning_rate=0.1)).fit(X, y)
    assert np.mean(np.abs(model.predict(X) - y)) < 2.0
    assert model.importance().index[0] == "a"
    low, high = model.predict_interval(X)
    assert 0.7 < np.mean((low <= y) & (y <= high)) <= 1.0
    folder = model.save(tmp_path / kind, extra={"note": "x"})
    names = sorted(p.name for p in folder.iterdir())
    suffix = "txt" if kind == "lightgbm" else "cbm"
    assert names == ["config.json", f"high.{suffix}", f"low.{suffix}", f"point.{suffix}"]
    loaded, config = PM25Regressor.load(folder)
    assert config["note"] == "x"
    assert np.allclose(loaded.predict(X), model.predict(X))
    assert np.allclose(loaded.predict_interval(X)[0], low)


def test_without_interval_and_missing_features(data):
    X, y = data
    model = PM25Regressor(ModelConfig(iterations=20, interval=0)).fit(X, y)
    with pytest.raises(CastlabError, match="no interval"):
        model.predict_interval(X)
    with pytest.raises(CastlabError, match="lacks the model's features: b"):
        model.predict(X[["a"]])


def test_bad_targets_and_kind(data):
    X, y = data
    with pytest.raises(CastlabError, match="finite target"):
        PM25Regressor(ModelConfig(iterations=5)).fit(X, y.where(y > 30))
    with pytest.raises(CastlabError, match="unknown model"):
        PM25Regressor(ModelConfig(kind="xgboost")).fit(X, y)


def test_load_rejects_other_folders(tmp_path):
    (tmp_path / "config.json").write_text('{"hello": 1}')
    with pytest.raises(CastlabError, match="not an airquality model config"):
        PM25Regressor.load(tmp_path)
    with pytest.raises(CastlabError, match="file not found"):
        PM25Regressor.load(tmp_path / "missing")


def test_hour_is_added_when_the_model_needs_it_even_at_midnight():
    """A model trained on hourly data lists 'hour'; a table of midnight readings has no
    non-zero hour, and was refused for lacking it."""
    from castlab.airquality.model import add_date_features

    midnight = pd.DataFrame({"date": pd.to_datetime(["2020-07-01", "2020-07-02"])})
    assert "hour" not in add_date_features(midnight)
    assert add_date_features(midnight, hour=True)["hour"].tolist() == [0, 0]
    hourly = pd.DataFrame({"date": pd.to_datetime(["2020-07-01 05:00"])})
    assert "hour" not in add_date_features(hourly, hour=False)
