"""Feature networks for style and content goals, none of which needs a download.

A feature network is anything that maps an image batch ``(B, 3, H, W)`` in ``[0, 1]`` to a
list of feature maps ``[(B, C_l, H_l, W_l), ...]`` (the :class:`FeatureNetwork` protocol).

- :class:`RandomFeatureNet`: a small conv net with fixed random filters. Gram matrices of
  random multi-scale filters capture texture well (Ustyuzhaninov et al., "Texture
  synthesis using shallow convolutional networks with random filters", 2016).
- An *encoder folder*: ``model.safetensors`` + ``config.json``. :func:`load_feature_network`
  reads folders written by :func:`save_feature_network` and, when ``config.json`` names
  another castlab domain's encoder (e.g. one trained by ``castlab selfsup``), calls that
  domain's loader lazily, so this module imports no other domain.

Examples
--------
>>> import torch
>>> net = RandomFeatureNet(channels=(8, 16))
>>> [tuple(f.shape) for f in net(torch.rand(1, 3, 32, 32))]  # pixels, then each stage
[(1, 3, 32, 32), (1, 8, 32, 32), (1, 16, 16, 16)]
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import torch
from torch import nn

from castlab.core.artifacts import load_model_weights, read_json, save_model
from castlab.core.errors import CastlabError

__all__ = [
    "FeatureNetwork",
    "RandomFeatureNet",
    "load_feature_network",
    "save_feature_network",
]

#: the ``kind`` written in config.json by :func:`save_feature_network`
KIND = "castlab.art.random_features"


@runtime_checkable
class FeatureNetwork(Protocol):
    """Maps images ``(B, 3, H, W)`` in ``[0, 1]`` to a list of feature maps."""

    def __call__(self, image: torch.Tensor) -> list[torch.Tensor]: ...


class RandomFeatureNet(nn.Module):
    """A VGG-like stack of 3x3 convolutions + ReLU with fixed random weights.

    Stage ``l`` (``l >= 1``) halves the resolution with average pooling first; the output
    of every stage is one feature map, after the (normalised) pixels themselves when
    ``with_pixels``: their Gram matrix pins the colour statistics, which random filters
    alone match poorly. Weights are drawn from ``seed`` with He scaling and never trained
    (``requires_grad`` is off).

    Parameters
    ----------
    channels:
        Output channels per stage.
    seed:
        Seed of the random filters (the same seed gives the same network).
    """

    def __init__(
        self,
        channels: tuple[int, ...] = (32, 64, 128, 256),
        *,
        seed: int = 0,
        with_pixels: bool = True,
    ) -> None:
        super().__init__()
        self.channels, self.seed, self.with_pixels = tuple(channels), seed, with_pixels
        generator = torch.Generator().manual_seed(seed)
        stages = []
        width = 3
        for out in self.channels:
            conv = nn.Conv2d(width, out, 3, padding=1, padding_mode="reflect")
            with torch.no_grad():
                fan_in = width * 9
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=generator))
                conv.weight.mul_((2.0 / fan_in) ** 0.5)
                conv.bias.zero_()
            stages.append(conv)
            width = out
        self.stages = nn.ModuleList(stages)
        self.requires_grad_(False)
        self.eval()

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:  # noqa: D102
        x = (image - 0.45) / 0.25  # roughly zero mean, unit spread for photos
        features = [x] if self.with_pixels else []
        for i, conv in enumerate(self.stages):
            if i:
                x = nn.functional.avg_pool2d(x, 2)
            x = torch.relu(conv(x))
            features.append(x)
        return features


def save_feature_network(net: RandomFeatureNet, folder: str | Path) -> Path:
    """Save a :class:`RandomFeatureNet` as an encoder folder (safetensors + config.json)."""
    config = {"kind": KIND, "channels": list(net.channels), "seed": net.seed,
              "with_pixels": net.with_pixels}  # fmt: skip
    return save_model(folder, net.state_dict(), config)


#: ``architecture`` in config.json -> the castlab module whose ``load_encoder`` rebuilds it
ENCODER_MODULES = {"castlab-xresnet": "castlab.selfsup.model"}


class _EncoderFeatures(nn.Module):
    """Adapts an encoder whose ``forward(x)`` gives a list of maps (or one map)."""

    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder.eval().requires_grad_(False)

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        out = self.encoder(image)
        maps = list(out) if isinstance(out, list | tuple) else [out]
        if not maps or any(m.dim() != 4 for m in maps):
            raise CastlabError(
                "the encoder gives no (B, C, H, W) feature maps",
                fix="use an encoder whose forward returns feature maps",
            )
        return maps


def _module_for(config: dict[str, Any], folder: Path) -> str:
    architecture = str(config.get("architecture", ""))
    if architecture in ENCODER_MODULES:
        return ENCODER_MODULES[architecture]
    kind = str(config.get("kind", ""))
    parts = kind.split(".")
    if not kind and not architecture:
        raise CastlabError(
            "config.json names no 'kind' or 'architecture'",
            path=folder / "config.json",
            fix="pass a folder saved by castlab (art or selfsup)",
        )
    if len(parts) < 2 or parts[0] != "castlab":
        raise CastlabError(
            f"{kind or architecture!r} is not a castlab encoder",
            path=folder / "config.json",
            fix="pass a folder saved by castlab (art or selfsup)",
        )
    return f"castlab.{parts[1]}"


def _domain_loader(module_name: str, folder: Path) -> Any:
    # imported only now: art never imports another domain at module level
    try:
        loader = importlib.import_module(module_name).load_encoder
    except (ImportError, AttributeError):
        raise CastlabError(
            f"{module_name} has no load_encoder",
            path=folder / "config.json",
            fix="update castlab or pass a random-feature folder",
        ) from None
    return loader(folder)


def load_feature_network(folder: str | Path) -> nn.Module:
    """Load the feature network saved in ``folder`` (``model.safetensors`` + ``config.json``).

    ``config.json`` says what it is: ``"kind": "castlab.art.random_features"`` is built here;
    an ``architecture`` listed in :data:`ENCODER_MODULES` (``castlab-xresnet``, written by
    ``castlab selfsup``) or a ``"kind": "castlab.<domain>..."`` goes to that module's
    ``load_encoder(folder)``, imported only then. The encoder's ``forward(x)`` must give a
    list of feature maps (or one). Nothing is unpickled.

    Examples
    --------
    >>> import tempfile
    >>> folder = save_feature_network(RandomFeatureNet((4,), seed=3), tempfile.mkdtemp())
    >>> net = load_feature_network(folder)
    >>> [tuple(f.shape) for f in net(torch.rand(1, 3, 16, 16))]
    [(1, 3, 16, 16), (1, 4, 16, 16)]
    """
    folder = Path(folder)
    config = read_json(folder / "config.json")
    kind = str(config.get("kind", "")) if isinstance(config, dict) else ""
    if kind == KIND:
        state, _ = load_model_weights(folder)
        net = RandomFeatureNet(
            tuple(config["channels"]),
            seed=int(config.get("seed", 0)),
            with_pixels=bool(config.get("with_pixels", True)),
        )
        net.load_state_dict(state)
        return net
    if not isinstance(config, dict):
        raise CastlabError("config.json is not an object", path=folder / "config.json")
    return _EncoderFeatures(_domain_loader(_module_for(config, folder), folder))
