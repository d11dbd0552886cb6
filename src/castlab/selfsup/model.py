"""Networks in plain torch: an xresnet-style encoder, a U-Net decoder and small heads.

The encoder takes RGB images in ``[0, 1]`` (it normalises internally) and returns one feature
map per stage; :meth:`Encoder.features` pools the last one into a vector. An encoder folder is
``model.safetensors`` + ``config.json`` (the :class:`EncoderConfig` fields plus
``"architecture": "castlab-xresnet"``, ``feature_dim``, ``input_size`` and ``pretext``), read
back by :func:`load_encoder`.

Examples
--------
>>> encoder = Encoder(EncoderConfig(widths=(8, 16, 32)))
>>> maps = encoder(torch.rand(2, 3, 32, 32))
>>> [tuple(m.shape) for m in maps]
[(2, 8, 16, 16), (2, 16, 8, 8), (2, 32, 4, 4)]
>>> tuple(encoder.features(torch.rand(2, 3, 32, 32)).shape)
(2, 32)
>>> tuple(UNetDecoder(encoder.config)(maps, torch.rand(2, 3, 32, 32)).shape)
(2, 3, 32, 32)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from castlab.core.artifacts import build_for_weights, load_model_weights, save_model
from castlab.core.errors import CastlabError

__all__ = [
    "ARCHITECTURE",
    "Classifier",
    "Encoder",
    "EncoderConfig",
    "PretextNetwork",
    "UNetDecoder",
    "load_encoder",
    "save_encoder",
]

ARCHITECTURE = "castlab-xresnet"
_MEAN = (0.485, 0.456, 0.406)  # ImageNet channel statistics: inputs are natural photos
_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class EncoderConfig:
    """Shape of the encoder."""

    widths: tuple[int, ...] = (16, 32, 64, 128)  # stem width, then one stage per width
    blocks: int = 1  # residual blocks per stage
    in_channels: int = 3

    def __post_init__(self) -> None:
        # at most 16 stages of 64 blocks: each becomes modules, and a saved encoder's
        # config.json may say anything (blocks 10**9 built for minutes)
        if not 2 <= len(self.widths) <= 16 or min(self.widths) < 1 or not 1 <= self.blocks <= 64:
            raise CastlabError(
                f"encoder widths {self.widths} / blocks {self.blocks} are not usable"[:200],
                fix="give 2 to 16 positive widths, e.g. 16,32,64,128, and blocks from 1 to 64",
            )

    @property
    def feature_dim(self) -> int:
        """Length of the pooled feature vector."""
        return self.widths[-1]


def _conv(c_in: int, c_out: int, stride: int = 1, relu: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False),
        nn.BatchNorm2d(c_out),
    ]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class ResBlock(nn.Module):
    """xresnet basic block: two 3x3 convs; shortcut by average pool + 1x1 conv when shapes change."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.convs = nn.Sequential(_conv(c_in, c_out, stride), _conv(c_out, c_out, relu=False))
        nn.init.zeros_(self.convs[1][1].weight)  # start each block as the identity
        shortcut: list[nn.Module] = []
        if stride != 1:
            shortcut.append(nn.AvgPool2d(stride, ceil_mode=True))
        if c_in != c_out:
            shortcut += [nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out)]
        self.shortcut = nn.Sequential(*shortcut)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.convs(x) + self.shortcut(x))


class Encoder(nn.Module):
    """xresnet-style encoder: a three-conv stem (stride 2), then one stride-2 stage per width."""

    def __init__(self, config: EncoderConfig | None = None) -> None:
        super().__init__()
        self.config = config or EncoderConfig()
        widths = self.config.widths
        stem = widths[0]
        self.stem = nn.Sequential(
            _conv(self.config.in_channels, stem, 2), _conv(stem, stem), _conv(stem, stem)
        )
        stages = []
        for c_in, c_out in zip(widths[:-1], widths[1:]):
            blocks = [ResBlock(c_in, c_out, 2)]
            blocks += [ResBlock(c_out, c_out, 1) for _ in range(self.config.blocks - 1)]
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.ModuleList(stages)
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        """Feature maps of every stage for RGB ``images`` in [0, 1], ``(B, 3, H, W)``.

        Map ``i`` has ``widths[i]`` channels at ``H / 2**(i + 1)``.
        """
        if images.shape[1] == 3 and self.config.in_channels == 3:
            images = (images - self.mean) / self.std
        x = self.stem(images)
        maps = [x]
        for stage in self.stages:
            x = stage(x)
            maps.append(x)
        return maps

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """Pooled features ``(B, feature_dim)``: the average of the last map."""
        return self(images)[-1].mean(dim=(2, 3))


class UNetDecoder(nn.Module):
    """U-Net decoder: upsample, concatenate the skip map, convolve; ends at full resolution.

    The last step concatenates the network's own input, so unchanged pixels are easy to copy
    and the loss concentrates on what the pretext task hid.
    """

    def __init__(self, config: EncoderConfig, out_channels: int = 3) -> None:
        super().__init__()
        widths = config.widths
        ups = []
        for deep, skip in zip(reversed(widths[1:]), reversed(widths[:-1])):
            ups.append(_conv(deep + skip, skip))
        self.ups = nn.ModuleList(ups)
        self.final = nn.Sequential(
            _conv(widths[0] + config.in_channels, widths[0]), nn.Conv2d(widths[0], out_channels, 1)
        )

    def forward(self, maps: list[torch.Tensor], images: torch.Tensor) -> torch.Tensor:
        """Image ``(B, out_channels, H, W)`` in [0, 1] from the encoder's ``maps``."""
        x = maps[-1]
        for up, skip in zip(self.ups, reversed(maps[:-1])):
            x = F.interpolate(x, size=skip.shape[-2:], mode="nearest")
            x = up(torch.cat([x, skip], dim=1))
        x = F.interpolate(x, size=images.shape[-2:], mode="nearest")
        return torch.sigmoid(self.final(torch.cat([x, images.to(x.dtype)], dim=1)))


class PretextNetwork(nn.Module):
    """An encoder with the head a pretext task needs.

    ``head`` is ``"image"`` (U-Net decoder), ``"classes"`` (linear layer with ``n_outputs``
    classes) or ``"projection"`` (two-layer MLP to ``n_outputs`` dimensions, for SimCLR).
    """

    def __init__(self, encoder: Encoder, head: str, n_outputs: int = 3) -> None:
        super().__init__()
        self.encoder = encoder
        self.head_kind = head
        dim = encoder.config.feature_dim
        if head == "image":
            self.head: nn.Module = UNetDecoder(encoder.config, n_outputs)
        elif head == "classes":
            self.head = nn.Linear(dim, n_outputs)
        elif head == "projection":
            self.head = nn.Sequential(
                nn.Linear(dim, dim), nn.ReLU(inplace=True), nn.Linear(dim, n_outputs)
            )
        else:
            raise ValueError(f"unknown head {head!r}")

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        maps = self.encoder(inputs)
        if self.head_kind == "image":
            return self.head(maps, inputs)
        return self.head(maps[-1].mean(dim=(2, 3)))


class Classifier(nn.Module):
    """Encoder + dropout + linear layer: logits ``(B, n_classes)`` for images in [0, 1]."""

    def __init__(self, encoder: Encoder, n_classes: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(encoder.config.feature_dim, n_classes)
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder.features(images))


def encoder_config_dict(config: EncoderConfig, **extra: Any) -> dict[str, Any]:
    """The JSON config of an encoder folder."""
    fields = asdict(config)
    fields["widths"] = list(config.widths)
    return {"architecture": ARCHITECTURE, **fields, "feature_dim": config.feature_dim, **extra}


def save_encoder(folder: str | Path, encoder: Encoder, **extra: Any) -> Path:
    """Write ``model.safetensors`` + ``config.json``; ``extra`` (e.g. ``pretext``) goes in the JSON."""
    return save_model(folder, encoder.state_dict(), encoder_config_dict(encoder.config, **extra))


def load_encoder(folder: str | Path) -> Encoder:
    """Rebuild an :class:`Encoder` from a folder written by :func:`save_encoder` (eval mode).

    Examples
    --------
    >>> import tempfile
    >>> folder = save_encoder(tempfile.mkdtemp(), Encoder(EncoderConfig(widths=(4, 8))))
    >>> load_encoder(folder).config.widths
    (4, 8)
    """
    tensors, config = load_model_weights(folder)
    if config.get("architecture") != ARCHITECTURE:
        raise CastlabError(
            f"not a castlab encoder (architecture {config.get('architecture')!r})",
            path=Path(folder) / "config.json",
            fix="pass a folder written by castlab selfsup pretrain (its encoder/ folder)",
        )
    fix = "pass a folder written by castlab selfsup pretrain or finetune, unchanged"
    try:
        shape = EncoderConfig(
            widths=tuple(int(w) for w in config["widths"]),
            blocks=int(config.get("blocks", 1)),
            in_channels=int(config.get("in_channels", 3)),
        )
    except CastlabError as error:  # EncoderConfig's own check: name the file
        raise error.at(Path(folder) / "config.json", fix=fix) from None
    except (KeyError, TypeError, ValueError, OverflowError) as error:
        raise CastlabError(
            f"not an encoder's settings ({type(error).__name__}: {error})"[:200],
            path=Path(folder) / "config.json",
            fix=fix,
        ) from None
    prefix = "encoder."
    if any(key.startswith(prefix) for key in tensors):  # a fine-tuned classifier's folder
        tensors = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
    # built on the meta device first: blocks 10**9 is an error, not gigabytes allocated
    return build_for_weights(lambda: Encoder(shape), tensors, folder, fix=fix).eval()
