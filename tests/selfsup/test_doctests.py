"""Run the docstring examples of every castlab.selfsup module, so they stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["__init__", "data", "synthetic", "model", "pretext", "train", "features", "plots", "cli"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(
        "castlab.selfsup" if name == "__init__" else f"castlab.selfsup.{name}"
    )
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
