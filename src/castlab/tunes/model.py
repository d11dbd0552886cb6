"""A trained tune model: tokenizer + language model + what it was trained on.

Saved as a folder with ``model.safetensors``, ``config.json`` and ``tokenizer.json``; loading
never unpickles. :func:`pretrained` loads the small model that ships inside castlab.

Examples
--------
>>> model = TuneModel.pretrained()  # doctest: +SKIP
>>> model.tokenizer.vocab_size  # doctest: +SKIP
243
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import torch

from castlab.core.artifacts import build_for_weights, load_model_weights, save_model, write_text
from castlab.core.errors import CastlabError
from castlab.core.language_model import LanguageModelConfig, build_language_model
from castlab.core.tokenizers import BOS, EOS, RegexTokenizer, Tokenizer, load_tokenizer

__all__ = ["PRETRAINED_DIR", "TuneModel", "encode_tune_text"]

#: Folder inside the package holding the shipped default model.
PRETRAINED_DIR = "pretrained"


def encode_tune_text(tokenizer: Tokenizer, text: str) -> list[int]:
    """``<bos>`` + tokens of ``text`` + ``<eos>``: one tune as the model sees it."""
    return [BOS, *tokenizer.encode(text), EOS]


@dataclass
class TuneModel:
    """A language model over tune texts, with its tokenizer."""

    tokenizer: Tokenizer
    network: torch.nn.Module
    model_config: LanguageModelConfig
    info: dict[str, Any] = field(default_factory=dict)  # corpus, metrics, training settings

    def save(self, directory: str | Path, *, half: bool = False) -> Path:
        """Write the model folder (safetensors + JSON); ``half`` stores float16 weights."""
        directory = Path(directory)
        config = {"model": self.model_config.to_dict(), "info": self.info}
        # the decoder shares the embedding's tensor; store it once
        state = {
            k: (v.half() if half else v)
            for k, v in self.network.state_dict().items()
            if k != "decoder.weight"
        }
        save_model(directory, state, config)
        write_text(
            directory / "tokenizer.json", json.dumps(self.tokenizer.to_dict(), ensure_ascii=False)
        )
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> TuneModel:
        """Load a model folder written by :meth:`save`."""
        directory = Path(directory)
        state, config = load_model_weights(directory)
        fix = "use a folder written by castlab tunes train"
        try:
            model_config = LanguageModelConfig(**config["model"])
        except CastlabError as error:  # a size over its cap: name the file
            raise error.at(directory / "config.json", fix=fix) from None
        except (KeyError, TypeError) as error:  # a section missing, a field unknown
            raise CastlabError(
                f"field 'model' is not a tune model's settings ({type(error).__name__}: {error})",
                path=directory / "config.json",
                fix=fix,
            ) from None
        network = build_for_weights(
            lambda: build_language_model(model_config),
            state,
            directory,
            optional=("decoder.weight",),  # tied to the embedding
            fix=fix,
        )
        network.eval()
        tokenizer = load_tokenizer(directory / "tokenizer.json")
        return cls(tokenizer, network, model_config, config.get("info", {}))

    @classmethod
    def pretrained(cls) -> TuneModel:
        """The small default model shipped with castlab (built by ``benchmarks/tunes.py``)."""
        folder = Path(str(resources.files("castlab.tunes") / PRETRAINED_DIR))
        if not (folder / "model.safetensors").exists():
            raise CastlabError(
                "the packaged tune model is missing",
                path=folder,
                fix="run `castlab tunes train --out src/castlab/tunes/pretrained`",
            )
        return cls.load(folder)

    def encode(self, text: str) -> list[int]:
        return encode_tune_text(self.tokenizer, text)

    def with_tokens(self, tokens: Sequence[str]) -> TuneModel:
        """This model with ``tokens`` appended to its vocabulary, e.g. a new control code.

        Existing ids and weights are kept; a new token's embedding (and decoder bias) starts
        at the mean of the header-line tokens' (``R:...``, ``M:...``), so fine-tuning can
        teach a model a header field it never saw.

        Examples
        --------
        >>> from castlab.tunes.abc import abc_tokenizer
        >>> from castlab.core.language_model import LanguageModelConfig, build_language_model
        >>> tok = abc_tokenizer(["M:6/8\\nK:D\\n|:dfa:|"])
        >>> config = LanguageModelConfig(vocab_size=tok.vocab_size, dim=8, hidden=8)
        >>> model = TuneModel(tok, build_language_model(config), config)
        >>> bigger = model.with_tokens(["N:dotted\\n"])
        >>> bigger.tokenizer.vocab_size - tok.vocab_size, bigger.model_config.vocab_size
        (1, 12)
        """
        if not isinstance(self.tokenizer, RegexTokenizer):
            raise CastlabError(
                "only ABC-token models can learn new header tokens",
                fix="fine-tune a model trained with --tokenizer abc",
            )
        added = [t for t in dict.fromkeys(tokens) if t not in self.tokenizer.index]
        if not added:
            return self
        tokenizer = RegexTokenizer([*self.tokenizer.vocab, *added], self.tokenizer.pattern)
        config = replace(self.model_config, vocab_size=tokenizer.vocab_size)
        network = build_language_model(config)
        headers = [
            i for i, t in enumerate(self.tokenizer.vocab) if len(t) > 2 and t[1] == ":"
        ] or list(range(self.tokenizer.vocab_size))
        state = network.state_dict()
        for name, old in self.network.state_dict().items():
            if state[name].shape == old.shape:
                state[name] = old
            else:  # (V, ...) tensors: the embedding, the tied decoder and its bias
                start = old[headers].mean(dim=0, keepdim=True)
                state[name] = torch.cat([old, start.expand(len(added), *old.shape[1:])])
        network.load_state_dict(state)
        return TuneModel(tokenizer, network.train(self.network.training), config, dict(self.info))

    def header_values(self, field: str) -> list[str]:
        """Values of a header field (``"R"``, ``"M"``, ``"L"``, ``"K"``) the model knows.

        Examples
        --------
        >>> "jig" in TuneModel.pretrained().header_values("R")  # doctest: +SKIP
        True
        """
        prefix = f"{field}:"
        tokens = (self.tokenizer.token(i) for i in range(self.tokenizer.vocab_size))
        return sorted(t[2:-1] for t in tokens if t.startswith(prefix) and t.endswith("\n"))
