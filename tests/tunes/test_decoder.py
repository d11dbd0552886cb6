import shutil
from fractions import Fraction

import pytest

from castlab.core.errors import CastlabError
from castlab.tunes.abc import abc_tokens
from castlab.tunes.bars import Kind, length_value, measure_bars, right_length_share, token_kind
from castlab.tunes.decoder import FormConfig, TuneGrammar
from castlab.tunes.evaluate import has_aabb_form
from castlab.tunes.generate import GenerateConfig, generate_tunes
from castlab.tunes.render import bar_length_warnings, parses_with_music21

SETTINGS = [
    ("jig", "6/8", "D"),
    ("reel", "2/2", "G"),
    ("hornpipe", "4/4", "A"),
    (None, None, None),
    ("slip jig", "9/8", "Em"),
]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("rhythm,meter,key", SETTINGS)
def test_any_model_writes_complete_right_length_aabb_tunes(random_model, seed, rhythm, meter, key):
    config = GenerateConfig(rhythm=rhythm, meter=meter, key=key, seed=seed, temperature=1.0)
    tune = generate_tunes(random_model, config)[0].tune
    bars = measure_bars(abc_tokens(tune.body), bar_units=tune.bar_units)
    full = [bar for bar in bars if bar.full]
    assert right_length_share(bars) == 1.0
    assert len(full) >= 16 and len(bars) <= 18  # 2 x 8 bars (+ second endings)
    assert has_aabb_form(tune, random_model.tokenizer)
    assert tune.body.startswith("|:") and tune.body.rstrip().endswith((":|", "|]"))
    if meter:
        assert (tune.rhythm, tune.meter, tune.key) == (rhythm, meter, key)


@pytest.mark.tools
@pytest.mark.skipif(shutil.which("abc2midi") is None, reason="abcmidi is not installed")
@pytest.mark.parametrize("seed", range(3))
def test_reference_tools_accept_constrained_tunes(random_model, seed):
    tune = generate_tunes(random_model, GenerateConfig(seed=seed, temperature=1.0))[0].tune
    assert bar_length_warnings(tune) == []
    assert parses_with_music21(tune)


def test_prompt_is_kept_and_checked(random_model):
    tune = generate_tunes(
        random_model, GenerateConfig(prompt="|:G", meter="6/8", key="G", rhythm="jig")
    )[0].tune
    assert tune.body.startswith("|:G")
    with pytest.raises(CastlabError, match="breaks the tune form"):
        generate_tunes(
            random_model, GenerateConfig(prompt="|:G8", meter="6/8", unit="1/8", rhythm="jig")
        )


def test_unknown_header_values_are_clear_errors(random_model):
    with pytest.raises(CastlabError, match="key 'C#' never appears.*choose one of"):
        generate_tunes(random_model, GenerateConfig(key="C#"))
    with pytest.raises(CastlabError, match="not a key"):
        generate_tunes(random_model, GenerateConfig(key="Q"))


def test_form_settings(random_model):
    form = FormConfig(parts=1, bars_per_part=4, pickup=False, endings=False)
    tune = generate_tunes(
        random_model, GenerateConfig(meter="2/4", rhythm=None, form=form, seed=1)
    )[0].tune
    bars = measure_bars(abc_tokens(tune.body), bar_units=tune.bar_units)
    assert [bar.full for bar in bars] == [True] * 4


def test_grammar_allows_only_the_form(oneills_tokenizer):
    grammar = TuneGrammar(oneills_tokenizer, rhythm="jig", meter="6/8", unit="1/8", key="D")
    ids = oneills_tokenizer.index
    for field in ("R:jig\n", "M:6/8\n", "L:1/8\n", "K:D\n"):
        assert grammar.allowed() == [ids[field]]
        grammar.advance(ids[field])
    assert [oneills_tokenizer.token(i) for i in grammar.allowed()] == ["|:"]
    grammar.advance(ids["|:"])
    allowed = {oneills_tokenizer.token(i) for i in grammar.allowed()}
    assert {"d", "z", "(3", "~"} <= allowed and not allowed & {"|", ":|", "[", "{", "2"}


def test_unconstrained_sampling_respects_length(random_model):
    generated = generate_tunes(
        random_model,
        GenerateConfig(constrained=False, length=30, meter="6/8", key="D", rhythm="jig"),
    )
    assert generated[0].new_tokens <= 4 + 1 + 30  # header fields, the "|:" prompt, 30 new


def test_pickup_when_asked_for(random_model):
    form = FormConfig(pickup=True)
    tunes = [
        generate_tunes(
            random_model,
            GenerateConfig(
                meter="6/8", unit="1/8", rhythm="jig", seed=s, form=form, temperature=1.5
            ),
        )[0]
        for s in range(6)
    ]
    for generated in tunes:
        bars = measure_bars(abc_tokens(generated.tune.body), bar_units=generated.tune.bar_units)
        assert right_length_share(bars) == 1.0
        assert has_aabb_form(generated.tune, random_model.tokenizer)


def test_a_pickup_the_prompt_starts_with_is_followed(random_model):
    """The default form has no pickup, but a user's prompt (the start of a real tune) may:
    it is kept, and part A's last bar is shortened by it, as in the form with a pickup."""
    for seed in range(3):
        tune = generate_tunes(
            random_model,
            GenerateConfig(
                meter="6/8", unit="1/8", rhythm="jig", key="D", prompt="|:D|G2A BdB|", seed=seed
            ),
        )[0].tune
        assert tune.body.startswith("|:D|G2A BdB|")
        bars = measure_bars(abc_tokens(tune.body), bar_units=tune.bar_units)
        assert right_length_share(bars) == 1.0 and not bars[0].full
        assert has_aabb_form(tune, random_model.tokenizer)


def test_tunes_sampled_side_by_side_are_the_tunes_sampled_one_by_one(random_model):
    config = GenerateConfig(rhythm="jig", count=3, seed=5, temperature=1.0)
    one_by_one = generate_tunes(random_model, GenerateConfig(**{**config.__dict__, "batch": 1}))
    side_by_side = generate_tunes(random_model, config)
    assert [g.tune.body for g in one_by_one] == [g.tune.body for g in side_by_side]
    assert [g.seed for g in side_by_side] == [5, 6, 7]


def test_decoder_notation_keeps_every_bar_length_and_uses_only_grammar_tokens(oneills):
    from castlab.tunes.bars import Kind, token_kind
    from castlab.tunes.decoder import decoder_notation

    assert decoder_notation("|:[d2f2]A [DF]>G|") == "|:d2A D>G|"
    banned = {Kind.SLUR, Kind.CHORD_OPEN, Kind.CHORD_CLOSE, Kind.GRACE_OPEN, Kind.OTHER}
    for tune in oneills.tunes[::8]:  # every 8th tune keeps the test short
        plain = tune.with_body(decoder_notation(tune.body))
        tokens = abc_tokens(plain.body)
        assert not {token_kind(t) for t in tokens} & banned, tune.source
        before = measure_bars(abc_tokens(tune.body), bar_units=tune.bar_units)
        after = measure_bars(tokens, bar_units=tune.bar_units)
        assert [b.duration for b in after] == [b.duration for b in before], tune.source


def test_temperature_defaults_to_the_models_choice_for_the_type(random_model, monkeypatch):
    from castlab.tunes import generate

    seen = []
    real = generate.SamplingConfig
    monkeypatch.setattr(generate, "SamplingConfig", lambda t, *a: seen.append(t) or real(t, *a))
    monkeypatch.setitem(random_model.info, "temperatures", {"jig": 0.9})
    generate_tunes(random_model, GenerateConfig(rhythm="jig", count=1))
    generate_tunes(random_model, GenerateConfig(rhythm="reel", count=1))
    generate_tunes(random_model, GenerateConfig(rhythm="jig", count=1, temperature=0.5))
    assert seen == [0.9, generate.DEFAULT_TEMPERATURE, 0.5]


def _first_refused(grammar, tokenizer, body):
    """Feed ``body`` to ``grammar``; the first token it does not allow (None: all allowed)."""
    ids = tokenizer.index
    for token in abc_tokens(body):
        if ids[token] not in grammar.allowed():
            return token
        grammar.advance(ids[token])
    return None


@pytest.mark.parametrize(
    "bar",
    [
        "dfa af(3d/e/f/|",  # the quick triplet in a jig bar's last eighth
        "(3d2e2f2 g2|",  # a triplet of quarters
        "(3.d.e.f gfed|",  # decorated triplet notes
        "(3def g4|",
    ],
)
def test_grammar_writes_the_corpus_triplets(oneills_tokenizer, bar):
    grammar = TuneGrammar(oneills_tokenizer, rhythm="jig", meter="6/8", unit="1/8", key="D")
    assert _first_refused(grammar, oneills_tokenizer, "R:jig\nM:6/8\nL:1/8\nK:D\n|:" + bar) is None


def test_grammar_keeps_triplets_inside_the_bar_and_on_the_grid(oneills_tokenizer):
    tok = oneills_tokenizer
    grammar = TuneGrammar(tok, rhythm="jig", meter="6/8", unit="1/8", key="D")
    assert _first_refused(grammar, tok, "R:jig\nM:6/8\nL:1/8\nK:D\n|:dfa af(3d") is None
    # one eighth left: the triplet's notes must be halved, nothing else fits
    assert {tok.token(i) for i in grammar.allowed()} <= {"/", "/2"}
    grammar.advance(tok.index["/"])
    assert _first_refused(grammar, tok, "e/f") is None
    assert {length_value(tok.token(i)) for i in grammar.allowed()} == {Fraction(1, 2)}


@pytest.mark.parametrize("seed", range(3))
def test_many_triplets_still_give_right_length_bars(random_model, seed):
    config = GenerateConfig(
        rhythm="jig", meter="6/8", seed=seed, temperature=1.0, triplet_temperature=4.0
    )
    tune = generate_tunes(random_model, config)[0].tune
    bars = measure_bars(abc_tokens(tune.body), bar_units=tune.bar_units)
    assert "(3" in tune.body
    assert right_length_share(bars) == 1.0 and len([b for b in bars if b.full]) >= 16


def test_grammar_pairs_two_notes_and_never_chains_a_broken_rhythm(oneills_tokenizer):
    tok = oneills_tokenizer
    grammar = TuneGrammar(tok, rhythm="hornpipe", meter="4/4", unit="1/8", key="D")
    header = "R:hornpipe\nM:4/4\nL:1/8\nK:D\n|:"
    assert _first_refused(grammar, tok, header + "A>Bc>d") is None  # pairs side by side
    # the second note of a pair takes no > or <: abc2midi timed c>e>a a sixteenth off
    assert not {">", "<"} & {tok.token(i) for i in grammar.allowed()}
    grammar.advance(tok.index["e"])
    assert ">" in {tok.token(i) for i in grammar.allowed()}  # a new pair may start


def test_a_pairs_second_note_is_as_long_as_its_first(oneills_tokenizer):
    tok = oneills_tokenizer
    grammar = TuneGrammar(tok, rhythm="hornpipe", meter="4/4", unit="1/8", key="D")
    assert _first_refused(grammar, tok, "R:hornpipe\nM:4/4\nL:1/8\nK:D\n|:A2>B") is None
    # abc2midi times only pairs of equal notes ("Notes not equal durations"): B takes the 2
    assert {length_value(tok.token(i)) for i in grammar.allowed()} == {Fraction(2)}
    grammar.advance(tok.index["2"])
    assert _first_refused(grammar, tok, "c>d") is None
    assert not {
        length_value(tok.token(i))
        for i in grammar.allowed()
        if token_kind(tok.token(i)) is Kind.LENGTH
    }
