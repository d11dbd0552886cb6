"""Goals: differentiable scores of an image, composable with weights (lower is better).

Every goal is a :class:`Goal` module: ``goal(image) -> scalar loss`` for images
``(B, 3, H, W)`` in ``[0, 1]``. Goals that compare pixel positions with a reference
(``aligned = True``: target MSE and SSIM, content, total variation, palette) see the rendered
image itself; the others (style, CLIP text) see augmented views of it when the loop makes
some, so the result does not overfit one framing.

Examples
--------
>>> import torch
>>> target = torch.rand(1, 3, 32, 32)
>>> goals = Goals([(1.0, TargetMSE(target)), (0.1, TotalVariation())])
>>> total, parts = goals(target, target)
>>> sorted(parts), round(float(parts["mse"]), 6)
(['mse', 'tv'], 0.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import torch
from torch import nn

from castlab.core.errors import CastlabError, Fix

__all__ = [
    "GOALS",
    "Content",
    "Goal",
    "Goals",
    "Palette",
    "Style",
    "TargetMSE",
    "TargetSSIM",
    "TotalVariation",
    "gram_matrix",
    "parse_goal",
]


class Goal(nn.Module):
    """Base class: ``forward(image (B, 3, H, W)) -> scalar``; ``name`` labels its loss."""

    name: ClassVar[str] = ""
    aligned: ClassVar[bool] = True  # compares positions: sees the un-augmented image


def _fit(reference: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
    if reference.shape[-2:] != image.shape[-2:]:
        reference = nn.functional.interpolate(
            reference, size=image.shape[-2:], mode="bilinear", align_corners=False
        )
    return reference.to(image.dtype)


class TargetMSE(Goal):
    """Mean squared error to a target image ``(1, 3, H, W)``."""

    name = "mse"

    def __init__(self, target: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("target", target)

    def forward(self, image: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return ((image - _fit(self.target, image)) ** 2).mean()


class TargetSSIM(Goal):
    """``1 - SSIM`` against a target image (pytorch-msssim, 11-pixel Gaussian window)."""

    name = "ssim"

    def __init__(self, target: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("target", target)

    def forward(self, image: torch.Tensor) -> torch.Tensor:  # noqa: D102
        from pytorch_msssim import ssim

        target = _fit(self.target, image).expand_as(image)
        # SSIM's constants (1e-4, 9e-4) vanish in bf16: always compute it in fp32
        with torch.autocast("cpu", enabled=False):
            return 1 - ssim(image.float(), target.float(), data_range=1.0, size_average=True)


class TotalVariation(Goal):
    """Mean absolute difference between neighbouring pixels (smoothness)."""

    name = "tv"

    def forward(self, image: torch.Tensor) -> torch.Tensor:  # noqa: D102
        dy = (image[..., 1:, :] - image[..., :-1, :]).abs().mean()
        dx = (image[..., :, 1:] - image[..., :, :-1]).abs().mean()
        return dx + dy


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """Channel co-activation ``(B, C, C)`` of feature maps ``(B, C, H, W)``, divided by H*W.

    Examples
    --------
    >>> gram_matrix(torch.ones(2, 4, 3, 3)).shape
    torch.Size([2, 4, 4])
    """
    b, c, h, w = features.shape
    flat = features.reshape(b, c, h * w)
    return flat @ flat.transpose(1, 2) / (h * w)


class Style(Goal):
    """Match the Gram matrices of a style image's features (Gatys et al. 2016).

    Each layer's loss is ``|G(x) - G(s)|^2 / |G(s)|^2`` (relative, so the same weight suits
    any feature network); the goal is their mean over layers.
    """

    name = "style"
    aligned = False

    def __init__(self, style: torch.Tensor, features: nn.Module) -> None:
        super().__init__()
        self.features = features
        with torch.no_grad():
            grams = [gram_matrix(f.float()) for f in features(style)]
        self.targets = [g.detach() for g in grams]

    def forward(self, image: torch.Tensor) -> torch.Tensor:  # noqa: D102
        losses = []
        for feature, target in zip(self.features(image), self.targets):
            gram = gram_matrix(feature.float())
            losses.append(((gram - target) ** 2).sum((1, 2)).mean() / (target**2).sum())
        return torch.stack(losses).mean()


class Content(Goal):
    """Match the features of a content image at one layer (relative squared error)."""

    name = "content"

    def __init__(self, content: torch.Tensor, features: nn.Module, *, layer: int = 2) -> None:
        super().__init__()
        self.features, self.layer = features, layer
        with torch.no_grad():
            maps = features(content)
        self.layer = min(layer, len(maps) - 1)
        self.target = maps[self.layer].detach().float()

    def forward(self, image: torch.Tensor) -> torch.Tensor:  # noqa: D102
        feature = self.features(image)[self.layer].float()
        return ((feature - self.target) ** 2).mean() / (self.target**2).mean()


class Palette(Goal):
    """Mean squared distance of each pixel to its nearest palette colour ``(K, 3)``."""

    name = "palette"

    def __init__(self, colours: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("colours", colours.float())

    def forward(self, image: torch.Tensor) -> torch.Tensor:  # noqa: D102
        pixels = image.float().permute(0, 2, 3, 1).reshape(-1, 1, 3)  # (P, 1, 3)
        distance = ((pixels - self.colours[None]) ** 2).sum(-1)  # (P, K)
        return distance.min(dim=1).values.mean()


#: goal name -> what it needs (``castlab.art.run`` builds them from a config)
GOALS: dict[str, str] = {
    "mse": "target image: mean squared error",
    "ssim": "target image: 1 - SSIM",
    "style": "style image: Gram matrices of features",
    "content": "content image: features at one layer",
    "tv": "total variation (smoothness)",
    "palette": "distance to the nearest palette colour",
    "clip": "text prompt through a local CLIP model",
}


def parse_goal(text: str) -> tuple[str, float]:
    """``"mse=1"`` -> ``("mse", 1.0)``; a bare name has weight 1.

    Examples
    --------
    >>> parse_goal("tv=0.01"), parse_goal("style")
    (('tv', 0.01), ('style', 1.0))
    """
    name, _, weight = text.partition("=")
    name = name.strip().lower()
    if name not in GOALS:
        raise CastlabError(f"unknown goal {name!r}", fix=f"choose from {', '.join(GOALS)}")
    try:
        value = float(weight) if weight.strip() else 1.0
    except ValueError:
        raise CastlabError(
            f"goal weight {weight!r} is not a number",
            fix=Fix("goal", "add", value="tv=0.01", template="write a number, e.g. {}"),
        ) from None
    if not (0 <= value < float("inf")):  # negative, nan or inf
        raise CastlabError(
            f"goal weight {weight!r} is not a finite number >= 0", fix="use a weight >= 0, e.g. 1"
        )
    return name, value


class Goals(nn.Module):
    """A weighted sum of goals; returns the total and each goal's unweighted loss."""

    def __init__(self, weighted: Sequence[tuple[float, Goal]]) -> None:
        super().__init__()
        if not weighted:
            raise CastlabError("no goals given", fix=Fix("goal", "add", value="mse=1"))
        self.weights = [float(w) for w, _ in weighted]
        self.goals = nn.ModuleList([g for _, g in weighted])

    @property
    def needs_views(self) -> bool:
        """Whether any goal looks at augmented views."""
        return any(not goal.aligned for goal in self.goals)

    def forward(
        self, image: torch.Tensor, views: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Score ``image`` (aligned goals) and ``views`` (the others; default ``image``)."""
        parts: dict[str, torch.Tensor] = {}
        total = image.new_zeros((), dtype=torch.float32)
        for weight, goal in zip(self.weights, self.goals):
            loss = goal(image if goal.aligned or views is None else views).float()
            parts[goal.name] = loss
            total = total + weight * loss
        return total, parts
