"""Differentiable brush strokes: N soft quadratic Bézier curves painted one over another.

Each stroke has a centre, three control points within ``reach`` of it, a colour, a width
and an opacity. Its coverage of a pixel is ``opacity * sigmoid((width/2 - d) / softness)``
where ``d`` is the distance from the pixel centre to the curve (sampled as ``segments``
straight pieces), so the picture is a smooth function of every stroke parameter and the
optimiser can move, bend, recolour and thicken strokes. Strokes are composited in order
("over": later strokes cover earlier ones) on a learnt background colour.

Coverage is computed only in a square window around each stroke (its reach plus its
widest width), so the cost grows with ``count x window**2``, not ``count x size**2``;
strokes are then painted window by window.

Examples
--------
>>> import torch
>>> strokes = BrushStrokes(32, count=4)
>>> image = strokes()
>>> image.sum().backward()
>>> tuple(image.shape), bool(strokes.centres.grad.abs().sum() > 0)
((1, 3, 32, 32), True)
"""

from __future__ import annotations

import math

import torch
from torch import nn

from castlab.art.parameterisations import Parameterisation
from castlab.core.errors import CastlabError

__all__ = ["BrushStrokes", "bezier_points"]


def bezier_points(controls: torch.Tensor, segments: int) -> torch.Tensor:
    """Points along quadratic Bézier curves.

    Parameters
    ----------
    controls:
        ``(N, 3, 2)`` control points.
    segments:
        Straight pieces per curve.

    Returns
    -------
    torch.Tensor
        ``(N, segments + 1, 2)`` points, from the first control point to the last.

    Examples
    --------
    >>> line = torch.tensor([[[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]]])
    >>> bezier_points(line, 2)[0].tolist()
    [[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]]
    """
    t = torch.linspace(0, 1, segments + 1, device=controls.device)[None, :, None]
    p0, p1, p2 = controls[:, 0:1], controls[:, 1:2], controls[:, 2:3]
    return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2


class BrushStrokes(Parameterisation):
    """``count`` soft Bézier strokes on a background; renders at any size.

    Parameters
    ----------
    size:
        Side of the rendered image in pixels.
    count:
        Number of strokes.
    reach:
        Largest distance of a control point from its stroke's centre (fraction of the
        image side); strokes are at most about ``2 * reach`` long.
    max_width:
        Widest stroke (fraction of the image side).
    segments:
        Straight pieces per curve when measuring distance.
    softness:
        Edge blur in pixels.
    """

    name = "strokes"
    default_lr = 0.02

    def __init__(
        self,
        size: int,
        *,
        count: int = 200,
        reach: float = 0.12,
        max_width: float = 0.08,
        segments: int = 4,
        softness: float = 1.0,
    ) -> None:
        super().__init__(size)
        if count < 1:
            raise CastlabError(f"{count} strokes", fix="use --strokes 1 or more")
        self.count, self.reach, self.max_width = count, reach, max_width
        self.segments, self.softness = segments, softness
        self.centres = nn.Parameter(torch.logit(torch.rand(count, 2) * 0.9 + 0.05))
        self.offsets = nn.Parameter(torch.randn(count, 3, 2) * 0.5)  # tanh -> within reach
        self.colours = nn.Parameter(torch.randn(count, 3) * 0.5)  # sigmoid -> RGB
        self.widths = nn.Parameter(torch.full((count,), -0.5) + 0.3 * torch.randn(count))
        self.opacities = nn.Parameter(torch.full((count,), 2.0))
        self.background = nn.Parameter(torch.zeros(3))

    def controls(self) -> torch.Tensor:
        """Control points ``(count, 3, 2)`` as (x, y) fractions of the image side."""
        centre = torch.sigmoid(self.centres)[:, None, :]
        return centre + self.reach * torch.tanh(self.offsets)

    def coverage(self, size: int) -> tuple[torch.Tensor, torch.Tensor, int]:
        """Each stroke's coverage in a window around it.

        Returns
        -------
        alpha:
            ``(count, window, window)`` coverage in ``[0, 1]``.
        origin:
            ``(count, 2)`` integer (x, y) pixel of each window's top-left corner.
        half:
            Half the window side; windows reach up to ``half`` pixels outside the image.
        """
        half = math.ceil((self.reach + self.max_width / 2) * size + 3 * self.softness)
        window = 2 * half + 1
        centre = torch.sigmoid(self.centres)  # (N, 2)
        origin = (centre.detach() * size).floor().long() - half  # (N, 2) top-left pixel
        steps = torch.arange(window)
        px = ((origin[:, 0:1] + steps + 0.5) / size)[:, None, None, :]  # (N, 1, 1, window)
        py = ((origin[:, 1:2] + steps + 0.5) / size)[:, None, :, None]  # (N, 1, window, 1)

        points = bezier_points(self.controls(), self.segments)  # (N, S + 1, 2)
        a, d = points[:, :-1], points[:, 1:] - points[:, :-1]  # (N, S, 2)
        ax, ay = a[..., 0, None, None], a[..., 1, None, None]  # (N, S, 1, 1)
        dx, dy = d[..., 0, None, None], d[..., 1, None, None]
        length2 = (dx**2 + dy**2).clamp(min=1e-12)
        t = (((px - ax) * dx + (py - ay) * dy) / length2).clamp(0, 1)  # (N, S, window, window)
        distance2 = (px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2
        distance = distance2.min(dim=1).values.clamp(min=1e-12).sqrt()  # (N, window, window)

        half_width = (self.max_width / 2) * torch.sigmoid(self.widths)[:, None, None]
        edge = (half_width - distance) * size / self.softness
        alpha = torch.sigmoid(self.opacities)[:, None, None] * torch.sigmoid(edge)
        return alpha, origin, half

    def forward(self, size: int | None = None) -> torch.Tensor:  # noqa: D102
        size = size or self.size
        alpha, origin, half = self.coverage(size)
        window = alpha.shape[-1]
        pad = half + 1  # the canvas has a margin so every window fits
        colours = torch.sigmoid(self.colours)[:, :, None, None]  # (N, 3, 1, 1)
        canvas = torch.sigmoid(self.background)[:, None, None].expand(
            3, size + 2 * pad, size + 2 * pad
        )
        # paint in order ("over"); each step touches one window only
        for i, (x, y) in enumerate((origin + pad).tolist()):
            region = canvas[:, y : y + window, x : x + window].clone()
            painted = region + alpha[i] * (colours[i] - region)
            canvas = canvas.clone() if i else canvas.contiguous()
            canvas[:, y : y + window, x : x + window] = painted
        return canvas[None, :, pad : pad + size, pad : pad + size].contiguous()
