"""Generated tables with a known prior shift: the embedded default for the demo and tests.

Examples
--------
>>> train, test = generate_shifted_data(n_train=400, n_test=200, train_prior=0.1,
...                                     test_prior=0.5, seed=0)
>>> train.classes, round(float(train.prior[1]), 2), round(float(test.prior[1]), 2)
(('negative', 'positive'), 0.1, 0.5)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from castlab.core.errors import CastlabError
from castlab.imbalance.data import ImbalanceData, as_prior

__all__ = ["generate_shifted_data"]


def generate_shifted_data(
    *,
    n_train: int = 4000,
    n_test: int = 2000,
    train_prior: float | Sequence[float] = 0.15,
    test_prior: float | Sequence[float] = 0.5,
    n_features: int = 4,
    separation: float = 1.0,
    seed: int = 0,
) -> tuple[ImbalanceData, ImbalanceData]:
    """Make a train table and a test table that differ only in their class balance.

    Pure prior (label) shift: ``p(x | y)`` is the same in both tables, only ``p(y)`` moves,
    which is the assumption behind prior-shift correction. Each class has a Gaussian
    centre for the numeric columns ``x0 ..`` and its own distribution over a categorical
    column ``group`` with levels ``a`` .. ``e``. Class counts match the priors exactly
    (up to rounding).

    Parameters
    ----------
    train_prior, test_prior:
        A float is the positive-class share of a binary task; a sequence gives every
        class's share (its length sets the number of classes).
    separation:
        Distance scale between class centres; larger is easier.

    Examples
    --------
    >>> train, test = generate_shifted_data(n_train=300, n_test=300,
    ...                                     train_prior=[0.7, 0.2, 0.1],
    ...                                     test_prior=[0.4, 0.3, 0.3])
    >>> np.bincount(test.target).tolist(), train.features.columns.tolist()
    ([120, 90, 90], ['x0', 'x1', 'x2', 'x3', 'group'])
    """
    p_train = as_prior(train_prior)
    p_test = as_prior(test_prior)
    if len(p_train) != len(p_test):
        raise CastlabError("train and test priors have different numbers of classes")
    n_classes = len(p_train)
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, separation, size=(n_classes, n_features))
    group_probs = rng.dirichlet(np.full(5, 0.7), size=n_classes)

    for name, n, prior in (("train", n_train, p_train), ("test", n_test, p_test)):
        if n < 1 or (np.round(prior * n) < 1).any():
            raise CastlabError(
                f"{n} rows would give {name}.csv no row of some class",
                fix="raise --rows (test.csv gets half of them), e.g. --rows 1000",
            )

    def draw(n: int, prior: np.ndarray) -> ImbalanceData:
        counts = np.round(prior * n).astype(int)
        y = np.repeat(np.arange(n_classes), counts)
        rng.shuffle(y)
        x = centres[y] + rng.normal(size=(len(y), n_features))
        group = np.array([rng.choice(5, p=group_probs[k]) for k in y])
        frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(n_features)])
        frame["group"] = pd.Categorical(np.array(list("abcde"))[group], categories=list("abcde"))
        classes = (
            ("negative", "positive")
            if n_classes == 2
            else tuple(f"class{k}" for k in range(n_classes))
        )
        return ImbalanceData(frame, y.astype(np.int64), classes, "label")

    return draw(n_train, p_train), draw(n_test, p_test)
