"""Pretext tasks: each makes (input, target) deterministically from its generator."""

from __future__ import annotations

import pytest
import torch

from castlab.core.errors import CastlabError
from castlab.selfsup.model import Encoder, PretextNetwork
from castlab.selfsup.pretext import TASKS, greyscale, make_task, nt_xent

from .conftest import TINY


def _images() -> torch.Tensor:
    return torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("name", list(TASKS))
def test_every_task_trains_one_step(name):
    task = make_task(name)
    net = PretextNetwork(Encoder(TINY), task.head, task.n_outputs)
    inputs, target = task.make(_images(), torch.Generator().manual_seed(0))
    again, _ = task.make(_images(), torch.Generator().manual_seed(0))
    assert torch.equal(inputs, again)  # the generator is the only randomness
    loss = task.loss(net(inputs), target)
    loss.backward()
    assert torch.isfinite(loss) and loss > 0


def test_greyblur_changes_only_some_regions_to_grey():
    images = _images()
    inputs, target = make_task("greyblur").make(images, torch.Generator().manual_seed(0))
    changed = (inputs - images).abs().sum(1) > 1e-6
    assert 0.05 < changed.float().mean() < 0.95
    grey = inputs.std(dim=1) < 1e-5  # R = G = B inside the regions
    assert grey[changed].float().mean() > 0.99
    assert torch.equal(target, images)


def test_grey_only_is_grey_but_not_blurred():
    images = _images()
    inputs, _ = make_task("grey").make(images, torch.Generator().manual_seed(0))
    blurred, _ = make_task("greyblur").make(images, torch.Generator().manual_seed(0))
    inside = (inputs - images).abs().sum(1) > 1e-6
    assert torch.allclose(inputs[:, 0][inside], greyscale(images)[:, 0][inside])
    assert not torch.allclose(inputs, blurred)


def test_rotation_and_jigsaw_targets():
    images = _images()
    rotated, target = make_task("rotation").make(images, torch.Generator().manual_seed(0))
    for im, rot, k in zip(images, rotated, target):
        assert torch.equal(torch.rot90(im, int(k), dims=(1, 2)), rot)
    shuffled, order = make_task("jigsaw").make(images, torch.Generator().manual_seed(0))
    assert order.max() < 24 and shuffled.shape == images.shape
    assert torch.allclose(shuffled.sum(dim=(2, 3)), images.sum(dim=(2, 3)), atol=1e-4)


def test_nt_xent_prefers_matching_views():
    z = torch.randn(8, 16)
    assert nt_xent(torch.cat([z, z])) < nt_xent(torch.cat([z, torch.randn(8, 16)]))


def test_unknown_task():
    with pytest.raises(CastlabError, match="unknown pretext task"):
        make_task("colour-by-numbers")
