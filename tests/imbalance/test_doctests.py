"""Run the docstring examples of every castlab.imbalance module, so they stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "data",
    "generate",
    "prior_shift",
    "strategies",
    "model",
    "compare",
    "plots",
    "cli",
    "__init__",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(
        "castlab.imbalance" if name == "__init__" else f"castlab.imbalance.{name}"
    )
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
