"""Fixtures for the tunes tests: the embedded corpus, its ABC tokenizer, a tiny model."""

from __future__ import annotations

import pytest
import torch

from castlab.core.language_model import LanguageModelConfig, build_language_model
from castlab.tunes.abc import abc_tokenizer
from castlab.tunes.data import load_corpus, split_tunes
from castlab.tunes.model import TuneModel


@pytest.fixture(scope="session")
def oneills():
    """O'Neill's 1850 from music21's corpus (embedded default data)."""
    return load_corpus(["oneills"])


@pytest.fixture(scope="session")
def oneills_tokenizer(oneills):
    return abc_tokenizer([t.model_text for t in split_tunes(oneills.tunes)["train"]])


@pytest.fixture(scope="session")
def random_model(oneills_tokenizer):
    """An untrained tiny LSTM: whatever it prefers, constraints must still hold."""
    torch.manual_seed(0)
    config = LanguageModelConfig(
        kind="lstm", vocab_size=oneills_tokenizer.vocab_size, dim=16, hidden=16, layers=1
    )
    return TuneModel(
        oneills_tokenizer, build_language_model(config).eval(), config, {"corpus": ["oneills"]}
    )
