"""Fine-tuning a classifier ULMFiT style: layer groups, discriminative rates, gradual unfreezing.

A model to fine-tune exposes ``layer_groups() -> list[list[Parameter]]`` ordered from the
input (embedding) to the output (head). :class:`ClassifierTask` trains it with cross-entropy,
giving group ``i`` of ``n`` the peak rate ``lr / lr_decay ** (n - 1 - i)`` (the head learns
fastest), and :class:`GradualUnfreezing` starts with only the head trainable and unfreezes
one more group (from the top) each epoch (Howard & Ruder 2018).

Batches are ``(inputs, labels)``; ``inputs`` is whatever the model's ``forward`` takes
(a tensor, or a tuple unpacked into it). Logs ``{stage}_loss`` and ``{stage}_accuracy``,
so :func:`castlab.core.training.fit` draws the usual loss plot.

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

from castlab.core.training import TrainConfig, fit

__all__ = [
    "ClassifierTask",
    "FinetuneConfig",
    "fit_classifier",
    "GradualUnfreezing",
    "group_learning_rates",
    "set_trainable_groups",
]


@dataclass(frozen=True)
class FinetuneConfig:
    """Optimiser settings of a classifier fine-tune."""

    lr: float = 2e-3  # peak rate of the top group (the head)
    lr_decay: float = 2.6  # each lower group learns this many times slower (ULMFiT: 2.6)
    weight_decay: float = 0.01
    one_cycle: bool = True
    label_smoothing: float = 0.0

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


class ClassifierTask(L.LightningModule):
    """Cross-entropy training of a model with ``forward(inputs) -> logits`` and layer groups."""

    def __init__(self, model: torch.nn.Module, config: FinetuneConfig) -> None:
        super().__init__()
        self.model = model
        self.config = config

    def forward(self, inputs: Any) -> torch.Tensor:
        return self.model(*inputs) if isinstance(inputs, (tuple, list)) else self.model(inputs)

    def _common_step(self, batch: Any, stage: str) -> torch.Tensor:
        inputs, labels = batch
        logits = self(inputs).float()
        loss = F.cross_entropy(logits, labels, label_smoothing=self.config.label_smoothing)
        accuracy = (logits.argmax(-1) == labels).float().mean()
        on_step = stage == "train"
        self.log(f"{stage}_loss", loss, prog_bar=True, on_step=on_step, on_epoch=True)
        self.log(f"{stage}_accuracy", accuracy, on_step=on_step, on_epoch=True)
        return loss

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        return self._common_step(batch, "train")

    def validation_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        return self._common_step(batch, "val")

    def _groups(self) -> list[list[torch.nn.Parameter]]:
        if hasattr(self.model, "layer_groups"):
            return list(self.model.layer_groups())
        return [list(self.model.parameters())]

    def configure_optimizers(self) -> Any:
        groups = self._groups()
        rates = group_learning_rates(self.config, len(groups))
        optimizer = torch.optim.AdamW(
            [{"params": g, "lr": r} for g, r in zip(groups, rates)],
            weight_decay=self.config.weight_decay,
        )
        if not self.config.one_cycle:
            return optimizer
        total = max(int(self.trainer.estimated_stepping_batches), 1)
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=rates, total_steps=total, pct_start=0.25
        )
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}


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
    """
    callbacks = [unfreezing] if unfreezing is not None else []
    return fit(task, train_loader, val_loader, run_dir, config, resume=resume, callbacks=callbacks)
