"""Sampling from a language model: temperature, top-k, top-p, and constrained decoding.

A *constraint* decides which token ids may come next (e.g. only notes that keep a bar at
the right length). When it reaches a dead end it asks the sampler to step back.

Examples
--------
>>> import torch
>>> logits = torch.tensor([2.0, 1.0, 0.5, -1.0])
>>> filter_logits(logits, top_k=2).isinf().tolist()
[False, False, True, True]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import torch

from castlab.core.errors import CastlabError

__all__ = ["Constraint", "SamplingConfig", "filter_logits", "sample", "sample_batch"]


@dataclass(frozen=True)
class SamplingConfig:
    """How to pick each next token."""

    temperature: float = 0.7  # 0 means greedy; higher is more adventurous
    top_k: int = 0  # keep only the k most likely tokens (0: off)
    top_p: float = 1.0  # keep the smallest set with this total probability (1: off)
    max_new_tokens: int = 100
    max_backtracks: int = 200  # constrained decoding: give up after this many dead ends

    def __post_init__(self) -> None:
        if not 0 <= self.temperature < float("inf"):  # nan and inf too: not a temperature
            raise CastlabError(
                f"temperature must be a number >= 0, not {self.temperature}", fix="use e.g. 0.7"
            )
        if not 0 < self.top_p <= 1:
            raise CastlabError("top_p must be in (0, 1]", fix="use e.g. 0.9")
        if self.top_k < 0:
            raise CastlabError("top_k must be >= 0", fix="use 0 to switch it off")


class Constraint(Protocol):
    """Hook for constrained decoding; ``castlab.tunes.decoder`` implements one for ABC."""

    finished: bool

    def allowed(self) -> Sequence[int] | None:
        """Ids allowed next, or ``None`` for any. An empty list is a dead end."""

    def advance(self, token_id: int) -> None:
        """Record that ``token_id`` was emitted."""

    def backtrack(self) -> int:
        """Undo back to a safe point after a dead end; return how many tokens to drop."""


def filter_logits(
    logits: torch.Tensor,
    *,
    top_k: int = 0,
    top_p: float = 1.0,
    allowed: Sequence[int] | None = None,
) -> torch.Tensor:
    """Set disallowed / unlikely logits (shape ``(V,)``) to ``-inf``."""
    logits = logits.clone().float()
    if allowed is not None:
        mask = torch.full_like(logits, float("-inf"))
        mask[list(allowed)] = 0.0
        logits = logits + mask
    if top_k > 0 and top_k < logits.numel():
        threshold = torch.topk(logits, top_k).values[-1]
        logits[logits < threshold] = float("-inf")
    if top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True)
        cumulative = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
        drop = cumulative - torch.softmax(sorted_logits, dim=-1) > top_p
        logits[order[drop]] = float("-inf")
    return logits


@torch.no_grad()
def sample(
    model: Any,
    prompt: Sequence[int],
    config: SamplingConfig,
    *,
    generator: torch.Generator | None = None,
    constraint: Constraint | None = None,
    stop_ids: Sequence[int] = (),
) -> list[int]:
    """Continue ``prompt`` token by token; return only the new ids.

    ``model.step(idx, state) -> (logits, state)`` is called with one token at a time, so an
    LSTM keeps its hidden state and a transformer its context. Generation stops at
    ``max_new_tokens``, at a token in ``stop_ids``, or when ``constraint.finished``.
    """
    if not prompt:
        raise CastlabError("empty prompt", fix="start with at least one token, e.g. <bos>")
    model.eval()
    logits, state = model.step(torch.tensor([list(prompt)]))
    history: list[tuple[torch.Tensor, Any]] = [(logits[0, -1], state)]  # after each token
    new: list[int] = []
    backtracks = 0
    limit = config.max_new_tokens
    while len(new) < limit and not (constraint is not None and constraint.finished):
        allowed = constraint.allowed() if constraint is not None else None
        if allowed is not None and len(allowed) == 0:
            backtracks += 1
            if backtracks > config.max_backtracks:
                raise CastlabError(
                    "constrained decoding kept reaching dead ends",
                    fix="raise the temperature or use a better-trained model",
                )
            drop = min(constraint.backtrack(), len(new))  # type: ignore[union-attr]
            del new[len(new) - drop :]
            del history[len(history) - drop :]
            continue
        last_logits, state = history[-1]
        filtered = filter_logits(
            last_logits, top_k=config.top_k, top_p=config.top_p, allowed=allowed
        )
        if config.temperature == 0:
            token = int(torch.argmax(filtered))
        else:
            probs = torch.softmax(filtered / config.temperature, dim=-1)
            token = int(torch.multinomial(probs, 1, generator=generator))
        new.append(token)
        if constraint is not None:
            constraint.advance(token)
        if token in stop_ids:
            break
        logits, state = model.step(torch.tensor([[token]]), state)
        history.append((logits[0, -1], state))
    return new


def _pick(logits: torch.Tensor, config: SamplingConfig, allowed: Any, generator: Any) -> int:
    filtered = filter_logits(logits, top_k=config.top_k, top_p=config.top_p, allowed=allowed)
    if config.temperature == 0:
        return int(torch.argmax(filtered))
    probs = torch.softmax(filtered / config.temperature, dim=-1)
    return int(torch.multinomial(probs, 1, generator=generator))


def _stack_states(states: Sequence[Any]) -> Any:
    """Recurrent states (a list of tensor tuples per layer, batch on dim 1) stacked."""
    return [
        tuple(torch.cat([s[layer][k] for s in states], dim=1) for k in range(len(states[0][layer])))
        for layer in range(len(states[0]))
    ]


def _split_state(state: Any, i: int) -> Any:
    return [tuple(t[:, i : i + 1] for t in layer) for layer in state]


@torch.no_grad()
def sample_batch(
    model: Any,
    prompts: Sequence[Sequence[int]],
    config: SamplingConfig,
    *,
    generators: Sequence[torch.Generator | None],
    constraints: Sequence[Constraint | None],
    stop_ids: Sequence[int] = (),
) -> list[list[int]]:
    """:func:`sample` for many sequences at once, one model step for all of them.

    For recurrent models whose state is a list of per-layer tensor tuples with the batch on
    dim 1 (the LSTM); each sequence keeps its own generator, constraint and backtracking, so
    sequence ``i`` draws the same tokens as ``sample`` with ``generators[i]`` up to
    floating-point differences of the batched step.
    """
    if any(not p for p in prompts):
        raise CastlabError("empty prompt", fix="start with at least one token, e.g. <bos>")
    model.eval()
    histories: list[list[tuple[torch.Tensor, Any]]] = []
    for prompt in prompts:
        logits, state = model.step(torch.tensor([list(prompt)]))
        histories.append([(logits[0, -1], state)])
    new: list[list[int]] = [[] for _ in prompts]
    backtracks = [0] * len(prompts)
    active = list(range(len(prompts)))
    while active:
        stepping: list[tuple[int, int]] = []
        for i in active:
            constraint = constraints[i]
            allowed = constraint.allowed() if constraint is not None else None
            while allowed is not None and len(allowed) == 0:
                backtracks[i] += 1
                if backtracks[i] > config.max_backtracks:
                    raise CastlabError(
                        "constrained decoding kept reaching dead ends",
                        fix="raise the temperature or use a better-trained model",
                    )
                drop = min(constraint.backtrack(), len(new[i]))  # type: ignore[union-attr]
                del new[i][len(new[i]) - drop :]
                del histories[i][len(histories[i]) - drop :]
                allowed = constraint.allowed()  # type: ignore[union-attr]
            token = _pick(histories[i][-1][0], config, allowed, generators[i])
            new[i].append(token)
            if constraint is not None:
                constraint.advance(token)
            done = (
                token in stop_ids
                or len(new[i]) >= config.max_new_tokens
                or (constraint is not None and constraint.finished)
            )
            if not done:
                stepping.append((i, token))
        if stepping:
            state = _stack_states([histories[i][-1][1] for i, _ in stepping])
            logits, state = model.step(torch.tensor([[t] for _, t in stepping]), state)
            for row, (i, _) in enumerate(stepping):
                histories[i].append((logits[row, -1], _split_state(state, row)))
        active = [i for i, _ in stepping]
    return new
