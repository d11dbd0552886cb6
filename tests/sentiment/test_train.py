"""Metrics, the head trainer, and end-to-end fine-tuning on a tiny random encoder."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from castlab.core.errors import CastlabError
from castlab.core.training import TrainConfig
from castlab.sentiment.scorers import FineTunedScorer, MiniLMScorer
from castlab.sentiment.train import (
    FineTuneConfig,
    HeadConfig,
    class_weights,
    evaluate_predictions,
    finetune,
    run_kind,
    save_head,
    train_head,
    train_head_from_data,
)


def test_metrics_match_hand_counts():
    truth = [0, 0, 1, 1, 1, 2]
    predicted = [0, 1, 1, 1, 2, 2]
    result = evaluate_predictions(truth, predicted)
    assert result.confusion == ((1, 1, 0), (0, 2, 1), (0, 0, 1))
    assert result.recalls == pytest.approx((0.5, 2 / 3, 1.0))
    assert result.macro_recall == pytest.approx((0.5 + 2 / 3 + 1) / 3)
    assert result.accuracy == pytest.approx(4 / 6)
    with pytest.raises(CastlabError):
        evaluate_predictions([0, 1], [0])


def test_class_weights_balance_the_loss():
    labels = np.array([0] * 10 + [1] * 30 + [2] * 60)
    weights = class_weights(labels)
    counts = np.bincount(labels)
    assert np.allclose(np.array(weights) * counts, len(labels) / 3)


def test_head_learns_separable_vectors_and_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 16))
    labels = rng.integers(0, 3, size=300)
    vectors = centres[labels] + 0.3 * rng.normal(size=(300, 16))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    head = train_head(vectors.astype(np.float32), labels, HeadConfig(steps=200))
    import torch

    with torch.no_grad():
        predicted = head(torch.as_tensor(vectors, dtype=torch.float32)).argmax(1).numpy()
    assert evaluate_predictions(labels, predicted).accuracy > 0.95
    folder = save_head(head, tmp_path / "head", HeadConfig(), note="test")
    assert (folder / "model.safetensors").stat().st_size < 2_000


def _tiny_encoder(folder):
    from transformers import AutoTokenizer, BertConfig, BertModel

    from castlab.sentiment.model import minilm_path

    config = BertConfig(
        vocab_size=30522,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(folder)
    AutoTokenizer.from_pretrained(str(minilm_path())).save_pretrained(folder)
    return folder


def test_finetune_writes_a_model_the_scorer_loads(tmp_path):
    encoder = _tiny_encoder(tmp_path / "encoder")
    train = pd.DataFrame(
        {"text": ["good", "bad", "ok then", "great!", "awful"] * 8, "label": [2, 0, 1, 2, 0] * 8}
    )
    run = tmp_path / "run"
    config = TrainConfig(max_epochs=1, batch_size=8, lr=1e-3, progress=False, accelerator="cpu")
    folder = finetune(
        train,
        train[:10],
        run,
        config=FineTuneConfig(max_length=16),
        train_config=config,
        encoder_path=encoder,
    )
    assert (folder / "model.safetensors").exists() and (run / "metrics.csv").exists()
    assert (run / "checkpoints" / "last.ckpt").exists()
    assert "val_macro_recall" in (run / "metrics.csv").read_text()
    frame = FineTunedScorer(run).score(["good", "bad"])
    assert np.allclose(frame[["p_negative", "p_neutral", "p_positive"]].sum(1), 1)
    saved = (run / "config.json").read_text()  # a refused resume keeps the run's own record
    with pytest.raises(CastlabError, match="already finished"):
        finetune(
            train, None, run, train_config=replace(config, lr=0.5), encoder_path=encoder,
            resume=True,
        )  # fmt: skip
    assert (run / "config.json").read_text() == saved
    with pytest.raises(CastlabError, match="nothing to resume"):
        finetune(
            train, None, tmp_path / "other", train_config=config, encoder_path=encoder, resume=True
        )
    assert run_kind(run) == "finetune"  # a head written here would mix with its model/
    with pytest.raises(CastlabError, match="holds a --kind finetune run; a --kind head run"):
        train_head_from_data(train, None, run)


def test_minilm_scorer_accepts_another_head(tmp_path):
    import torch

    from castlab.sentiment.model import SentimentHead

    head = SentimentHead(384)
    with torch.no_grad():  # a head that always says neutral
        head.linear.weight.zero_()
        head.linear.bias.copy_(torch.tensor([0.0, 5.0, 0.0]))
    folder = save_head(head, tmp_path / "head", HeadConfig())
    frame = MiniLMScorer(folder).score(["I love it", "I hate it"])
    assert list(frame["label"]) == ["neutral", "neutral"]
    assert np.allclose(frame["score"], 0)


def test_a_fine_tuning_run_is_refused_in_a_head_folder(tmp_path):
    from castlab.sentiment.model import SentimentHead

    head = save_head(SentimentHead(16), tmp_path / "head", HeadConfig())
    assert run_kind(head) == "head" and run_kind(tmp_path / "empty") is None
    train = pd.DataFrame({"text": ["good", "bad", "fine"], "label": [2, 0, 1]})
    with pytest.raises(CastlabError, match="holds a --kind head run; a --kind finetune run"):
        finetune(train, None, head)
    with pytest.raises(CastlabError, match="not a --kind finetune run to resume"):
        finetune(train, None, head, resume=True)
    assert sorted(p.name for p in head.iterdir()) == ["config.json", "model.safetensors"]


def test_finetune_can_start_from_a_trained_head(tmp_path):
    import torch

    from castlab.core.artifacts import load_model_weights
    from castlab.sentiment.model import SentimentHead

    encoder = _tiny_encoder(tmp_path / "encoder")
    head = SentimentHead(16)
    with torch.no_grad():
        head.linear.bias.copy_(torch.tensor([0.5, -1.0, 2.0]))
    head_dir = save_head(head, tmp_path / "head", HeadConfig())
    train = pd.DataFrame({"text": ["good", "bad", "fine"] * 4, "label": [2, 0, 1] * 4})
    frozen = TrainConfig(
        max_epochs=1, batch_size=4, lr=0.0, one_cycle=False, progress=False, accelerator="cpu"
    )
    folder = finetune(
        train,
        None,
        tmp_path / "run",
        config=FineTuneConfig(max_length=8, init_head=str(head_dir)),
        train_config=frozen,
        encoder_path=encoder,
    )
    weights, _ = load_model_weights(folder)
    assert torch.allclose(weights["head.linear.bias"], torch.tensor([0.5, -1.0, 2.0]))
    wide = save_head(SentimentHead(384), tmp_path / "wide", HeadConfig())
    with pytest.raises(CastlabError, match="other inputs"):
        finetune(
            train,
            None,
            tmp_path / "run2",
            config=FineTuneConfig(init_head=str(wide)),
            train_config=frozen,
            encoder_path=encoder,
        )


def test_finetune_does_not_divide_by_a_dead_dimension(tmp_path):
    """Heads fitted on frozen MiniLM have ~0 spread on always-zero dimensions; fine-tuning
    moves those dimensions, so dividing by 1e-6 there blew the loss up to ~50 (fixed)."""
    import torch

    from castlab.core.artifacts import load_model_weights
    from castlab.sentiment.model import SentimentHead

    encoder = _tiny_encoder(tmp_path / "encoder")
    head = SentimentHead(16)
    with torch.no_grad():
        head.scale.fill_(0.5)
        head.scale[3] = 1e-6  # as saved for MiniLM's dead dimensions before safe_scale
        head.linear.weight.fill_(0.1)
    head_dir = save_head(head, tmp_path / "head", HeadConfig())
    train = pd.DataFrame({"text": ["good", "bad", "fine"] * 4, "label": [2, 0, 1] * 4})
    config = TrainConfig(
        max_epochs=2, batch_size=4, lr=1e-3, one_cycle=False, progress=False, accelerator="cpu"
    )
    run = tmp_path / "run"
    folder = finetune(
        train,
        None,
        run,
        config=FineTuneConfig(max_length=8, init_head=str(head_dir), head_lr_scale=10.0),
        train_config=config,
        encoder_path=encoder,
    )
    weights, _ = load_model_weights(folder)
    assert weights["head.scale"][3] == 1.0 and weights["head.scale"][0] == 0.5
    losses = pd.read_csv(run / "metrics.csv")["train_loss_step"].dropna()
    assert len(losses) > 0 and losses.max() < 5.0


def test_export_keeps_only_what_fine_tuning_changed(tmp_path):
    from castlab.sentiment.train import export_model

    encoder = _tiny_encoder(tmp_path / "encoder")
    train = pd.DataFrame({"text": ["good", "bad", "fine"] * 4, "label": [2, 0, 1] * 4})
    config = TrainConfig(max_epochs=1, batch_size=4, lr=1e-2, progress=False, accelerator="cpu")
    run = finetune(
        train,
        None,
        tmp_path / "run",
        config=FineTuneConfig(max_length=8, freeze_embeddings=True),
        train_config=config,
        encoder_path=encoder,
    )
    small = export_model(run, tmp_path / "small", note="test")
    full_size = (run / "model.safetensors").stat().st_size
    assert (small / "model.safetensors").stat().st_size < full_size / 5  # no 30k-word table
    texts = ["good", "bad", "fine", "so so"]
    full = FineTunedScorer(run).predict_proba(texts)
    shipped = FineTunedScorer(small).predict_proba(texts)
    assert np.abs(full - shipped).max() < 2e-3  # float16 layers, same embeddings
    for precision in ("bfloat16", "int8"):
        fast = FineTunedScorer(small, precision=precision).predict_proba(texts)
        assert np.abs(full - fast).max() < 0.05

    moved = finetune(
        train,
        None,
        tmp_path / "run2",
        config=FineTuneConfig(max_length=8),
        train_config=config,
        encoder_path=encoder,
    )
    with pytest.raises(CastlabError, match="--freeze-embeddings"):
        export_model(moved, tmp_path / "small2")
