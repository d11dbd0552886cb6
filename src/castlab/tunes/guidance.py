"""Type guidance: sample a body that the model itself finds typical of the type asked for.

Classifier-free guidance for language models (Sanchez et al. 2023, "Stay on topic with
classifier-free guidance"): the model is run twice side by side, once on the header with the
type (``R:hornpipe``) and once on the same header without it (the model learnt untyped tunes
too), and each body token is drawn from

    log p_guided = log p(x | R, M, N, L, K) + scale * (log p(x | R, M, N, L, K) - log p(x | M, N, L, K))

so what the type adds to the meter, dotting and key (a hornpipe's cadences and triplets on
top of a 2/4 reel-like rhythm) is amplified; ``scale=0`` is plain sampling. Broken rhythm
(``>``, ``<``) keeps its typed probability (``keep_dotting``): the ``N:`` code decides the
dotting, and guiding it too turned asked-for plain hornpipes dotted. The judge is the
language model itself, not the benchmark's type classifier, so the fidelity it measures stays
independent. With ``against="reel"`` the second stream reads ``R:reel`` instead of no type,
so what makes a hornpipe rather than a reel is amplified (in 2/4 the untyped tunes are
marches and polkas, and guiding away from them made hornpipes more reel-like, measured in
docs/results/tunes.md). Header tokens are chosen without guidance.

:class:`TypeGuidance` wraps an LSTM network and has its ``step(idx, state)``, so the core
samplers (constrained, batched, backtracking) use it unchanged; its state is the two
streams' states plus the unguided stream's last logits, all with the batch on dim 1.

Examples
--------
>>> import torch
>>> from castlab.core.language_model import LanguageModelConfig, build_language_model
>>> from castlab.tunes.abc import abc_tokenizer
>>> tok = abc_tokenizer(["R:jig\\nM:6/8\\nL:1/8\\nK:D\\n|:dfa:|", "M:6/8\\nL:1/8\\nK:D\\n|:d:|"])
>>> config = LanguageModelConfig(vocab_size=tok.vocab_size, dim=8, hidden=8)
>>> guided = TypeGuidance(build_language_model(config).eval(), tok, scale=1.5)
>>> logits, state = guided.step(torch.tensor([[0, tok.index["R:jig\\n"]]]))
>>> logits.shape, len(state)
(torch.Size([1, 2, 13]), 5)
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from castlab.core.errors import CastlabError
from castlab.core.tokenizers import Tokenizer
from castlab.tunes.bars import Kind, token_kind

__all__ = ["TypeGuidance"]


class TypeGuidance(nn.Module):
    """An LSTM language model whose body logits are pushed towards the header's type."""

    def __init__(
        self,
        network: nn.Module,
        tokenizer: Tokenizer,
        *,
        scale: float,
        against: str | None = None,
        keep_dotting: bool = True,
    ) -> None:
        super().__init__()
        if not hasattr(network, "rnns"):
            raise CastlabError(
                "type guidance needs an LSTM tune model",
                fix="use --guidance 0, or a model trained with --model lstm",
            )
        if scale < 0:
            raise CastlabError("guidance must be >= 0", fix="use e.g. --guidance 1.0")
        self.network = network
        self.scale = scale
        self.layers = len(network.rnns)
        vocab = [tokenizer.token(i) for i in range(tokenizer.vocab_size)]
        # the unguided stream never sees the type; the body starts after K:
        self.register_buffer("type_ids", _header_ids(vocab, "R"), persistent=False)
        self.register_buffer("key_ids", _header_ids(vocab, "K"), persistent=False)
        # against="reel": the second stream reads R:reel instead of no type at all
        self.against = -1
        if against is not None:
            token = f"R:{against}\n"
            if token not in vocab:
                raise CastlabError(
                    f"tune type {against!r} never appears in the model's training tunes",
                    fix="guide against a type the model knows, e.g. reel",
                )
            self.against = vocab.index(token)
        # dotting has its own control code (N:): guidance leaves > and < their typed
        # probability, or it turns "plain" hornpipes dotted (measured in docs/results/tunes.md)
        broken = [i for i, t in enumerate(vocab) if token_kind(t) is Kind.BROKEN]
        self.register_buffer(
            "dotting_ids",
            torch.tensor(broken if keep_dotting else [], dtype=torch.long),
            persistent=False,
        )

    def step(self, idx: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        """Run ``idx`` (B, T) from ``state``; return guided logits (B, T, V) and the state."""
        outputs = []
        for t in range(idx.size(1)):
            logits, state = self._step_one(idx[:, t : t + 1], state)
            outputs.append(logits)
        return torch.cat(outputs, dim=1), state

    def _step_one(self, idx: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        n = self.layers
        typed, typed_state = self.network.step(idx, state[:n] if state else None)
        is_type = torch.isin(idx[:, 0], self.type_ids)  # (B,)
        other = idx if self.against < 0 else torch.where(is_type[:, None], self.against, idx)
        plain, plain_state = self.network.step(other, state[n : 2 * n] if state else None)
        skip = is_type if self.against < 0 else torch.zeros_like(is_type)
        if state:
            last_plain, in_body = state[2 * n]  # (1, B, V), (1, B, 1)
            if skip.any():  # the type token: the unguided stream stays where it was
                keep = skip.view(1, -1, 1)
                plain_state = [
                    tuple(torch.where(keep, old, new) for old, new in zip(o, p, strict=True))
                    for o, p in zip(state[n : 2 * n], plain_state, strict=True)
                ]
                plain = torch.where(keep.transpose(0, 1), last_plain.transpose(0, 1), plain)
        else:
            in_body = torch.zeros(1, idx.size(0), 1)
        in_body = torch.maximum(in_body, torch.isin(idx, self.key_ids).float().T.unsqueeze(-1))
        log_typed = torch.log_softmax(typed.float(), dim=-1)  # (B, 1, V)
        log_plain = torch.log_softmax(plain.float(), dim=-1)
        guided = log_typed + self.scale * (log_typed - log_plain)
        if self.dotting_ids.numel():
            kept = log_typed[..., self.dotting_ids]
            rest = 1 - kept.exp().sum(dim=-1, keepdim=True)  # the others' typed mass
            guided[..., self.dotting_ids] = float("-inf")
            guided = torch.log_softmax(guided, dim=-1) + rest.clamp_min(1e-12).log()
            guided[..., self.dotting_ids] = kept
        body = in_body.transpose(0, 1).bool()  # (B, 1, 1)
        logits = torch.where(body, guided, log_typed)
        return logits, [*typed_state, *plain_state, (plain.transpose(0, 1), in_body)]


def _header_ids(vocab: list[str], field: str) -> torch.Tensor:
    return torch.tensor(
        [i for i, t in enumerate(vocab) if t.startswith(f"{field}:") and t.endswith("\n")],
        dtype=torch.long,
    )
