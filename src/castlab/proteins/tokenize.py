"""Protein tokenizers: single amino acids, non-overlapping k-mers, or learnt subwords.

All follow :class:`castlab.core.tokenizers.Tokenizer`, reserve ids 0..3 for ``<pad>``,
``<bos>``, ``<eos>``, ``<unk>`` and save as JSON. The amino-acid vocabulary is fixed (the
25 letters of :data:`~castlab.proteins.data.ALPHABET`), so it never depends on the data.

Examples
--------
>>> tok = build_tokenizer("aa", [])
>>> tok.vocab_size, tok.tokenize("MKV")
(29, ['M', 'K', 'V'])
>>> KmerTokenizer.train(["MKVLAAG"], k=3).tokenize("MKVLAAG")
['MKV', 'LAA', 'G']
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from castlab.core.errors import CastlabError
from castlab.core.tokenizers import (
    SPECIAL_TOKENS,
    CharTokenizer,
    SubwordTokenizer,
    Tokenizer,
    VocabTokenizer,
    load_tokenizer,
)
from castlab.proteins.data import ALPHABET

__all__ = ["TOKENIZERS", "KmerTokenizer", "build_tokenizer", "load_protein_tokenizer"]

#: Tokenizer kinds accepted by :func:`build_tokenizer`.
TOKENIZERS = ("aa", "kmer", "bpe", "unigram")


class KmerTokenizer(VocabTokenizer):
    """Non-overlapping k-mers read left to right; the last piece may be shorter.

    Every k-mer seen in training (at least ``min_count`` times) plus every single residue is
    in the vocabulary; an unseen k-mer falls back to its single residues, so nothing maps to
    ``<unk>`` unless a residue itself is unknown.
    """

    kind = "kmer"

    def __init__(self, vocab: list[str], k: int) -> None:
        super().__init__(vocab)
        self.k = k

    def tokenize(self, text: str) -> list[str]:
        tokens: list[str] = []
        for start in range(0, len(text), self.k):
            piece = text[start : start + self.k]
            tokens.extend([piece] if piece in self.index else list(piece))
        return tokens

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "k": self.k}

    @classmethod
    def train(cls, texts: Iterable[str], *, k: int = 3, min_count: int = 1) -> KmerTokenizer:
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(text[i : i + k] for i in range(0, len(text), k))
        kept = sorted(t for t, n in counts.items() if n >= min_count and len(t) > 1)
        return cls(list(SPECIAL_TOKENS) + list(ALPHABET) + kept, k)


def build_tokenizer(
    kind: str, texts: Sequence[str], *, vocab_size: int = 0, k: int = 3
) -> Tokenizer:
    """A tokenizer of ``kind``: ``aa``, ``kmer`` (``k``), ``bpe`` or ``unigram`` (``vocab_size``).

    Subword tokenizers learn ``vocab_size`` pieces from ``texts`` (SentencePiece-style
    unigram, or byte-pair encoding); the amino-acid tokenizer ignores ``texts``.
    """
    if kind == "aa":
        return CharTokenizer(list(SPECIAL_TOKENS) + list(ALPHABET))
    if kind == "kmer":
        return KmerTokenizer.train(texts, k=k)
    if kind in ("bpe", "unigram"):
        if vocab_size <= len(SPECIAL_TOKENS) + len(ALPHABET):
            raise CastlabError(
                f"a {kind} vocabulary of {vocab_size} is not larger than the alphabet",
                fix=f"use a vocab size above {len(SPECIAL_TOKENS) + len(ALPHABET)}, e.g. 256",
            )
        if not texts:
            raise CastlabError(f"no sequences to learn {kind} subwords from")
        # every residue is in the initial alphabet, so no sequence ever meets <unk>
        return SubwordTokenizer.train([*texts, ALPHABET], vocab_size=vocab_size, algorithm=kind)
    raise CastlabError(f"unknown tokenizer {kind!r}", fix=f"use one of {', '.join(TOKENIZERS)}")


def load_protein_tokenizer(data: dict[str, Any]) -> Tokenizer:
    """Load any tokenizer saved by castlab, including :class:`KmerTokenizer`."""
    if data.get("kind") == "kmer":
        return KmerTokenizer(data["vocab"], int(data["k"]))
    return load_tokenizer(data)
