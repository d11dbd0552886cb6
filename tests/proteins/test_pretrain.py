"""Pretraining once and starting classifiers from the saved LM (ULMFiT stages 1-3)."""

from __future__ import annotations

import warnings

import pytest
import torch

from castlab.core.errors import CastlabError
from castlab.core.language_model import build_language_model
from castlab.proteins.model import ProteinModel
from castlab.proteins.pretrain import PretrainConfig, ProteinLanguageModel, pretrain
from castlab.proteins.train import ProteinTrainConfig, evaluate, train_classifier

TINY = {
    "dim": 32,
    "hidden": 48,
    "layers": 2,
    "seq_len": 64,
    "batch_size": 16,
    "progress": False,
    "accelerator": "cpu",
    "devices": "1",
}


@pytest.fixture(scope="module")
def language_model(tmp_path_factory, families):
    run = tmp_path_factory.mktemp("lm")
    sequences = [r.sequence for r in families]
    return run, pretrain(sequences, PretrainConfig(epochs=6, **TINY), run, source="synthetic")


def test_pretraining_learns_and_the_saved_model_is_the_same(language_model, families):
    run, lm = language_model
    loaded = ProteinLanguageModel.load(run / "model")
    ids = torch.tensor([[1, *lm.tokenizer.encode(families[0].sequence)]])
    assert torch.equal(lm.network(ids)[0], loaded.network(ids)[0])
    untrained = ProteinLanguageModel(
        lm.tokenizer, build_language_model(lm.shape.language_model()).eval(), lm.shape
    )
    sequences = [r.sequence for r in families[:20]]
    # the generated families come from position-specific profiles: a trained LM must beat
    # random weights (about 1/25); after 6 tiny epochs it has ~0.12
    assert loaded.next_token_accuracy(sequences) > untrained.next_token_accuracy(sequences) + 0.05
    assert loaded.info["source"] == "synthetic" and loaded.info["steps"] > 0
    assert "val_accuracy" in loaded.info


def test_classifier_starts_from_the_language_model(tmp_path, split, language_model):
    _, lm = language_model
    config = ProteinTrainConfig(
        model="transformer",  # the LM decides: an LSTM classifier is built
        pretrain_epochs=0,
        finetune_epochs=8,
        batch_size=16,
        max_tokens=256,
    )
    model = train_classifier(split["train"], split["valid"], config, tmp_path, language_model=lm)
    assert model.config.kind == "lstm" and model.config.hidden == 48
    assert model.info["language_model"]["source"] == "synthetic"
    assert "pretrain" not in model.info  # no stage-2 LM fine-tuning asked for
    assert evaluate(tmp_path / "model", split["test"])["accuracy"] >= 0.75  # chance 0.25
    assert isinstance(ProteinModel.load(tmp_path / "model"), ProteinModel)


def test_stage_two_fine_tunes_the_loaded_language_model(tmp_path, split, language_model):
    _, lm = language_model
    before = {k: v.clone() for k, v in lm.network.state_dict().items()}
    config = ProteinTrainConfig(pretrain_epochs=1, finetune_epochs=1, seq_len=64, batch_size=16)
    with warnings.catch_warnings():  # stage 2 once left the encoder in eval mode (no dropout)
        warnings.filterwarnings("error", message=".*in eval mode at the start of training")
        model = train_classifier(
            split["train"], split["valid"], config, tmp_path, language_model=lm
        )
    assert model.info["pretrain"]["steps"] > 0
    moved = model.network.encoder.embedding.weight - before["embedding.weight"]
    assert moved.abs().max() > 0
    # the shared LM object is not changed by a classifier run
    assert torch.equal(lm.network.state_dict()["embedding.weight"], before["embedding.weight"])


def test_pretraining_resumes_from_its_checkpoint(tmp_path, families, ctrl_c_at_step):
    from castlab.proteins import pretrain as pretrain_module

    sequences = [r.sequence for r in families]
    config = PretrainConfig(epochs=5, max_steps=4, **TINY)
    ctrl_c_at_step(pretrain_module, 2)
    with pytest.raises(KeyboardInterrupt):
        pretrain(sequences, config, tmp_path)
    assert torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 2
    resumed = pretrain(sequences, config, tmp_path, resume=True)
    assert resumed.info["steps"] == 4


def test_bad_language_model_inputs_are_user_errors(tmp_path, split, language_model):
    run, lm = language_model
    with pytest.raises(CastlabError, match="cannot start from a language model"):
        train_classifier(
            split["train"], [], ProteinTrainConfig(model="cnn"), tmp_path, language_model=lm
        )
    classifier = ProteinTrainConfig(model="cnn", dim=16, finetune_epochs=1, max_steps=1)
    train_classifier(split["train"], [], classifier, tmp_path / "c")
    with pytest.raises(CastlabError, match="not a protein language-model folder"):
        ProteinLanguageModel.load(tmp_path / "c" / "model")
    with pytest.raises(CastlabError, match="at least two sequences"):
        pretrain(["MKV"], PretrainConfig(**TINY), tmp_path / "one")
    with pytest.raises(CastlabError, match="cannot pretrain a 'cnn'"):
        PretrainConfig(model="cnn").shape(29)
    for settings, said in [
        ({"lr": -0.01}, "--lr -0.01: not a learning rate"),  # it trained by gradient ascent
        ({"layers": 0}, "--layers 0"),  # it saved a model without a recurrent layer
        ({"epochs": 0}, "--epochs 0"),
        ({"seq_len": 1}, "--seq-len 1"),
    ]:
        with pytest.raises(CastlabError, match=said):
            PretrainConfig(**settings)


def test_pretrain_does_not_import_the_classifier_trainer():
    """Imports run one way: train uses pretrain, never the reverse (no hidden cycle)."""
    import subprocess
    import sys

    code = "import sys, castlab.proteins.pretrain; print('castlab.proteins.train' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_both_configs_share_one_shape_and_one_default_rate():
    from castlab.proteins.model import ProteinConfig, default_lr
    from castlab.proteins.pretrain import PretrainConfig
    from castlab.proteins.train import ProteinTrainConfig

    assert issubclass(PretrainConfig, ProteinConfig) and issubclass(
        ProteinTrainConfig, ProteinConfig
    )
    assert PretrainConfig(model="transformer").train_config().lr == default_lr(
        "transformer", "pretrain"
    )
