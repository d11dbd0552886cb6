"""Compare imbalance strategies the way the competition scored them.

Protocol: repeated stratified K-fold on the training table. Each strategy is fitted on the
training part of a fold; the validation part is re-sampled (without replacement) to the
test class balance, as the competition organisers re-balanced their test set, and scored by
log loss (primary), ROC AUC and Brier score. Every strategy sees the same folds and the
same re-sampled validation rows. Results: one row per (strategy, fold) and a mean +- std
summary.

``none``, ``prior`` and ``prior_em`` share one fitted model per fold: the prior-shift
strategies only change its probabilities afterwards.

Examples
--------
>>> from castlab.imbalance.synthetic import generate_shifted_data
>>> train, _ = generate_shifted_data(n_train=600, n_test=10, train_prior=0.15)
>>> config = CompareConfig(strategies=("none", "prior"), model=ModelConfig("logistic"),
...                        n_splits=3, n_repeats=1, test_prior=0.5)
>>> result = compare_strategies(train, config)
>>> result.summary["strategy"].tolist()
['none', 'prior']
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import RepeatedStratifiedKFold

from castlab.core.artifacts import write_json, write_text
from castlab.core.errors import CastlabError, Fix
from castlab.imbalance.data import ImbalanceData, as_prior, resample_to_prior
from castlab.imbalance.model import ModelConfig, make_model
from castlab.imbalance.prior_shift import PriorShiftClassifier, estimate_prior_em
from castlab.imbalance.strategies import STRATEGIES, make_strategy

__all__ = [
    "CompareConfig",
    "CompareResult",
    "compare_strategies",
    "em_prior_errors",
    "estimate_unlabelled_prior",
    "save_comparison",
    "score_probabilities",
    "summarise",
]

_SHARED_FIT = ("none", "prior", "prior_em")


@dataclass(frozen=True)
class CompareConfig:
    """Settings of one comparison.

    Attributes
    ----------
    strategies:
        Strategy names from :data:`castlab.imbalance.strategies.STRATEGIES`.
    model:
        The classifier every strategy wraps.
    n_splits, n_repeats:
        Repeated stratified K-fold shape.
    test_prior:
        Class balance the validation folds are re-sampled to, and the known prior of the
        ``prior`` strategy: the positive share (binary) or one share per class.
        ``None`` keeps validation folds as they are (and disallows ``prior``).
    ratio:
        Re-sampling strategies' smallest-to-larger class size ratio (1.0 balances).
    smote_ratio:
        Minority-to-majority ratio after SMOTE in ``smote_under``.
    seed:
        Seed of the folds and of the re-sampling.
    """

    strategies: tuple[str, ...] = STRATEGIES
    model: ModelConfig = field(default_factory=ModelConfig)
    n_splits: int = 5
    n_repeats: int = 2
    test_prior: float | tuple[float, ...] | None = 0.5
    ratio: float = 1.0
    smote_ratio: float = 0.5
    seed: int = 0


@dataclass
class CompareResult:
    """What :func:`compare_strategies` measured.

    Attributes
    ----------
    folds:
        One row per (strategy, repeat, fold): ``log_loss``, ``roc_auc``, ``brier``,
        ``train_rows`` (rows the model was fitted on), ``seconds``; for ``prior_em`` also
        ``estimated_prior`` (the last class's estimated share).
    summary:
        One row per strategy: mean and std of each metric, in strategy order.
    predictions:
        strategy -> (true class codes, probabilities) pooled over all validation folds,
        for reliability plots.
    classes:
        Class names.
    """

    folds: pd.DataFrame
    summary: pd.DataFrame
    predictions: dict[str, tuple[np.ndarray, np.ndarray]]
    classes: tuple[str, ...]

    def em_warning(self, margin: float = 0.01) -> str | None:
        """A warning when ``prior_em``'s estimate ran to 0 or 1 in some fold: EM trusts the
        model's probabilities, and a poorly fitted model pushes it to the boundary."""
        if "estimated_prior" not in self.folds:
            return None
        estimates = self.folds["estimated_prior"].dropna()
        stuck = estimates[(estimates < margin) | (estimates > 1 - margin)]
        if stuck.empty:
            return None
        return (
            f"warning: prior_em's estimate of the {self.classes[-1]} share ran to the boundary "
            f"({', '.join(f'{v:.3f}' for v in stuck)}) in {len(stuck)} of {len(estimates)} "
            "folds: EM trusts the model's probabilities, so its rows mean little here; "
            "fit the model better (e.g. more --iterations)"
        )


def score_probabilities(y: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """Log loss, ROC AUC (one-vs-rest macro for multi-class) and Brier score.

    Examples
    --------
    >>> s = score_probabilities(np.array([0, 1]), np.array([[0.8, 0.2], [0.3, 0.7]]))
    >>> round(s["log_loss"], 4), s["roc_auc"], round(s["brier"], 3)
    (0.2899, 1.0, 0.065)
    """
    n_classes = proba.shape[1]
    labels = list(range(n_classes))
    proba = np.clip(proba, 1e-15, 1.0)
    proba = proba / proba.sum(axis=1, keepdims=True)
    if n_classes == 2:
        auc = roc_auc_score(y, proba[:, 1])
        brier = brier_score_loss(y, proba[:, 1])
    else:
        auc = roc_auc_score(y, proba, multi_class="ovr", labels=labels)
        brier = brier_score_loss(y, proba, labels=labels)
    return {
        "log_loss": float(log_loss(y, proba, labels=labels)),
        "roc_auc": float(auc),
        "brier": float(brier),
    }


def _folds(data: ImbalanceData, config: CompareConfig):
    splitter = RepeatedStratifiedKFold(
        n_splits=config.n_splits, n_repeats=config.n_repeats, random_state=config.seed
    )
    for index, (train_rows, val_rows) in enumerate(splitter.split(data.features, data.target)):
        yield index // config.n_splits, index % config.n_splits, train_rows, val_rows


def compare_strategies(
    data: ImbalanceData,
    config: CompareConfig,
    *,
    progress: Callable[[str], None] | None = None,
) -> CompareResult:
    """Run every strategy of ``config`` through the protocol on ``data``.

    Parameters
    ----------
    progress:
        Called with a short line after each fold (e.g. ``print``).
    """
    check_compare_config(config)
    n_classes = len(data.classes)
    prior = None if config.test_prior is None else _as_prior_for(config.test_prior, n_classes)
    counts = np.bincount(data.target, minlength=n_classes)
    if counts.min() < config.n_splits:
        fewest = int(counts.min())
        raise CastlabError(
            f"the rarest class has {fewest} rows, fewer than {config.n_splits} folds",
            fix=Fix("folds", "set", value=str(fewest), template="{}, or use more data")
            if fewest >= 2  # K-fold needs 2 folds: below 2 rows fewer folds cannot help
            else "use more data: K-fold needs 2 rows or more of every class",
        )
    base = make_model(config.model)
    rng = np.random.default_rng(config.seed)
    rows: list[dict[str, Any]] = []
    pooled: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {s: [] for s in config.strategies}
    for repeat, fold, train_rows, val_rows in _folds(data, config):
        X_train, y_train = data.features.iloc[train_rows], data.target[train_rows]
        if prior is not None:
            val_rows = val_rows[resample_to_prior(data.target[val_rows], prior, rng=rng)]
        X_val, y_val = data.features.iloc[val_rows], data.target[val_rows]
        shared, shared_seconds = None, 0.0
        for name in config.strategies:
            start = time.perf_counter()
            extra: dict[str, Any] = {}
            if name in _SHARED_FIT:
                if shared is None:
                    shared = clone(base).fit(X_train, y_train)
                    shared_seconds = time.perf_counter() - start
                # charge each strategy that shares the fit its full time
                start = time.perf_counter() - shared_seconds
                if name == "none":
                    proba = shared.predict_proba(X_val)
                else:
                    model = PriorShiftClassifier(FrozenEstimator(shared), test_prior=prior)
                    model.fit(X_train, y_train)
                    if name == "prior_em":
                        model.estimate_test_prior(X_val)
                        extra["estimated_prior"] = float(model.test_prior_[-1])
                    proba = model.predict_proba(X_val)
                train_used = len(y_train)
            else:
                model = make_strategy(
                    name,
                    base,
                    test_prior=prior,
                    ratio=config.ratio,
                    smote_ratio=config.smote_ratio,
                    random_state=config.seed + 1000 * repeat + fold,
                )
                model.fit(X_train, y_train)
                proba = model.predict_proba(X_val)
                sampled = getattr(model, "sampled_counts_", None)
                train_used = int(sampled.sum()) if sampled is not None else len(y_train)
            scores = score_probabilities(y_val, np.asarray(proba))
            rows.append(
                {
                    "strategy": name,
                    "repeat": repeat,
                    "fold": fold,
                    **scores,
                    "train_rows": train_used,
                    "val_rows": len(y_val),
                    "seconds": time.perf_counter() - start,
                    **extra,
                }
            )
            pooled[name].append((y_val, np.asarray(proba)))
        if progress is not None:
            done = [r for r in rows if r["repeat"] == repeat and r["fold"] == fold]
            best = min(done, key=lambda r: r["log_loss"])
            progress(
                f"repeat {repeat} fold {fold}: best {best['strategy']} "
                f"log loss {best['log_loss']:.4f}"
            )
    folds = pd.DataFrame(rows)
    predictions = {
        name: (np.concatenate([y for y, _ in parts]), np.concatenate([p for _, p in parts]))
        for name, parts in pooled.items()
    }
    return CompareResult(folds, summarise(folds, config.strategies), predictions, data.classes)


def check_compare_config(config: CompareConfig) -> None:
    """Refuse settings a comparison cannot run with, before any model is fitted.

    Examples
    --------
    >>> check_compare_config(CompareConfig(strategies=("none", "prior", "prior")))
    Traceback (most recent call last):
    castlab.core.errors.CastlabError: strategies named twice: prior (fix: ...)
    """
    strategies = config.strategies
    if not strategies:
        raise CastlabError(
            "no strategy to compare", fix=Fix("strategies", "set", value="none,prior")
        )
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        raise CastlabError(
            f"unknown strategies {unknown}", fix=f"choose from {', '.join(STRATEGIES)}"
        )
    twice = sorted({s for s in strategies if strategies.count(s) > 1})
    if twice:
        raise CastlabError(
            f"strategies named twice: {', '.join(twice)}", fix="name each strategy once"
        )
    if config.test_prior is None and "prior" in strategies:
        raise CastlabError(
            "the 'prior' strategy needs a test prior, and --test-prior is none",
            fix="leave 'prior' out of --strategies, or give a test prior (e.g. --test-prior 0.5)",
        )
    for name, value in (("ratio", config.ratio), ("smote_ratio", config.smote_ratio)):
        if not 0 < value <= 1:
            raise CastlabError(
                f"--{name.replace('_', '-')} {value} must be in (0, 1]",
                fix=Fix(name, "set", value="1.0" if name == "ratio" else "0.5"),
            )


#: fewer validation rows than this in a fold (after re-sampling to the test balance) are
#: warned of: a strategy's scores then rest on a handful of rows
SMALL_FOLD = 30


def small_folds_warning(folds: pd.DataFrame, least: int = SMALL_FOLD) -> str | None:
    """A warning when some validation fold held fewer than ``least`` rows.

    Examples
    --------
    >>> print(small_folds_warning(pd.DataFrame(
    ...     {"strategy": ["none", "prior"] * 3, "repeat": 0, "fold": [0, 0, 1, 1, 2, 2],
    ...      "val_rows": [2, 2, 2, 2, 140, 140]})))
    warning: 2 of 3 validation folds hold fewer than 30 rows (as few as 2) after re-sampling to the test balance: their scores rest on a handful of rows (use more data, fewer --folds, or a test balance nearer the data's)
    """
    rows = folds.drop_duplicates(["repeat", "fold"])["val_rows"]  # one row per strategy each
    small = rows[rows < least]
    if small.empty:
        return None
    return (
        f"warning: {len(small)} of {len(rows)} validation folds hold fewer than {least} rows "
        f"(as few as {int(small.min())}) after re-sampling to the test balance: their scores "
        "rest on a handful of rows (use more data, fewer --folds, or a test balance nearer "
        "the data's)"
    )


def summarise(folds: pd.DataFrame, order: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """Mean and std of each metric per strategy, in ``order``."""
    metrics = ["log_loss", "roc_auc", "brier"]
    grouped = folds.groupby("strategy", sort=False)
    summary = grouped[metrics].agg(["mean", "std"])
    summary.columns = [f"{metric}_{stat}" for metric, stat in summary.columns]
    summary["train_rows"] = grouped["train_rows"].mean().round().astype(int)
    if "val_rows" in folds:
        summary["val_rows"] = grouped["val_rows"].mean().round().astype(int)
    summary = summary.reindex([s for s in order if s in summary.index])
    return summary.reset_index()


def _as_prior_for(test_prior: float | tuple[float, ...], n_classes: int) -> np.ndarray:
    prior = as_prior(test_prior)
    if len(prior) != n_classes:
        raise CastlabError(
            f"test prior has {len(prior)} values for {n_classes} classes",
            fix="give one share per class, e.g. --test-prior 0.2,0.3,0.5",
        )
    return prior


def em_prior_errors(
    data: ImbalanceData,
    *,
    model: ModelConfig,
    positive_shares: tuple[float, ...] = (0.2, 0.35, 0.5),
    n_splits: int = 5,
    n_repeats: int = 1,
    seed: int = 0,
) -> pd.DataFrame:
    """How well EM recovers the class balance of validation folds re-sampled to known shares.

    Binary targets. For each fold the model is fitted once on the training part; the
    validation part is re-sampled to each positive share and EM estimates the share from
    the features alone.

    Returns one row per (share, repeat, fold): ``true_prior``, ``estimated_prior``,
    ``abs_error``, ``val_rows``, ``em_iterations``.
    """
    if len(data.classes) != 2:
        raise CastlabError("em_prior_errors is for binary targets")
    config = CompareConfig(model=model, n_splits=n_splits, n_repeats=n_repeats, seed=seed)
    base = make_model(model)
    rng = np.random.default_rng(seed)
    rows = []
    for repeat, fold, train_rows, val_rows in _folds(data, config):
        fitted = PriorShiftClassifier(base).fit(
            data.features.iloc[train_rows], data.target[train_rows]
        )
        val_proba = fitted.estimator_.predict_proba(data.features.iloc[val_rows])
        for share in positive_shares:
            chosen = resample_to_prior(data.target[val_rows], [1 - share, share], rng=rng)
            y = data.target[val_rows][chosen]
            estimate = estimate_prior_em(val_proba[chosen], train_prior=fitted.train_prior_)
            rows.append(
                {
                    "true_prior": float(y.mean()),
                    "target_share": share,
                    "repeat": repeat,
                    "fold": fold,
                    "estimated_prior": float(estimate.prior[1]),
                    "abs_error": abs(float(estimate.prior[1]) - float(y.mean())),
                    "val_rows": len(y),
                    "em_iterations": estimate.n_iter,
                }
            )
    return pd.DataFrame(rows)


#: EM on the training rows themselves further than this from their true shares: warned of
SELF_CHECK_TOLERANCE = 0.02


def estimate_unlabelled_prior(
    data: ImbalanceData,
    unlabelled: pd.DataFrame,
    *,
    model: ModelConfig,
    report: Callable[[str], None] | None = None,
) -> np.ndarray:
    """Fit ``model`` on all of ``data`` and estimate the class balance of ``unlabelled`` by EM.

    Returns one share per class, shape ``(n_classes,)``. EM trusts the model's probabilities;
    as a check it also estimates the balance of the training rows themselves, whose shares
    are known, and ``report`` is told when that misses by more than
    :data:`SELF_CHECK_TOLERANCE` (a poorly fitted model: EM magnified a catboost of 30
    iterations' gap of 0.03 on Financial Inclusion to an estimate of 0.565 for 0.141).
    """
    fitted = PriorShiftClassifier(make_model(model))
    fitted.fit(data.features, data.target)
    if report is not None:
        own = fitted.estimate_test_prior(data.features).test_prior_
        # binary: the positive (last) class, as the CLI's other lines name it
        worst = len(own) - 1 if len(own) == 2 else int(np.argmax(np.abs(own - data.prior)))
        if abs(own[worst] - data.prior[worst]) > SELF_CHECK_TOLERANCE:
            report(
                f"warning: EM on the training rows themselves estimates "
                f"{data.classes[worst]}={own[worst]:.3f} where their share is "
                f"{data.prior[worst]:.3f}: the model's probabilities are off, so the estimate "
                "for the unlabelled rows is not to be trusted (fit the model better, e.g. more "
                "--iterations, or try --model logistic)"
            )
    return fitted.estimate_test_prior(unlabelled).test_prior_


def save_comparison(
    result: CompareResult, out_dir: str | Path, *, config: CompareConfig, title: str = ""
) -> dict[str, Path]:
    """Write a comparison's tables, figures and config into ``out_dir``.

    Files: ``summary.csv``, ``folds.csv``, ``config.json``, ``log_loss.png`` (bars with
    error bars) and ``reliability.png`` (last class against the rest).
    """
    from castlab.imbalance import plots

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "summary": write_text(out_dir / "summary.csv", result.summary.to_csv(index=False)),
        "folds": write_text(out_dir / "folds.csv", result.folds.to_csv(index=False)),
        "config": write_json(
            out_dir / "config.json", {**asdict(config), "classes": list(result.classes)}
        ),
        "bars": plots.strategy_bars(result.summary, out_dir / "log_loss.png", title=title),
        "reliability": plots.reliability_plot(
            result.predictions,
            out_dir / "reliability.png",
            positive=len(result.classes) - 1,
            title=f"{title} (class {result.classes[-1]!r})".strip(),
        ),
    }
    return paths
