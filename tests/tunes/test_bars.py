from fractions import Fraction

from castlab.tunes.abc import abc_tokens
from castlab.tunes.bars import Kind, length_value, measure_bars, right_length_share, token_kind


def durations(body, units=8, compound=False):
    bars = measure_bars(abc_tokens(body), bar_units=Fraction(units), compound=compound)
    return [bar.duration for bar in bars]


def test_lengths():
    assert [length_value(t) for t in ["2", "/2", "/", "//", "3/2", "3/"]] == [
        2,
        Fraction(1, 2),
        Fraction(1, 2),
        Fraction(1, 4),
        Fraction(3, 2),
        Fraction(3, 2),
    ]


def test_timing_rules():
    assert durations("A2B2 c4|") == [8]
    assert durations("A>B c<d A/B/c/d/ e2|") == [8]  # broken rhythm keeps pairs at 2 units
    assert durations("(3ABc d2 e4|") == [8]  # a triplet of eighths takes two eighths
    assert durations("[CEG]2 [ce]g {ag}a3 z|") == [8]  # chords: first note; grace: no time
    assert durations("A>>B c6|") == [8]
    assert durations("A8|[M:3/4]A6|") == [8, 6]
    assert durations("dfa afd|", units=6, compound=True) == [6]


def test_pickups_and_section_ends_count_as_right():
    bars = measure_bars(abc_tokens("A|dfa afd|dfa a2b:|\n|:fga gfe|d3 d2:|"), bar_units=Fraction(6))
    assert [b.duration for b in bars] == [1, 6, 6, 6, 5]
    assert right_length_share(bars) == 1.0
    wrong = measure_bars(abc_tokens("dfa afd|dfa a|dfa afd|"), bar_units=Fraction(6))
    assert right_length_share(wrong) == 2 / 3


def test_broken_rhythm_is_only_angle_brackets_not_the_special_tokens():
    assert {token_kind(t) for t in (">", ">>", "<", "<<")} == {Kind.BROKEN}
    # the tokenizer's specials start with < too; giving them the dotted pairs' temperature
    # (castlab.tunes.generate) or the decoder's broken-rhythm rules would be wrong
    assert {token_kind(t) for t in ("<pad>", "<bos>", "<eos>", "<unk>")} == {Kind.OTHER}
