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


def test_generation_uses_the_models_setting_for_the_type(random_model, monkeypatch):
    made = []
    original = TokenTemperature.__init__

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        made.append(kwargs)
        original(self, *args, **kwargs)

    monkeypatch.setattr(TokenTemperature, "__init__", spy)
    config = GenerateConfig(rhythm="reel", meter="2/2", count=2, seed=4, temperature=0.6)
    generate_tunes(random_model, config)
    assert made == []  # a model without triplet temperatures: triplets as the body
    monkeypatch.setitem(random_model.info, "triplet_temperatures", {"reel": 1.0})
    generate_tunes(random_model, config)
    assert made == [{"temperature": 0.6, "token_temperature": 1.0}]
    generate_tunes(random_model, GenerateConfig(**{**config.__dict__, "rhythm": "jig"}))
    generate_tunes(random_model, GenerateConfig(**{**config.__dict__, "triplet_temperature": 0.6}))
    assert len(made) == 1  # no setting for jigs; nothing to change at the body's temperature
    generate_tunes(random_model, GenerateConfig(**{**config.__dict__, "triplet_temperature": 2.0}))
    assert made[-1] == {"temperature": 0.6, "token_temperature": 2.0}
    with pytest.raises(CastlabError, match="triplet temperature"):
        GenerateConfig(triplet_temperature=0)
