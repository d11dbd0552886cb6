"""The loop: lowers the loss, keeps the best image, frames and history, even when stopped."""

from __future__ import annotations

import pytest
import torch

from castlab.art.goals import Goal, Goals, Style, TargetMSE, TargetSSIM
from castlab.art.model import RandomFeatureNet
from castlab.art.optimise import Optimisation
from castlab.art.parameterisations import PixelImage
from castlab.core.errors import CastlabError


def _run(**kwargs) -> Optimisation:
    torch.manual_seed(0)
    target = torch.rand(1, 3, 16, 16)
    return Optimisation(PixelImage(16), Goals([(1.0, TargetMSE(target))]), **kwargs)


def test_loop_lowers_the_loss_and_keeps_the_best():
    run = _run(lr=0.1, frame_every=5).run(40)
    losses = [row["loss"] for row in run.history_]
    assert losses[-1] < 0.1 * losses[0]
    assert (
        run.best_loss_ == min(losses) and run.history_[run.best_step_ - 1]["loss"] == run.best_loss_
    )
    assert [step for step, _ in run.frames_] == [1, 5, 10, 15, 20, 25, 30, 35, 40]
    assert run.best_array.shape == (16, 16, 3) and run.steps_per_second() > 0


def test_a_second_run_call_continues():
    run = _run(lr=0.1).run(5).run(5)
    assert [row["step"] for row in run.history_] == list(range(1, 11))


def test_callback_interrupt_keeps_the_steps_done():
    run = _run(lr=0.1, frame_every=2)
    seen = []

    def stop_at_7(state):
        seen.append(state.step)
        if state.step == 7:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run.run(50, callback=stop_at_7)
    assert len(run.history_) == 7 and run.best_step_ <= 7 and run.best_image_ is not None
    assert seen == list(range(1, 8))


def test_bf16_runs_and_lowers_a_style_loss():
    torch.manual_seed(0)
    goal = Style(torch.rand(1, 3, 32, 32), RandomFeatureNet((8, 16)))
    run = Optimisation(PixelImage(32), Goals([(1.0, goal)]), lr=0.05, precision="bf16", views=2)
    run.run(25)
    assert run.history_[-1]["style"] < run.history_[0]["style"]


def test_bf16_ssim_stays_finite():
    torch.manual_seed(0)
    target = torch.rand(1, 3, 32, 32)
    run = Optimisation(PixelImage(32), Goals([(1.0, TargetSSIM(target))]), precision="bf16")
    run.run(5)
    assert all(0 <= row["ssim"] <= 2 for row in run.history_)


def test_bad_settings_are_castlab_errors():
    with pytest.raises(CastlabError, match="precision"):
        _run(precision="fp8")
    assert _run(precision="bf16-mixed").precision == "bf16"  # the training commands' name
    assert _run(precision="32-true").precision == "fp32"
    with pytest.raises(CastlabError, match="steps"):
        _run().run(0)


class _Broken(Goal):
    name = "broken"

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return torch.log(-image.mean())  # NaN


def test_a_loss_that_blows_up_stops_with_a_message():
    run = Optimisation(PixelImage(8), Goals([(1.0, _Broken())]))
    with pytest.raises(CastlabError, match="the loss became nan at step 1"):
        run.run(3)
    with pytest.raises(CastlabError, match="learning rate nan"):
        _run(lr=float("nan"))
