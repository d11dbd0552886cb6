"""castlab.birds.prior: a place and week checked at once; BirdNET's range model as factors."""

import numpy as np
import pytest

from castlab.birds.prior import Place, place_factors
from castlab.core.errors import CastlabError


@pytest.mark.parametrize(
    ("kwargs", "said"),
    [
        ({"lat": 123.0, "lon": 0.0}, "not a place"),
        ({"lat": 0.0, "lon": 190.0}, "not a place"),
        ({"lat": 0.0, "lon": 0.0, "week": 0}, "not a BirdNET week"),
        ({"lat": 0.0, "lon": 0.0, "week": 49}, "not a BirdNET week"),
        ({"lat": 0.0, "lon": 0.0, "mode": "soft"}, "unknown prior mode"),
        ({"lat": 0.0, "lon": 0.0, "threshold": 1.5}, "not between 0 and 1"),
    ],
)
def test_a_place_that_is_not_one_is_refused(kwargs, said):
    with pytest.raises(CastlabError, match=said):
        Place(**kwargs)


def test_factors_switch_off_species_out_of_range_and_keep_unknown_ones():
    classes = ["black_capped_chickadee", "hoatzin", "made_up"]
    factors, scores = place_factors(classes, Place(42.45, -76.48, week=20))  # Ithaca, May
    assert factors.tolist() == [1.0, 0.0, 1.0]
    assert scores[0] > 0.03 > scores[1] and scores[2] is None
    weighted, _ = place_factors(classes, Place(42.45, -76.48, week=20, mode="weight"))
    assert weighted[0] == 1.0 and 0 <= weighted[1] < 0.1 and weighted[2] == 1.0
    amazon, _ = place_factors(classes, Place(-3.1, -60.0))  # Manaus, the whole year
    assert amazon[1] == 1.0 and amazon[0] == 0.0
    np.testing.assert_array_equal(
        place_factors(classes, Place(42.45, -76.48, week=20, threshold=0.99))[0], [0, 0, 1]
    )
