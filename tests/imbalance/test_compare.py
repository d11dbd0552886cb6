"""Tests of castlab.imbalance.compare: the cross-validation protocol and EM error table."""

from __future__ import annotations

import numpy as np
import pytest

from castlab.core.errors import CastlabError
from castlab.imbalance.compare import (
    CompareConfig,
    compare_strategies,
    em_prior_errors,
    save_comparison,
    score_probabilities,
)
from castlab.imbalance.model import ModelConfig
from castlab.imbalance.strategies import STRATEGIES
from castlab.imbalance.synthetic import generate_shifted_data

LOGISTIC = ModelConfig("logistic")


@pytest.fixture(scope="module")
def result(shifted):
    train, _ = shifted
    config = CompareConfig(model=LOGISTIC, n_splits=3, n_repeats=2, test_prior=0.5, seed=0)
    return compare_strategies(train, config)


def test_every_strategy_every_fold(result):
    assert result.summary["strategy"].tolist() == list(STRATEGIES)
    assert len(result.folds) == len(STRATEGIES) * 3 * 2
    assert result.folds.groupby("strategy").size().eq(6).all()


def test_validation_folds_are_rebalanced(result):
    for name, (y, _) in result.predictions.items():
        assert abs(y.mean() - 0.5) < 0.01, name
    # every strategy is scored on the same rows
    sizes = result.folds.pivot_table(
        index=["repeat", "fold"], columns="strategy", values="val_rows"
    )
    assert (sizes.nunique(axis=1) == 1).all()


def test_prior_correction_beats_doing_nothing_and_keeps_all_rows(result):
    summary = result.summary.set_index("strategy")
    assert summary.loc["prior", "log_loss_mean"] < summary.loc["none", "log_loss_mean"] - 0.05
    assert summary.loc["prior", "train_rows"] == summary.loc["none", "train_rows"]
    assert summary.loc["under", "train_rows"] < summary.loc["none", "train_rows"] / 2
    # prior shift moves probabilities, never their order
    assert summary.loc["prior", "roc_auc_mean"] == pytest.approx(
        summary.loc["none", "roc_auc_mean"]
    )
    estimates = result.folds.dropna(subset=["estimated_prior"])["estimated_prior"]
    assert len(estimates) == 6 and abs(estimates.mean() - 0.5) < 0.08


def test_multiclass_comparison():
    train, _ = generate_shifted_data(
        n_train=600, n_test=10, train_prior=[0.7, 0.2, 0.1], test_prior=[0.4, 0.3, 0.3], seed=2
    )
    config = CompareConfig(
        strategies=("none", "under", "weights", "prior", "prior_em"),
        model=LOGISTIC,
        n_splits=3,
        n_repeats=1,
        test_prior=(0.4, 0.3, 0.3),
    )
    summary = compare_strategies(train, config).summary.set_index("strategy")
    assert summary.loc["prior", "log_loss_mean"] < summary.loc["none", "log_loss_mean"]
    assert np.isfinite(summary["brier_mean"]).all()


def test_no_test_prior_keeps_folds_and_refuses_known_prior(shifted):
    train, _ = shifted
    config = CompareConfig(
        strategies=("none",), model=LOGISTIC, n_splits=3, n_repeats=1, test_prior=None
    )
    out = compare_strategies(train, config)
    assert abs(out.predictions["none"][0].mean() - 0.15) < 0.01
    with pytest.raises(CastlabError, match="needs a test prior"):
        compare_strategies(
            train, CompareConfig(strategies=("prior",), model=LOGISTIC, test_prior=None)
        )


def test_bad_settings(shifted):
    train, _ = shifted
    with pytest.raises(CastlabError, match="unknown strategies"):
        compare_strategies(train, CompareConfig(strategies=("nothing",), model=LOGISTIC))
    with pytest.raises(CastlabError, match="between 0 and 1"):
        compare_strategies(train, CompareConfig(model=LOGISTIC, test_prior=1.0))
    with pytest.raises(CastlabError, match="fewer than 5 folds .fix: pass --folds 3"):
        rows = np.r_[np.flatnonzero(train.target == 0)[:40], np.flatnonzero(train.target)[:3]]
        compare_strategies(train.subset(rows), CompareConfig(model=LOGISTIC, n_splits=5))
    one = np.r_[np.flatnonzero(train.target == 0)[:40], np.flatnonzero(train.target)[:1]]
    with pytest.raises(CastlabError, match="fewer than 2 folds .fix: use more data") as caught:
        compare_strategies(train.subset(one), CompareConfig(model=LOGISTIC, n_splits=2))
    assert "--folds" not in str(caught.value)  # it said 'pass --folds 2', the value given


def test_score_probabilities_known_values():
    y = np.array([0, 1, 1, 0])
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.5, 0.5]])
    scores = score_probabilities(y, proba)
    assert scores["roc_auc"] == pytest.approx(0.75)  # 3 of 4 positive-negative pairs ordered
    assert scores["brier"] == pytest.approx((0.01 + 0.04 + 0.36 + 0.25) / 4)
    expected = -np.mean(np.log([0.9, 0.8, 0.4, 0.5]))
    assert scores["log_loss"] == pytest.approx(expected)


def test_em_prior_errors_small_on_generated_data():
    train, _ = generate_shifted_data(n_train=3000, n_test=10, train_prior=0.15, seed=4)
    table = em_prior_errors(train, model=LOGISTIC, n_splits=3)
    assert sorted(table["target_share"].unique()) == [0.2, 0.35, 0.5]
    assert table.groupby("target_share")["abs_error"].mean().max() < 0.04
    assert (table["estimated_prior"].between(0, 1)).all()


def test_save_comparison_writes_files(result, tmp_path):
    config = CompareConfig(model=LOGISTIC)
    paths = save_comparison(result, tmp_path, config=config, title="t")
    assert sorted(p.name for p in paths.values()) == [
        "config.json",
        "folds.csv",
        "log_loss.png",
        "reliability.png",
        "summary.csv",
    ]
    assert paths["bars"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "prior_em" in paths["summary"].read_text()


def test_em_estimates_at_the_boundary_are_warned_of():
    import pandas as pd

    from castlab.imbalance.compare import CompareResult

    folds = pd.DataFrame({"strategy": ["prior_em"] * 2, "estimated_prior": [0.99999998, 0.4]})
    stuck = CompareResult(folds, pd.DataFrame(), {}, ("No", "Yes"))
    assert "ran to the boundary (1.000) in 1 of 2 folds" in stuck.em_warning()
    fine = CompareResult(
        folds.assign(estimated_prior=[0.3, 0.4]), pd.DataFrame(), {}, ("No", "Yes")
    )
    assert fine.em_warning() is None
    assert (
        CompareResult(pd.DataFrame({"x": [1]}), pd.DataFrame(), {}, ("a", "b")).em_warning() is None
    )
