"""Two next-token language models shared by tunes and proteins.

- :class:`LSTMLanguageModel`: AWD-LSTM style (Merity et al. 2017): embedding dropout,
  locked (variational) dropout between layers, DropConnect on the hidden-to-hidden weights,
  and a decoder tied to the embedding.
- :class:`GPTLanguageModel`: a small GPT-style transformer (pre-norm, causal self-attention).

Both follow one contract: ``forward(idx, targets=None) -> (logits, loss)`` with
``idx`` of shape ``(B, T)`` and ``logits`` of shape ``(B, T, vocab_size)``, and
``step(idx, state) -> (logits, state)`` for fast token-by-token generation. Both build
their logits on ``hidden_states(idx) -> (B, T, dim)``, the one forward pass a domain calls
when it needs features (e.g. a classifier head on a pretrained encoder).

Examples
--------
>>> import torch
>>> model = build_language_model(LanguageModelConfig(kind="lstm", vocab_size=99, dim=32,
...                                                  hidden=32, layers=1))
>>> logits, loss = model(torch.zeros(2, 5, dtype=torch.long), torch.zeros(2, 5, dtype=torch.long))
>>> tuple(logits.shape)
(2, 5, 99)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from castlab.core.errors import CastlabError, require_sizes

__all__ = [
    "GPTLanguageModel",
    "LSTMLanguageModel",
    "LanguageModelConfig",
    "build_language_model",
]


@dataclass(frozen=True)
class LanguageModelConfig:
    """Size and regularisation of a language model."""

    kind: str = "lstm"  # "lstm" (AWD-LSTM style) or "transformer" (GPT style)
    vocab_size: int = 256
    dim: int = 256  # embedding width (and transformer width)
    hidden: int = 512  # LSTM hidden size (ignored by the transformer)
    layers: int = 2
    heads: int = 4  # transformer attention heads
    block_size: int = 256  # longest context the transformer sees
    dropout: float = 0.1  # output / between-layer dropout
    embed_dropout: float = 0.05  # LSTM: drop whole embedding rows
    weight_dropout: float = 0.2  # LSTM: DropConnect on hidden-to-hidden weights

    def __post_init__(self) -> None:
        # a saved model's config.json may say anything: layers 10**9 built for minutes
        require_sizes(self, {"layers": 64, "heads": 256})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _LockedDropout(nn.Module):
    """The same dropout mask for every time step of a sequence (variational dropout)."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, T, C)
        if not self.training or self.p == 0:
            return x
        mask = x.new_empty(x.size(0), 1, x.size(2)).bernoulli_(1 - self.p) / (1 - self.p)
        return x * mask


class _WeightDropLSTM(nn.Module):
    """One LSTM layer whose hidden-to-hidden weights get DropConnect while training."""

    def __init__(self, input_size: int, hidden_size: int, weight_dropout: float) -> None:
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, batch_first=True)
        self.weight_dropout = weight_dropout

    def forward(
        self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        if not self.training or self.weight_dropout == 0:
            return self.lstm(x, state)
        params = dict(self.lstm.named_parameters())
        params["weight_hh_l0"] = F.dropout(params["weight_hh_l0"], self.weight_dropout, True)
        return torch.func.functional_call(self.lstm, params, (x, state))


class LSTMLanguageModel(nn.Module):
    """AWD-LSTM-style language model with a tied decoder."""

    def __init__(self, config: LanguageModelConfig) -> None:
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.dim)
        sizes = [config.dim] + [config.hidden] * (config.layers - 1) + [config.dim]
        self.rnns = nn.ModuleList(
            _WeightDropLSTM(sizes[i], sizes[i + 1], config.weight_dropout)
            for i in range(config.layers)
        )
        self.dropout = _LockedDropout(config.dropout)
        self.decoder = nn.Linear(config.dim, config.vocab_size)
        self.decoder.weight = self.embedding.weight  # weight tying
        # with a tied decoder, a too-small embedding keeps a 2-layer LSTM stuck at unigram
        # statistics for hundreds of steps; +-0.5 starts learning at once (measured)
        nn.init.uniform_(self.embedding.weight, -0.5, 0.5)

    def _embed(self, idx: torch.Tensor) -> torch.Tensor:
        weight = self.embedding.weight
        p = self.config.embed_dropout
        if self.training and p > 0:
            mask = weight.new_empty(weight.size(0), 1).bernoulli_(1 - p) / (1 - p)
            weight = weight * mask
        return F.embedding(idx, weight)

    def _run(self, idx: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        x = self.dropout(self._embed(idx))  # (B, T, C)
        states = state or [None] * len(self.rnns)
        new_states = []
        for i, rnn in enumerate(self.rnns):
            x, layer_state = rnn(x, states[i])
            new_states.append(layer_state)
            x = self.dropout(x)
        return x, new_states

    def hidden_states(self, idx: torch.Tensor) -> torch.Tensor:
        """Last-layer hidden states (B, T, dim) of ``idx`` (B, T), before the decoder."""
        return self._run(idx, None)[0]

    def step(self, idx: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        """Run ``idx`` (B, T) from ``state``; return logits (B, T, V) and the new state."""
        x, new_states = self._run(idx, state)
        return self.decoder(x), new_states

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        logits, _ = self.step(idx)
        return logits, _loss(logits, targets)


class _Block(nn.Module):
    def __init__(self, config: LanguageModelConfig) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(config.dim)
        self.qkv = nn.Linear(config.dim, 3 * config.dim)
        self.proj = nn.Linear(config.dim, config.dim)
        self.norm2 = nn.LayerNorm(config.dim)
        self.mlp = nn.Sequential(
            nn.Linear(config.dim, 4 * config.dim),
            nn.GELU(),
            nn.Linear(4 * config.dim, config.dim),
        )
        self.heads = config.heads
        self.dropout = config.dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, T, C)
        B, T, C = x.shape
        q, k, v = self.qkv(self.norm1(x)).split(C, dim=2)
        shape = (B, T, self.heads, C // self.heads)
        q, k, v = (t.view(shape).transpose(1, 2) for t in (q, k, v))  # (B, H, T, C/H)
        p = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=p)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        x = x + F.dropout(self.proj(y), p, self.training)
        return x + F.dropout(self.mlp(self.norm2(x)), p, self.training)


class GPTLanguageModel(nn.Module):
    """A small GPT-style transformer language model."""

    def __init__(self, config: LanguageModelConfig) -> None:
        super().__init__()
        if config.dim % config.heads:
            raise CastlabError(
                f"dim {config.dim} is not divisible by heads {config.heads}",
                fix="choose dim as a multiple of heads",
            )
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.dim)
        self.position = nn.Embedding(config.block_size, config.dim)
        self.blocks = nn.ModuleList(_Block(config) for _ in range(config.layers))
        self.norm = nn.LayerNorm(config.dim)
        self.decoder = nn.Linear(config.dim, config.vocab_size, bias=False)
        self.decoder.weight = self.embedding.weight
        self.apply(self._init)
        for name, param in self.named_parameters():
            if name.endswith("proj.weight") or name.endswith("mlp.2.weight"):
                nn.init.normal_(param, 0.0, 0.02 / math.sqrt(2 * config.layers))

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, 0.0, 0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def hidden_states(self, idx: torch.Tensor) -> torch.Tensor:
        """Last-layer hidden states (B, T, dim) of ``idx`` (B, T), before the decoder."""
        positions = torch.arange(idx.size(1), device=idx.device)
        x = self.embedding(idx) + self.position(positions)  # (B, T, C)
        x = F.dropout(x, self.config.dropout, self.training)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)

    def _logits(self, idx: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.hidden_states(idx))  # (B, T, V)

    def step(self, idx: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        """Append ``idx`` to the context in ``state``; logits for the new positions."""
        context = idx if state is None else torch.cat([state, idx], dim=1)
        context = context[:, -self.config.block_size :]
        logits = self._logits(context)
        return logits[:, -idx.size(1) :], context

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        if idx.size(1) > self.config.block_size:
            raise CastlabError(
                f"sequence of {idx.size(1)} tokens is longer than block_size "
                f"{self.config.block_size}",
                fix="use shorter training sequences or a larger block_size",
            )
        logits = self._logits(idx)
        return logits, _loss(logits, targets)


def _loss(logits: torch.Tensor, targets: torch.Tensor | None) -> torch.Tensor | None:
    if targets is None:
        return None
    # targets == -100 are ignored (padding)
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), targets.reshape(-1))


def build_language_model(config: LanguageModelConfig) -> nn.Module:
    """Build the model named by ``config.kind``."""
    if config.kind == "lstm":
        return LSTMLanguageModel(config)
    if config.kind == "transformer":
        return GPTLanguageModel(config)
    raise CastlabError(f"unknown model kind {config.kind!r}", fix="use lstm or transformer")
