"""Every domain package exposes its main names the same way, and each name resolves."""

import importlib
import pkgutil

import pytest

import castlab

DOMAINS = sorted(
    info.name
    for info in pkgutil.iter_modules(castlab.__path__)
    if info.ispkg and info.name not in ("core", "ui")
)


@pytest.mark.parametrize("domain", DOMAINS)
def test_domain_names_resolve(domain):
    package = importlib.import_module(f"castlab.{domain}")
    assert package.__all__, f"castlab.{domain} exports nothing"
    for name in package.__all__:
        assert getattr(package, name) is not None
        assert name in dir(package)
    with pytest.raises(AttributeError, match="no attribute"):
        package.no_such_name  # noqa: B018
