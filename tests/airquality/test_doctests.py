"""Run the docstring examples of every castlab.airquality module, so they stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "__init__",
    "baselines",
    "dashboard",
    "data",
    "maps",
    "model",
    "plots",
    "readers",
    "satellite",
    "synthetic",
    "train",
    "validation",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(
        "castlab.airquality" if name == "__init__" else f"castlab.airquality.{name}"
    )
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
