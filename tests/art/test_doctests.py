"""Run the docstring examples of every castlab.art module, so they stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "__init__",
    "augment",
    "clip",
    "data",
    "goals",
    "media",
    "model",
    "optimise",
    "parameterisations",
    "plots",
    "run",
    "strokes",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module("castlab.art" if name == "__init__" else f"castlab.art.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
