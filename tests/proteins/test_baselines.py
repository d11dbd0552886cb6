"""Baselines: k-mer logistic regression, phmmer and blastp nearest neighbours."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from castlab.core.errors import CastlabError
from castlab.proteins.baselines import (
    BlastNearestNeighbour,
    EsmEmbeddingLogistic,
    KmerLogisticRegression,
    MmseqsNearestNeighbour,
    PhmmerNearestNeighbour,
    blast_available,
    esm_available,
    probabilities_from_bitscores,
)
from castlab.proteins.train import score_probabilities


def _fit_score(model, split):
    train = split["train"]
    model.fit([r.sequence for r in train], [r.family for r in train])
    test = split["test"]
    proba = model.predict_proba([r.sequence for r in test])
    assert proba.shape == (len(test), 4) and np.allclose(proba.sum(axis=1), 1)
    return score_probabilities([r.family for r in test], proba, model.classes_)


def test_kmer_logistic_regression(split):
    assert _fit_score(KmerLogisticRegression(), split)["accuracy"] >= 0.9


def test_phmmer_nearest_neighbour(split):
    model = PhmmerNearestNeighbour()
    assert _fit_score(model, split)["accuracy"] >= 0.9
    # a sequence that matches nothing gets equal probabilities
    assert np.allclose(model.predict_proba(["WWWWWWWWWW"]), 0.25)


@pytest.mark.skipif(not blast_available(), reason="blastp (Debian ncbi-blast+) is not installed")
def test_blastp_nearest_neighbour(split):
    model = BlastNearestNeighbour()
    assert _fit_score(model, split)["accuracy"] >= 0.9
    best = model.best_scores([split["train"][0].sequence])[0]
    assert max(best, key=best.get) == split["train"][0].family
    model.close()


@pytest.mark.skipif(shutil.which("mmseqs") is None, reason="mmseqs2 (Debian) is not installed")
def test_mmseqs_nearest_neighbour(split):
    model = MmseqsNearestNeighbour()
    assert _fit_score(model, split)["accuracy"] >= 0.9
    model.close()


def test_bitscore_probabilities_favour_the_best_family():
    proba = probabilities_from_bitscores([{"a": 50.0, "b": 40.0}], ["a", "b", "c"])
    assert proba.argmax() == 0 and proba[0, 1] == pytest.approx(2**-10 * proba[0, 0])


ESM_VOCAB = [
    "<cls>",
    "<pad>",
    "<eos>",
    "<unk>",
    *"LAGVSERTIDPKQNFYMHWCXBUZO.-",
    "<null_1>",
    "<mask>",
]


def _tiny_esm(folder):
    """A random 2-layer ESM with the real ESM-2 vocabulary, saved like a hub download."""
    import torch
    from transformers import EsmConfig, EsmModel, EsmTokenizer

    folder.mkdir()
    (folder / "vocab.txt").write_text("\n".join(ESM_VOCAB) + "\n")
    EsmTokenizer(str(folder / "vocab.txt")).save_pretrained(str(folder))
    config = EsmConfig(
        vocab_size=len(ESM_VOCAB),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=1026,
        pad_token_id=1,
        mask_token_id=len(ESM_VOCAB) - 1,
        position_embedding_type="rotary",
        token_dropout=False,
    )
    torch.manual_seed(0)
    EsmModel(config).save_pretrained(str(folder))
    return folder


def test_esm_embeddings_with_a_tiny_random_model(split, tmp_path):
    folder = _tiny_esm(tmp_path / "esm")
    assert esm_available(folder) and not esm_available(tmp_path / "missing")
    model = EsmEmbeddingLogistic(folder, batch_size=8)
    vectors = model.embed(["MKV", "MKVLAAGWW"])
    assert vectors.shape == (2, 32) and np.isfinite(vectors).all()
    # padding does not change a sequence's embedding: alone or batched with a longer one
    assert np.allclose(model.embed(["MKV"])[0], vectors[0], atol=1e-5)
    # random weights still separate families that differ in composition
    assert _fit_score(model, split)["accuracy"] >= 0.75


def test_esm_without_weights_says_where_and_what_to_do(tmp_path):
    with pytest.raises(CastlabError, match="config.json") as error:
        EsmEmbeddingLogistic(tmp_path / "nowhere")
    assert "nowhere" in str(error.value) and "save_pretrained" in str(error.value)
