"""A small plain-torch CNN over log-mel clips, multi-label (one sigmoid per species).

Examples
--------
>>> import torch
>>> model = BirdCNN(CnnConfig(n_classes=4, channels=(8, 16)))
>>> logits, loss = model(torch.zeros(2, 1, 64, 501), torch.zeros(2, 4))
>>> tuple(logits.shape), bool(0 < loss.item() < 2)
((2, 4), True)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["BirdCNN", "CnnConfig"]


@dataclass(frozen=True)
class CnnConfig:
    """Network shape."""

    n_classes: int
    channels: tuple[int, ...] = (16, 32, 64, 128)  # one conv block (conv-BN-ReLU-pool) each
    dropout: float = 0.3


class BirdCNN(nn.Module):
    """Conv blocks -> mean+max pooling over time and frequency -> linear logits."""

    def __init__(self, config: CnnConfig) -> None:
        super().__init__()
        self.config = config
        blocks: list[nn.Module] = [nn.BatchNorm2d(1)]
        width = 1
        for channels in config.channels:
            blocks += [
                nn.Conv2d(width, channels, 3, padding=1, bias=False),
                nn.BatchNorm2d(channels),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]
            width = channels
        self.features = nn.Sequential(*blocks)
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(2 * width, config.n_classes)

    def forward(
        self, mel: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``mel`` (B, 1, M, T) -> logits (B, C); with multi-hot ``targets`` also the BCE loss."""
        x = self.features(mel)  # (B, W, M', T')
        pooled = torch.cat([x.mean(dim=(2, 3)), x.amax(dim=(2, 3))], dim=1)  # (B, 2W)
        logits = self.head(self.dropout(pooled))
        loss = None if targets is None else F.binary_cross_entropy_with_logits(logits, targets)
        return logits, loss
