"""Networks: shapes, saving and loading an encoder folder."""

from __future__ import annotations

import json

import pytest
import torch

from castlab.core.errors import CastlabError
from castlab.selfsup.model import (
    ARCHITECTURE,
    Encoder,
    EncoderConfig,
    PretextNetwork,
    load_encoder,
    save_encoder,
)

from .conftest import TINY


@pytest.mark.parametrize(
    "head,n,shape",
    [("image", 3, (2, 3, 16, 16)), ("classes", 4, (2, 4)), ("projection", 6, (2, 6))],
)
def test_pretext_network_heads(head, n, shape):
    assert PretextNetwork(Encoder(TINY), head, n)(torch.rand(2, 3, 16, 16)).shape == shape


def test_odd_sizes_reconstruct_at_full_size():
    net = PretextNetwork(Encoder(TINY), "image", 3)
    assert net(torch.rand(1, 3, 20, 20)).shape == (1, 3, 20, 20)


def test_encoder_folder_round_trip(tmp_path):
    encoder = Encoder(EncoderConfig(widths=(4, 8), blocks=2)).eval()
    folder = save_encoder(tmp_path / "enc", encoder, pretext="grey")
    config = json.loads((folder / "config.json").read_text())
    assert config["architecture"] == ARCHITECTURE and config["feature_dim"] == 8
    loaded = load_encoder(folder)
    x = torch.rand(2, 3, 16, 16)
    assert torch.allclose(loaded.features(x), encoder.features(x))


def test_bad_config_and_foreign_folder_are_clear(tmp_path):
    with pytest.raises(CastlabError, match="widths"):
        EncoderConfig(widths=(8,))
    folder = save_encoder(tmp_path / "enc", Encoder(TINY))
    (folder / "config.json").write_text('{"architecture": "vgg"}')
    with pytest.raises(CastlabError, match="not a castlab encoder"):
        load_encoder(folder)
