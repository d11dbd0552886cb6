"""Run the docstring examples of every castlab.birds module, so they stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "audio",
    "peaks",
    "peak_table",
    "data",
    "features",
    "augment",
    "dataset",
    "model",
    "classifier",
    "soundscape",
    "analyse",
    "synthetic",
    "plots",
    "prior",
    "head",
    "cluster",
    "__init__",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(
        "castlab.birds" if name == "__init__" else f"castlab.birds.{name}"
    )
    flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    result = doctest.testmod(module, optionflags=flags)
    assert result.failed == 0 and result.attempted > 0
