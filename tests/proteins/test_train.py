"""Training: every model learns generated families; scoring is right; pretraining is used."""

from __future__ import annotations

import numpy as np
import pytest

from castlab.core.errors import CastlabError
from castlab.proteins.model import ProteinModel
from castlab.proteins.train import (
    ProteinTrainConfig,
    evaluate,
    score_probabilities,
    train_classifier,
)

QUICK = {
    "dim": 32,
    "hidden": 48,
    "layers": 1,
    "heads": 2,
    "seq_len": 64,
    "batch_size": 16,
    "max_tokens": 256,
}


def test_cnn_learns_generated_families(tmp_path, split):
    config = ProteinTrainConfig(model="cnn", finetune_epochs=5, finetune_lr=1e-2, **QUICK)
    train_classifier(split["train"], split["valid"], config, tmp_path)
    scores = evaluate(tmp_path / "model", split["test"])
    assert scores["accuracy"] >= 0.75  # chance is 0.25
    assert scores["queries_per_second"] > 0
    assert (tmp_path / "finetune" / "metrics.csv").exists()


@pytest.mark.parametrize("kind", ["lstm", "transformer"])
def test_language_model_classifier_pretrains_then_fine_tunes(tmp_path, split, kind):
    config = ProteinTrainConfig(
        model=kind, tokenizer="bpe", vocab_size=64, pretrain_epochs=1, finetune_epochs=2, **QUICK
    )
    model = train_classifier(split["train"], split["valid"], config, tmp_path)
    assert "val_accuracy" in model.info["pretrain"] and model.info["finetune"]["steps"] > 0
    assert (tmp_path / "pretrain" / "metrics.csv").exists()
    loaded = ProteinModel.load(tmp_path / "model")
    proba = loaded.predict_proba([r.sequence for r in split["test"]])
    assert proba.shape == (len(split["test"]), 4) and np.allclose(proba.sum(axis=1), 1)
    assert loaded.tokenizer.vocab_size == 64


def test_score_probabilities_handles_unseen_families_and_f1():
    proba = np.array([[0.7, 0.3], [0.4, 0.6], [0.5, 0.5]])
    scores = score_probabilities(["a", "a", "z"], proba, ["a", "b"])
    assert scores["accuracy"] == pytest.approx(1 / 3)
    # "z" was never a class: probability 1e-15
    expected = -(np.log(0.7) + np.log(0.4) + np.log(1e-15)) / 3
    assert scores["log_loss"] == pytest.approx(expected)
    assert 0 < scores["macro_f1"] < 1


def test_inputs_are_cut_to_max_tokens_even_below_the_lm_window(tmp_path, split):
    config = ProteinTrainConfig(model="cnn", finetune_epochs=1, **{**QUICK, "max_tokens": 40})
    model = train_classifier(split["train"], split["valid"], config, tmp_path)
    assert model.config.block_size == 40  # it was max(max_tokens, seq_len) = 64
    transformer = {**QUICK, "max_tokens": 40, "seq_len": 64}
    with pytest.raises(CastlabError, match="--max-tokens 40 is shorter than the 64-token"):
        train_classifier(
            split["train"],
            split["valid"],
            ProteinTrainConfig(model="transformer", pretrain_epochs=1, **transformer),
            tmp_path / "t",
        )


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        ({"dim": 0}, "--dim 0: cannot be below 1"),
        ({"layers": 0}, "--layers 0: cannot be below 1"),
        ({"batch_size": 0}, "--batch-size 0"),
        ({"finetune_epochs": -1}, "--epochs -1"),
        ({"max_tokens": 1}, "--max-tokens 1"),
        ({"finetune_lr": -0.01}, "finetune_lr -0.01: not a learning rate"),
        ({"pretrain_lr": float("nan")}, "pretrain_lr nan: not a learning rate"),
    ],
)
def test_settings_that_train_nothing_or_backwards_are_refused(settings, said):
    with pytest.raises(CastlabError, match=said):
        ProteinTrainConfig(**settings)
