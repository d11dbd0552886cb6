"""Some tokens drawn at their own temperature: triplets (or dotted pairs) at the model's own rate.

Sampling at a temperature below 1 sharpens every choice, so a minority choice such as a
triplet ``(3`` (about one chance in ten where a reel could have one) is drawn less often
than the model predicts it: on held-out corpus reels the shipped model gives ``(3`` 0.83 of
its real count at temperature 1 and 0.60 at the body's 0.7, and its reels had 0.55x the
corpus's triplets (measured in docs/results/tunes.md). :class:`TokenTemperature` wraps a
network so that the chosen tokens keep their probability at their own temperature while the
rest of the distribution is sharpened as before; its logits are meant to be divided by the
body's temperature by the sampler (``castlab.core.sampling``), which then draws the chosen
tokens with exactly the probability they have at ``token_temperature``.

It works the other way for a majority choice: in a hornpipe whose ``N:`` code says dotted,
``>`` is the likelier next token after most notes, and the shipped hornpipes' 0.55 made it
nearly certain (3.2 dotted pairs per bar in dotted hornpipes against the corpus's 2.5); drawn
at 1.5 they write 2.4 (tuning seeds, docs/results/tunes_tuning.md). In a plain slip jig an
occasional ``>`` is a minority choice again: teacher-forced on the corpus's plain slip jigs
the model's summed probability of ``>``/``<`` is 22.3 at temperature 1 and 8.3 at 0.7 against
18 real ones, and drawn at 1 they write the corpus's plain rate (0.014 pairs per bar).

Examples
--------
>>> import torch
>>> class Fixed(torch.nn.Module):
...     def step(self, idx, state=None):
...         return torch.log(torch.tensor([[[0.1, 0.6, 0.3]]])), state
>>> wrapped = TokenTemperature(Fixed(), [0], temperature=0.5)
>>> logits, _ = wrapped.step(torch.tensor([[0]]))
>>> [round(p, 3) for p in torch.softmax(logits[0, 0] / 0.5, dim=-1).tolist()]
[0.1, 0.72, 0.18]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from castlab.core.errors import CastlabError

__all__ = ["TokenTemperature"]


class TokenTemperature(nn.Module):
    """``network`` whose ``ids`` keep their probability at ``token_temperature``.

    ``token_temperature`` is one temperature for every id or one per id (triplets at one,
    broken rhythm ``>``/``<`` at another). The other tokens share the remaining mass in the
    proportions of ``temperature``; the returned logits are multiplied by ``temperature`` so
    that the sampler's division by it gives those probabilities. Should the kept tokens' own
    probabilities add up to more than 1 (possible only with several temperatures), they are
    scaled down to 1 together. The state is the wrapped network's, unchanged.
    """

    def __init__(
        self,
        network: nn.Module,
        ids: Sequence[int],
        *,
        temperature: float,
        token_temperature: float | Sequence[float] = 1.0,
    ) -> None:
        super().__init__()
        ids = list(ids)
        own = (
            [float(token_temperature)] * len(ids)
            if isinstance(token_temperature, int | float)
            else [float(t) for t in token_temperature]
        )
        if len(own) != len(ids):
            raise CastlabError(
                f"{len(own)} token temperatures for {len(ids)} tokens",
                fix="give one temperature, or one per token",
            )
        if temperature <= 0 or any(t <= 0 for t in own):
            raise CastlabError(
                "temperatures must be > 0 to keep some tokens at their own",
                fix="use e.g. --temperature 0.7",
            )
        self.network = network
        self.temperature = temperature
        self.token_temperature = token_temperature
        self.register_buffer("ids", torch.tensor(ids, dtype=torch.long), persistent=False)
        # one (temperature, positions in ids) group per distinct temperature
        self.groups = [
            (value, torch.tensor([i for i, t in enumerate(own) if t == value], dtype=torch.long))
            for value in sorted(set(own))
        ]

    def step(self, idx: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        """Run ``idx`` (B, T) from ``state``; logits (B, T, V) for the sampler and the state."""
        logits, state = self.network.step(idx, state)
        logits = logits.float()
        kept = logits.new_empty(*logits.shape[:-1], len(self.ids))
        for value, where in self.groups:
            kept[..., where] = torch.log_softmax(logits / value, dim=-1)[..., self.ids[where]]
        total = kept.exp().sum(dim=-1, keepdim=True)
        kept = kept - total.clamp_min(1.0).log()  # more than 1 only with several temperatures
        rest = (1 - total).clamp_min(1e-12).log()
        others = logits / self.temperature
        others[..., self.ids] = float("-inf")
        out = torch.log_softmax(others, dim=-1) + rest
        out[..., self.ids] = kept
        return out * self.temperature, state
