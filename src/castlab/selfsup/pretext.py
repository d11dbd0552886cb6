"""Pretext tasks: each turns a batch of unlabelled images into (input, target) and scores it.

Every task has the same small interface:

- ``make(images, generator) -> (inputs, target)`` for float images ``(B, 3, H, W)`` in
  ``[0, 1]``; all randomness comes from the explicit ``torch.Generator``;
- ``loss(output, target) -> scalar``;
- ``head`` and ``n_outputs``: what the network needs on top of the encoder (``"image"``: a
  U-Net decoder; ``"classes"``: a linear layer; ``"projection"``: an MLP).

The tasks: :class:`RandomGreyBlur` (the blog's), :class:`GreyOnly` (its "one line change"),
:class:`Inpainting` (cut-outs), :class:`Rotation`, :class:`Jigsaw` and :class:`SimCLR`
(contrastive, NT-Xent loss).

Examples
--------
>>> images = torch.rand(4, 3, 16, 16)
>>> task = make_task("greyblur")
>>> inputs, target = task.make(images, torch.Generator().manual_seed(0))
>>> inputs.shape == images.shape, bool(torch.equal(target, images)), task.head
(True, True, 'image')
>>> inputs, target = make_task("rotation").make(images, torch.Generator().manual_seed(0))
>>> target.tolist()
[0, 1, 2, 3]
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch
from torch.nn import functional as F

from castlab.core.errors import CastlabError

__all__ = [
    "TASKS",
    "GreyOnly",
    "Inpainting",
    "Jigsaw",
    "PretextTask",
    "RandomGreyBlur",
    "Rotation",
    "SimCLR",
    "gaussian_blur",
    "greyscale",
    "make_task",
    "nt_xent",
]

_LUMA = (0.299, 0.587, 0.114)


def greyscale(images: torch.Tensor) -> torch.Tensor:
    """Luma of ``(B, 3, H, W)`` images, repeated on three channels."""
    weights = torch.tensor(_LUMA, dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
    return (images * weights).sum(1, keepdim=True).expand_as(images)


def gaussian_blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur with reflect padding; ``sigma`` in pixels."""
    radius = max(1, int(round(2.5 * sigma)))
    x = torch.arange(-radius, radius + 1, dtype=images.dtype, device=images.device)
    kernel = torch.exp(-(x**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    channels = images.shape[1]
    pad = min(radius, images.shape[-1] - 1, images.shape[-2] - 1)
    out = F.pad(images, (pad, pad, pad, pad), mode="reflect")
    if pad < radius:  # tiny images: pad the rest with edge values
        out = F.pad(out, [radius - pad] * 4, mode="replicate")
    out = F.conv2d(out, kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1), groups=channels)
    return F.conv2d(out, kernel.view(1, 1, -1, 1).repeat(channels, 1, 1, 1), groups=channels)


def _region_mask(
    shape: torch.Size, n_regions: int, scale: tuple[float, float], generator: torch.Generator
) -> torch.Tensor:
    """``(B, 1, H, W)`` float mask: 1 inside ``n_regions`` random rectangles per image."""
    batch, _, height, width = shape
    ys = torch.arange(height).view(1, 1, height, 1)
    xs = torch.arange(width).view(1, 1, 1, width)
    sizes = torch.empty(batch, n_regions, 2).uniform_(*scale, generator=generator)
    h = (sizes[..., 0] * height).clamp(min=1).long().view(batch, n_regions, 1, 1)
    w = (sizes[..., 1] * width).clamp(min=1).long().view(batch, n_regions, 1, 1)
    top = (torch.rand(batch, n_regions, 1, 1, generator=generator) * (height - h + 1)).long()
    left = (torch.rand(batch, n_regions, 1, 1, generator=generator) * (width - w + 1)).long()
    inside = (ys >= top) & (ys < top + h) & (xs >= left) & (xs < left + w)
    return inside.any(dim=1, keepdim=True).float()


@dataclass(frozen=True)
class PretextTask:
    """Base class; subclasses override :meth:`make` (and :meth:`loss` if not MSE)."""

    name = "pretext"
    head = "image"
    n_outputs = 3

    def make(
        self, images: torch.Tensor, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(output.float(), target.float())

    def describe(self, target: torch.Tensor) -> list[str]:
        """Each example's label in words, for a figure (an image task's label is a picture)."""
        return ["input"] * len(target)


@dataclass(frozen=True)
class RandomGreyBlur(PretextTask):
    """The blog's task: several regions blurred and turned grey; reconstruct the original."""

    name = "greyblur"
    n_regions: int = 3
    scale: tuple[float, float] = (0.25, 0.5)  # side of a region, as a share of the image side
    sigma: float = 0.04  # blur strength, as a share of the image side

    def make(
        self, images: torch.Tensor, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        mask = _region_mask(images.shape, self.n_regions, self.scale, generator).to(images)
        changed = greyscale(self._blur(images))
        return images * (1 - mask) + changed * mask, images

    def _blur(self, images: torch.Tensor) -> torch.Tensor:
        return gaussian_blur(images, max(0.5, self.sigma * images.shape[-1]))


@dataclass(frozen=True)
class GreyOnly(RandomGreyBlur):
    """The blog's "one line change": the regions turn grey but are not blurred (colourisation).

    With ``whole_image=True`` the whole picture turns grey (classic colourisation).
    """

    name = "grey"
    whole_image: bool = False

    def make(
        self, images: torch.Tensor, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if self.whole_image:
            return greyscale(images).contiguous(), images
        mask = _region_mask(images.shape, self.n_regions, self.scale, generator).to(images)
        return images * (1 - mask) + greyscale(images) * mask, images


@dataclass(frozen=True)
class Inpainting(PretextTask):
    """Cut-out in-painting: regions filled with mid grey; reconstruct the original."""

    name = "inpaint"
    n_regions: int = 3
    scale: tuple[float, float] = (0.2, 0.4)

    def make(
        self, images: torch.Tensor, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        mask = _region_mask(images.shape, self.n_regions, self.scale, generator).to(images)
        return images * (1 - mask) + 0.5 * mask, images


@dataclass(frozen=True)
class Rotation(PretextTask):
    """Predict which of 0, 90, 180, 270 degrees each image was rotated by (RotNet)."""

    name = "rotation"
    head = "classes"
    n_outputs = 4

    def make(
        self, images: torch.Tensor, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        # every image in all four turns would quadruple the cost: cycle the turns instead
        offset = int(torch.randint(4, (1,), generator=generator))
        target = (torch.arange(len(images)) + offset) % 4
        rotated = torch.stack(
            [torch.rot90(im, int(k), dims=(1, 2)) for im, k in zip(images, target)]
        )
        return rotated, target.to(images.device)

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(output.float(), target)

    def describe(self, target: torch.Tensor) -> list[str]:
        """Each label in words: ``["turned 90°", ...]``."""
        return [f"turned {90 * int(k)}° (class {int(k)})" for k in target]


_PERMUTATIONS = torch.tensor(list(itertools.permutations(range(4))))  # 24 orders of 2x2 tiles


@dataclass(frozen=True)
class Jigsaw(PretextTask):
    """Shuffle the four quarters of each image; predict which of the 24 orders was used."""

    name = "jigsaw"
    head = "classes"
    n_outputs = 24

    def make(
        self, images: torch.Tensor, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        batch, channels, height, width = images.shape
        h, w = height // 2, width // 2
        images = images[..., : 2 * h, : 2 * w]
        tiles = images.reshape(batch, channels, 2, h, 2, w).permute(0, 2, 4, 1, 3, 5)
        tiles = tiles.reshape(batch, 4, channels, h, w)
        target = torch.randint(len(_PERMUTATIONS), (batch,), generator=generator)
        order = _PERMUTATIONS[target].to(images.device)
        shuffled = tiles[torch.arange(batch, device=images.device)[:, None], order]
        shuffled = shuffled.reshape(batch, 2, 2, channels, h, w).permute(0, 3, 1, 4, 2, 5)
        return shuffled.reshape(batch, channels, 2 * h, 2 * w), target.to(images.device)

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(output.float(), target)

    def describe(self, target: torch.Tensor) -> list[str]:
        """Each label in words: the quarters' order (0 1 2 3 is unshuffled) and its class."""
        return [
            f"quarters {' '.join(map(str, _PERMUTATIONS[int(k)].tolist()))} (class {int(k)})"
            for k in target
        ]


def nt_xent(projections: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    """SimCLR's NT-Xent loss for ``(2B, D)`` projections: rows ``i`` and ``i + B`` are a pair.

    Examples
    --------
    >>> z = torch.randn(4, 8)
    >>> bool(nt_xent(torch.cat([z, z])) < nt_xent(torch.randn(8, 8)))
    True
    """
    z = F.normalize(projections.float(), dim=1)
    n = len(z) // 2
    similarity = z @ z.T / temperature
    similarity.fill_diagonal_(float("-inf"))  # an image is not its own positive
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    return F.cross_entropy(similarity, target)


def _augment(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """SimCLR view: random resized crop, flip, colour jitter, sometimes grey."""
    batch = len(images)
    scale = torch.empty(batch).uniform_(0.35, 1.0, generator=generator).sqrt()
    shift = (torch.rand(batch, 2, generator=generator) * 2 - 1) * (1 - scale[:, None])
    flip = torch.where(torch.rand(batch, generator=generator) < 0.5, -1.0, 1.0)
    theta = torch.zeros(batch, 2, 3)
    theta[:, 0, 0] = scale * flip
    theta[:, 1, 1] = scale
    theta[:, :, 2] = shift
    theta = theta.to(images)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    views = F.grid_sample(
        images, grid, mode="bilinear", padding_mode="reflection", align_corners=False
    )
    jitter = torch.empty(batch, 3).uniform_(0.6, 1.4, generator=generator).to(images)
    brightness, contrast, saturation = (jitter[:, i].view(-1, 1, 1, 1) for i in range(3))
    grey = greyscale(views)
    views = grey + (views - grey) * saturation
    mean = views.mean(dim=(1, 2, 3), keepdim=True)
    views = (views - mean) * contrast + mean
    views = views * brightness
    to_grey = (torch.rand(batch, generator=generator) < 0.2).view(-1, 1, 1, 1).to(images)
    views = views * (1 - to_grey) + greyscale(views) * to_grey
    return views.clamp(0, 1)


@dataclass(frozen=True)
class SimCLR(PretextTask):
    """Contrastive: two augmented views per image; their projections must find each other.

    ``make`` returns the ``2B`` views (view 1 of every image, then view 2) and an empty target.
    """

    name = "simclr"
    head = "projection"
    n_outputs = 64  # projection dimension
    temperature: float = 0.5

    def make(
        self, images: torch.Tensor, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        views = torch.cat([_augment(images, generator), _augment(images, generator)])
        return views, torch.empty(0, device=images.device)

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return nt_xent(output, self.temperature)


#: task name -> class, for the CLI and configs
TASKS: dict[str, type[PretextTask]] = {
    task.name: task for task in (RandomGreyBlur, GreyOnly, Inpainting, Rotation, Jigsaw, SimCLR)
}


def make_task(name: str) -> PretextTask:
    """A pretext task with its default settings, by name (``greyblur``, ``grey``, ...)."""
    if name not in TASKS:
        raise CastlabError(f"unknown pretext task {name!r}", fix=f"choose from {', '.join(TASKS)}")
    return TASKS[name]()
