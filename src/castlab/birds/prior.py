"""Location and season prior: which species are plausible at a place and week.

BirdNET ships a range ("meta") model that maps (latitude, longitude, week 1-48) to how
likely each of its 6,522 species is there and then; it runs offline. The prior works on
any classifier's output whose classes BirdNET can name (scientific or common names, folder
slugs like ``black_capped_chickadee`` included): species below ``threshold`` are switched
off (BirdNET's own rule, threshold 0.03) or, with ``mode="weight"``, scaled down smoothly.
Classes BirdNET does not know keep their scores. A :class:`Place` says where and when
recordings were made; ``castlab birds soundscape --lat --lon --week`` applies it to
castlab's own classifier (CNN or BirdNET head), ``castlab birds birdnet`` to BirdNET's.

Examples
--------
>>> import numpy as np
>>> probs = np.array([[0.9, 0.8]])
>>> apply_prior(probs, np.array([0.5, 0.001])).tolist()
[[0.9, 0.0]]
>>> apply_prior(probs, np.array([0.5, 0.015]), mode="weight").round(2).tolist()
[[0.9, 0.4]]
>>> Place(42.45, -76.48, week=20)  # Ithaca, New York, late May
Place(lat=42.45, lon=-76.48, week=20, threshold=0.03, mode='filter')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from castlab.core.errors import CastlabError

__all__ = [
    "PRIOR_MODES",
    "Place",
    "apply_prior",
    "check_coordinates",
    "place_factors",
    "range_prior",
]

#: How the prior acts: ``filter`` switches implausible species off, ``weight`` scales them down.
PRIOR_MODES = ("filter", "weight")


def check_coordinates(lat: float, lon: float) -> None:
    """Raise a clear error unless ``lat``, ``lon`` are decimal degrees of a place."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise CastlabError(
            f"lat {lat}, lon {lon} is not a place",
            fix="give decimal degrees: latitude -90..90 first, then longitude -180..180",
        )


def _check_mode(mode: str) -> None:
    if mode not in PRIOR_MODES:
        raise CastlabError(f"unknown prior mode {mode!r}", fix="use filter or weight")


@dataclass(frozen=True)
class Place:
    """Where (decimal degrees) and when (BirdNET week 1-48, 4 a month; -1 the whole year)
    recordings were made, and how the range prior acts (``threshold``, ``mode``)."""

    lat: float
    lon: float
    week: int = -1
    threshold: float = 0.03
    mode: str = "filter"

    def __post_init__(self) -> None:
        check_coordinates(self.lat, self.lon)
        if self.week != -1 and not 1 <= self.week <= 48:
            raise CastlabError(
                f"week {self.week} is not a BirdNET week",
                fix="use 1-48 (4 weeks a month: mid-May is 18-19) or -1 for the whole year",
            )
        _check_mode(self.mode)
        if not 0 < self.threshold < 1:
            raise CastlabError(
                f"prior threshold {self.threshold} is not between 0 and 1",
                fix="use BirdNET's 0.03, or e.g. 0.01 to keep rarer species",
            )


def place_factors(classes: list[str], place: Place) -> tuple[np.ndarray, list[float | None]]:
    """What the prior at ``place`` multiplies each class's probability by, ``(C,)``, and
    BirdNET's range score of each class (``None``: a class BirdNET does not know; factor 1).

    Examples
    --------
    >>> factors, scores = place_factors(["poecile_atricapillus", "hoatzin", "made_up"],
    ...                                 Place(42.45, -76.48, week=20))  # doctest: +SKIP
    >>> factors.tolist(), scores[2]  # doctest: +SKIP
    ([1.0, 0.0, 1.0], None)
    """
    scores = _range_scores(classes, lat=place.lat, lon=place.lon, week=place.week)
    factors = apply_prior(
        np.ones(len(classes)), _known(scores), threshold=place.threshold, mode=place.mode
    )
    return factors, scores


def range_prior(classes: list[str], *, lat: float, lon: float, week: int = -1) -> np.ndarray:
    """BirdNET's range-model score for each class, shape ``(C,)``; unknown classes get 1."""
    return _known(_range_scores(classes, lat=lat, lon=lon, week=week))


def _known(scores: list[float | None]) -> np.ndarray:
    return np.array([1.0 if s is None else s for s in scores])  # unknown to BirdNET: kept


def _range_scores(classes: list[str], *, lat: float, lon: float, week: int) -> list[float | None]:
    from castlab.birds.birdnet import load_birdnet

    model = load_birdnet()
    everywhere = model.range_scores(lat=lat, lon=lon, week=week)
    return [None if k is None else float(everywhere[k]) for k in model.index_of(classes)]


def apply_prior(
    probs: np.ndarray, prior: np.ndarray, *, threshold: float = 0.03, mode: str = "filter"
) -> np.ndarray:
    """Scale ``probs (..., C)`` by the prior: ``filter`` zeroes implausible species, ``weight``
    multiplies by ``min(1, prior / threshold)``."""
    _check_mode(mode)
    prior = np.asarray(prior, dtype=float)
    if mode == "filter":
        factor = (prior >= threshold).astype(float)
    else:
        factor = np.minimum(1.0, prior / threshold)
    return np.asarray(probs) * factor
