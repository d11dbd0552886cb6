"""Grouped CV on generated locations: the model recovers the planted relation."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from castlab.airquality.data import Readings
from castlab.airquality.model import ModelConfig, PM25Regressor, add_date_features
from castlab.airquality.synthetic import NOISE_SD, PLANTED
from castlab.airquality.train import LocationModelConfig, evaluate, predict, train
from castlab.core.errors import CastlabError


@pytest.fixture(scope="module")
def run(planted, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    config = LocationModelConfig(model=ModelConfig(iterations=150, threads=1))
    evaluation, paths = train(planted, config, out, progress=False)
    return evaluation, paths


def test_model_recovers_the_planted_relation_on_unseen_locations(run):
    evaluation, _ = run
    metrics = evaluation.metrics.set_index("method")
    model_mae = metrics.loc["lightgbm", "mae"]
    assert model_mae < 1.6 * NOISE_SD * 0.8  # close to the noise floor (MAE of the noise)
    assert model_mae < 0.3 * metrics.loc["monthly climatology", "mae"]
    assert model_mae < metrics.loc["other locations, same time (IDW)", "mae"]
    assert metrics.loc["lightgbm", "r2"] > 0.9
    top = evaluation.importance["feature"].head(3).tolist()
    assert set(top) == set(PLANTED)
    noise = evaluation.importance.set_index("feature").loc["noise", "importance"]
    assert noise < 0.02
    assert 0.6 < metrics.loc["lightgbm", "coverage"] <= 1.0


def test_final_model_slope_matches_the_planted_coefficient(run, planted):
    _, paths = run
    model, _ = PM25Regressor.load(paths["model"])
    frame = add_date_features(planted.frame)
    middle = frame[frame["no2"].between(frame["no2"].quantile(0.3), frame["no2"].quantile(0.7))]
    shifted = middle.assign(no2=middle["no2"] + 5)
    slope = float(np.mean(model.predict(shifted) - model.predict(middle))) / 5
    assert abs(slope - PLANTED["no2"]) < 0.3


def test_train_writes_every_output(run):
    evaluation, paths = run
    for key in ("metrics", "predictions", "per_location", "importance", "adversarial"):
        assert paths[key].exists()
    for key in ("metrics_png", "importance_png", "residuals_png"):
        assert paths[key].stat().st_size > 5_000
    config = json.loads((paths["model"] / "config.json").read_text())
    assert config["train"]["features"][:2] and config["rows"] == len(evaluation.predictions)
    assert len(evaluation.adversarial) == 8 and evaluation.adversarial["auc"].between(0, 1).all()
    folds = evaluation.predictions.groupby("location")["fold"].nunique()
    assert folds.eq(1).all()  # each location is predicted by exactly one held-out fold


def test_predict_on_new_rows(run, planted):
    _, paths = run
    table = predict(paths["model"], planted)
    assert {"predicted_pm25", "low", "high"} <= set(table.columns)
    assert np.mean(np.abs(table["predicted_pm25"] - table["pm25"])) < 2.0
    inside = (table["low"] <= table["pm25"]) & (table["pm25"] <= table["high"])
    assert inside.mean() > 0.85  # widened by the conformal margin from the CV residuals
    config = json.loads((paths["model"] / "config.json").read_text())
    assert np.isfinite(config["interval_margin"])
    lacking = Readings(planted.frame.drop(columns=["no2"]), source="sites.csv")
    with pytest.raises(
        CastlabError, match=r"sites.csv:1: the table lacks the model's features: no2"
    ):
        predict(paths["model"], lacking)


def test_predict_says_when_the_rows_are_another_time_step_than_the_models(run, planted):
    """A model of daily rows given hourly ones (Beijing's hourly files: its interval covered
    77% of hourly readings against 99% of daily means) says so; daily rows say nothing."""
    _, paths = run
    assert json.loads((paths["model"] / "config.json").read_text())["time_step"] == "day"
    notes: list[str] = []
    predict(paths["model"], planted, report=notes.append)
    assert notes == []
    hourly = planted.frame.assign(date=planted.frame["date"].dt.normalize())
    hourly["date"] += pd.to_timedelta(hourly.groupby("location").cumcount(), unit="h")
    predict(paths["model"], Readings(hourly), report=notes.append)
    assert len(notes) == 1 and "learnt from daily rows" in notes[0] and "--freq D" in notes[0]


def test_group_kfold_and_feature_choice(planted):
    config = LocationModelConfig(
        model=ModelConfig(iterations=30, interval=0),
        features=("no2", "wind_speed"),
        date_features=False,
        n_folds=3,
        baselines=False,
        adversarial=False,
    )
    evaluation = evaluate(planted, config, progress=False)
    assert evaluation.features == ["no2", "wind_speed"]
    assert evaluation.predictions["fold"].nunique() == 3
    assert list(evaluation.metrics["method"]) == ["lightgbm"]


def test_bad_features_and_single_location(planted):
    with pytest.raises(CastlabError, match="no feature column nope"):
        evaluate(planted, LocationModelConfig(features=("nope",)), progress=False)
    one = Readings(planted.frame[planted.frame["location"] == planted.locations[0]])
    with pytest.raises(CastlabError, match="need 2 or more"):
        evaluate(one, LocationModelConfig(), progress=False)


def test_drop_names_a_column_or_fails(planted):
    from castlab.airquality.train import feature_columns

    kept = feature_columns(planted, LocationModelConfig(drop=("no2", "month")))
    assert "no2" not in kept and "month" not in kept and "co" in kept
    # a typo or the raw file's capitals would keep a leaky column in without a word
    with pytest.raises(CastlabError, match=r"no column NO2 to drop.*NO2 -> no2"):
        feature_columns(planted, LocationModelConfig(drop=("NO2",)))
    with pytest.raises(CastlabError, match="no column pm_10 to drop"):
        feature_columns(planted, LocationModelConfig(drop=("pm_10",)))


def test_neighbour_feature_model_and_prediction_for_a_site_without_readings(planted, tmp_path):
    config = LocationModelConfig(
        model=ModelConfig(iterations=40, interval=0), neighbours=True, adversarial=False
    )
    evaluation, paths = train(planted, config, tmp_path, progress=False)
    assert evaluation.metrics["method"].iloc[0] == "lightgbm + neighbours"
    assert "neighbour_pm25" in evaluation.features
    frame = planted.frame.copy()
    hidden = frame["location"] == planted.locations[0]
    truth = frame.loc[hidden, "pm25"].to_numpy()
    frame.loc[hidden, "pm25"] = np.nan  # the site to predict has no sensor
    table = predict(paths["model"], Readings(frame))
    assert np.isfinite(table["predicted_pm25"]).all()
    assert np.mean(np.abs(table.loc[hidden, "predicted_pm25"].to_numpy() - truth)) < 4


def test_neighbour_feature_never_uses_the_rows_own_location():
    from castlab.airquality.baselines import neighbour_feature

    frame = pd.DataFrame(
        {
            "location": ["A", "B", "C"],
            "date": pd.to_datetime(["2020-01-01"] * 3),
            "pm25": [10.0, 1000.0, 20.0],
        }
    )
    values = neighbour_feature(frame, frame)
    assert values.tolist() == [510.0, 15.0, 505.0]


def test_a_rerun_into_the_same_folder_leaves_no_stale_tables_or_model_files(planted, tmp_path):
    """A rerun without the adversarial check, or without intervals, kept the first run's
    adversarial.csv and low/high models beside the new ones; a user's own file stays."""
    first = LocationModelConfig(model=ModelConfig(iterations=20, threads=1), n_folds=2)
    train(planted, first, tmp_path, progress=False)
    assert (tmp_path / "adversarial.csv").exists() and (tmp_path / "model" / "low.txt").exists()
    (tmp_path / "notes.txt").write_text("mine")
    second = LocationModelConfig(
        model=ModelConfig(iterations=20, threads=1, interval=0), n_folds=2, adversarial=False
    )
    train(planted, second, tmp_path, progress=False)
    assert not (tmp_path / "adversarial.csv").exists()
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == ["config.json", "point.txt"]
    assert (tmp_path / "notes.txt").read_text() == "mine"
    predict(tmp_path / "model", planted)  # the folder is one consistent model


def test_a_model_folder_naming_other_parts_is_refused(run):
    import shutil

    folder = run[1]["model"].parent / "tampered"
    shutil.copytree(run[1]["model"], folder)
    config = json.loads((folder / "config.json").read_text())
    config["parts"] = ["point", "../../etc/hostname"]
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CastlabError, match="field 'parts' must name the point model"):
        PM25Regressor.load(folder)
    config["parts"] = ["point"]
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "point.txt").write_text("not a model")
    with pytest.raises(CastlabError, match="not a lightgbm model file"):
        PM25Regressor.load(folder)
