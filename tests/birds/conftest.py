"""Shared fixtures: generated species folders and one small CNN trained once per session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def one_torch_thread():
    """One thread: on a shared 2-core machine two threads measured up to 10x slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def demo_model(tmp_path_factory) -> tuple[Path, list]:
    """(model folder, species) of the demo CNN trained on made-up species (about 20 s)."""
    import torch

    from castlab.birds.demo import build_demo_model

    torch.set_num_threads(1)
    return build_demo_model(tmp_path_factory.mktemp("birds-model"))


@pytest.fixture(scope="session")
def species_folder(demo_model) -> Path:
    """``species/<name>/*.wav``: 4 made-up species x 3 recordings of 15 s (from the model's run)."""
    return demo_model[0].parents[1] / "species"
