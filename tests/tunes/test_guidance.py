"""The dotting control code (N:) and type guidance, on a tiny untrained model."""

import pytest
import torch

from castlab.core.errors import CastlabError
from castlab.core.language_model import LanguageModelConfig, build_language_model
from castlab.core.tokenizers import BOS
from castlab.tunes.abc import Tune
from castlab.tunes.decoder import FormConfig
from castlab.tunes.generate import GenerateConfig, generate_tunes
from castlab.tunes.guidance import TypeGuidance
from castlab.tunes.model import TuneModel
from castlab.tunes.style import dotting

CODES = ["N:dotted\n", "N:plain\n"]


@pytest.fixture(scope="module")
def coded_model(random_model):
    """The random model taught the N: tokens (new ids at the end of the vocabulary)."""
    return random_model.with_tokens(CODES)


def test_with_tokens_keeps_every_old_id_and_weight(random_model, coded_model):
    old = random_model.tokenizer.vocab_size
    assert coded_model.tokenizer.vocab[:old] == random_model.tokenizer.vocab
    assert coded_model.tokenizer.vocab[old:] == CODES
    before = random_model.network.embedding.weight
    after = coded_model.network.embedding.weight
    assert torch.equal(after[:old], before)
    assert after.shape[0] == old + 2 and torch.isfinite(after[old:]).all()
    # the decoder stays tied to the embedding
    assert coded_model.network.decoder.weight.data_ptr() == after.data_ptr()
    assert random_model.with_tokens(["M:6/8\n"]) is random_model  # nothing new


def test_dotting_is_written_in_the_header_and_read_back():
    tune = Tune("t", "hornpipe", "2/2", "1/8", "D", "|:d>fa>f g>fe>d:|", dotting="dotted")
    assert tune.model_text.splitlines()[:3] == ["R:hornpipe", "M:2/2", "N:dotted"]
    again = Tune.from_model_text(tune.model_text)
    assert again.dotting == "dotted" and again.body == tune.body
    assert dotting(tune) == "dotted"
    assert dotting(tune.with_body("|:dfaf gfed:|")) == "plain"


@pytest.mark.parametrize("asked", ["dotted", "plain"])
def test_the_decoder_writes_the_dotting_asked_for(coded_model, asked):
    config = GenerateConfig(rhythm="hornpipe", meter="2/2", dotting=asked, seed=3)
    tune = generate_tunes(coded_model, config)[0].tune
    assert tune.dotting == asked and f"\nN:{asked}\n" in tune.model_text


@pytest.mark.parametrize(("meter", "seed"), [("9/8", 1), ("2/2", 2), ("6/8", 3)])
def test_a_dotted_tune_has_its_dotting_written_out(coded_model, meter, seed):
    # an untrained model writes > or < about once in a hundred tokens: the decoder holds an
    # N:dotted tune to the code's definition (style.dotting), as it holds N:plain under it
    config = GenerateConfig(meter=meter, dotting="dotted", seed=seed, temperature=1.0)
    tune = generate_tunes(coded_model, config)[0].tune
    assert dotting(tune) == "dotted"
    plain = GenerateConfig(**{**config.__dict__, "dotting": "plain"})
    assert dotting(generate_tunes(coded_model, plain)[0].tune) == "plain"


def test_dotting_errors_are_clear(random_model):
    with pytest.raises(CastlabError, match="unknown dotting"):
        GenerateConfig(dotting="swung")
    # a model that never saw the code says so
    with pytest.raises(CastlabError, match="dotting 'plain' never appears"):
        generate_tunes(random_model, GenerateConfig(dotting="plain"))


def test_the_unguided_stream_never_sees_the_type(coded_model):
    tok = coded_model.tokenizer
    guided = TypeGuidance(coded_model.network, tok, scale=2.0)
    layers = len(coded_model.network.rnns)
    states = {}
    for rhythm in ("jig", "reel"):
        ids = [BOS, tok.index[f"R:{rhythm}\n"], tok.index["M:6/8\n"]]
        _, state = guided.step(torch.tensor([ids]))
        states[rhythm] = state
    typed = [torch.equal(a, b) for a, b in zip(states["jig"][0], states["reel"][0], strict=True)]
    plain = [
        torch.equal(a, b)
        for i in range(layers, 2 * layers)
        for a, b in zip(states["jig"][i], states["reel"][i], strict=True)
    ]
    assert not all(typed) and all(plain)


def test_guidance_zero_samples_the_same_tunes(coded_model):
    config = GenerateConfig(rhythm="reel", meter="2/2", count=3, seed=5, temperature=1.0)
    plain = [g.tune.body for g in generate_tunes(coded_model, config)]
    zero = GenerateConfig(**{**config.__dict__, "guidance": 0.0})
    assert [g.tune.body for g in generate_tunes(coded_model, zero)] == plain


def test_guided_logits_follow_the_formula_in_the_body_only(coded_model):
    tok, network = coded_model.tokenizer, coded_model.network
    header = [tok.index[t] for t in ("M:2/2\n", "N:plain\n", "L:1/8\n", "K:D\n")]
    body = [tok.index[t] for t in ("|:", "d", "f", "a")]
    typed_ids = [BOS, tok.index["R:reel\n"], *header, *body]
    plain_guidance = TypeGuidance(network, tok, scale=2.0, keep_dotting=False)
    guided, _ = plain_guidance.step(torch.tensor([typed_ids]))
    with torch.no_grad():
        typed = torch.log_softmax(network.step(torch.tensor([typed_ids]))[0], dim=-1)[0]
        untyped = torch.log_softmax(network.step(torch.tensor([[BOS, *header, *body]]))[0], dim=-1)[
            0
        ]
    guided = guided[0]
    # the header's tokens (before K:, index 5) are chosen by the typed model alone
    torch.testing.assert_close(guided[:5], typed[:5])
    # the body's: typed + 2 * (typed - untyped), the untyped stream one token behind
    expected = typed[5:] + 2.0 * (typed[5:] - untyped[4:])
    torch.testing.assert_close(guided[5:], expected, rtol=1e-4, atol=1e-4)
    # by default > and < keep the typed model's probability; the rest shares what is left
    kept, _ = TypeGuidance(network, tok, scale=2.0).step(torch.tensor([typed_ids]))
    broken = [tok.index[t] for t in (">", "<") if t in tok.index]
    assert broken
    torch.testing.assert_close(kept[0, 5:, broken], typed[5:, broken])
    torch.testing.assert_close(kept[0, 5:].exp().sum(-1), torch.ones(len(body) + 1))


def test_guidance_against_a_type_reads_that_type_in_the_second_stream(coded_model):
    tok, network = coded_model.tokenizer, coded_model.network
    rest = [tok.index[t] for t in ("M:2/2\n", "L:1/8\n", "K:D\n", "|:", "d")]
    guidance = TypeGuidance(network, tok, scale=1.0, against="reel")
    _, state = guidance.step(torch.tensor([[BOS, tok.index["R:hornpipe\n"], *rest]]))
    with torch.no_grad():
        _, reel = network.step(torch.tensor([[BOS, tok.index["R:reel\n"], *rest]]))
    layers = len(network.rnns)
    for got, want in zip(state[layers : 2 * layers], reel, strict=True):
        torch.testing.assert_close(got, want)
    with pytest.raises(CastlabError, match="type 'polka' never appears"):
        TypeGuidance(network, tok, scale=1.0, against="polka")


def test_guidance_needs_an_lstm(coded_model):
    config = LanguageModelConfig(kind="transformer", vocab_size=20, dim=8, layers=1, heads=2)
    with pytest.raises(CastlabError, match="needs an LSTM"):
        TypeGuidance(build_language_model(config), coded_model.tokenizer, scale=1.0)
    for bad in (-1.0, float("nan"), float("inf")):  # nan and inf were a sampling traceback
        with pytest.raises(CastlabError, match=f"guidance {bad} must be a number >= 0"):
            GenerateConfig(guidance=bad)


def test_model_round_trip_keeps_the_new_tokens(tmp_path, coded_model):
    coded_model.save(tmp_path / "m")
    loaded = TuneModel.load(tmp_path / "m")
    assert loaded.tokenizer.vocab == coded_model.tokenizer.vocab


def test_a_plain_tune_keeps_under_half_a_dotted_pair_per_bar(coded_model):
    """A model that loves > still writes N:plain tunes with fewer than 8 in 16 bars."""
    import copy

    keen = copy.deepcopy(coded_model)
    with torch.no_grad():
        keen.network.decoder.bias[keen.tokenizer.index[">"]] += 8.0
    counts = {}
    for asked in ("plain", "dotted"):
        config = GenerateConfig(meter="2/2", unit="1/8", dotting=asked, count=4, seed=0)
        counts[asked] = [g.tune.body.count(">") for g in generate_tunes(keen, config)]
    assert max(counts["plain"]) < 8 and min(counts["dotted"]) > 8


def test_guidance_defaults_to_the_models_setting_for_the_type(coded_model, monkeypatch):
    import castlab.tunes.generate as generate

    built = []

    def recording(network, tokenizer, *, scale, against):
        built.append((scale, against))
        return TypeGuidance(network, tokenizer, scale=scale, against=against)

    monkeypatch.setattr(generate, "TypeGuidance", recording)
    monkeypatch.setitem(coded_model.info, "guidance", {"reel": {"scale": 2.0, "against": "jig"}})
    generate_tunes(coded_model, GenerateConfig(rhythm="reel", count=1))
    generate_tunes(coded_model, GenerateConfig(rhythm="jig", count=1))  # no setting: off
    generate_tunes(coded_model, GenerateConfig(rhythm="reel", count=1, guidance=0.0))
    generate_tunes(coded_model, GenerateConfig(rhythm="reel", count=1, guidance=1.0))
    assert built == [(2.0, "jig"), (1.0, None)]


def test_header_fields_left_open_follow_the_models_mix_at_temperature_one(coded_model):
    """A model 3:1 for N:plain writes about a quarter dotted at header temperature 1 and
    nearly none at 0.1, whatever the body's temperature."""
    import copy

    biased = copy.deepcopy(coded_model)
    index = biased.tokenizer.index
    with torch.no_grad():  # the biases decide N: (+20 swamps what the random weights add)
        bias = biased.network.decoder.bias
        bias[index["N:plain\n"]] = bias[index["N:dotted\n"]] + float(torch.log(torch.tensor(3.0)))
        bias[[index["N:plain\n"], index["N:dotted\n"]]] += 20.0
    shares = {}
    for header_temperature in (1.0, 0.1):
        config = GenerateConfig(
            meter="2/2",
            count=48,
            seed=0,
            temperature=0.7,
            header_temperature=header_temperature,
            form=FormConfig(bars_per_part=1, endings=False),
        )
        tunes = [g.tune for g in generate_tunes(biased, config)]
        shares[header_temperature] = sum(t.dotting == "dotted" for t in tunes) / len(tunes)
    assert 0.1 < shares[1.0] < 0.45 and shares[0.1] < 0.05
