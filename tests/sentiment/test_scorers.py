"""Every scorer returns three probabilities and score = p_positive - p_negative."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from castlab.core.errors import CastlabError
from castlab.sentiment.scorers import (
    HEAD_DIR,
    HuggingFaceScorer,
    VaderScorer,
    load_scorer,
    probabilities_frame,
    vader_probabilities,
)

TEXTS = ["I love this so much, wonderful!", "This is awful, I hate it.", "The bus leaves at 9."]


def _check_frame(frame, n):
    assert len(frame) == n
    p = frame[["p_negative", "p_neutral", "p_positive"]].to_numpy()
    assert np.allclose(p.sum(1), 1) and (p >= 0).all()
    assert np.allclose(frame["score"], frame["p_positive"] - frame["p_negative"])


def test_vader_score_is_the_compound_and_labels_follow_its_threshold():
    scorer = VaderScorer()
    frame = scorer.score(TEXTS)
    _check_frame(frame, 3)
    compound = [scorer.analyzer.polarity_scores(t)["compound"] for t in TEXTS]
    assert np.allclose(frame["score"], compound)
    assert list(frame["label"]) == ["positive", "negative", "neutral"]


@pytest.mark.parametrize("threshold", [0.05, 0.3])
def test_vader_mapping_sums_to_one_and_flips_at_the_threshold(threshold):
    compound = np.linspace(-1, 1, 401)
    p = vader_probabilities(compound, threshold=threshold)
    assert np.allclose(p.sum(1), 1) and (p >= 0).all()
    assert np.allclose(p[:, 2] - p[:, 0], compound)
    expected = np.where(compound > threshold, 2, np.where(compound < -threshold, 0, 1))
    away = np.abs(np.abs(compound) - threshold) > 1e-9  # ties exactly at the threshold
    assert (p.argmax(1)[away] == expected[away]).all()
    assert probabilities_frame(p[:1])["label"].item() == "negative"


def test_empty_input_gives_an_empty_frame():
    assert len(VaderScorer().score([])) == 0


def test_shipped_head_is_small_and_ranks_obvious_posts():
    weights = HEAD_DIR / "model.safetensors"
    assert weights.exists() and weights.stat().st_size < 10_000
    frame = load_scorer("minilm").score(TEXTS)
    _check_frame(frame, 3)
    assert frame["score"][0] > 0.3 > -0.3 > frame["score"][1]
    assert list(frame["label"]) == ["positive", "negative", "neutral"]


def test_default_model_is_within_budget_and_ranks_obvious_posts():
    from castlab.core.artifacts import read_json
    from castlab.sentiment.scorers import DEFAULT_DIR

    weights = DEFAULT_DIR / "model.safetensors"
    assert weights.exists() and weights.stat().st_size <= 25_000_000  # the budget
    config = read_json(DEFAULT_DIR / "config.json")
    assert config["base_weights"] == "minilm" and config["dtype"] == "float16"
    frames = {p: load_scorer("default", precision=p).score(TEXTS) for p in ("float32", "int8")}
    for frame in frames.values():
        _check_frame(frame, 3)
        assert list(frame["label"]) == ["positive", "negative", "neutral"]
    assert np.abs(frames["int8"]["score"] - frames["float32"]["score"]).max() < 0.15


def _tiny_model(folder, id2label):
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from castlab.sentiment.model import minilm_path

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=128,
        num_labels=len(id2label),
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
    )
    model = BertForSequenceClassification(config).eval()
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(str(minilm_path())).save_pretrained(folder)
    return model


def _raw_probabilities(model, folder, texts):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    from castlab.sentiment.data import normalise_tweet

    with torch.no_grad():
        rows = []
        for text in texts:  # one at a time: no padding, an independent check of the batching
            batch = tokenizer([normalise_tweet(text)], return_tensors="pt")
            rows.append(torch.softmax(model(**batch).logits, -1)[0].numpy())
    return np.stack(rows)


def test_hf_scorer_maps_outputs_by_label_name(tmp_path):
    labels = {0: "positive", 1: "negative", 2: "neutral"}  # a deliberately odd order
    model = _tiny_model(tmp_path, labels)
    scorer = load_scorer(f"hf:{tmp_path}", batch_size=2)
    assert isinstance(scorer, HuggingFaceScorer)
    frame = scorer.score(TEXTS)
    _check_frame(frame, 3)
    raw = _raw_probabilities(model, tmp_path, TEXTS)
    expected = raw[:, [1, 2, 0]]  # negative, neutral, positive
    got = frame[["p_negative", "p_neutral", "p_positive"]].to_numpy()
    assert np.allclose(got, expected, atol=1e-5)


def test_hf_two_class_model_has_no_neutral(tmp_path):
    _tiny_model(tmp_path, {0: "NEGATIVE", 1: "POSITIVE"})
    frame = load_scorer(f"hf:{tmp_path}").score(TEXTS)
    _check_frame(frame, 3)
    assert (frame["p_neutral"] == 0).all()


def test_hf_generic_labels_need_an_explicit_mapping(tmp_path):
    _tiny_model(tmp_path, {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"})
    with pytest.raises(CastlabError, match="--labels"):
        load_scorer(f"hf:{tmp_path}")
    scorer = load_scorer(f"hf:{tmp_path}", labels=["neg", "neu", "pos"])
    assert scorer.order == [0, 1, 2]
    with pytest.raises(CastlabError, match="2 labels given"):
        load_scorer(f"hf:{tmp_path}", labels=["neg", "pos"])


def test_unknown_scorers_and_missing_models_are_user_errors(tmp_path):
    with pytest.raises(CastlabError, match="unknown scorer"):
        load_scorer("roberta")
    with pytest.raises(CastlabError, match="needs a trained model"):
        load_scorer("finetune")
    with pytest.raises(CastlabError, match="no model.safetensors"):
        load_scorer("finetune", model=tmp_path)
    with pytest.raises(CastlabError, match="cannot load the Hugging Face model"):
        load_scorer(f"hf:{tmp_path / 'nothing'}")
    # a model folder with the default scorer: it scored with the shipped model, silently
    with pytest.raises(CastlabError, match="--scorer default would score without it"):
        load_scorer("default", model=tmp_path)


def test_score_posts_keeps_the_frame_and_prefixes_on_a_clash():
    from castlab.sentiment.scorers import score_posts

    frame = pd.DataFrame(
        {"id": [3, 4], "tweet": ["I love it", "I hate it"], "label": [2, 0]}, index=[10, 11]
    )
    scored = score_posts(frame, VaderScorer())
    assert list(scored.columns[:3]) == ["id", "tweet", "label"]
    assert list(scored.index) == [10, 11] and list(scored["label"]) == [2, 0]
    assert list(scored["sentiment_label"]) == ["positive", "negative"]
    assert score_posts(scored, VaderScorer()) is scored  # already scored: kept as is


def test_a_finetuned_model_naming_a_hub_encoder_is_refused_without_going_online(tmp_path):
    """config.json's 'encoder' named a hub model: loading it went to huggingface.co (and,
    online, would have downloaded it) ending in a traceback offline."""
    import json
    import shutil
    from importlib.resources import files

    model = tmp_path / "model"
    shutil.copytree(str(files("castlab.sentiment") / "default"), model)
    config = json.loads((model / "config.json").read_text())
    config["encoder"] = "some-org/some-model"
    (model / "config.json").write_text(json.dumps(config))
    with pytest.raises(CastlabError, match="field 'encoder' names 'some-org/some-model'"):
        load_scorer("finetune", model=model)


def test_a_head_or_model_with_a_changed_config_is_one_clear_error(tmp_path):
    """A head without its 'scale' tensor was KeyError 'scale', a max_length of "abc" a
    ValueError traceback."""
    from castlab.core.artifacts import load_model_weights, save_model
    from castlab.sentiment.scorers import HEAD_DIR, MiniLMScorer

    weights, config = load_model_weights(HEAD_DIR)
    save_model(tmp_path / "no_scale", {k: v for k, v in weights.items() if k != "scale"}, config)
    with pytest.raises(CastlabError, match="scale should be \\[384\\], is missing"):
        MiniLMScorer(tmp_path / "no_scale")
    save_model(tmp_path / "text", weights, {**config, "max_length": "abc"})
    with pytest.raises(CastlabError, match="field 'max_length' is 'abc'"):
        MiniLMScorer(tmp_path / "text")


def test_the_finetune_scorer_given_a_head_says_to_use_minilm():
    """A `sentiment train --kind head` folder as its --model was a torch traceback
    (Unexpected key(s) in state_dict: linear.bias, ...)."""
    message = f"holds a MiniLM head .* use --scorer minilm --model {HEAD_DIR}"
    with pytest.raises(CastlabError, match=message):
        load_scorer("finetune", model=HEAD_DIR)


def test_a_finetuned_model_with_a_tensor_of_another_shape_is_one_clear_error(tmp_path):
    from castlab.core.artifacts import load_model_weights, save_model
    from castlab.sentiment.scorers import DEFAULT_DIR

    weights, config = load_model_weights(DEFAULT_DIR)
    save_model(tmp_path, {**weights, "head.linear.bias": torch.zeros(4)}, config)
    with pytest.raises(CastlabError, match="do not fit the MiniLM classifier"):
        load_scorer("finetune", model=tmp_path)
