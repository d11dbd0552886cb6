"""Run the docstring examples of every castlab module, so they stay true.

One runner for the whole package: a new module's examples are picked up without a list to
keep. The Streamlit scripts (``castlab.ui.app`` and the pages) draw a page when imported,
so they are left to tests/ui.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import castlab

SCRIPTS = ("castlab.ui.app", "castlab.ui.views")


def _modules() -> list[str]:
    names = ["castlab"]
    for info in pkgutil.walk_packages(castlab.__path__, prefix="castlab."):
        if not info.name.startswith(SCRIPTS):
            names.append(info.name)
    return sorted(names)


MODULES = _modules()


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def _examples(name: str) -> int:
    """Examples that run (``# doctest: +SKIP`` ones do not count)."""
    tests = doctest.DocTestFinder().find(importlib.import_module(name))
    return sum(not e.options.get(doctest.SKIP) for test in tests for e in test.examples)


def test_every_domain_documents_examples():
    domains = {name.split(".")[1] for name in MODULES if name.count(".") >= 2} - {"ui"}
    for domain in sorted(domains):
        count = sum(_examples(name) for name in MODULES if name.startswith(f"castlab.{domain}."))
        assert count >= 3, f"castlab.{domain} has only {count} docstring examples"


@pytest.mark.parametrize("name", ["castlab.demo", "castlab.core.readers", "castlab.core.errors"])
def test_top_level_and_core_modules_run_examples(name):
    assert _examples(name) >= 1, f"{name} has no docstring example that runs"
