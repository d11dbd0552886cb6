import pytest
import torch

from castlab.core.errors import CastlabError
from castlab.core.language_model import LanguageModelConfig, build_language_model

TINY = dict(vocab_size=99, dim=32, hidden=32, layers=2, heads=4, block_size=64)


@pytest.mark.parametrize("kind", ["lstm", "transformer"])
def test_shapes_and_loss(kind):
    model = build_language_model(LanguageModelConfig(kind=kind, **TINY))
    idx = torch.randint(0, 99, (3, 10))
    logits, loss = model(idx, idx)
    assert logits.shape == (3, 10, 99)
    assert loss.item() == pytest.approx(torch.log(torch.tensor(99.0)).item(), rel=0.2)
    assert model(idx)[1] is None


@pytest.mark.parametrize("kind", ["lstm", "transformer"])
def test_step_by_step_matches_full_forward(kind):
    model = build_language_model(LanguageModelConfig(kind=kind, **TINY)).eval()
    idx = torch.randint(0, 99, (1, 12))
    full, _ = model(idx)
    logits, state = model.step(idx[:, :5])
    pieces = [logits]
    for t in range(5, 12):
        logits, state = model.step(idx[:, t : t + 1], state)
        pieces.append(logits)
    assert torch.allclose(torch.cat(pieces, dim=1), full, atol=1e-5)


@pytest.mark.parametrize("kind,lr", [("lstm", 1e-2), ("transformer", 3e-3)])
def test_learns_a_repeating_sequence(kind, lr):
    torch.manual_seed(0)
    model = build_language_model(
        LanguageModelConfig(
            kind=kind, vocab_size=12, dim=32, hidden=32, layers=1, heads=2, block_size=32
        )
    )
    ids = torch.arange(600) % 7 + 4
    optimizer = torch.optim.AdamW(model.parameters(), lr)
    for _ in range(150):
        starts = torch.randint(0, 560, (16,))
        x = torch.stack([ids[s : s + 24] for s in starts])
        y = torch.stack([ids[s + 1 : s + 25] for s in starts])
        _, loss = model(x, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    logits, _ = model(ids[:24].unsqueeze(0))
    assert (logits.argmax(-1)[0, 8:] == ids[9:25]).float().mean() > 0.95


def test_bad_configs_are_clear_errors():
    with pytest.raises(CastlabError, match="unknown model kind"):
        build_language_model(LanguageModelConfig(kind="rnn"))
    with pytest.raises(CastlabError, match="not divisible"):
        build_language_model(LanguageModelConfig(kind="transformer", dim=30, heads=4))
    model = build_language_model(LanguageModelConfig(kind="transformer", **TINY))
    with pytest.raises(CastlabError, match="longer than block_size"):
        model(torch.zeros(1, 65, dtype=torch.long))


@pytest.mark.parametrize("kind", ["lstm", "transformer"])
def test_logits_are_built_on_hidden_states(kind):
    config = LanguageModelConfig(
        kind=kind, vocab_size=17, dim=16, hidden=24, layers=2, heads=2, block_size=12
    )
    model = build_language_model(config).eval()
    idx = torch.randint(0, 17, (3, 7))
    states = model.hidden_states(idx)
    assert tuple(states.shape) == (3, 7, 16)
    logits, _ = model(idx)
    torch.testing.assert_close(model.decoder(states), logits)
