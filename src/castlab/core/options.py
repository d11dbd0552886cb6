"""CLI options shared by many commands, declared once (like sqlite-utils' ``output_options``).

Every training command takes the same Lightning options with the same wording and defaults;
``train_config`` turns them into a :class:`castlab.core.training.TrainConfig`. Use the
``Annotated`` aliases as parameter types in a Typer command::

    @app.command()
    def train(..., epochs: Epochs = 5, accelerator: Accelerator = "auto",
              devices: Devices = "auto", num_nodes: NumNodes = 1, strategy: Strategy = "auto",
              precision: Precision = "32-true", max_steps: MaxSteps = -1,
              threads: Threads = 2, resume: Resume = False) -> None: ...

Examples
--------
>>> train_config(epochs=2, batch_size=8, lr=1e-3, devices="1").devices
'1'
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from castlab.core.errors import CastlabError

if TYPE_CHECKING:
    from castlab.core.training import TrainConfig

__all__ = [
    "Accelerator",
    "BatchSize",
    "Devices",
    "Epochs",
    "LearningRate",
    "LstmHidden",
    "MaxSteps",
    "NumNodes",
    "Precision",
    "Resume",
    "Seed",
    "Strategy",
    "Threads",
    "set_threads",
    "train_config",
    "typed_flags",
]

Epochs = Annotated[int, typer.Option(help="Training epochs.")]
MaxSteps = Annotated[int, typer.Option(help="Stop after this many optimiser steps (-1: no limit).")]
BatchSize = Annotated[int, typer.Option(help="Batch size (per device).")]
LearningRate = Annotated[float, typer.Option(help="Peak learning rate (one-cycle schedule).")]
Seed = Annotated[int, typer.Option(help="Random seed.")]
Accelerator = Annotated[str, typer.Option(help="Lightning accelerator: auto, cpu, gpu, ...")]
Devices = Annotated[str, typer.Option(help="Lightning devices per node: auto, 1, 4, ...")]
NumNodes = Annotated[int, typer.Option(help="Machines taking part (multi-node training).")]
Strategy = Annotated[str, typer.Option(help="Lightning strategy: auto, ddp, fsdp, ...")]
Precision = Annotated[
    str,
    typer.Option(help="32-true, or bf16-mixed (faster only on CPUs with AVX-512-BF16 or AMX)."),
]
Threads = Annotated[int, typer.Option(help="CPU threads for torch.")]
LstmHidden = Annotated[
    int,
    typer.Option(
        help="LSTM hidden size of the inner layers (the last has --dim, tied to the "
        "embedding; unused with --layers 1)."
    ),
]
Resume = Annotated[
    bool,
    typer.Option(
        help="Continue from OUT/checkpoints/last.ckpt, with the options the run started with."
    ),
]


def typed_flags(ctx: typer.Context, names: Iterable[str]) -> list[str]:
    """The ``--flags`` among the parameters ``names`` that the user typed on the command line
    (not left at their defaults), e.g. to say which of them a command will not use."""
    return [
        "--" + name.replace("_", "-")
        for name in names
        if getattr(ctx.get_parameter_source(name), "name", "") == "COMMANDLINE"
    ]


def set_threads(threads: int) -> None:
    """Limit torch's CPU threads (at least one)."""
    import torch

    torch.set_num_threads(max(1, threads))


def train_config(**fields: Any) -> TrainConfig:
    """A :class:`TrainConfig` from CLI option values; ``epochs`` maps to ``max_epochs``.

    Unknown names raise ``TypeError`` (a programming error, not a user one).
    """
    from castlab.core.training import TrainConfig

    if "epochs" in fields:
        fields["max_epochs"] = fields.pop("epochs")
    if fields.get("max_epochs", 1) < 1:
        raise CastlabError(
            f"--epochs {fields['max_epochs']}: nothing would be trained", fix="use 1 or more"
        )
    if fields.get("batch_size", 1) < 1:
        raise CastlabError(f"--batch-size {fields['batch_size']}: no batch", fix="use 1 or more")
    lr = fields.get("lr", 1e-3)
    if not (math.isfinite(lr) and lr > 0):  # nan trains weights into nan, < 0 climbs the loss
        raise CastlabError(
            f"--lr {lr}: not a learning rate", fix="use a positive number, e.g. 3e-3"
        )
    steps = fields.get("max_steps", -1)
    if steps is not None and steps != -1 and steps < 1:
        raise CastlabError(
            f"--max-steps {steps}: nothing would be trained",
            fix="use 1 or more, or -1 for no limit",
        )
    return TrainConfig(**fields)
