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

from collections.abc import Callable
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
    >>> country_code(" ")  # an empty alternate spelling in the country data named Eritrea
    """
    if name is None or not isinstance(name, str) or not name.strip():
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
    scored: pd.DataFrame,
    *,
    radius_km: float = 50.0,
    min_posts: int = 1,
    report: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Average score per country of posts near its capital or labelled with the country.

    A post counts for a country when its ``country`` column names it, or else when its
    ``latitude``/``longitude`` lie within ``radius_km`` of the capital. Returns ``iso3,
    country, capital, latitude, longitude, posts, mean_score, median_score, std_score``.
    ``report`` is told how many posts no country took (:func:`unplaced_note`).
    """
    _require(scored, ("score",), "the capital-city view")
    codes = np.full(len(scored), None, dtype=object)
    if "country" in scored.columns:
        codes = np.array([country_code(name) for name in scored["country"]], dtype=object)
    if {"latitude", "longitude"} <= set(scored.columns):
        missing = np.array([c is None for c in codes])  # (Series.map made None NaN: a post
        # naming an unknown country was not placed by its coordinates)
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
    if report is not None:
        note = unplaced_note(scored, codes, radius_km=radius_km)
        if note:
            report(note)
    frame = scored.assign(iso3=codes).dropna(subset=["iso3"])
    stats = (
        frame.groupby("iso3")["score"]
        .agg(posts="size", mean_score="mean", median_score="median", std_score="std")
        .reset_index()
    )
    table = capitals().merge(stats, on="iso3", how="inner")
    table = table[table["posts"] >= min_posts]
    return table.sort_values("mean_score", ascending=False, ignore_index=True)


def unplaced_note(scored: pd.DataFrame, codes: np.ndarray, *, radius_km: float) -> str:
    """``""``, or how many posts of ``scored`` no country took (``codes`` None) and why:
    the country names read most often among them, or coordinates beyond ``radius_km``.

    Examples
    --------
    >>> import pandas as pd
    >>> posts = pd.DataFrame({"country": ["France", "Deutschland", "Deutschland", None]})
    >>> unplaced_note(posts, np.array(["FRA", None, None, None], dtype=object), radius_km=50)
    "3 of 4 posts are on no country and left out: 2 name a country not known here (most: 'Deutschland' 2; use English names or ISO codes), 1 without a country or coordinates"
    """
    import pandas as pd

    lost = np.array([c is None for c in codes])
    if not lost.any():
        return ""
    rest = scored[lost]
    named = (
        rest["country"].where(rest["country"].astype(str).str.strip() != "")
        if "country" in rest
        else pd.Series(index=rest.index, dtype=object)
    )
    placed = (
        rest[["latitude", "longitude"]].notna().all(axis=1)
        if {"latitude", "longitude"} <= set(rest.columns)
        else pd.Series(False, index=rest.index)
    )
    parts = []
    if named.notna().any():
        counts = named.dropna().astype(str).value_counts().head(3)
        most = ", ".join(f"{name!r} {count}" for name, count in counts.items())
        parts.append(
            f"{int(named.notna().sum())} name a country not known here (most: {most}; use "
            "English names or ISO codes)"
        )
    far = int((named.isna() & placed).sum())
    if far:
        parts.append(f"{far} lie farther than {radius_km:g} km from every capital")
    nothing = int((named.isna() & ~placed).sum())
    if nothing:
        parts.append(f"{nothing} without a country or coordinates")
    return f"{int(lost.sum())} of {len(codes)} posts are on no country and left out: " + ", ".join(
        parts
    )


def country_shapes() -> dict[str, dict[str, Any]]:
    """ISO alpha-3 code -> GeoJSON geometry (Polygon or MultiPolygon), for the maps."""
    shapes: dict[str, dict[str, Any]] = {}
    for info in _countries().values():
        iso3 = (info.get("ISO") or {}).get("alpha3")
        for feature in (info.get("geoJSON") or {}).get("features", []):
            if iso3 and feature.get("geometry"):
                shapes.setdefault(iso3, feature["geometry"])
    return shapes
