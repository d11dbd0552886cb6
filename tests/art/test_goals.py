"""Goals: each scores what it says, weights compose, style/content use feature networks."""

from __future__ import annotations

import pytest
import torch

from castlab.art.goals import (
    Content,
    Goals,
    Palette,
    Style,
    TargetMSE,
    TargetSSIM,
    TotalVariation,
    gram_matrix,
    parse_goal,
)
from castlab.art.model import RandomFeatureNet
from castlab.core.errors import CastlabError


def test_gram_matrix_shape_symmetry_and_scale():
    features = torch.rand(2, 5, 4, 6)
    gram = gram_matrix(features)
    assert gram.shape == (2, 5, 5)
    assert torch.allclose(gram, gram.transpose(1, 2))
    flat = features[0].reshape(5, -1)
    assert torch.allclose(gram[0, 1, 2], (flat[1] * flat[2]).mean())


def test_target_goals_are_zero_at_the_target_and_positive_elsewhere():
    torch.manual_seed(0)
    target = torch.rand(1, 3, 32, 32)
    other = torch.rand(1, 3, 32, 32)
    for goal in (TargetMSE(target), TargetSSIM(target)):
        assert float(goal(target)) == pytest.approx(0, abs=1e-5)
        assert float(goal(other)) > 0.1


def test_target_is_resized_to_the_image():
    assert TargetMSE(torch.full((1, 3, 64, 64), 0.5))(torch.full((1, 3, 32, 32), 0.5)) == 0


def test_total_variation_prefers_smooth_images():
    noise = torch.rand(1, 3, 32, 32)
    assert float(TotalVariation()(noise)) > 10 * float(
        TotalVariation()(torch.full_like(noise, 0.3))
    )


def test_palette_goal_is_zero_on_palette_colours():
    colours = torch.tensor([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    image = torch.zeros(1, 3, 8, 8)
    image[..., :4] = 1.0
    assert float(Palette(colours)(image)) == 0
    assert float(Palette(colours)(torch.full((1, 3, 8, 8), 0.5))) == pytest.approx(0.75)


def test_style_matches_its_own_texture_better_than_another():
    torch.manual_seed(0)
    net = RandomFeatureNet(channels=(8, 16))
    stripes = torch.zeros(1, 3, 32, 32)
    stripes[..., ::4, :] = 1.0
    shifted = torch.roll(stripes, 2, dims=2)  # same texture, other place
    goal = Style(stripes, net)
    assert float(goal(shifted)) < 0.05 * float(goal(torch.rand(1, 3, 32, 32)))


def test_content_is_zero_for_the_content_image():
    net = RandomFeatureNet(channels=(8, 16, 32))
    content = torch.rand(1, 3, 32, 32)
    goal = Content(content, net, layer=5)  # clipped to the last layer
    assert goal.layer == 3 and float(goal(content)) == pytest.approx(0, abs=1e-6)


def test_goals_add_weighted_parts_and_route_views():
    target = torch.zeros(1, 3, 16, 16)
    net = RandomFeatureNet(channels=(4,))
    style = Style(torch.rand(1, 3, 16, 16), net)
    goals = Goals([(2.0, TargetMSE(target)), (0.5, style)])
    image = torch.full((1, 3, 16, 16), 0.5)
    views = torch.rand(3, 3, 16, 16)
    total, parts = goals(image, views)
    assert parts["mse"] == pytest.approx(0.25)
    assert float(parts["style"]) == pytest.approx(float(style(views)))
    assert float(total) == pytest.approx(2 * 0.25 + 0.5 * float(parts["style"]))
    assert goals.needs_views and not Goals([(1.0, TargetMSE(target))]).needs_views


@pytest.mark.parametrize(
    "text,message",
    [
        ("oil=1", "unknown goal 'oil'"),
        ("mse=x", "not a number"),
        ("tv=-1", "not a finite number >= 0"),
        ("mse=inf", "not a finite number >= 0"),
        ("mse=nan", "not a finite number >= 0"),
    ],
)
def test_bad_goal_specs(text, message):
    with pytest.raises(CastlabError, match=message):
        parse_goal(text)


def test_no_goals_is_an_error():
    with pytest.raises(CastlabError, match="no goals"):
        Goals([])
