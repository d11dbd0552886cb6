"""Parameterisations: shapes and ranges, gradients, fitting a target, starting from an image."""

from __future__ import annotations

import pytest
import torch

from castlab.art.parameterisations import (
    PARAMETERISATIONS,
    FourierImage,
    PaletteImage,
    PixelImage,
    make_parameterisation,
)
from castlab.core.errors import CastlabError


@pytest.mark.parametrize("name", list(PARAMETERISATIONS))
def test_every_parameterisation_renders_in_range_and_has_gradients(name):
    torch.manual_seed(0)
    art = make_parameterisation(name, 32, strokes=10, cells=8)
    image = art()
    assert image.shape == (1, 3, 32, 32)
    assert 0 <= float(image.detach().min()) and float(image.detach().max()) <= 1
    image.mean().backward()
    grads = [p.grad for p in art.parameters() if p.requires_grad]
    assert grads and any(g is not None and g.abs().sum() > 0 for g in grads)


def test_unknown_name_lists_the_choices():
    with pytest.raises(CastlabError, match="choose from pixels, fourier"):
        make_parameterisation("oil", 32)


def _fit(art, target, steps, lr):
    optimiser = torch.optim.Adam(art.parameters(), lr=lr)
    for _ in range(steps):
        loss = ((art() - target) ** 2).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return float(((art() - target) ** 2).mean().detach())


def test_pixels_can_reach_a_target():
    torch.manual_seed(0)
    target = torch.rand(1, 3, 16, 16) * 0.8 + 0.1
    assert _fit(PixelImage(16), target, 150, 0.1) < 1e-3  # PSNR > 30 dB


def test_fourier_can_reach_a_smooth_target():
    torch.manual_seed(0)
    axis = torch.arange(32) / 32 * 2 * torch.pi
    y, x = torch.meshgrid(axis, axis, indexing="ij")  # periodic, as the spectrum is
    target = 0.5 + 0.3 * torch.stack([torch.sin(x), torch.cos(y), torch.sin(x + y)])[None]
    assert _fit(FourierImage(32), target, 150, 0.1) < 2e-3


@pytest.mark.parametrize("cls", [PixelImage, FourierImage])
def test_initialise_from_an_image_reproduces_it(cls):
    torch.manual_seed(0)
    image = torch.rand(1, 3, 16, 16) * 0.9 + 0.05
    art = cls(16)
    art.initialise(image)
    assert torch.allclose(art(), image, atol=1e-4)


def test_initialise_is_refused_where_it_makes_no_sense():
    with pytest.raises(CastlabError, match="cannot start from an image"):
        make_parameterisation("siren", 16).initialise(torch.rand(1, 3, 16, 16))


def test_palette_image_uses_exactly_a_fixed_palette():
    palette = torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.5, 0.0], [0.2, 0.4, 1.0]])
    art = PaletteImage(32, cells=8, palette=palette)
    colours = art()[0].reshape(3, -1).T
    assert all(any(torch.equal(c, p) for p in palette) for c in colours)
    assert not any(p.requires_grad for n, p in art.named_parameters() if "palette" in n)


def test_coordinate_networks_render_at_any_size():
    siren = make_parameterisation("siren", 16)
    assert siren(40).shape == (1, 3, 40, 40)
