import pytest

from castlab.tunes.abc import Tune
from castlab.tunes.data import split_tunes
from castlab.tunes.style import (
    discriminator_auc,
    key_signature,
    normalised_body,
    note_pitch,
    pitch_class_histogram,
    tune_statistics,
)


def test_key_signatures_and_pitches():
    assert key_signature("D") == (2, {"F": 1, "C": 1})
    assert key_signature("Edor") == (4, {"F": 1, "C": 1})
    assert key_signature("Gm") == (7, {"B": -1, "E": -1})
    signature = key_signature("D")[1]
    bar: dict[str, int] = {}
    assert note_pitch("f", signature, bar) == 78  # F sharp above middle C's octave
    assert note_pitch("=f", signature, bar) == 77
    assert note_pitch("f", signature, bar) == 77  # the natural lasts to the end of the bar
    assert note_pitch("C,", signature, {}) == 49  # C sharp, an octave down


def test_statistics_of_a_hand_written_tune():
    tune = Tune("t", "reel", "2/2", "1/8", "D", "|:D2 FA d>c BA|(3Bcd e>f {g}[df]2 d2:|")
    stats = tune_statistics(tune)
    assert stats["dotted_per_bar"] == 1.0
    assert stats["notes_per_bar"] == 7.0  # the chord counts once, the grace note not at all
    assert stats["triplets_per_bar"] == 0.5
    assert stats["range"] == 16  # D (62) to f sharp (78)
    assert stats["tonic_share"] == pytest.approx(5 / 14)
    histogram = pitch_class_histogram([tune])
    assert histogram.sum() == pytest.approx(1) and histogram[0] == pytest.approx(5 / 14)


def test_normalised_body_ignores_how_a_tune_was_typed():
    plain = Tune("a", "jig", "6/8", "1/8", "D", "|:dfa afd|[1 dfe d3:|[2 dfe d2 z|]")
    fancy = Tune(
        "b", "jig", "6/8", "1/8", "D", '|: "D"~d(fa) a{g}fd |\n|1 [df]fe d3 :|2 dfe d2z |]'
    )
    assert normalised_body(plain) == normalised_body(fancy) == "|dfaafd|dfed3|dfed2z|"


def test_discriminator_separates_real_from_fake_but_not_real_from_real(oneills):
    tunes = [t for t in split_tunes(oneills.tunes)["train"] if t.rhythm][:80]
    real_a, real_b = tunes[0::2], tunes[1::2]  # interleaved: the books differ in style
    fake = [t.with_body("|" + "A2 A2 B2 c2|" * 16) for t in real_b]
    assert discriminator_auc(real_a, real_b) < 0.75
    assert discriminator_auc(real_a, fake) > 0.95
