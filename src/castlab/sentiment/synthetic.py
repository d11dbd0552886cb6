"""Generated posts for the demo and tests: authors with a temper, posts from capital cities.

Posts are stitched from small phrase banks, so their sentiment is known by construction:
each post has a ``true_label`` (0 negative, 1 neutral, 2 positive). Nothing is real.

Examples
--------
>>> posts = generate_author_posts(n_per_author=5, seed=0)
>>> sorted(posts["author"].unique())
['cheerful_chris', 'grumpy_gus', 'neutral_nat']
>>> len(posts)
15
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AUTHORS", "generate_author_posts", "generate_capital_posts", "random_post"]

_POSITIVE = (
    "What a wonderful day, I love this!",
    "So happy with how the launch went, great work everyone",
    "Thrilled to share that our team won the award",
    "This is the best coffee I have had in years",
    "Beautiful sunset tonight, feeling grateful",
    "Amazing news about the new library, can't wait to visit",
)
_NEGATIVE = (
    "This is a terrible idea and it will fail.",
    "Worst customer service ever, I am so angry",
    "The report is misleading and frankly embarrassing",
    "Sick of the delays, this project is a disaster",
    "I hate how broken this update is",
    "Sad and disappointed by the decision today",
)
_NEUTRAL = (
    "The meeting is scheduled for Tuesday at 10am.",
    "New post on the quarterly figures is up",
    "Train from the airport runs every 20 minutes",
    "Reading the paper on battery chemistry",
    "The store opens at 9 on weekdays",
    "Slides from the talk are linked below",
)
_FILLER = (
    "",
    " More details in the thread.",
    " Here is what we measured over the last three months, with the numbers in the appendix.",
    " I have been thinking about this for a while and wanted to write down the whole story.",
)
_BANKS = (_NEGATIVE, _NEUTRAL, _POSITIVE)

#: author -> (share negative, share neutral, share positive), echoing the blog's three users
AUTHORS: dict[str, tuple[float, float, float]] = {
    "cheerful_chris": (0.1, 0.3, 0.6),
    "neutral_nat": (0.15, 0.7, 0.15),
    "grumpy_gus": (0.65, 0.25, 0.1),
}


def random_post(label: int, rng: np.random.Generator) -> str:
    """One post with sentiment ``label`` (0, 1, 2): a phrase plus optional neutral filler."""
    bank = _BANKS[label]
    return bank[rng.integers(len(bank))] + _FILLER[rng.integers(len(_FILLER))]


def generate_author_posts(n_per_author: int = 60, *, seed: int = 0) -> pd.DataFrame:
    """Posts by the :data:`AUTHORS`: columns ``author, time, text, true_label``."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2026-01-01", tz="UTC")
    for author, shares in AUTHORS.items():
        labels = rng.choice(3, size=n_per_author, p=shares)
        for i, label in enumerate(labels):
            time = start + pd.Timedelta(hours=int(i * 7 + rng.integers(7)))
            rows.append((author, time.isoformat(), random_post(int(label), rng), int(label)))
    return pd.DataFrame(rows, columns=["author", "time", "text", "true_label"])


def generate_capital_posts(
    n_countries: int = 40, per_country: int = 8, *, seed: int = 0, jitter_km: float = 10.0
) -> pd.DataFrame:
    """Posts geotagged near capitals, each country with its own random mood.

    Columns ``text, latitude, longitude, true_label, iso3`` (``iso3`` for checking only).
    """
    import pandas as pd

    from castlab.sentiment.views import capitals

    rng = np.random.default_rng(seed)
    table = capitals()
    chosen = table.iloc[rng.choice(len(table), size=min(n_countries, len(table)), replace=False)]
    rows = []
    for row in chosen.itertuples():
        mood = rng.dirichlet([1.0, 1.0, 1.0])
        for label in rng.choice(3, size=per_country, p=mood):
            dlat, dlon = rng.normal(0, jitter_km / 111.0 / 2, size=2)  # ~111 km per degree
            rows.append(
                (
                    random_post(int(label), rng),
                    row.latitude + dlat,
                    row.longitude + dlon,
                    int(label),
                    row.iso3,
                )
            )
    return pd.DataFrame(rows, columns=["text", "latitude", "longitude", "true_label", "iso3"])
