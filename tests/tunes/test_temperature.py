"""Triplets drawn at their own temperature (castlab.tunes.temperature)."""

import pytest
import torch

from castlab.core.errors import CastlabError
from castlab.core.tokenizers import BOS
from castlab.tunes.bars import Kind, token_kind
from castlab.tunes.generate import GenerateConfig, generate_tunes
from castlab.tunes.temperature import TokenTemperature


def test_kept_tokens_have_their_own_probability_the_rest_is_sharpened(random_model):
    tok, network = random_model.tokenizer, random_model.network.eval()
    tuplets = [i for i in range(tok.vocab_size) if token_kind(tok.token(i)) is Kind.TUPLET]
    assert tuplets
    ids = torch.tensor([[BOS, *random_model.encode("M:2/2\nL:1/8\nK:D\n|:dfaf")[1:-1]]])
    wrapped = TokenTemperature(network, tuplets, temperature=0.5)
    with torch.no_grad():
        raw, _ = network.step(ids)
        logits, _ = wrapped.step(ids)
    drawn = torch.softmax(logits / 0.5, dim=-1)  # what the sampler draws from
    own = torch.softmax(raw.float(), dim=-1)
    sharp = torch.softmax(raw.float() / 0.5, dim=-1)
    torch.testing.assert_close(drawn[..., tuplets], own[..., tuplets])
    others = [i for i in range(tok.vocab_size) if i not in tuplets]
    share = drawn[..., others] / drawn[..., others].sum(-1, keepdim=True)
    want = sharp[..., others] / sharp[..., others].sum(-1, keepdim=True)
    torch.testing.assert_close(share, want)
    assert not torch.allclose(drawn[..., tuplets], sharp[..., tuplets])  # the change is real


def test_several_temperatures_each_keep_their_tokens_probability():
    class Fixed(torch.nn.Module):
        def step(self, idx, state=None):  # type: ignore[no-untyped-def]
            return torch.log(torch.tensor([[[0.1, 0.5, 0.3, 0.1]]])), state

    wrapped = TokenTemperature(Fixed(), [0, 3], temperature=0.5, token_temperature=[1.0, 2.0])
    logits, _ = wrapped.step(torch.tensor([[0]]))
    drawn = torch.softmax(logits[0, 0] / 0.5, dim=-1)
    raw = torch.tensor([0.1, 0.5, 0.3, 0.1])
    at_two = torch.softmax(raw.log() / 2.0, dim=-1)
    assert drawn[0].item() == pytest.approx(0.1, abs=1e-5)  # its own probability at 1
    assert drawn[3].item() == pytest.approx(at_two[3].item(), abs=1e-5)  # at 2: flatter
    sharp = torch.softmax(raw.log() / 0.5, dim=-1)
    assert (drawn[1] / drawn[2]).item() == pytest.approx((sharp[1] / sharp[2]).item(), rel=1e-4)
    assert drawn.sum().item() == pytest.approx(1.0, abs=1e-5)
    # kept tokens whose own probabilities add up to more than 1 are scaled down together
    high = TokenTemperature(Fixed(), [1, 2], temperature=0.5, token_temperature=[0.2, 5.0])
    logits, _ = high.step(torch.tensor([[0]]))
    assert torch.softmax(logits[0, 0] / 0.5, dim=-1).sum().item() == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(CastlabError, match="2 token temperatures for 1 tokens"):
        TokenTemperature(Fixed(), [0], temperature=0.5, token_temperature=[1.0, 2.0])


def test_generation_uses_the_models_setting_for_the_type(random_model, monkeypatch):
    made = []
    original = TokenTemperature.__init__
    tok = random_model.tokenizer
    kinds = {i: token_kind(tok.token(i)) for i in range(tok.vocab_size)}

    def spy(self, network, ids, **kwargs):  # type: ignore[no-untyped-def]
        original(self, network, ids, **kwargs)
        own = dict(zip(ids, kwargs["token_temperature"], strict=True))
        made.append((kwargs["temperature"], {(kinds[i], t) for i, t in own.items()}))

    monkeypatch.setattr(TokenTemperature, "__init__", spy)
    config = GenerateConfig(rhythm="reel", meter="2/2", count=2, seed=4, temperature=0.6)
    generate_tunes(random_model, config)
    assert made == []  # a model without triplet temperatures: triplets as the body
    monkeypatch.setitem(random_model.info, "triplet_temperatures", {"reel": 1.0})
    generate_tunes(random_model, config)
    assert made == [(0.6, {(Kind.TUPLET, 1.0)})]
    generate_tunes(random_model, GenerateConfig(**{**config.__dict__, "rhythm": "jig"}))
    generate_tunes(random_model, GenerateConfig(**{**config.__dict__, "triplet_temperature": 0.6}))
    assert len(made) == 1  # no setting for jigs; nothing to change at the body's temperature
    generate_tunes(random_model, GenerateConfig(**{**config.__dict__, "triplet_temperature": 2.0}))
    assert made[-1] == (0.6, {(Kind.TUPLET, 2.0)})
    # dotted pairs (> <) at their own temperature, from the model's info or asked for
    monkeypatch.setitem(random_model.info, "dotted_temperatures", {"reel": 0.9})
    generate_tunes(random_model, config)  # one sampler for N:plain tunes, one for N:dotted
    assert made[-2:] == [
        (0.6, {(Kind.TUPLET, 1.0)}),
        (0.6, {(Kind.TUPLET, 1.0), (Kind.BROKEN, 0.9)}),
    ]
    before = len(made)
    generate_tunes(random_model, GenerateConfig(**{**config.__dict__, "dotted_temperature": 0.6}))
    assert made[before:] == [(0.6, {(Kind.TUPLET, 1.0)})]  # the body's: no change for > and <
    with pytest.raises(CastlabError, match="triplet temperature"):
        GenerateConfig(triplet_temperature=0)
    with pytest.raises(CastlabError, match="dotted temperature"):
        GenerateConfig(dotted_temperature=-1)


def test_dotted_pairs_keep_their_own_temperature_only_in_dotted_tunes(random_model, monkeypatch):
    from castlab.tunes import generate as generate_module

    model = random_model.with_tokens(["N:dotted\n", "N:plain\n"])
    seen = []
    original = generate_module._sample

    def spy(network, batch):  # type: ignore[no-untyped-def]
        wrapped = isinstance(network, TokenTemperature)
        seen.extend((job.grammar.fixed["N"], wrapped) for job in batch)
        return original(network, batch)

    monkeypatch.setattr(generate_module, "_sample", spy)
    # N: left open and drawn like the body (header_temperature None): it is still drawn first,
    # so each tune's sampler is known before its body
    config = GenerateConfig(
        meter="2/2",
        count=8,
        seed=1,
        temperature=0.6,
        dotted_temperature=1.5,
        header_temperature=None,
    )
    tunes = generate_tunes(model, config)
    assert sorted(code for code, _ in seen) == sorted(g.tune.dotting for g in tunes)
    assert {code for code, _ in seen} == {"dotted", "plain"}
    assert all(wrapped == (code == "dotted") for code, wrapped in seen)


def test_plain_tunes_can_have_a_dotted_temperature_of_their_own(random_model, monkeypatch):
    from castlab.tunes import generate as generate_module

    model = random_model.with_tokens(["N:dotted\n", "N:plain\n"])
    kinds = {i: token_kind(model.tokenizer.token(i)) for i in range(model.tokenizer.vocab_size)}
    seen = []
    original = generate_module._sample

    def spy(network, batch):  # type: ignore[no-untyped-def]
        own = set()
        if isinstance(network, TokenTemperature):
            temperatures = network.token_temperature
            if isinstance(temperatures, float):
                temperatures = [temperatures] * len(network.ids)
            own = {(kinds[i], t) for i, t in zip(network.ids.tolist(), temperatures, strict=True)}
        seen.extend((job.grammar.fixed["N"], own) for job in batch)
        return original(network, batch)

    monkeypatch.setattr(generate_module, "_sample", spy)
    config = GenerateConfig(
        rhythm="reel", meter="2/2", count=8, seed=1, temperature=0.6, header_temperature=None
    )
    asked = GenerateConfig(**{**config.__dict__, "plain_dotted_temperature": 1.0})
    tunes = generate_tunes(model, asked)
    assert sorted(code for code, _ in seen) == sorted(g.tune.dotting for g in tunes)
    assert {code for code, _ in seen} == {"dotted", "plain"}
    # > and < at 1 in the plain tunes only; the dotted ones keep the body's temperature
    assert all(own == ({(Kind.BROKEN, 1.0)} if code == "plain" else set()) for code, own in seen)
    # the model's stored setting for the type does the same; both settings side by side
    monkeypatch.setitem(model.info, "plain_dotted_temperatures", {"reel": 1.0})
    monkeypatch.setitem(model.info, "dotted_temperatures", {"reel": 1.5})
    seen.clear()
    stored = generate_tunes(model, config)
    # the same plain tunes as when asked for (same seeds, same sampler)
    plain = [i for i, g in enumerate(tunes) if g.tune.dotting == "plain"]
    assert [stored[i].tune.model_text for i in plain] == [tunes[i].tune.model_text for i in plain]
    assert {code for code, _ in seen} == {"dotted", "plain"}
    assert all(own == {(Kind.BROKEN, 1.0 if code == "plain" else 1.5)} for code, own in seen)
    seen.clear()
    generate_tunes(model, GenerateConfig(**{**config.__dict__, "rhythm": "jig"}))
    assert all(own == set() for _, own in seen)  # no setting for jigs
    with pytest.raises(CastlabError, match="plain dotted temperature"):
        GenerateConfig(plain_dotted_temperature=0)
