"""castlab: every project of an applied-ML blog as working, reproducible software.

The package is a library first; ``castlab <domain> <verb>`` is a thin CLI over it.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
