"""Location and season prior: which species are plausible at a place and week.

BirdNET ships a range ("meta") model that maps (latitude, longitude, week 1-48) to how
likely each of its 6,522 species is there and then; it runs offline. The prior works on
any classifier's output whose classes BirdNET can name (scientific or common names, folder
slugs like ``black_capped_chickadee`` included): species below ``threshold`` are switched
off (BirdNET's own rule, threshold 0.03) or, with ``mode="weight"``, scaled down smoothly.
Classes BirdNET does not know keep their scores.

Examples
--------
>>> import numpy as np
>>> probs = np.array([[0.9, 0.8]])
>>> apply_prior(probs, np.array([0.5, 0.001])).tolist()
[[0.9, 0.0]]
>>> apply_prior(probs, np.array([0.5, 0.015]), mode="weight").round(2).tolist()
[[0.9, 0.4]]
"""

from __future__ import annotations

import numpy as np

from castlab.core.errors import CastlabError

__all__ = ["apply_prior", "range_prior"]


def range_prior(classes: list[str], *, lat: float, lon: float, week: int = -1) -> np.ndarray:
    """BirdNET's range-model score for each class, shape ``(C,)``; unknown classes get 1."""
    from castlab.birds.birdnet import load_birdnet

    model = load_birdnet()
    scores = model.range_scores(lat=lat, lon=lon, week=week)
    return np.array([1.0 if k is None else float(scores[k]) for k in model.index_of(classes)])


def apply_prior(
    probs: np.ndarray, prior: np.ndarray, *, threshold: float = 0.03, mode: str = "filter"
) -> np.ndarray:
    """Scale ``probs (..., C)`` by the prior: ``filter`` zeroes implausible species, ``weight``
    multiplies by ``min(1, prior / threshold)``."""
    prior = np.asarray(prior, dtype=float)
    if mode == "filter":
        factor = (prior >= threshold).astype(float)
    elif mode == "weight":
        factor = np.minimum(1.0, prior / threshold)
    else:
        raise CastlabError(f"unknown prior mode {mode!r}", fix="use filter or weight")
    return np.asarray(probs) * factor
