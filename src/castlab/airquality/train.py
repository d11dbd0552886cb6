"""Fit and score PM2.5 models for unseen locations: grouped CV, baselines, intervals, saving.

:func:`evaluate` runs location-grouped cross-validation of the model and the baselines and
returns every score; :func:`train` does that, fits the final model on all rows and writes
the model folder with tables and figures; :func:`predict` applies a saved model.

Examples
--------
>>> from castlab.airquality.synthetic import generate_locations
>>> readings = generate_locations(n_locations=5, n_days=60, seed=0)
>>> config = LocationModelConfig(model=ModelConfig(iterations=40, threads=1), adversarial=False)
>>> result = evaluate(readings, config, progress=False)
>>> list(result.metrics["method"])
['lightgbm', 'global mean', 'monthly climatology', 'other locations, same time (IDW)']
>>> bool(result.metrics.set_index("method").loc["lightgbm", "mae"] < 4)
True
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from castlab.airquality.baselines import BASELINES, neighbour_feature, scores
from castlab.airquality.data import Readings
from castlab.airquality.model import ModelConfig, PM25Regressor, add_date_features
from castlab.airquality.validation import adversarial_auc, location_folds, time_varying
from castlab.core.artifacts import record_outputs, write_json, write_text
from castlab.core.errors import CastlabError

__all__ = [
    "Evaluation",
    "LocationModelConfig",
    "evaluate",
    "interval_margin",
    "notes",
    "predict",
    "save_evaluation",
    "train",
]

_BOOKKEEPING = {"pm25", "n_readings"}
NEIGHBOUR = "neighbour_pm25"  # the feature added by LocationModelConfig.neighbours


@dataclass(frozen=True)
class LocationModelConfig:
    """What to fit and how to score it."""

    model: ModelConfig = field(default_factory=ModelConfig)
    features: tuple[str, ...] = ()  # feature columns; empty = every numeric column
    drop: tuple[str, ...] = ()  # columns never used as features (e.g. pm10, a near-copy)
    date_features: bool = True  # add year, month, day of year (and hour for hourly data)
    n_folds: int = 0  # 0 = leave one location out; k = k location groups
    baselines: bool = True
    adversarial: bool = True  # adversarial-validation AUC per fold
    # add "neighbour_pm25", the same-time IDW mean of the other locations' readings, as a
    # feature: for places near a sensor network (computed inside each fold, no leakage)
    neighbours: bool = False
    seed: int = 0


@dataclass
class Evaluation:
    """Out-of-location scores of the model and the baselines."""

    metrics: pd.DataFrame  # one row per method: mae, rmse, r2, n (+ coverage, width)
    predictions: pd.DataFrame  # location, date, pm25, fold, one column per method, low, high
    per_location: pd.DataFrame  # MAE of each method per location
    adversarial: pd.DataFrame  # fold, held_out, auc
    importance: pd.DataFrame  # feature, importance (mean share of gain over folds)
    features: list[str]
    seconds: float


def feature_columns(readings: Readings, config: LocationModelConfig) -> list[str]:
    """The model's input columns (checked to exist and be numeric)."""
    frame = readings.frame
    added = ("year", "month", "day_of_year", "hour", NEIGHBOUR)  # features made here
    unknown = [d for d in config.drop if d not in frame.columns and d not in added]
    if unknown:  # a typo here would keep a leaky column in silently
        lower = {c.lower(): c for c in frame.columns}
        hints = [f"{d} -> {lower[d.lower()]}" for d in unknown if d.lower() in lower]
        raise CastlabError(
            f"no column {', '.join(unknown)} to drop (columns: {', '.join(frame.columns)})",
            path=readings.source or None,
            fix=f"use the table's names ({'; '.join(hints)})"
            if hints
            else "name existing columns with --drop",
        )
    if config.features:
        missing = [f for f in config.features if f not in frame.columns]
        if missing:
            raise CastlabError(
                f"no feature column {', '.join(missing)} (columns: {', '.join(frame.columns)})",
                path=readings.source or None,
                fix="name existing columns with --feature",
            )
        chosen = list(config.features)
    else:
        chosen = [f for f in readings.features if f not in config.drop]
    if config.date_features:
        chosen += [f for f in ("year", "month", "day_of_year") if f not in chosen]
        if (frame["date"].dt.hour != 0).any() and "hour" not in chosen:
            chosen.append("hour")
    if config.neighbours and NEIGHBOUR not in chosen:
        chosen.append(NEIGHBOUR)
    return [f for f in chosen if f not in _BOOKKEEPING and f not in config.drop]


def _labelled(readings: Readings, config: LocationModelConfig) -> tuple[pd.DataFrame, list[str]]:
    frame = readings.frame
    frame = frame[np.isfinite(frame["pm25"].to_numpy(dtype=float))].reset_index(drop=True)
    if frame["location"].nunique() < 2:
        raise CastlabError(
            f"{frame['location'].nunique()} location with PM2.5 readings; need 2 or more",
            path=readings.source or None,
            fix="location-grouped validation needs several locations",
        )
    if config.date_features:
        frame = add_date_features(frame)
    return frame, feature_columns(readings, config)


def _baseline_name(name: str, frame: pd.DataFrame) -> str:
    if name.startswith("other") and frame[["latitude", "longitude"]].notna().all().all():
        return f"{name} (IDW)"
    return name


def evaluate(
    readings: Readings,
    config: LocationModelConfig = LocationModelConfig(),
    *,
    progress: bool = True,
) -> Evaluation:
    """Location-grouped CV of the model and baselines on the rows that have PM2.5."""
    from tqdm.auto import tqdm

    start = time.perf_counter()
    frame, features = _labelled(readings, config)
    groups = frame["location"].to_numpy()
    name = config.model.kind + (" + neighbours" if config.neighbours else "")
    preds = frame[["location", "date", "pm25"]].copy()
    preds["fold"] = -1
    for column in (name, "low", "high"):
        preds[column] = np.nan
    baseline_names = {b: _baseline_name(b, frame) for b in BASELINES} if config.baselines else {}
    for column in baseline_names.values():
        preds[column] = np.nan
    drift_features = time_varying(frame, [f for f in features if f != NEIGHBOUR])
    adversarial, importance = [], []
    folds = list(location_folds(groups, n_folds=config.n_folds, seed=config.seed))
    for k, (train_rows, test_rows) in enumerate(tqdm(folds, desc="folds", disable=not progress)):
        train_part, test_part = frame.iloc[train_rows], frame.iloc[test_rows]
        if config.neighbours:  # from training locations only, never a row's own location
            train_part = train_part.assign(**{NEIGHBOUR: neighbour_feature(train_part, train_part)})
            test_part = test_part.assign(**{NEIGHBOUR: neighbour_feature(test_part, train_part)})
        model = PM25Regressor(config.model).fit(train_part[features], train_part["pm25"])
        preds.loc[test_rows, "fold"] = k
        preds.loc[test_rows, name] = model.predict(test_part[features])
        if config.model.interval > 0:
            low, high = model.predict_interval(test_part[features])
            preds.loc[test_rows, "low"], preds.loc[test_rows, "high"] = low, high
        importance.append(model.importance())
        for baseline, column in baseline_names.items():
            preds.loc[test_rows, column] = BASELINES[baseline](train_part, test_part)
        if config.adversarial:
            held = ", ".join(sorted(test_part["location"].unique()))
            is_test = np.zeros(len(frame), dtype=bool)
            is_test[test_rows] = True
            auc = adversarial_auc(frame[drift_features], is_test, seed=config.seed)
            adversarial.append({"fold": k, "held_out": held, "auc": auc})
    methods = [name, *baseline_names.values()]
    truth = preds["pm25"].to_numpy(dtype=float)
    rows = []
    for method in methods:
        row = {"method": method, **scores(truth, preds[method].to_numpy(dtype=float))}
        rows.append(row)
    metrics = pd.DataFrame(rows)
    if config.model.interval > 0:
        inside = (preds["low"] <= preds["pm25"]) & (preds["pm25"] <= preds["high"])
        metrics["coverage"] = [float(inside.mean()), *[np.nan] * len(baseline_names)]
        metrics["width"] = [float((preds["high"] - preds["low"]).mean())] + [np.nan] * len(
            baseline_names
        )
    per_location = preds.groupby("location")[methods].agg(
        lambda column: float(np.nanmean(np.abs(column - preds.loc[column.index, "pm25"])))
    )
    mean_importance = pd.concat(importance, axis=1).mean(axis=1).sort_values(ascending=False)
    return Evaluation(
        metrics=metrics,
        predictions=preds,
        per_location=per_location.reset_index(),
        adversarial=pd.DataFrame(adversarial, columns=["fold", "held_out", "auc"]),
        importance=mean_importance.rename_axis("feature").reset_index(name="importance"),
        features=features,
        seconds=time.perf_counter() - start,
    )


def save_evaluation(evaluation: Evaluation, out: str | Path, *, title: str = "") -> dict[str, Path]:
    """Write the tables (CSV) and figures (PNG) of an evaluation into ``out``."""
    from castlab.airquality import plots

    out = Path(out)
    paths = {
        "metrics": write_text(out / "metrics.csv", evaluation.metrics.to_csv(index=False)),
        "predictions": write_text(
            out / "cv_predictions.csv", evaluation.predictions.to_csv(index=False)
        ),
        "per_location": write_text(
            out / "per_location_mae.csv", evaluation.per_location.to_csv(index=False)
        ),
        "importance": write_text(out / "importance.csv", evaluation.importance.to_csv(index=False)),
    }
    if len(evaluation.adversarial):
        paths["adversarial"] = write_text(
            out / "adversarial.csv", evaluation.adversarial.to_csv(index=False)
        )
    paths["metrics_png"] = plots.plot_metrics(evaluation.metrics, out / "metrics.png", title=title)
    paths["importance_png"] = plots.plot_importance(evaluation.importance, out / "importance.png")
    paths["residuals_png"] = plots.plot_residuals(
        evaluation.predictions, evaluation.metrics["method"].iloc[0], out / "residuals.png"
    )
    return paths


def notes(evaluation: Evaluation, interval: float) -> list[str]:
    """What the score table does not say by itself: units, what its coverage is (the raw
    quantile interval's, before the conformal margin ``predict`` adds) and which baselines
    beat the model.

    Examples
    --------
    >>> metrics = pd.DataFrame({"method": ["lightgbm", "same_time"], "mae": [13.1, 10.8]})
    >>> predictions = pd.DataFrame({"pm25": [10.0], "low": [5.0], "high": [15.0]})
    >>> notes(Evaluation(metrics, predictions, *[pd.DataFrame()] * 3, [], 0.0), 0.9)[-1]
    'note: same_time has a lower MAE than lightgbm (10.8 vs 13.1): the model does not beat this baseline on these places'
    """
    measures = "mae, rmse and width" if "width" in evaluation.metrics else "mae and rmse"
    said = [f"{measures} in the PM2.5 column's unit (ug/m3 for the usual data)"]
    if interval > 0 and "coverage" in evaluation.metrics:
        margin = interval_margin(evaluation.predictions, interval)
        coverage = float(evaluation.metrics["coverage"].iloc[0])
        said.append(
            f"coverage {coverage:.3f}: held-out readings inside the model's raw {interval:.0%} "
            f"quantile interval; predict {'widens' if margin >= 0 else 'narrows'} it by "
            f"{abs(margin):.2f} on each side (conformal margin from these held-out "
            f"predictions) so that {interval:.0%} of them fall inside"
        )
    model, mae = evaluation.metrics["method"].iloc[0], evaluation.metrics["mae"].iloc[0]
    for _, row in evaluation.metrics.iloc[1:].iterrows():
        if row["mae"] < mae:
            said.append(
                f"note: {row['method']} has a lower MAE than {model} ({row['mae']:.1f} vs "
                f"{mae:.1f}): the model does not beat this baseline on these places"
            )
    return said


def interval_margin(predictions: pd.DataFrame, interval: float) -> float:
    """How much to widen the quantile interval so it covers ``interval`` of the held-out
    rows (conformalized quantile regression on the out-of-location CV predictions).

    Examples
    --------
    >>> p = pd.DataFrame({"pm25": [1.0, 5, 9, 20], "low": [0.0, 4, 8, 9], "high": [2.0, 6, 10, 11]})
    >>> interval_margin(p, 0.75)  # 4 rows: 75% (finite-sample corrected) needs the largest
    9.0
    """
    if interval <= 0 or "low" not in predictions or predictions["low"].isna().all():
        return 0.0
    excess = np.maximum(
        predictions["low"] - predictions["pm25"], predictions["pm25"] - predictions["high"]
    )
    excess = excess.dropna().to_numpy(dtype=float)
    level = min(1.0, np.ceil((len(excess) + 1) * interval) / len(excess))
    return float(np.quantile(excess, level, method="higher"))


def train(
    readings: Readings, config: LocationModelConfig, out: str | Path, *, progress: bool = True
) -> tuple[Evaluation, dict[str, Path]]:
    """Evaluate with grouped CV, fit on every labelled row, save model + tables + figures."""
    out = Path(out)
    evaluation = evaluate(readings, config, progress=progress)
    frame, features = _labelled(readings, config)
    if config.neighbours:
        frame[NEIGHBOUR] = neighbour_feature(frame, frame)
    model = PM25Regressor(config.model).fit(frame[features], frame["pm25"])
    extra = {
        "train": asdict(replace(config, features=tuple(features))),
        "rows": len(frame),
        "time_step": readings.time_step,  # predict says when its rows are another step
        "locations": sorted(frame["location"].unique()),
        "cv_metrics": evaluation.metrics.to_dict(orient="records"),
        "cv_seconds": evaluation.seconds,
        "interval_margin": interval_margin(evaluation.predictions, config.model.interval),
    }
    model.save(out / "model", extra=extra)
    paths = save_evaluation(evaluation, out, title=f"{readings.source or 'table'}")
    paths["model"] = out / "model"
    paths["config"] = write_json(out / "train_config.json", config)
    record_outputs(out, "airquality train", paths.values())  # a rerun's stale tables go
    return evaluation, paths


def predict(
    model_dir: str | Path, readings: Readings, *, report: Callable[[str], None] | None = None
) -> pd.DataFrame:
    """Predict PM2.5 (and the interval, when saved) for every row of ``readings``.

    A model trained with ``neighbours`` takes ``neighbour_pm25`` from the table's own PM2.5
    readings at the other locations (rows without PM2.5 are the places to predict).
    ``report`` is told when the rows are another time step than the model learnt from
    (e.g. hourly rows for a model of daily means: its numbers and interval are for days)."""
    model, config = PM25Regressor.load(model_dir)
    learnt, given = config.get("time_step"), readings.time_step
    if report is not None and learnt and given and learnt != given:
        flag = {"day": "D", "hour": "h"}.get(learnt)  # prepare/predict --freq
        average = f"--freq {flag} to average these rows per {learnt}, " if flag else ""
        report(
            f"note: the model learnt from {_every(learnt)} rows per location, these are "
            f"{_every(given)}: its predictions and interval are for {_every(learnt)} values "
            f"(fix: {average}or train on rows like these)"
        )
    frame = readings.frame
    train_config = config.get("train", {})
    if train_config.get("date_features", True):  # a table of midnight readings still has hours
        frame = add_date_features(frame, hour="hour" in model.features_)
    if NEIGHBOUR in model.features_ and NEIGHBOUR not in frame:
        frame = frame.assign(**{NEIGHBOUR: neighbour_feature(frame, frame)})
    missing = [f for f in model.features_ if f not in frame.columns]
    if missing:  # said here, where the table's name is known
        raise CastlabError(
            f"the table lacks the model's features: {', '.join(missing)}",
            path=readings.source or None,
            line=1,
            fix="add these columns (the ones the model was trained on)",
        )
    out = readings.frame[["location", "name", "date", "latitude", "longitude"]].copy()
    out["predicted_pm25"] = model.predict(frame)
    if "low" in model.models_:
        low, high = model.predict_interval(frame)
        margin = float(config.get("interval_margin", 0.0))  # conformal widening from CV
        out["low"], out["high"] = np.maximum(low - margin, 0.0), high + margin
    if readings.frame["pm25"].notna().any():
        out["pm25"] = readings.frame["pm25"]
    return out


def _every(step: str) -> str:
    """``"day"`` -> ``"daily"``, ``"hour"`` -> ``"hourly"``, another span -> ``"<span>-apart"``."""
    return {"day": "daily", "hour": "hourly"}.get(step, f"{step}-apart")
