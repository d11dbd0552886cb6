import pytest
import torch

from castlab.core.errors import CastlabError
from castlab.core.language_model import LanguageModelConfig, build_language_model
from castlab.core.sampling import SamplingConfig, filter_logits, sample


def test_top_k_and_top_p_and_allowed():
    logits = torch.tensor([3.0, 2.0, 1.0, 0.0])
    assert filter_logits(logits, top_k=1).isinf().tolist() == [False, True, True, True]
    # softmax ~ [0.64, 0.24, 0.09, 0.03]: top_p 0.8 keeps the first two
    assert filter_logits(logits, top_p=0.8).isinf().tolist() == [False, False, True, True]
    assert filter_logits(logits, allowed=[2]).isinf().tolist() == [True, True, False, True]


def _model():
    torch.manual_seed(0)
    return build_language_model(
        LanguageModelConfig(kind="lstm", vocab_size=20, dim=16, hidden=16, layers=1)
    )


def test_seeded_sampling_is_reproducible_and_greedy_is_deterministic():
    model = _model()
    config = SamplingConfig(temperature=1.0, max_new_tokens=15)
    a = sample(model, [1], config, generator=torch.Generator().manual_seed(3))
    b = sample(model, [1], config, generator=torch.Generator().manual_seed(3))
    assert a == b and len(a) == 15
    greedy = SamplingConfig(temperature=0.0, max_new_tokens=10)
    assert sample(model, [1], greedy) == sample(model, [1], greedy)


class EvenThenStop:
    """Allows only even ids; after a dead end at step 3 asks to drop two tokens."""

    def __init__(self):
        self.tokens = []
        self.finished = False
        self.dead_end_done = False

    def allowed(self):
        if len(self.tokens) == 3 and not self.dead_end_done:
            return []
        return [i for i in range(4, 20, 2)]

    def advance(self, token_id):
        self.tokens.append(token_id)
        self.finished = len(self.tokens) >= 6

    def backtrack(self):
        self.dead_end_done = True
        del self.tokens[-2:]
        return 2


def test_constraint_is_respected_and_backtracking_works():
    constraint = EvenThenStop()
    out = sample(
        _model(),
        [1],
        SamplingConfig(temperature=1.0, max_new_tokens=50),
        generator=torch.Generator().manual_seed(0),
        constraint=constraint,
    )
    assert len(out) == 6 and all(t % 2 == 0 for t in out)
    assert out == constraint.tokens


def test_bad_settings():
    with pytest.raises(CastlabError):
        SamplingConfig(temperature=-1)
    with pytest.raises(CastlabError):
        SamplingConfig(top_p=0)
    with pytest.raises(CastlabError, match="empty prompt"):
        sample(_model(), [], SamplingConfig())


@pytest.mark.parametrize("value", [-0.1, float("nan"), float("inf")])
def test_a_temperature_that_is_not_a_number_at_least_0_is_refused(value):
    with pytest.raises(CastlabError, match="temperature must be a number >= 0"):
        SamplingConfig(temperature=value)
