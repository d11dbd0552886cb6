"""Fixtures for the proteins tests: small generated families and a split of them."""

from __future__ import annotations

import pytest
import torch

from castlab.proteins.splits import random_split
from castlab.proteins.synthetic import synthetic_families

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def families():
    """4 synthetic families x 24 sequences, fairly easy (30% mutated)."""
    return synthetic_families(n_families=4, per_family=24, mutation=0.3, seed=3)


@pytest.fixture(scope="session")
def split(families):
    return random_split(families, seed=0)
