"""Views of scored posts: a summary per author and average sentiment per capital city.

A scored frame has the post columns (``text``, ``author``, ...) plus ``p_negative,
p_neutral, p_positive, score, label`` from a scorer. Capitals, their coordinates and the
country names, codes and shapes come from the countryinfo package, offline.

Examples
--------
>>> import pandas as pd
>>> scored = pd.DataFrame({"author": ["a", "a", "b"], "text": ["x", "yy", "z"],
...                        "score": [0.5, -0.5, 1.0],
...                        "label": ["positive", "negative", "positive"]})
>>> author_summary(scored)[["author", "posts", "mean", "share_positive"]].to_dict("records")
[{'author': 'a', 'posts': 2, 'mean': 0.0, 'share_positive': 0.5}, {'author': 'b', 'posts': 1, 'mean': 1.0, 'share_positive': 1.0}]
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from castlab.core.errors import CastlabError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "EARTH_RADIUS_KM",
    "author_summary",
    "capital_sentiment",
    "capitals",
    "country_code",
    "country_shapes",
    "nearest_capital",
]

EARTH_RADIUS_KM = 6371.0


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CastlabError(
            f"{what} needs the column(s) {', '.join(missing)}",
            fix="score the posts first, and map the columns with --author-column etc.",
        )


def author_summary(scored: pd.DataFrame, *, min_posts: int = 1) -> pd.DataFrame:
    """One row per author: posts, mean / median / std of the score, shares, mean length.

    Sorted by number of posts (most first); authors with fewer than ``min_posts`` are dropped.
    """
    _require(scored, ("author", "text", "score", "label"), "the author summary")
    frame = scored.assign(
        length=scored["text"].str.len(),
        positive=scored["label"] == "positive",
        negative=scored["label"] == "negative",
    )
    grouped = frame.groupby("author", sort=False)
    summary = grouped.agg(
        posts=("score", "size"),
        mean=("score", "mean"),
        median=("score", "median"),
        std=("score", "std"),
        share_positive=("positive", "mean"),
        share_negative=("negative", "mean"),
        mean_length=("length", "mean"),
    ).reset_index()
    summary = summary[summary["posts"] >= min_posts]
    return summary.sort_values(["posts", "author"], ascending=[False, True], ignore_index=True)


@lru_cache(maxsize=1)
def _countries() -> dict[str, dict[str, Any]]:
    from countryinfo import CountryInfo

    return CountryInfo.all()


#: Capitals whose countryinfo coordinates are wrong (Brasília's are 837 km off, in the
#: middle of Brazil); found by a user's posts from Brasília being left out of Brazil
CAPITAL_FIXES = {"BRA": (-15.7939, -47.8828)}


def capitals() -> pd.DataFrame:
    """Every country with a capital: ``iso3, country, capital, latitude, longitude``.

    Examples
    --------
    >>> table = capitals()
    >>> table.set_index("iso3").loc["KEN", "capital"]
    'Nairobi'
    """
    import pandas as pd

    rows = []
    for info in _countries().values():
        latlng = info.get("capital_latlng")
        iso3 = (info.get("ISO") or {}).get("alpha3")
        if latlng and len(latlng) == 2 and iso3:
            latlng = CAPITAL_FIXES.get(iso3, latlng)
            rows.append((iso3, info["name"], info.get("capital"), latlng[0], latlng[1]))
    columns = ["iso3", "country", "capital", "latitude", "longitude"]
    return pd.DataFrame(rows, columns=columns).drop_duplicates("iso3", ignore_index=True)


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    for key, info in _countries().items():
        iso = info.get("ISO") or {}
        iso3 = iso.get("alpha3")
        if not iso3:
            continue
        spellings = [key, info.get("name", ""), iso.get("alpha2", ""), iso3]
        spellings += info.get("altSpellings") or []
        for spelling in spellings:
            names.setdefault(str(spelling).strip().lower(), iso3)
    return names


def country_code(name: str | None) -> str | None:
    """ISO alpha-3 code of a country name, alternate spelling or ISO code (None if unknown).

    Examples
    --------
    >>> country_code("Kenya"), country_code("fr"), country_code("Republic of Kenya"), country_code("Atlantis")
    ('KEN', 'FRA', 'KEN', None)
    """
    if name is None or not isinstance(name, str):
        return None
    return _names().get(name.strip().lower())


def nearest_capital(
    latitude: np.ndarray, longitude: np.ndarray, *, radius_km: float = 50.0
) -> np.ndarray:
    """ISO alpha-3 code of the capital within ``radius_km`` of each point (None if none).

    Great-circle (haversine) distance to every capital; (N,) degrees in, (N,) codes out.

    Examples
    --------
    >>> nearest_capital(np.array([-1.29, 10.0]), np.array([36.82, -30.0])).tolist()
    ['KEN', None]
    """
    table = capitals()
    codes = table["iso3"].to_numpy(dtype=object)
    lat1 = np.radians(np.asarray(latitude, dtype=float))[:, None]  # (N, 1)
    lon1 = np.radians(np.asarray(longitude, dtype=float))[:, None]
    lat2 = np.radians(table["latitude"].to_numpy())[None, :]  # (1, C)
    lon2 = np.radians(table["longitude"].to_numpy())[None, :]
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    distance = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))  # (N, C) km
    distance = np.where(np.isnan(distance), np.inf, distance)
    best = distance.argmin(1)
    near = distance[np.arange(len(best)), best] <= radius_km
    return np.where(near, codes[best], None)


def capital_sentiment(
    scored: pd.DataFrame, *, radius_km: float = 50.0, min_posts: int = 1
) -> pd.DataFrame:
    """Average score per country of posts near its capital or labelled with the country.

    A post counts for a country when its ``country`` column names it, or else when its
    ``latitude``/``longitude`` lie within ``radius_km`` of the capital. Returns ``iso3,
    country, capital, latitude, longitude, posts, mean_score, median_score, std_score``.
    """
    _require(scored, ("score",), "the capital-city view")
    codes = np.full(len(scored), None, dtype=object)
    if "country" in scored.columns:
        codes = scored["country"].map(country_code).to_numpy(dtype=object)
    if {"latitude", "longitude"} <= set(scored.columns):
        missing = np.array([c is None for c in codes])
        if missing.any():
            near = nearest_capital(
                scored["latitude"].to_numpy(dtype=float)[missing],
                scored["longitude"].to_numpy(dtype=float)[missing],
                radius_km=radius_km,
            )
            codes[missing] = near
    elif "country" not in scored.columns:
        raise CastlabError(
            "the capital-city view needs a country column or latitude and longitude",
            fix="map them with --country-column or --latitude-column/--longitude-column",
        )
    frame = scored.assign(iso3=codes).dropna(subset=["iso3"])
    stats = (
        frame.groupby("iso3")["score"]
        .agg(posts="size", mean_score="mean", median_score="median", std_score="std")
        .reset_index()
    )
    table = capitals().merge(stats, on="iso3", how="inner")
    table = table[table["posts"] >= min_posts]
    return table.sort_values("mean_score", ascending=False, ignore_index=True)


def country_shapes() -> dict[str, dict[str, Any]]:
    """ISO alpha-3 code -> GeoJSON geometry (Polygon or MultiPolygon), for the maps."""
    shapes: dict[str, dict[str, Any]] = {}
    for info in _countries().values():
        iso3 = (info.get("ISO") or {}).get("alpha3")
        for feature in (info.get("geoJSON") or {}).get("features", []):
            if iso3 and feature.get("geometry"):
                shapes.setdefault(iso3, feature["geometry"])
    return shapes
