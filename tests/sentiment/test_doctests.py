"""Run the docstring examples of every castlab.sentiment module, so they stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "__init__",
    "data",
    "scorers",
    "model",
    "train",
    "collect",
    "views",
    "plots",
    "stream",
    "generate",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(
        "castlab.sentiment" if name == "__init__" else f"castlab.sentiment.{name}"
    )
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
