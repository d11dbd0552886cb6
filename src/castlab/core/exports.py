"""A domain package's public names, loaded on first use.

Every domain ``__init__`` lists its main names and the module each lives in; importing the
package stays instant (``castlab --help`` imports every domain's CLI, and with it the
package), and ``from castlab.tunes import TuneModel`` loads only what it needs::

    from castlab.core.exports import lazy_exports

    __all__, __getattr__, __dir__ = lazy_exports(__name__, {"TuneModel": "model"})

Examples
--------
>>> names, getattr_, dir_ = lazy_exports("castlab.core", {"CastlabError": "errors"})
>>> names, getattr_("CastlabError").__name__
(['CastlabError'], 'CastlabError')
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, where: Mapping[str, str]
) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """``__all__``, ``__getattr__`` and ``__dir__`` for ``package``; ``where``: name -> module."""

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{where[name]}"), name)

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    return sorted(where), __getattr__, __dir__
