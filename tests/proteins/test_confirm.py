"""Alignment confirms the classifier: shortlist, best-aligned family, E-value rejection, files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from castlab.core.errors import CastlabError
from castlab.proteins.confirm import (
    ConfirmConfig,
    References,
    best_alignment,
    confirm,
    evalue,
    load_references,
    shortlist,
)
from castlab.proteins.data import ProteinRecord
from castlab.proteins.model import (
    UNKNOWN,
    ClassifierConfig,
    ProteinModel,
    build_classifier,
    load_classifier,
)
from castlab.proteins.tokenize import build_tokenizer

AMINO = list("ACDEFGHIKLMNPQRSTVWY")


def _random(rng: np.random.Generator, n: int) -> str:
    return "".join(rng.choice(AMINO, n))


def _mutate(sequence: str, rng: np.random.Generator, share: float) -> str:
    return "".join(rng.choice(AMINO) if rng.random() < share else c for c in sequence)


@pytest.fixture(scope="module")
def members():
    """Three unrelated 'families', four members each (20% mutated copies of one ancestor)."""
    rng = np.random.default_rng(0)
    ancestors = {family: _random(rng, 80) for family in "abc"}
    return [
        ProteinRecord(f"{family}{i}", _mutate(ancestor, rng, 0.2), family)
        for family, ancestor in ancestors.items()
        for i in range(4)
    ], ancestors


def test_the_best_alignment_names_the_family_and_noise_scores_low(members):
    records, ancestors = members
    references = References(
        [r.sequence for r in records], [r.family for r in records], np.eye(len(records))
    )
    everything = np.arange(len(records))
    index, bits = best_alignment(ancestors["b"], references, everything)
    assert references.families[index] == "b" and bits > 60
    _, noise_bits = best_alignment(_random(np.random.default_rng(1), 80), references, everything)
    assert noise_bits < 30
    assert evalue(noise_bits, 80, 80) > 1e-3 > evalue(bits, 80, 80)


def test_the_shortlist_holds_only_the_proposed_families_nearest_first():
    references = References(
        ["AAAA", "CCCC", "DDDD", "EEEE"], ["a", "a", "b", "c"], np.array([[1, 0], [0, 1], [1, -1], [1, 1]])
    )  # fmt: skip
    proba = np.array([[0.6, 0.3, 0.1]])  # a, then b
    features = np.array([[0.0, 1.0]])
    config = ConfirmConfig(families=2, neighbours=3)
    assert shortlist(proba, features, ["a", "b", "c"], references, config)[0].tolist() == [1, 0, 2]
    one = ConfirmConfig(families=1, neighbours=1)
    assert shortlist(proba, features, ["a", "b", "c"], references, one)[0].tolist() == [1]


def test_confirm_overrules_the_classifier_and_rejects_what_aligns_to_nothing(members):
    records, ancestors = members
    references = References(
        [r.sequence for r in records], [r.family for r in records], np.ones((len(records), 2))
    )
    queries = [ancestors["c"], _random(np.random.default_rng(2), 120)]
    proba = np.array([[0.5, 0.3, 0.2], [0.4, 0.3, 0.3]])  # the classifier says "a" both times
    config = ConfirmConfig(families=3, neighbours=12, max_evalue=1e-3)
    answers = confirm(queries, proba, np.ones((2, 2)), ["a", "b", "c"], references, config)
    assert answers[0][0] == "c" and answers[0][2] < 1e-3
    assert answers[1][0] is None and answers[1][2] > 1e-3


def test_a_model_with_references_saves_loads_and_predicts_through_them(members, tmp_path):
    records, ancestors = members
    torch.manual_seed(0)
    config = ClassifierConfig(kind="cnn", vocab_size=29, n_classes=3, dim=8, blocks=1)
    model = ProteinModel(
        build_tokenizer("aa", []), build_classifier(config).eval(), config, ["a", "b", "c"]
    ).with_references(records, ConfirmConfig(families=3, neighbours=12, max_evalue=1e-3))
    loaded = load_classifier(model.save(tmp_path / "m"))
    assert loaded.references is not None and loaded.confirmation.max_evalue == 1e-3
    assert np.allclose(loaded.references.features, model.references.features, atol=1e-2)
    queries = [
        ProteinRecord("b", ancestors["b"]),
        ProteinRecord("noise", _random(np.random.default_rng(3), 100)),
    ]
    rows = list(loaded.predict_families(queries, top_k=2))
    assert [r.family for r in rows] == ["b", UNKNOWN]  # the untrained network does not decide
    assert rows[0].evalue <= 1e-3 < rows[1].evalue and rows[0].bit_score > rows[1].bit_score
    assert all(r.top_k.count(":") == 2 for r in rows)


def _saved_with_references(records, folder):
    """A tiny untrained ProtCNN of families a, b, c with ``records`` as references, saved."""
    config = ClassifierConfig(kind="cnn", vocab_size=29, n_classes=3, dim=8, blocks=1)
    model = ProteinModel(
        build_tokenizer("aa", []), build_classifier(config).eval(), config, ["a", "b", "c"]
    ).with_references(records)
    return model.save(folder)


def test_unreadable_references_are_one_error_naming_the_file(members, tmp_path):
    records, _ = members
    folder = _saved_with_references(records, tmp_path / "m")
    (folder / "references.json").write_text("{not json")
    with pytest.raises(CastlabError, match="unreadable alignment references") as error:
        load_references(folder)
    assert "references.json" in str(error.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m, t: m.update(families=m["families"][:3]), "families and"),
        (lambda m, t: m.update(families=["PF99999"] * len(m["families"])), "does not know: PF99"),
        (lambda m, t: m.update(sequences=[1] * len(m["sequences"])), "'sequences' must be a list"),
        (
            lambda m, t: m["config"].update(neighbours=-3),
            "setting neighbours -3: must be a whole number",
        ),
        (lambda m, t: m["config"].update(max_evalue="abc"), "config.max_evalue must be"),
        (lambda m, t: t.update(features=t["features"][:, :4].copy()), "4 features for a model"),
        (lambda m, t: t["features"].fill(np.nan), "NaN or infinite"),
    ],
)
def test_references_that_disagree_with_themselves_or_the_model_are_refused(
    members, tmp_path, change, message
):
    """Edited references gave exit 0 with wrong families (a shorter family list, families the
    model lacks) or tracebacks; each is now one error naming references.json."""
    import json

    from safetensors.numpy import load_file, save_file

    records, _ = members
    folder = _saved_with_references(records, tmp_path / "m")
    meta = json.loads((folder / "references.json").read_text())
    tensors = load_file(str(folder / "references.safetensors"))
    tensors["features"] = tensors["features"].astype(np.float32)
    change(meta, tensors)
    (folder / "references.json").write_text(json.dumps(meta))
    save_file(tensors, str(folder / "references.safetensors"))
    with pytest.raises(CastlabError, match=message) as error:
        load_classifier(folder)
    assert "references.json" in str(error.value)
