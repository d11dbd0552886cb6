"""Networks: shapes, padding does not change predictions, layer groups, save/load."""

from __future__ import annotations

import pytest
import torch

from castlab.core.errors import CastlabError
from castlab.proteins.data import ProteinRecord
from castlab.proteins.model import (
    ClassifierConfig,
    ProteinEnsemble,
    ProteinModel,
    build_classifier,
    encode_batch,
    load_classifier,
)
from castlab.proteins.tokenize import build_tokenizer

TINY = {
    "vocab_size": 29,
    "n_classes": 3,
    "dim": 16,
    "hidden": 16,
    "layers": 2,
    "heads": 2,
    "block_size": 64,
    "head_hidden": 8,
    "blocks": 2,
}


@pytest.mark.parametrize("kind", ["lstm", "transformer", "cnn"])
def test_padding_does_not_change_the_output(kind):
    torch.manual_seed(0)
    net = build_classifier(ClassifierConfig(kind=kind, **TINY)).eval()
    for module in net.modules():  # trained statistics: a fresh BatchNorm maps 0 to 0 and
        if isinstance(module, torch.nn.BatchNorm1d):  # would hide padding that leaks
            module.running_mean.uniform_(-1, 1)
            module.bias.data.uniform_(-1, 1)
    tokenizer = build_tokenizer("aa", [])
    idx, lengths = encode_batch(tokenizer, ["MKVLAAG", "MKVLAAGWWWPPPHHH"], max_tokens=64)
    assert tuple(idx.shape) == (2, 17) and lengths.tolist() == [8, 17]
    batched = net(idx, lengths)
    alone = net(idx[:1, :8], lengths[:1])
    assert batched.shape == (2, 3)
    torch.testing.assert_close(batched[:1], alone, atol=1e-5, rtol=1e-4)


def test_layer_groups_cover_every_parameter_once():
    for kind in ("lstm", "transformer"):
        net = build_classifier(ClassifierConfig(kind=kind, **TINY))
        grouped = [id(p) for g in net.layer_groups() for p in g]
        assert len(grouped) == len(set(grouped))
        used = {id(p) for n, p in net.named_parameters() if "decoder" not in n}
        assert used <= set(grouped)
        assert len(net.layer_groups()) == 2 + TINY["layers"]


def test_save_and_load_give_the_same_probabilities(tmp_path):
    torch.manual_seed(0)
    config = ClassifierConfig(kind="lstm", **TINY)
    model = ProteinModel(
        build_tokenizer("aa", []),
        build_classifier(config).eval(),
        config,
        ["a", "b", "c"],
        {"note": "test"},
    )
    sequences = ["MKVLAAG", "WWPPHHC", "MKV" * 30]
    before = model.predict_proba(sequences)
    loaded = ProteinModel.load(model.save(tmp_path / "m"))
    assert loaded.families == ["a", "b", "c"] and loaded.info == {"note": "test"}
    assert abs(loaded.predict_proba(sequences) - before).max() < 1e-6
    assert abs(before.sum(axis=1) - 1).max() < 1e-6


def test_unknown_kind_and_non_model_folder(tmp_path):
    with pytest.raises(CastlabError, match="unknown model"):
        build_classifier(ClassifierConfig(kind="gru"))
    with pytest.raises(CastlabError, match="no model.safetensors"):
        ProteinModel.load(tmp_path)


def test_predict_families_streams_rows_in_order_with_the_top_k():
    torch.manual_seed(0)
    config = ClassifierConfig(kind="cnn", **TINY)
    model = ProteinModel(
        build_tokenizer("aa", []), build_classifier(config).eval(), config, ["a", "b", "c"]
    )
    records = (ProteinRecord(f"r{i}", "MKVLAAG" * (i + 1)) for i in range(5))  # a generator
    rows = list(model.predict_families(records, top_k=2, batch_size=2))
    proba = model.predict_proba(["MKVLAAG" * (i + 1) for i in range(5)])
    assert [r.name for r in rows] == [f"r{i}" for i in range(5)]
    for row, p in zip(rows, proba):
        assert row.family == "abc"[p.argmax()] and abs(row.probability - p.max()) < 1e-6
        first, second = row.top_k.split(";")
        assert first == f"{row.family}:{p.max():.4f}" and second.count(":") == 1


def _tiny_model(kind: str, seed: int, families: list[str]) -> ProteinModel:
    torch.manual_seed(seed)
    config = ClassifierConfig(kind=kind, **TINY)
    return ProteinModel(
        build_tokenizer("aa", []), build_classifier(config).eval(), config, families
    )


def test_an_ensemble_averages_its_members(tmp_path):
    members = [_tiny_model("cnn", 0, ["a", "b", "c"]), _tiny_model("lstm", 1, ["a", "b", "c"])]
    sequences = ["MKVLAAG", "WWPPHHC" * 5]
    expected = (members[0].predict_proba(sequences) + members[1].predict_proba(sequences)) / 2
    folders = [m.save(tmp_path / f"m{i}") for i, m in enumerate(members)]
    ensemble = load_classifier(*folders)
    assert isinstance(ensemble, ProteinEnsemble) and ensemble.families == ["a", "b", "c"]
    assert abs(ensemble.predict_proba(sequences) - expected).max() < 1e-6
    rows = list(ensemble.predict_families([ProteinRecord("q", "MKVLAAG")], top_k=1))
    assert rows[0].family == "abc"[expected[0].argmax()]
    assert isinstance(load_classifier(folders[0]), ProteinModel)
    with pytest.raises(CastlabError, match="different families"):
        ProteinEnsemble([members[0], _tiny_model("cnn", 2, ["a", "b", "x"])])


def test_a_model_with_its_own_unknown_rule_does_not_join_an_ensemble(tmp_path):
    plain = _tiny_model("cnn", 0, ["a", "b"]).save(tmp_path / "plain")
    ruled = _tiny_model("cnn", 1, ["a", "b"])
    ruled.info["open_set"] = {"threshold": 0.7}  # as calibrate_open_set saves it
    ruled = ruled.save(tmp_path / "ruled")
    with pytest.raises(CastlabError, match="answers .unknown. by its open-set threshold"):
        load_classifier(plain, ruled)
    assert isinstance(load_classifier(ruled), ProteinModel)  # alone it keeps the rule
