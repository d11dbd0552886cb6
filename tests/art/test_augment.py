"""Augmented views: seeded, differentiable, and views of the image (not noise)."""

from __future__ import annotations

import torch

from castlab.art.augment import random_views


def test_same_seed_same_views_other_seed_other_views():
    image = torch.rand(1, 3, 32, 32)
    a = random_views(image, count=3, generator=torch.Generator().manual_seed(1))
    b = random_views(image, count=3, generator=torch.Generator().manual_seed(1))
    c = random_views(image, count=3, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_views_of_a_flat_image_stay_flat_and_can_be_resized():
    image = torch.full((1, 3, 32, 32), 0.3)
    views = random_views(image, count=2, generator=torch.Generator().manual_seed(0), size=16)
    assert views.shape == (2, 3, 16, 16) and torch.allclose(views, torch.full_like(views, 0.3))


def test_no_crop_no_turn_no_jitter_is_the_identity():
    image = torch.rand(1, 3, 16, 16)
    views = random_views(
        image, count=1, generator=torch.Generator(), min_scale=1.0, max_degrees=0, jitter=0
    )
    assert torch.allclose(views, image, atol=1e-5)
