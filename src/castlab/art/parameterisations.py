"""Parameterisations: the "some parameters" that a function turns into an image.

Each one is a small :class:`torch.nn.Module` whose parameters the optimiser updates and whose
``forward()`` renders them as an image tensor of shape ``(1, 3, size, size)`` in ``[0, 1]``.
They are interchangeable: the loop in :mod:`castlab.art.optimise` only calls ``forward()``.

- :class:`PixelImage`: one logit per pixel and channel (the naive baseline).
- :class:`FourierImage`: lucid's decorrelated parameterisation, a Fourier spectrum scaled by
  1/frequency in a decorrelated colour space (Olah et al., "Feature Visualization", 2017).
- :class:`CoordinateImage`: a network from (x, y) to colour: a SIREN (sine activations,
  Sitzmann et al. 2020) or a CPPN (tanh of x, y and radius).
- :class:`~castlab.art.strokes.BrushStrokes`: soft Bézier brush strokes.
- :class:`PaletteImage`: pixel art, each cell picks one of a few colours.

Examples
--------
>>> import torch
>>> _ = torch.manual_seed(0)
>>> image = make_parameterisation("fourier", 32)()
>>> tuple(image.shape), bool(0 <= image.min() and image.max() <= 1)
((1, 3, 32, 32), True)
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import nn

from castlab.core.errors import CastlabError

__all__ = [
    "PARAMETERISATIONS",
    "CPPNImage",
    "CoordinateImage",
    "FourierImage",
    "Parameterisation",
    "PaletteImage",
    "PixelImage",
    "make_parameterisation",
]

# lucid's square root of the colour correlation of ImageNet photos (columns: a
# decorrelated basis); normalised so the largest column has unit length
_COLOUR_SQRT = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
_COLOUR = _COLOUR_SQRT / _COLOUR_SQRT.norm(dim=0).max()


def _logit(image: torch.Tensor) -> torch.Tensor:
    return torch.logit(image.clamp(0.01, 0.99))


class Parameterisation(nn.Module):
    """Base class: learnable parameters that render as an image.

    Subclasses set ``name`` and ``default_lr`` (Adam learning rate that works at 256 px)
    and implement ``forward() -> (1, 3, size, size)`` with values in ``[0, 1]``.
    """

    name: ClassVar[str] = ""
    default_lr: ClassVar[float] = 0.05

    def __init__(self, size: int) -> None:
        super().__init__()
        if size < 8:
            raise CastlabError(f"image size {size} is too small", fix="use --size 16 or more")
        self.size = size

    def initialise(self, image: torch.Tensor) -> None:
        """Start from ``image`` ``(1, 3, size, size)`` instead of noise (where supported)."""
        raise CastlabError(
            f"the {self.name} parameterisation cannot start from an image",
            fix="use --param pixels or fourier with --init, or drop --init",
        )


class PixelImage(Parameterisation):
    """One free logit per pixel and channel; colour = sigmoid(logit).

    Examples
    --------
    >>> PixelImage(16)().shape
    torch.Size([1, 3, 16, 16])
    """

    name = "pixels"
    default_lr = 0.05

    def __init__(self, size: int, *, sd: float = 0.01) -> None:
        super().__init__(size)
        self.logits = nn.Parameter(torch.randn(1, 3, size, size) * sd)

    def initialise(self, image: torch.Tensor) -> None:  # noqa: D102
        with torch.no_grad():
            self.logits.copy_(_logit(image))

    def forward(self) -> torch.Tensor:  # noqa: D102
        return torch.sigmoid(self.logits)


class FourierImage(Parameterisation):
    """lucid's ``fft_image`` + ``to_valid_rgb(decorrelate=True)``.

    The spectrum (3 channels, ``size x (size // 2 + 1)`` complex coefficients) is multiplied
    by ``1 / max(f, 1/size) ** decay_power`` so every frequency band starts with equal
    energy in the image; the result is mixed by a colour basis decorrelated on photos and
    squashed by a sigmoid.

    Examples
    --------
    >>> FourierImage(16)().shape
    torch.Size([1, 3, 16, 16])
    """

    name = "fourier"
    default_lr = 0.05

    def __init__(self, size: int, *, sd: float = 0.01, decay_power: float = 1.0) -> None:
        super().__init__(size)
        fy = torch.fft.fftfreq(size)[:, None]
        fx = torch.fft.rfftfreq(size)[None, :]
        frequency = torch.sqrt(fx**2 + fy**2)  # (size, size // 2 + 1), cycles per pixel
        scale = 1.0 / frequency.clamp(min=1.0 / size) ** decay_power
        self.register_buffer("scale", scale, persistent=False)
        self.register_buffer("colour", _COLOUR.clone(), persistent=False)
        self.spectrum = nn.Parameter(torch.randn(1, 3, size, size // 2 + 1, 2) * sd)

    def _decorrelated(self) -> torch.Tensor:  # (1, 3, H, W) before colour mixing
        spectrum = torch.view_as_complex(self.spectrum) * self.scale
        return torch.fft.irfft2(spectrum, s=(self.size, self.size), norm="ortho") / 4.0

    def initialise(self, image: torch.Tensor) -> None:  # noqa: D102
        # invert forward(): logit -> undo colour mixing -> x4 -> FFT -> divide the scale
        mixed = _logit(image).permute(0, 2, 3, 1) @ torch.linalg.inv(self.colour.T)
        spectrum = torch.fft.rfft2(mixed.permute(0, 3, 1, 2) * 4.0, norm="ortho") / self.scale
        with torch.no_grad():
            self.spectrum.copy_(torch.view_as_real(spectrum))

    def forward(self) -> torch.Tensor:  # noqa: D102
        image = self._decorrelated()
        mixed = image.permute(0, 2, 3, 1) @ self.colour.T  # (1, H, W, 3)
        return torch.sigmoid(mixed.permute(0, 3, 1, 2))


class _Sine(nn.Module):
    def __init__(self, omega: float) -> None:
        super().__init__()
        self.omega = omega

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(self.omega * x)


class CoordinateImage(Parameterisation):
    """A small network from pixel coordinates to colour, rendered at any size.

    ``activation="sine"`` is a SIREN (first-layer frequency ``omega``, Sitzmann et al.'s
    initialisation); ``activation="tanh"`` is a CPPN with inputs (x, y, r) and wide random
    weights, which gives smooth organic patterns.

    Examples
    --------
    >>> CoordinateImage(16, hidden=8, layers=2)().shape
    torch.Size([1, 3, 16, 16])
    """

    name = "siren"
    default_lr = 1e-3

    def __init__(
        self,
        size: int,
        *,
        hidden: int = 64,
        layers: int = 4,
        activation: str = "sine",
        omega: float = 30.0,
    ) -> None:
        super().__init__(size)
        if activation not in ("sine", "tanh"):
            raise CastlabError(f"unknown activation {activation!r}", fix="use sine or tanh")
        self.activation = activation
        inputs = 2 if activation == "sine" else 3
        blocks: list[nn.Module] = []
        width = inputs
        for i in range(layers):
            linear = nn.Linear(width, hidden)
            with torch.no_grad():
                if activation == "sine":
                    bound = 1 / width if i == 0 else math.sqrt(6 / width) / omega
                    linear.weight.uniform_(-bound, bound)
                else:
                    linear.weight.normal_(0, 1.0 / math.sqrt(width) * (3.0 if i == 0 else 1.5))
            blocks += [
                linear,
                _Sine(omega if i == 0 else 1.0) if activation == "sine" else nn.Tanh(),
            ]
            width = hidden
        blocks.append(nn.Linear(width, 3))
        self.net = nn.Sequential(*blocks)

    def coordinates(self, size: int) -> torch.Tensor:
        """``(size * size, 2 or 3)`` inputs: x, y in ``[-1, 1]`` (and radius for a CPPN)."""
        axis = torch.linspace(-1, 1, size)
        y, x = torch.meshgrid(axis, axis, indexing="ij")
        columns = [x, y] if self.activation == "sine" else [x, y, torch.sqrt(x**2 + y**2)]
        return torch.stack(columns, dim=-1).reshape(size * size, -1)

    def forward(self, size: int | None = None) -> torch.Tensor:  # noqa: D102
        size = size or self.size
        colour = torch.sigmoid(self.net(self.coordinates(size)))  # (size * size, 3)
        return colour.T.reshape(1, 3, size, size)


class CPPNImage(CoordinateImage):
    """A CPPN: :class:`CoordinateImage` with tanh, inputs (x, y, r), 6 layers of 32.

    Examples
    --------
    >>> CPPNImage(16)().shape
    torch.Size([1, 3, 16, 16])
    """

    name = "cppn"
    default_lr = 3e-3

    def __init__(self, size: int, *, hidden: int = 32, layers: int = 6) -> None:
        super().__init__(size, hidden=hidden, layers=layers, activation="tanh")


class PaletteImage(Parameterisation):
    """Pixel art: a ``cells x cells`` grid where each cell shows one of ``palette_size`` colours.

    The rendered image always uses exactly the palette (a hard choice per cell); gradients
    pass through a softmax over the choices (straight-through estimator). The palette is
    learnt unless ``palette`` (``(K, 3)`` in ``[0, 1]``) is given.

    Examples
    --------
    >>> art = PaletteImage(32, palette_size=4, cells=8)
    >>> image = art()
    >>> image.shape, len(torch.unique(image.reshape(3, -1), dim=1).T) <= 4
    (torch.Size([1, 3, 32, 32]), True)
    """

    name = "palette"
    default_lr = 0.05

    def __init__(
        self,
        size: int,
        *,
        palette_size: int = 8,
        cells: int | None = None,
        palette: torch.Tensor | None = None,
        temperature: float = 0.3,
    ) -> None:
        super().__init__(size)
        self.cells = cells or max(4, size // 8)
        if palette is not None:
            palette_size = len(palette)
            self.register_buffer("fixed_palette", palette.float().clamp(0, 1))
        else:
            self.fixed_palette = None
            self.palette_logits = nn.Parameter(torch.randn(palette_size, 3))
        if palette_size < 2:
            raise CastlabError("a palette needs at least 2 colours", fix="raise --palette-size")
        self.temperature = temperature
        self.choice = nn.Parameter(torch.randn(palette_size, self.cells, self.cells) * 0.1)

    @property
    def palette(self) -> torch.Tensor:
        """The colours, ``(K, 3)`` in ``[0, 1]``."""
        if self.fixed_palette is not None:
            return self.fixed_palette
        return torch.sigmoid(self.palette_logits)

    def forward(self) -> torch.Tensor:  # noqa: D102
        soft = torch.softmax(self.choice / self.temperature, dim=0)  # (K, cells, cells)
        hard = nn.functional.one_hot(soft.argmax(0), len(soft)).permute(2, 0, 1).to(soft)
        weights = hard + (soft - soft.detach())  # exactly `hard`, with soft gradients
        image = torch.einsum("khw,kc->chw", weights, self.palette)[None]
        return nn.functional.interpolate(image, size=(self.size, self.size), mode="nearest")


def _strokes() -> type[Parameterisation]:
    from castlab.art.strokes import BrushStrokes

    return BrushStrokes


#: name -> what it is (``make_parameterisation`` builds them)
PARAMETERISATIONS: dict[str, str] = {
    "pixels": "one free value per pixel (baseline)",
    "fourier": "decorrelated Fourier spectrum and colour (lucid)",
    "siren": "coordinate network with sine activations",
    "cppn": "coordinate network with tanh (CPPN)",
    "strokes": "soft Bézier brush strokes",
    "palette": "pixel art from a small palette",
}


def make_parameterisation(
    name: str,
    size: int,
    *,
    strokes: int = 200,
    palette_size: int = 8,
    cells: int | None = None,
    palette: torch.Tensor | None = None,
) -> Parameterisation:
    """Build the parameterisation called ``name`` (see :data:`PARAMETERISATIONS`).

    Examples
    --------
    >>> make_parameterisation("strokes", 32, strokes=5)().shape
    torch.Size([1, 3, 32, 32])
    """
    if name == "pixels":
        return PixelImage(size)
    if name == "fourier":
        return FourierImage(size)
    if name == "siren":
        return CoordinateImage(size, activation="sine")
    if name == "cppn":
        return CPPNImage(size)
    if name == "strokes":
        return _strokes()(size, count=strokes)
    if name == "palette":
        return PaletteImage(size, palette_size=palette_size, cells=cells, palette=palette)
    raise CastlabError(
        f"unknown parameterisation {name!r}", fix=f"choose from {', '.join(PARAMETERISATIONS)}"
    )
