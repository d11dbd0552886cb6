import json
from dataclasses import replace

import pytest
import torch

from castlab.core.errors import CastlabError
from castlab.core.training import TrainConfig
from castlab.tunes.abc import Tune
from castlab.tunes.model import TuneModel
from castlab.tunes.train import TunesTrainConfig, build_tokenizer, next_token_metrics, train_tunes

TINY = TunesTrainConfig(corpus=("oneills",), dim=16, hidden=16, layers=1, seq_len=32, max_tunes=40)
STEPS = TrainConfig(max_epochs=1, max_steps=6, batch_size=8, progress=False, accelerator="cpu")


@pytest.mark.parametrize(
    "tokenizer,model,text",
    [
        ("abc", "lstm", {}),
        ("char", "transformer", {"notation": "written", "dotting": False}),
        ("bpe", "lstm", {"infer_types": False}),
    ],
)
def test_train_save_load_and_score(tmp_path, tokenizer, model, text):
    config = TunesTrainConfig(
        **{**TINY.__dict__, "tokenizer": tokenizer, "model": model, "bpe_vocab": 120, "heads": 2}
        | text
    )
    trained = train_tunes(config, STEPS, tmp_path / "run")
    assert trained.info["steps"] == 6
    for name in (
        "config.json",
        "metrics.csv",
        "loss.png",
        "checkpoints/last.ckpt",
        "model/model.safetensors",
        "model/tokenizer.json",
    ):
        assert (tmp_path / "run" / name).exists(), name
    loaded = TuneModel.load(tmp_path / "run" / "model")
    again = TunesTrainConfig.of_model(loaded.info)  # what evaluate prepares its text with
    for name in ("corpus", "infer_types", "notation", "dotting"):
        assert getattr(again, name) == getattr(config, name), name
    tune = Tune("t", "jig", "6/8", "1/8", "D", "|:dfa afd|dfa a2b:|")
    metrics = next_token_metrics(loaded, [tune])
    assert 0 <= metrics["accuracy"] <= 1
    # an untrained-ish model is far from perfect but better than nothing at all
    assert 0.5 < metrics["bits_per_character"] < 12


def test_half_precision_save_is_smaller_and_still_loads(tmp_path):
    trained = train_tunes(TINY, STEPS, tmp_path / "run")
    trained.save(tmp_path / "half", half=True)
    full = (tmp_path / "run" / "model" / "model.safetensors").stat().st_size
    half = (tmp_path / "half" / "model.safetensors").stat().st_size
    assert half < 0.6 * full
    tune = Tune("t", "jig", "6/8", "1/8", "D", "|:dfa afd|dfa a2b:|")
    a = next_token_metrics(trained, [tune])["bits_per_character"]
    b = next_token_metrics(TuneModel.load(tmp_path / "half"), [tune])["bits_per_character"]
    assert a == pytest.approx(b, rel=0.02)


def test_unknown_tokenizer_is_a_clear_error():
    with pytest.raises(CastlabError, match="unknown tokenizer"):
        build_tokenizer("words", ["abc"])


def test_shipped_model_loads_and_predicts_well():
    model = TuneModel.pretrained()
    assert model.tokenizer.kind == "regex" and model.info["steps"] > 100
    tune = Tune("t", "jig", "6/8", "1/8", "D", "|:dfa afd|dfa afd|dfa afd|dfa afd:|")
    # a trained model finds a repetitive jig easy: well under 2 bits per character
    assert next_token_metrics(model, [tune])["bits_per_character"] < 2.0


def test_tune_windows_start_at_each_tune_and_cover_every_token():
    from castlab.core.tokenizers import BOS
    from castlab.tunes.train import TuneWindows

    ids = torch.tensor([BOS, 5, 6, 7, 8, 9, 10, BOS, 11, 12, BOS, 13, 14, 15])
    windows = TuneWindows(ids, [0, 7, 10], seq_len=4)
    starts = [int(x[0]) for x, _ in windows]
    # the long first tune gets a second window; the last window is moved back to fit
    assert starts == [BOS, 8, BOS, 12]
    covered = {int(y) for _, ys in windows for y in ys}
    assert set(ids[1:].tolist()) <= covered


def test_training_can_start_from_a_saved_model(tmp_path, random_model):
    random_model.info.update(steps=7, tokenizer="abc")  # as a trained model's info has them
    random_model.save(tmp_path / "first")
    # other shape flags: the start model's shape is trained, and recorded (they were recorded
    # as if used: a 'transformer' of dim 8 with a char tokenizer, for this LSTM)
    flags = {"tokenizer": "char", "model": "transformer", "dim": 8}
    again = TunesTrainConfig(**{**TINY.__dict__, **flags, "init_model": str(tmp_path / "first")})
    few = TrainConfig(**{**STEPS.__dict__, "max_steps": 2})
    second = train_tunes(again, few, tmp_path / "second")
    recorded = json.loads((tmp_path / "second" / "config.json").read_text())["tunes"]
    assert (recorded["tokenizer"], recorded["model"], recorded["dim"]) == ("abc", "lstm", 16)
    assert second.info["tokenizer"] == "abc"
    # the start model's vocabulary is kept; the N: control code it never saw is appended
    old = random_model.tokenizer.vocab
    assert second.tokenizer.vocab[: len(old)] == old
    assert set(second.tokenizer.vocab[len(old) :]) == {"N:dotted\n", "N:plain\n"}
    assert second.model_config == replace(
        random_model.model_config, vocab_size=second.tokenizer.vocab_size
    )
    assert second.info["init_steps"] == 7 and second.info["steps"] == 2


def test_the_same_seed_trains_the_same_model(tmp_path):
    runs = [
        train_tunes(TINY, replace(STEPS, max_steps=2, seed=seed), tmp_path / f"run{k}")
        for k, seed in enumerate((0, 0, 1))
    ]
    first, same, other = (dict(r.network.state_dict()) for r in runs)
    assert all(torch.equal(first[name], same[name]) for name in first)
    assert not all(torch.equal(first[name], other[name]) for name in first)


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        ({"layers": 0}, "--layers 0"),  # it saved a model without its LSTM
        ({"dim": 0}, "--dim 0"),
        ({"seq_len": 0}, "--seq-len 0"),  # range()'s ValueError
        ({"seq_len": -5}, "--seq-len -5"),
    ],
)
def test_shapes_that_build_nothing_are_refused(settings, said):
    with pytest.raises(CastlabError, match=said):
        TunesTrainConfig(**settings)


def test_a_run_that_cannot_start_leaves_no_config_behind(tmp_path):
    with pytest.raises(CastlabError, match="unknown windows"):
        train_tunes(replace(TINY, windows="foo"), STEPS, tmp_path / "run")
    assert not (tmp_path / "run" / "config.json").exists()
