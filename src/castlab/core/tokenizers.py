"""Tokenizers behind one small protocol: character, rule-based (regex) and subword (BPE/unigram).

Every tokenizer maps text to a list of string tokens and ids and back, reserves ids for
``<pad>``, ``<bos>``, ``<eos>``, ``<unk>``, and saves itself as JSON (never pickle).

Examples
--------
>>> tok = CharTokenizer.train(["abc", "abd"])
>>> tok.decode(tok.encode("abd"))
'abd'
>>> rule = RegexTokenizer.train(["|:GA B2:|"], pattern=r"\\|:|:\\||[A-G]|\\d+|.")
>>> rule.tokenize("|:GA B2:|")
['|:', 'G', 'A', ' ', 'B', '2', ':|']
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from castlab.core.artifacts import read_json, write_text
from castlab.core.errors import CastlabError

__all__ = [
    "SPECIAL_TOKENS",
    "CharTokenizer",
    "RegexTokenizer",
    "SubwordTokenizer",
    "Tokenizer",
    "VocabTokenizer",
    "load_tokenizer",
]

#: Reserved tokens, always ids 0..3 in this order.
SPECIAL_TOKENS = ("<pad>", "<bos>", "<eos>", "<unk>")
PAD, BOS, EOS, UNK = range(4)


@runtime_checkable
class Tokenizer(Protocol):
    """What a language model needs from a tokenizer."""

    kind: str

    @property
    def vocab_size(self) -> int: ...

    def tokenize(self, text: str) -> list[str]: ...

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: Iterable[int]) -> str: ...

    def token(self, index: int) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


class VocabTokenizer:
    """Base for tokenizers with an explicit string vocabulary; subclasses define ``tokenize``."""

    kind: ClassVar[str] = "vocab"

    def __init__(self, vocab: list[str]) -> None:
        if tuple(vocab[: len(SPECIAL_TOKENS)]) != SPECIAL_TOKENS:
            vocab = list(SPECIAL_TOKENS) + [t for t in vocab if t not in SPECIAL_TOKENS]
        self.vocab = list(vocab)
        self.index = {token: i for i, token in enumerate(self.vocab)}

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def tokenize(self, text: str) -> list[str]:
        raise NotImplementedError

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (unknown tokens map to ``<unk>``)."""
        return [self.index.get(token, UNK) for token in self.tokenize(text)]

    def token(self, index: int) -> str:
        return self.vocab[index]

    def decode(self, ids: Iterable[int]) -> str:
        """Text of ``ids``; special tokens are dropped."""
        return "".join(self.vocab[i] for i in ids if i >= len(SPECIAL_TOKENS))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "vocab": self.vocab}

    def save(self, path: str | Path) -> Path:
        """Write the tokenizer as JSON."""
        return write_text(path, json.dumps(self.to_dict(), ensure_ascii=False, indent=1))

    @classmethod
    def _vocab_from_counts(cls, counts: Counter[str], min_count: int) -> list[str]:
        kept = sorted(t for t, n in counts.items() if n >= min_count)
        return list(SPECIAL_TOKENS) + kept


class CharTokenizer(VocabTokenizer):
    """One token per character: the simplest baseline."""

    kind = "char"

    def tokenize(self, text: str) -> list[str]:
        return list(text)

    @classmethod
    def train(cls, texts: Iterable[str], *, min_count: int = 1) -> CharTokenizer:
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(text)
        return cls(cls._vocab_from_counts(counts, min_count))


class RegexTokenizer(VocabTokenizer):
    """Rule-based tokens: the alternatives of one regular expression, tried left to right.

    Characters the pattern does not match become single-character tokens, so
    ``"".join(tokenize(text)) == text`` always holds.
    """

    kind = "regex"

    def __init__(self, vocab: list[str], pattern: str) -> None:
        super().__init__(vocab)
        self.pattern = pattern
        self._regex = re.compile(pattern, re.DOTALL)

    def tokenize(self, text: str) -> list[str]:
        tokens: list[str] = []
        position = 0
        for match in self._regex.finditer(text):
            if match.start() > position:
                tokens.extend(text[position : match.start()])
            if match.end() > match.start():
                tokens.append(match.group())
            position = match.end()
        tokens.extend(text[position:])
        return tokens

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "pattern": self.pattern}

    @classmethod
    def train(cls, texts: Iterable[str], *, pattern: str, min_count: int = 1) -> RegexTokenizer:
        counts: Counter[str] = Counter()
        probe = cls(list(SPECIAL_TOKENS), pattern)
        for text in texts:
            counts.update(probe.tokenize(text))
        return cls(cls._vocab_from_counts(counts, min_count), pattern)


class SubwordTokenizer:
    """Byte-pair encoding or unigram subwords (Hugging Face ``tokenizers``), lossless on text.

    Uses a whitespace-preserving pre-tokenizer (no byte-level mapping) so ``decode(encode(t))``
    gives ``t`` back for text made of characters seen in training.
    """

    kind = "subword"

    def __init__(self, backend: Any, algorithm: str) -> None:
        self.backend = backend
        self.algorithm = algorithm

    @property
    def vocab_size(self) -> int:
        return int(self.backend.get_vocab_size())

    def tokenize(self, text: str) -> list[str]:
        return list(self.backend.encode(text).tokens)

    def encode(self, text: str) -> list[int]:
        return list(self.backend.encode(text).ids)

    def token(self, index: int) -> str:
        return str(self.backend.id_to_token(index))

    def decode(self, ids: Iterable[int]) -> str:
        return "".join(self.token(i) for i in ids if i >= len(SPECIAL_TOKENS))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "algorithm": self.algorithm,
            "backend": json.loads(self.backend.to_str()),
        }

    def save(self, path: str | Path) -> Path:
        return write_text(path, json.dumps(self.to_dict(), ensure_ascii=False))

    @classmethod
    def train(
        cls, texts: Iterable[str], *, vocab_size: int = 1000, algorithm: str = "bpe"
    ) -> SubwordTokenizer:
        """Learn ``vocab_size`` subwords with ``algorithm`` ``"bpe"`` or ``"unigram"``."""
        from tokenizers import Tokenizer as HFTokenizer
        from tokenizers import models, trainers

        texts = list(texts)
        alphabet = sorted(set("".join(texts)))
        if algorithm == "bpe":
            backend = HFTokenizer(models.BPE(unk_token="<unk>"))
            trainer: Any = trainers.BpeTrainer(
                vocab_size=vocab_size,
                special_tokens=list(SPECIAL_TOKENS),
                initial_alphabet=alphabet,
                show_progress=False,
            )
        elif algorithm == "unigram":
            backend = HFTokenizer(models.Unigram())
            trainer = trainers.UnigramTrainer(
                vocab_size=vocab_size,
                special_tokens=list(SPECIAL_TOKENS),
                unk_token="<unk>",
                initial_alphabet=alphabet,
                show_progress=False,
            )
        else:
            raise CastlabError(f"unknown subword algorithm {algorithm!r}", fix="use bpe or unigram")
        backend.train_from_iterator(texts, trainer=trainer)
        return cls(backend, algorithm)


def load_tokenizer(source: str | Path | dict[str, Any]) -> Tokenizer:
    """Load any castlab tokenizer from its JSON file or dict."""
    data = source if isinstance(source, dict) else read_json(source)
    kind = data.get("kind")
    if kind == "char":
        return CharTokenizer(data["vocab"])
    if kind == "regex":
        return RegexTokenizer(data["vocab"], data["pattern"])
    if kind == "subword":
        from tokenizers import Tokenizer as HFTokenizer

        backend = HFTokenizer.from_str(json.dumps(data["backend"]))
        return SubwordTokenizer(backend, data["algorithm"])
    raise CastlabError(f"unknown tokenizer kind {kind!r}", path=str(source)[:200])
