from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from castlab.core.errors import CastlabError
from castlab.tunes.abc import (
    Tune,
    abc_tokens,
    default_unit,
    meter_fraction,
    normalise_body,
    normalise_key,
    normalise_meter,
    normalise_rhythm,
)


def test_tokens_of_the_blog_prompt_and_modifiers():
    assert abc_tokens("|:G") == ["|:", "G"]
    assert abc_tokens("=f^^g__a,2") == ["=f", "^^g", "__a,", "2"]
    assert abc_tokens("[1d3:|[2d2||") == ["[1", "d", "3", ":|", "[2", "d", "2", "||"]
    assert abc_tokens("{ag}a>b (3abc [CEG]2 ~g !trill!a") == [
        "{",
        "a",
        "g",
        "}",
        "a",
        ">",
        "b",
        " ",
        "(3",
        "a",
        "b",
        "c",
        " ",
        "[",
        "C",
        "E",
        "G",
        "]",
        "2",
        " ",
        "~",
        "g",
        " ",
        "!trill!",
        "a",
    ]
    assert abc_tokens("R:jig\nM:6/8\n|:d") == ["R:jig\n", "M:6/8\n", "|:", "d"]


def test_every_corpus_tune_round_trips_through_the_tokenizer(oneills, oneills_tokenizer):
    assert len(oneills.tunes) > 1900
    for tune in oneills.tunes:
        text = tune.model_text
        assert "".join(abc_tokens(text)) == text
    # with the learnt vocabulary: ids and back (train tunes only hold known tokens)
    for tune in oneills.tunes[:500]:
        ids = oneills_tokenizer.encode(tune.model_text)
        if 3 not in ids:  # <unk>: a token only a held-out tune has
            assert oneills_tokenizer.decode(ids) == tune.model_text


ABC_PIECES = st.sampled_from(
    [
        "A",
        "^c",
        "=F,",
        "_b'",
        "z",
        "2",
        "/2",
        "3/2",
        ">",
        "|",
        "|:",
        ":|",
        "||",
        "|]",
        "[1",
        "[2",
        "(3",
        " ",
        "\n",
        "{g}",
        "[CE]",
        "~",
        "-",
        "(",
        ")",
        "::",
        "[K:G]",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(ABC_PIECES, max_size=40))
def test_tokenize_then_join_is_identity(pieces):
    text = "".join(pieces)
    assert "".join(abc_tokens(text)) == text


def test_header_normalisation():
    assert normalise_meter("C") == "4/4" and normalise_meter("C|") == "2/2"
    assert normalise_meter(" 6/8 ") == "6/8"
    with pytest.raises(ValueError, match=r"not a meter: 'fast' \(a meter reads like 6/8"):
        normalise_meter("fast")
    with pytest.raises(ValueError, match="not a meter: '6-8'"):  # not int()'s own words
        normalise_meter("6-8")
    assert normalise_key("D Mixolydian") == "Dmix"
    assert normalise_key("Gmaj") == "G" and normalise_key("ador") == "Ador"
    assert normalise_key("F#m") == "F#m"
    assert normalise_key("Emn") == "E"  # a corpus's K: field: lenient (K:D clef=treble)
    for typo in ("Emn", "Gmx", "F#mn", "G clef=treble"):  # a user's --key: Emn meant E minor
        with pytest.raises(ValueError, match=f"not a key: {typo} .modes"):
            normalise_key(typo, strict=True)
    assert normalise_key("D mixolydian", strict=True) == "Dmix"
    assert normalise_rhythm("Double Jig") == "jig" and normalise_rhythm("SlipJig") == "slip jig"
    assert meter_fraction("6/8") == Fraction(3, 4)
    assert default_unit("2/4") == "1/16" and default_unit("6/8") == "1/8"


def test_body_normalisation_drops_non_melodic_parts():
    body = normalise_body(['"Am"A2  B | c "^text"d % a comment', "w: some lyrics", "K:G", "ga\\"])
    assert body == "A2 B | c d\n[K:G]\nga"


def test_tune_text_and_bar_units():
    tune = Tune("T", "reel", "2/2", "1/8", "D", "|:ABcd efga:|")
    assert tune.bar_units == 8
    again = Tune.from_model_text(tune.model_text, title="T")
    assert again.model_text == tune.model_text
    with pytest.raises(CastlabError):
        Tune.from_model_text("|:abc")
