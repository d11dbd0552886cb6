"""Run the docstring examples of every castlab.proteins module, so they stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "data",
    "splits",
    "synthetic",
    "tokenize",
    "model",
    "train",
    "pretrain",
    "baselines",
    "experiment",
    "plots",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"castlab.proteins.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_finetune_doctests():
    module = importlib.import_module("castlab.core.finetune")
    assert doctest.testmod(module).failed == 0
