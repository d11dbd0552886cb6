"""Figures are written as PNGs."""

from __future__ import annotations

import numpy as np
from PIL import Image

from castlab.art.plots import curves, image_grid, loss_curve


def test_figures_are_pngs(tmp_path):
    history = [{"step": i, "loss": 1 / i, "mse": 1 / i, "seconds": i} for i in range(1, 10)]
    paths = [
        loss_curve(history, tmp_path / "loss.png"),
        loss_curve([], tmp_path / "empty.png"),
        curves({"a": ([1, 2], [3, 4])}, tmp_path / "c.png", xlabel="x", ylabel="y", hline=3.5),
        image_grid(
            {"x": np.zeros((8, 8, 3)), "y": np.ones((8, 8, 3), np.uint8)}, tmp_path / "g.png"
        ),
    ]
    for path in paths:
        assert Image.open(path).format == "PNG"
