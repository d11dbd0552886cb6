"""Location-grouped folds and adversarial validation.

A model meant for places without a sensor must be scored on places it never saw: every
fold holds out whole locations (leave-one-location-out, or GroupKFold for many locations).
Adversarial validation asks how different those held-out places look: a classifier tries
to tell held-out rows from training rows by their features; ROC AUC near 0.5 means they
look alike, near 1 that the model is asked to extrapolate.

Examples
--------
>>> groups = np.array(["a", "a", "b", "c", "c"])
>>> [groups[test].tolist() for _, test in location_folds(groups)]
[['a', 'a'], ['b'], ['c', 'c']]
>>> [sorted(set(groups[test].tolist())) for _, test in location_folds(groups, n_folds=2)]
[['a', 'c'], ['b']]
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from castlab.core.errors import CastlabError

__all__ = ["adversarial_auc", "location_folds", "time_varying"]


def location_folds(
    groups: np.ndarray, *, n_folds: int = 0, seed: int = 0
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(train_rows, test_rows)`` with no location on both sides.

    ``n_folds=0`` leaves one location out per fold; otherwise locations are shuffled into
    ``n_folds`` groups of near-equal count.
    """
    locations = np.array(sorted(pd.unique(groups)))
    if len(locations) < 2:
        raise CastlabError(
            f"location-grouped validation needs at least 2 locations, got {len(locations)}",
            fix="give a table with readings from several locations",
        )
    if n_folds and n_folds < len(locations):
        order = np.random.default_rng(seed).permutation(locations)
        held = [sorted(part) for part in np.array_split(order, n_folds)]
        held.sort(key=lambda part: part[0])
    else:
        held = [[location] for location in locations]
    for part in held:
        test = np.isin(groups, part)
        yield np.flatnonzero(~test), np.flatnonzero(test)


def time_varying(frame: pd.DataFrame, features: list[str], group: str = "location") -> list[str]:
    """The features that change within at least one location (drops site constants such as
    coordinates, which identify a place perfectly and would make any AUC 1)."""
    spread = frame.groupby(group)[features].nunique(dropna=True).max()
    return [f for f in features if spread.get(f, 0) > 1]


def adversarial_auc(
    X: pd.DataFrame,
    is_test: np.ndarray,
    *,
    max_rows: int = 20_000,
    iterations: int = 60,
    threads: int = 1,
    seed: int = 0,
) -> float:
    """ROC AUC of a LightGBM classifier telling ``is_test`` rows from the rest (3-fold CV).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> same = pd.DataFrame({"x": rng.normal(size=2000)})
    >>> label = np.arange(2000) % 2 == 0
    >>> 0.4 < adversarial_auc(same, label) < 0.6
    True
    >>> shifted = same.assign(x=same["x"] + 3 * label)
    >>> adversarial_auc(shifted, label) > 0.95
    True
    """
    import lightgbm as lgb
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    rng = np.random.default_rng(seed)
    rows = np.arange(len(X))
    if len(rows) > max_rows:
        rows = np.sort(rng.choice(rows, max_rows, replace=False))
    features, label = X.iloc[rows].reset_index(drop=True), np.asarray(is_test)[rows].astype(int)
    if features.shape[1] == 0 or label.min() == label.max():
        return float("nan")
    scores = np.zeros(len(label))
    splitter = StratifiedKFold(n_splits=3, shuffle=True, random_state=seed)
    for fit_rows, score_rows in splitter.split(features, label):
        model = lgb.LGBMClassifier(
            n_estimators=iterations, num_leaves=15, n_jobs=threads, random_state=seed, verbose=-1
        )
        model.fit(features.iloc[fit_rows], label[fit_rows])
        scores[score_rows] = model.predict_proba(features.iloc[score_rows])[:, 1]
    return float(roc_auc_score(label, scores))
