"""Gradient-boosted PM2.5 regressors with quantile prediction intervals, saved without pickle.

:class:`PM25Regressor` wraps a LightGBM or CatBoost point model plus two quantile models
(the interval's lower and upper bounds). It follows the scikit-learn contract: ``__init__``
stores the config, ``fit`` learns and returns ``self``, learned state ends in ``_``.
LightGBM models are saved in LightGBM's own text format, CatBoost models in its ``.cbm``
format, the rest as JSON; nothing is ever pickled.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
>>> y = 20 + 5 * X["a"] + rng.normal(scale=0.5, size=400)
>>> model = PM25Regressor(ModelConfig(iterations=60, threads=1)).fit(X, y)
>>> low, high = model.predict_interval(X)
>>> bool(np.mean((low <= y) & (y <= high)) > 0.7), model.importance().index[0]
(True, 'a')
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from castlab.core.artifacts import atomic_write, read_json, write_json
from castlab.core.errors import CastlabError, first_line

__all__ = ["MODELS", "ModelConfig", "PM25Regressor", "add_date_features"]

MODELS = ("lightgbm", "catboost")


@dataclass(frozen=True)
class ModelConfig:
    """How to fit the regressor."""

    kind: str = "lightgbm"  # lightgbm | catboost
    iterations: int = 300  # boosting rounds
    learning_rate: float = 0.05
    num_leaves: int = 31  # LightGBM leaves per tree
    depth: int = 6  # CatBoost tree depth
    min_child_samples: int = 20  # LightGBM: smallest leaf
    interval: float = 0.9  # central prediction interval from quantile models; 0 = none
    threads: int = 1  # more only for big tables: OpenMP threads crawl on a busy machine
    seed: int = 0


def add_date_features(frame: pd.DataFrame, *, hour: bool | None = None) -> pd.DataFrame:
    """Columns ``year`` (fractional), ``month``, ``day_of_year`` and, for sub-daily data, ``hour``
    (``hour=True``: always, as for a model trained on hourly data; ``False``: never).

    Examples
    --------
    >>> f = pd.DataFrame({"date": pd.to_datetime(["2020-07-01"])})
    >>> add_date_features(f)[["month", "day_of_year"]].values.tolist()
    [[7, 183]]
    """
    date = frame["date"]
    out = frame.assign(
        year=date.dt.year + (date.dt.dayofyear - 1) / 366.0,
        month=date.dt.month,
        day_of_year=date.dt.dayofyear,
    )
    if hour or (hour is None and (date.dt.hour != 0).any()):
        out["hour"] = date.dt.hour
    return out


#: the models of a saved folder: the point model and the interval's two quantile models
PARTS = ("point", "low", "high")


class PM25Regressor:
    """A boosted-tree point model plus lower/upper quantile models for intervals."""

    def __init__(self, config: ModelConfig = ModelConfig()) -> None:
        self.config = config

    # --- fitting -----------------------------------------------------------------------
    def _quantiles(self) -> dict[str, float | None]:
        tail = (1 - self.config.interval) / 2
        bounds: dict[str, float | None] = {"point": None}
        if self.config.interval > 0:
            bounds.update(low=tail, high=1 - tail)
        return bounds

    def _fit_one(self, X: pd.DataFrame, y: np.ndarray, alpha: float | None):  # type: ignore[no-untyped-def]
        c = self.config
        if c.kind == "lightgbm":
            import lightgbm as lgb

            params = {
                "objective": "regression" if alpha is None else "quantile",
                "learning_rate": c.learning_rate,
                "num_leaves": c.num_leaves,
                "min_child_samples": c.min_child_samples,
                "num_threads": c.threads,
                "seed": c.seed,
                "verbose": -1,
            }
            if alpha is not None:
                params["alpha"] = alpha
            return lgb.train(params, lgb.Dataset(X, y), num_boost_round=c.iterations)
        if c.kind == "catboost":
            from catboost import CatBoostRegressor

            loss = "RMSE" if alpha is None else f"Quantile:alpha={alpha}"
            model = CatBoostRegressor(
                iterations=c.iterations,
                learning_rate=c.learning_rate,
                depth=c.depth,
                loss_function=loss,
                thread_count=c.threads,
                random_seed=c.seed,
                verbose=False,
                allow_writing_files=False,
            )
            return model.fit(X, y)
        raise CastlabError(f"unknown model {c.kind!r}", fix=f"choose from {', '.join(MODELS)}")

    def fit(self, X: pd.DataFrame, y: pd.Series | np.ndarray) -> PM25Regressor:
        """Fit the point model and (if ``interval > 0``) the two quantile models."""
        y = np.asarray(y, dtype=float)
        if len(y) < 2 or not np.isfinite(y).all():
            raise CastlabError(
                f"need at least 2 finite target values, got {np.isfinite(y).sum()} of {len(y)}",
                fix="drop rows without PM2.5 before fitting",
            )
        self.features_ = [str(c) for c in X.columns]
        self.models_ = {name: self._fit_one(X, y, a) for name, a in self._quantiles().items()}
        return self

    # --- prediction --------------------------------------------------------------------
    def _check(self, X: pd.DataFrame) -> pd.DataFrame:
        missing = [f for f in self.features_ if f not in X.columns]
        if missing:
            raise CastlabError(
                f"the table lacks the model's features: {', '.join(missing)}",
                fix="give the same feature columns the model was trained on",
            )
        return X[self.features_]

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Predicted PM2.5, shape ``(n,)``."""
        return np.asarray(self.models_["point"].predict(self._check(X)), dtype=float)

    def predict_interval(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of the central ``interval`` (each ``(n,)``), sorted."""
        if "low" not in self.models_:
            raise CastlabError("this model has no interval", fix="train with --interval 0.9")
        X = self._check(X)
        low = np.asarray(self.models_["low"].predict(X), dtype=float)
        high = np.asarray(self.models_["high"].predict(X), dtype=float)
        return np.minimum(low, high), np.maximum(low, high)

    def importance(self) -> pd.Series:
        """Feature importance of the point model (share of total gain), largest first."""
        model = self.models_["point"]
        if self.config.kind == "lightgbm":
            values = np.asarray(model.feature_importance(importance_type="gain"), dtype=float)
        else:
            values = np.asarray(model.get_feature_importance(), dtype=float)
        values = values / values.sum() if values.sum() > 0 else values
        return pd.Series(values, index=self.features_, name="importance").sort_values(
            ascending=False
        )

    # --- saving ------------------------------------------------------------------------
    def save(self, directory: str | Path, extra: dict | None = None) -> Path:
        """Write each model (LightGBM text / CatBoost cbm) and ``config.json`` to ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        suffix = "txt" if self.config.kind == "lightgbm" else "cbm"
        for name, model in self.models_.items():
            target = directory / f"{name}.{suffix}"
            if self.config.kind == "lightgbm":
                with atomic_write(target) as handle:
                    handle.write(model.model_to_string())
            else:
                tmp = directory / f".{name}.tmp"
                model.save_model(str(tmp), format="cbm")
                tmp.replace(target)
        config = {
            "model": asdict(self.config),
            "features": self.features_,
            "parts": sorted(self.models_),
            **(extra or {}),
        }
        write_json(directory / "config.json", config)
        for part in PARTS:  # a model saved here before with other parts or another kind
            for old in (directory / f"{part}.txt", directory / f"{part}.cbm"):
                if part not in self.models_ or old.suffix != f".{suffix}":
                    old.unlink(missing_ok=True)
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> tuple[PM25Regressor, dict]:
        """Load a folder written by :meth:`save`; returns the model and its whole config."""
        directory = Path(directory)
        config = read_json(directory / "config.json")
        try:
            model = cls(ModelConfig(**config["model"]))
            model.features_ = list(config["features"])
            parts = list(config["parts"])
        except (KeyError, TypeError) as error:
            raise CastlabError(
                f"config.json is not an airquality model config ({error})",
                path=directory / "config.json",
                fix="pass a folder written by castlab airquality train",
            ) from None
        if "point" not in parts or not set(parts) <= set(PARTS):  # names become file names
            raise CastlabError(
                f"field 'parts' must name the point model and any of {', '.join(PARTS[1:])}, "
                f"not {parts!r}"[:200],
                path=directory / "config.json",
                fix="pass a folder written by castlab airquality train",
            )
        model.models_ = {}
        suffix = "txt" if model.config.kind == "lightgbm" else "cbm"
        for name in parts:
            path = directory / f"{name}.{suffix}"
            if not path.is_file():  # missing, or a link to a device that never ends
                raise CastlabError("model file missing", path=path, fix="retrain the model")
            try:
                if model.config.kind == "lightgbm":
                    import lightgbm as lgb

                    model.models_[name] = lgb.Booster(model_file=str(path))
                else:
                    from catboost import CatBoostRegressor

                    model.models_[name] = CatBoostRegressor().load_model(str(path), format="cbm")
            except Exception as error:  # LightGBMError, CatBoostError: the file is not a model
                raise CastlabError(
                    f"not a {model.config.kind} model file ({first_line(error)})",
                    path=path,
                    fix="retrain the model; its files were damaged or replaced",
                ) from None
        return model, config
