"""Pictures: pretext grid (with a run's outputs), accuracy curves, embedding map."""

from __future__ import annotations

import numpy as np
from PIL import Image

from castlab.selfsup.data import load_images
from castlab.selfsup.plots import draw_pretext_grid, plot_accuracy_curves, plot_embedding_map

from .conftest import SIZE


def test_pretext_grid_with_outputs_is_taller(image_tree, pretrain_run, tmp_path):
    images = load_images(image_tree, size=SIZE)
    plain = draw_pretext_grid(images, "greyblur", tmp_path / "plain.png", count=3)
    with_run = draw_pretext_grid(images, "grey", tmp_path / "run.png", run=pretrain_run, count=3)
    assert Image.open(with_run).height > Image.open(plain).height
    for task in ("rotation", "simclr", "jigsaw", "inpaint"):
        assert draw_pretext_grid(images, task, tmp_path / f"{task}.png", count=2).exists()


def test_accuracy_curves_and_embedding_map(tmp_path):
    curves = {"greyblur": [[0.2, 0.4], [0.3, 0.5]], "none": [[0.1, 0.2]]}
    assert plot_accuracy_curves(curves, tmp_path / "a.png").exists()
    features = np.random.default_rng(0).normal(size=(30, 5))
    labels = [-1] * 10 + [0] * 10 + [1] * 10
    assert plot_embedding_map(features, labels, ["a", "b"], tmp_path / "m.png").exists()
