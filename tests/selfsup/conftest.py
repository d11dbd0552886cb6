"""Shared fixtures for the selfsup tests: a tiny generated image tree and a tiny pretrain run."""

from __future__ import annotations

from pathlib import Path

import pytest

from castlab.core.training import TrainConfig
from castlab.selfsup.model import EncoderConfig

#: a tiny encoder: the tests check behaviour, not accuracy
TINY = EncoderConfig(widths=(4, 8, 16))
SIZE = 16


def quick(**fields) -> TrainConfig:
    """A few optimiser steps, no progress bar."""
    defaults = dict(max_epochs=1, batch_size=8, progress=False, checkpoint_every_steps=0)
    return TrainConfig(**{**defaults, **fields})


@pytest.fixture(scope="session")
def image_tree(tmp_path_factory) -> Path:
    """Image网 layout: train/ and val/ with 3 classes x 4 images, unsup/ with 12, 16 px PNGs."""
    from castlab.selfsup.synthetic import write_image_folders

    return write_image_folders(
        tmp_path_factory.mktemp("images"), per_class=4, unlabelled=12, size=SIZE, n_classes=3
    )


@pytest.fixture(scope="session")
def pretrain_run(image_tree, tmp_path_factory) -> Path:
    """A greyblur pretrain run folder (one epoch) with its encoder/."""
    from castlab.selfsup.data import load_images
    from castlab.selfsup.train import PretrainConfig, pretrain

    run = tmp_path_factory.mktemp("runs") / "greyblur"
    pretrain(
        load_images(image_tree, size=SIZE),
        PretrainConfig(task="greyblur", size=SIZE, encoder=TINY),
        quick(),
        run,
    )
    return run


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    """Tiny nets gain nothing from more threads and slow down badly on a busy machine."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
