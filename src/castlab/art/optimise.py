"""The one optimisation loop: render the parameters, score the image, step, repeat.

:class:`Optimisation` works with any :class:`~castlab.art.parameterisations.Parameterisation`
and any :class:`~castlab.art.goals.Goals`. It keeps the best image so far (lowest total
loss), frames for an animation and a per-step history *as attributes*, so when a run is
stopped (Ctrl-C, an error) the caller still has everything done until then.

Examples
--------
>>> import torch
>>> from castlab.art.goals import Goals, TargetMSE
>>> from castlab.art.parameterisations import PixelImage
>>> _ = torch.manual_seed(0)
>>> target = torch.rand(1, 3, 16, 16)
>>> run = Optimisation(PixelImage(16), Goals([(1.0, TargetMSE(target))]), lr=0.1).run(100)
>>> bool(run.history_[-1]["loss"] < 0.2 * run.history_[0]["loss"])
True
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from castlab.art.augment import random_views
from castlab.art.data import to_array, to_uint8
from castlab.art.goals import Goals
from castlab.art.parameterisations import Parameterisation
from castlab.core.errors import CastlabError

__all__ = ["PRECISIONS", "Optimisation", "Step"]

PRECISIONS = ("fp32", "bf16")
#: the training commands' (Lightning's) names for the same two
PRECISION_ALIASES = {"32-true": "fp32", "32": "fp32", "bf16-mixed": "bf16", "bf16-true": "bf16"}


@dataclass
class Step:
    """What a callback sees after each step."""

    step: int  # 1-based count of steps done
    steps: int  # steps asked for
    loss: float  # total weighted loss of the image rendered at this step
    parts: dict[str, float]  # unweighted loss of each goal
    image: torch.Tensor  # (1, 3, H, W) rendered at this step, detached
    frame: np.ndarray | None = None  # uint8 (H, W, 3) when a frame was kept at this step


@dataclass
class Optimisation:
    """Adam on a parameterisation's parameters to lower a weighted sum of goals.

    Parameters
    ----------
    parameterisation:
        What renders the image.
    goals:
        What scores it.
    lr:
        Adam learning rate (default: the parameterisation's ``default_lr``).
    views:
        Augmented views per step for goals that are not aligned (style, CLIP); 0: none.
    precision:
        ``"fp32"`` or ``"bf16"`` (CPU autocast around rendering and scoring).
    seed:
        Seed of the augmentation draws.
    frame_every:
        Keep a frame every this many steps (and the first and last).
    """

    parameterisation: Parameterisation
    goals: Goals
    lr: float | None = None
    views: int = 0
    precision: str = "fp32"
    seed: int = 0
    frame_every: int = 10
    # filled as the run goes
    best_image_: torch.Tensor | None = field(default=None, init=False)
    best_loss_: float = field(default=float("inf"), init=False)
    best_step_: int = field(default=0, init=False)
    history_: list[dict[str, float]] = field(default_factory=list, init=False)
    frames_: list[tuple[int, np.ndarray]] = field(default_factory=list, init=False)
    last_image_: torch.Tensor | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.precision = PRECISION_ALIASES.get(self.precision, self.precision)
        if self.precision not in PRECISIONS:
            raise CastlabError(
                f"unknown precision {self.precision!r}", fix=f"use {' or '.join(PRECISIONS)}"
            )
        if self.views < 0:
            raise CastlabError(f"{self.views} views", fix="use --views 0 or more")
        self.frame_every = max(1, int(self.frame_every))
        lr = self.lr if self.lr is not None else self.parameterisation.default_lr
        if not 0 < lr < float("inf"):
            raise CastlabError(f"learning rate {lr}", fix="use a positive --lr, e.g. 0.05")
        self.optimiser = torch.optim.Adam(self.parameterisation.parameters(), lr=lr)
        self.generator = torch.Generator().manual_seed(self.seed)

    @property
    def best_array(self) -> np.ndarray:
        """The best image so far as ``(H, W, 3)`` floats in ``[0, 1]``."""
        if self.best_image_ is None:
            raise CastlabError("no step has run yet", fix="run at least one step")
        return to_array(self.best_image_)

    def _score(self) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            image = self.parameterisation()
            views = None
            if self.views and self.goals.needs_views:
                views = random_views(image, count=self.views, generator=self.generator)
            total, parts = self.goals(image, views)
        return image, total, parts

    def run(
        self,
        steps: int,
        *,
        callback: Callable[[Step], Any] | None = None,
        progress: bool = False,
    ) -> Optimisation:
        """Take ``steps`` optimiser steps (more on a second call); return ``self``."""
        if steps < 1:
            raise CastlabError(f"{steps} steps", fix="use --steps 1 or more")
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=steps, desc="painting", unit="step", leave=False)
        done = len(self.history_)
        start = time.perf_counter()
        try:
            for i in range(done + 1, done + steps + 1):
                image, total, parts = self._score()
                if not torch.isfinite(total):
                    raise CastlabError(
                        f"the loss became {float(total.detach())} at step {i}", fix="lower --lr"
                    )
                self.optimiser.zero_grad(set_to_none=True)
                total.backward()
                self.optimiser.step()
                image = image.detach().float()
                loss = float(total.detach())
                self.last_image_ = image
                if loss < self.best_loss_:
                    self.best_loss_, self.best_step_, self.best_image_ = loss, i, image
                numbers = {name: float(value.detach()) for name, value in parts.items()}
                seconds = time.perf_counter() - start
                self.history_.append({"step": i, "loss": loss, **numbers, "seconds": seconds})
                frame = None
                if i == 1 or i % self.frame_every == 0 or i == done + steps:
                    frame = to_uint8(to_array(image))
                    self.frames_.append((i, frame))
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{loss:.4g}")
                if callback is not None:
                    callback(Step(i, done + steps, loss, numbers, image, frame))
        finally:
            if bar is not None:
                bar.close()
        return self

    def steps_per_second(self) -> float:
        """Mean speed of the steps run so far (0 before any)."""
        if not self.history_:
            return 0.0
        return len(self.history_) / max(self.history_[-1]["seconds"], 1e-9)
