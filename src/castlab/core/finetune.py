"""Fine-tuning a classifier ULMFiT style: layer groups, discriminative rates, gradual unfreezing.

A model to fine-tune exposes ``layer_groups() -> list[list[Parameter]]`` ordered from the
input (embedding) to the output (head). :class:`ClassifierTask` trains it with cross-entropy,
giving group ``i`` of ``n`` the peak rate ``lr / lr_decay ** (n - 1 - i)`` (the head learns
fastest), and :class:`GradualUnfreezing` starts with only the head trainable and unfreezes
one more group (from the top) each epoch (Howard & Ruder 2018).

Batches are ``(inputs, labels)``; ``inputs`` is whatever the model's ``forward`` takes
(a tensor, or a tuple unpacked into it); ``forward`` returns logits, or ``(logits, loss)``
nanoGPT-style (the task computes its own loss from the logits). Logs ``{stage}_loss`` and
``{stage}_accuracy`` (so :func:`castlab.core.training.fit` draws the usual loss plot) and
``val_macro_recall``, the mean of the per-class recalls.

Examples
--------
>>> config = FinetuneConfig(lr=1e-3, lr_decay=2.6)
>>> [round(r, 6) for r in group_learning_rates(config, 3)]
[0.000148, 0.000385, 0.001]
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import lightning as L
import torch
import torch.nn.functional as F
from lightning.pytorch.callbacks import Callback
from torch.utils.data import DataLoader

from castlab.core.training import (
    TrainConfig,
    adamw,
    allow_unused_parameters,
    fit,
    lightning_optimizers,
)

__all__ = [
    "ClassifierTask",
    "FinetuneConfig",
    "fit_classifier",
    "GradualUnfreezing",
    "group_learning_rates",
    "make_optimizer",
    "set_trainable_groups",
]


@dataclass(frozen=True)
class FinetuneConfig:
    """Optimiser settings of a classifier fine-tune."""

    lr: float = 2e-3  # peak rate of the top group (the head)
    lr_decay: float = 2.6  # each lower group learns this many times slower (ULMFiT: 2.6)
    weight_decay: float = 0.01
    one_cycle: bool = True
    warmup: float = 0.25  # share of the steps spent warming up (one-cycle pct_start)
    label_smoothing: float = 0.0
    class_weights: tuple[float, ...] | None = None  # loss weight per class (None: equal)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def group_learning_rates(config: FinetuneConfig, n_groups: int) -> list[float]:
    """Peak learning rate per layer group, input side first."""
    return [config.lr / config.lr_decay ** (n_groups - 1 - i) for i in range(n_groups)]


def set_trainable_groups(groups: list[list[torch.nn.Parameter]], n_top: int) -> None:
    """Make the top ``n_top`` groups trainable and freeze the rest."""
    for i, group in enumerate(groups):
        for param in group:
            param.requires_grad_(i >= len(groups) - n_top)


def make_optimizer(
    groups: list[list[torch.nn.Parameter]], config: FinetuneConfig, total_steps: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler | None]:
    """AdamW with one peak rate per layer group and, if configured, a one-cycle schedule.

    Examples
    --------
    >>> layers = [[torch.nn.Parameter(torch.zeros(2))], [torch.nn.Parameter(torch.zeros(2))]]
    >>> optimizer, schedule = make_optimizer(layers, FinetuneConfig(lr=1e-3, lr_decay=10), 100)
    >>> [group["max_lr"] for group in optimizer.param_groups]
    [0.0001, 0.001]
    """
    return adamw(
        groups,
        group_learning_rates(config, len(groups)),
        weight_decay=config.weight_decay,
        total_steps=total_steps,
        one_cycle=config.one_cycle,
        warmup=config.warmup,
    )


class ClassifierTask(L.LightningModule):
    """Cross-entropy training of a model with ``forward(inputs) -> logits`` and layer groups."""

    def __init__(self, model: torch.nn.Module, config: FinetuneConfig) -> None:
        super().__init__()
        self.model = model
        self.config = config
        weights = None if config.class_weights is None else torch.tensor(config.class_weights)
        self.register_buffer("class_weights", weights, persistent=False)
        self._validation: list[torch.Tensor] = []  # (labels, predictions) per batch

    def forward(self, inputs: Any) -> torch.Tensor:
        output = self.model(*inputs) if isinstance(inputs, (tuple, list)) else self.model(inputs)
        return output[0] if isinstance(output, tuple) else output

    def _common_step(self, batch: Any, stage: str) -> torch.Tensor:
        inputs, labels = batch
        logits = self(inputs).float()
        loss = F.cross_entropy(
            logits, labels, weight=self.class_weights, label_smoothing=self.config.label_smoothing
        )
        predicted = logits.argmax(-1)
        accuracy = (predicted == labels).float().mean()
        on_step = stage == "train"
        log = {"on_step": on_step, "on_epoch": True, "sync_dist": True}
        self.log(f"{stage}_loss", loss, prog_bar=True, **log)
        self.log(f"{stage}_accuracy", accuracy, **log)
        if stage == "val":
            self._validation.append(torch.stack([labels, predicted], 1).cpu())
        return loss

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        return self._common_step(batch, "train")

    def validation_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        return self._common_step(batch, "val")

    def on_validation_epoch_end(self) -> None:
        if not self._validation:
            return
        rows = torch.cat(self._validation).to(self.device)
        self._validation = []
        if self.trainer.world_size > 1:  # every process scores its share: pool them all
            rows = self.all_gather(rows).reshape(-1, 2)
        recalls = [
            (rows[rows[:, 0] == label, 1] == label).float().mean() for label in rows[:, 0].unique()
        ]
        recall = torch.stack(recalls).mean()  # the same on every process after the gather
        self.log("val_macro_recall", recall, prog_bar=True, sync_dist=True)

    def _groups(self) -> list[list[torch.nn.Parameter]]:
        if hasattr(self.model, "layer_groups"):
            return list(self.model.layer_groups())
        return [list(self.model.parameters())]

    def configure_optimizers(self) -> Any:
        total = int(self.trainer.estimated_stepping_batches) if self.config.one_cycle else 0
        return lightning_optimizers(*make_optimizer(self._groups(), self.config, total))


class GradualUnfreezing(Callback):
    """Epoch ``e`` (0-based) trains the top ``start + e * per_epoch`` layer groups only."""

    def __init__(self, start: int = 1, per_epoch: int = 1) -> None:
        self.start = start
        self.per_epoch = per_epoch

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        groups = pl_module._groups() if isinstance(pl_module, ClassifierTask) else []
        if groups:
            top = self.start + trainer.current_epoch * self.per_epoch
            set_trainable_groups(groups, min(top, len(groups)))


def fit_classifier(
    task: ClassifierTask,
    train_loader: DataLoader,
    val_loader: DataLoader | None,
    run_dir: str | Path,
    config: TrainConfig,
    *,
    unfreezing: GradualUnfreezing | None = None,
    resume: bool = False,
) -> L.Trainer:
    """Like :func:`castlab.core.training.fit`, with optional gradual unfreezing.

    ``config.lr`` is not used here: the task's :class:`FinetuneConfig` sets the rates.
    With several processes, gradual unfreezing leaves the frozen groups without gradients,
    so DDP is told to expect unused parameters.
    """
    callbacks = [unfreezing] if unfreezing is not None else []
    if unfreezing is not None:
        config = allow_unused_parameters(config)
    return fit(task, train_loader, val_loader, run_dir, config, resume=resume, callbacks=callbacks)
