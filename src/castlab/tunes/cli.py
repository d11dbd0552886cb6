"""``castlab tunes ...``: thin commands over :mod:`castlab.tunes`."""

from __future__ import annotations

import typer

__all__ = ["app"]

app = typer.Typer(help="ABC tune language model: train, generate, evaluate.", no_args_is_help=True)
