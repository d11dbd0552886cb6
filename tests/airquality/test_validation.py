"""Grouped folds never share a location; adversarial AUC sees shifted locations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from castlab.airquality.validation import adversarial_auc, location_folds, time_varying
from castlab.core.errors import CastlabError


@pytest.mark.parametrize("n_folds", [0, 3])
def test_folds_are_disjoint_and_cover_everything(n_folds):
    groups = np.repeat([f"L{k}" for k in range(7)], 5)
    seen = []
    for train, test in location_folds(groups, n_folds=n_folds):
        assert not set(groups[train]) & set(groups[test])
        seen.extend(test)
    assert sorted(seen) == list(range(len(groups)))
    assert len(list(location_folds(groups, n_folds=n_folds))) == (7 if n_folds == 0 else 3)


def test_one_location_is_an_error():
    with pytest.raises(CastlabError, match="at least 2 locations"):
        list(location_folds(np.array(["a", "a"])))


def test_time_varying_drops_site_constants():
    frame = pd.DataFrame({"location": list("aabb"), "lat": [1, 1, 2, 2], "no2": [1, 2, 3, 3]})
    assert time_varying(frame, ["lat", "no2"]) == ["no2"]


def test_adversarial_auc_flags_a_shifted_location():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"x": rng.normal(size=3000)})
    held = np.arange(3000) < 500
    assert adversarial_auc(frame, held) < 0.6
    assert adversarial_auc(frame.assign(x=frame["x"] + 2 * held), held) > 0.85
