"""Feature networks: fixed random filters, and encoder folders behind one small hook."""

from __future__ import annotations

import pytest
import torch

from castlab.art.model import (
    FeatureNetwork,
    RandomFeatureNet,
    load_feature_network,
    save_feature_network,
)
from castlab.core.artifacts import load_model_weights, save_model
from castlab.core.errors import CastlabError


def test_random_net_is_fixed_by_its_seed_and_untrainable():
    a, b, c = (
        RandomFeatureNet((4, 8), seed=1),
        RandomFeatureNet((4, 8), seed=1),
        RandomFeatureNet((4, 8), seed=2),
    )
    image = torch.rand(1, 3, 16, 16)
    assert all(torch.equal(x, y) for x, y in zip(a(image), b(image)))
    assert not torch.equal(a(image)[1], c(image)[1])
    assert not any(p.requires_grad for p in a.parameters())
    assert isinstance(a, FeatureNetwork)


def test_features_halve_per_stage_and_pass_gradients_to_the_image():
    image = torch.rand(1, 3, 32, 32, requires_grad=True)
    maps = RandomFeatureNet((4, 8, 16))(image)
    assert [m.shape[1:] for m in maps] == [(3, 32, 32), (4, 32, 32), (8, 16, 16), (16, 8, 8)]
    sum(m.sum() for m in maps).backward()
    assert image.grad.abs().sum() > 0


def test_saved_folder_loads_the_same_network(tmp_path):
    net = RandomFeatureNet((4, 8), seed=5)
    folder = save_feature_network(net, tmp_path / "enc")
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]
    loaded = load_feature_network(folder)
    image = torch.rand(2, 3, 16, 16)
    assert all(torch.equal(x, y) for x, y in zip(net(image), loaded(image)))


class _TinyEncoder(torch.nn.Module):
    """Stands in for another domain's encoder: one conv, forward gives one map."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 5, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.conv(x))


def test_another_domains_encoder_goes_through_its_load_encoder(tmp_path, monkeypatch):
    import sys
    import types

    encoder = _TinyEncoder()
    folder = save_model(
        tmp_path / "enc", encoder.state_dict(), {"kind": "castlab.fakedomain.encoder"}
    )
    module = types.ModuleType("castlab.fakedomain")

    def load_encoder(path):
        built = _TinyEncoder()
        built.load_state_dict(load_model_weights(path)[0])
        return built

    module.load_encoder = load_encoder  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "castlab.fakedomain", module)
    net = load_feature_network(folder)
    image = torch.rand(1, 3, 8, 8)
    (features,) = net(image)
    assert torch.allclose(features, encoder(image))


@pytest.mark.parametrize(
    "config,message",
    [
        ({"channels": [4]}, "no 'kind' or 'architecture'"),
        ({"kind": "os.system"}, "not a castlab encoder"),
        ({"architecture": "resnet50"}, "not a castlab encoder"),
        ({"kind": "castlab.nosuchdomain.encoder"}, "castlab.nosuchdomain has no load_encoder"),
    ],
)
def test_bad_encoder_folders_are_clear_errors(tmp_path, config, message):
    folder = save_model(tmp_path / "enc", {"w": torch.zeros(1)}, config)
    with pytest.raises(CastlabError, match=message):
        load_feature_network(folder)


def test_folder_without_config_is_an_error(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(CastlabError, match="file not found"):
        load_feature_network(tmp_path)


def test_a_selfsup_encoder_folder_serves_the_style_goal(tmp_path):
    selfsup = pytest.importorskip("castlab.selfsup.model")
    from castlab.art.goals import Style

    encoder = selfsup.Encoder(selfsup.EncoderConfig(widths=(4, 8)))
    folder = selfsup.save_encoder(tmp_path / "encoder", encoder)
    net = load_feature_network(folder)
    image = torch.rand(1, 3, 32, 32)
    maps = net(image)
    assert [m.shape[1] for m in maps] == [4, 8]
    assert all(torch.equal(a, b) for a, b in zip(maps, encoder.eval()(image)))
    goal = Style(torch.rand(1, 3, 32, 32), net)
    assert float(goal(image)) > 0
