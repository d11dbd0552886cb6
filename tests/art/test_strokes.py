"""Brush strokes: differentiable in every parameter, resolution-free, paint in order."""

from __future__ import annotations

import torch

from castlab.art.strokes import BrushStrokes, bezier_points


def test_bezier_ends_at_the_outer_control_points():
    controls = torch.tensor([[[0.1, 0.2], [0.9, 0.9], [0.5, 0.1]]])
    points = bezier_points(controls, 8)
    assert points.shape == (1, 9, 2)
    assert torch.allclose(points[0, 0], controls[0, 0]) and torch.allclose(
        points[0, -1], controls[0, 2]
    )


def test_strokes_are_differentiable_in_every_parameter():
    torch.manual_seed(0)
    strokes = BrushStrokes(32, count=6)
    target = torch.rand(1, 3, 32, 32)
    ((strokes() - target) ** 2).mean().backward()
    for name, parameter in strokes.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def test_gradient_matches_finite_differences():
    torch.manual_seed(1)
    strokes = BrushStrokes(24, count=3, softness=2.0).double()
    target = torch.rand(1, 3, 24, 24, dtype=torch.float64)

    def loss():
        return ((strokes() - target) ** 2).mean()

    loss().backward()
    analytic = strokes.colours.grad[0, 0].item()
    eps = 1e-6
    with torch.no_grad():
        strokes.colours[0, 0] += eps
        up = loss().item()
        strokes.colours[0, 0] -= 2 * eps
        down = loss().item()
    assert abs((up - down) / (2 * eps) - analytic) < 1e-6


def test_an_opaque_stroke_covers_the_background_and_later_strokes_win():
    strokes = BrushStrokes(32, count=2, reach=0.05, max_width=0.4)
    with torch.no_grad():
        strokes.centres.zero_()  # both in the centre
        strokes.offsets.zero_()  # a dot of the stroke's width
        strokes.widths.fill_(10.0)
        strokes.opacities.fill_(20.0)  # opaque
        strokes.colours.copy_(torch.tensor([[10.0, -10, -10], [-10, -10, 10.0]]))  # red, blue
        strokes.background.fill_(-10.0)  # black
    image = strokes()[0]
    assert torch.allclose(image[:, 16, 16], torch.tensor([0.0, 0.0, 1.0]), atol=0.01)
    assert torch.allclose(image[:, 0, 0], torch.zeros(3), atol=1e-3)


def test_same_strokes_render_at_two_sizes():
    torch.manual_seed(0)
    strokes = BrushStrokes(32, count=20)
    small, large = strokes(), strokes(64)
    down = torch.nn.functional.avg_pool2d(large, 2)
    assert large.shape == (1, 3, 64, 64) and (down - small).abs().mean() < 0.05


def test_a_few_strokes_learn_a_two_colour_target():
    torch.manual_seed(0)
    target = torch.zeros(1, 3, 32, 32)
    target[:, 0, :, :16] = 1.0  # left half red, right half black
    strokes = BrushStrokes(32, count=12, reach=0.2, max_width=0.3)
    optimiser = torch.optim.Adam(strokes.parameters(), lr=0.05)
    first = None
    for _ in range(60):
        loss = ((strokes() - target) ** 2).mean()
        first = first if first is not None else float(loss.detach())
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    assert float(loss.detach()) < 0.3 * first
