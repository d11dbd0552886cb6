"""Augmented views of an image: random crops, small rotations and shifts, differentiable.

The views are drawn with an explicit :class:`torch.Generator`, so a seeded run repeats. They
are made with one ``affine_grid`` + ``grid_sample`` (bilinear, reflection at the borders), so
gradients flow back to the image.

Examples
--------
>>> import torch
>>> image = torch.rand(1, 3, 32, 32, requires_grad=True)
>>> views = random_views(image, count=4, generator=torch.Generator().manual_seed(0))
>>> views.shape
torch.Size([4, 3, 32, 32])
>>> views.sum().backward(); bool(image.grad.abs().sum() > 0)
True
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["random_views"]


def random_views(
    image: torch.Tensor,
    *,
    count: int,
    generator: torch.Generator,
    min_scale: float = 0.6,
    max_degrees: float = 8.0,
    jitter: float = 0.05,
    size: int | None = None,
) -> torch.Tensor:
    """``count`` random crops of ``image`` ``(1, 3, H, W)``, each resized to ``size``.

    Parameters
    ----------
    min_scale:
        Smallest crop side as a fraction of the image side (crops are square).
    max_degrees:
        Largest rotation either way.
    jitter:
        Largest extra shift, as a fraction of the image side.
    size:
        Side of the views (default: the image's).

    Returns
    -------
    torch.Tensor
        ``(count, 3, size, size)``.
    """
    size = size or image.shape[-1]
    u = torch.rand(count, 4, generator=generator)
    scale = min_scale + (1 - min_scale) * u[:, 0]
    angle = (u[:, 1] * 2 - 1) * math.radians(max_degrees)
    room = (1 - scale) + jitter  # the crop centre may move this far (in [-1, 1] units)
    shift = (u[:, 2:] * 2 - 1) * room[:, None]
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.stack(
        [torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1
    ).to(image.dtype)
    grid = nn.functional.affine_grid(theta, [count, 3, size, size], align_corners=False)
    return nn.functional.grid_sample(
        image.expand(count, -1, -1, -1),
        grid,
        mode="bilinear",
        padding_mode="reflection",
        align_corners=False,
    )
