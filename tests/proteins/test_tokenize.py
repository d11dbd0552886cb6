"""Tokenizers: lossless on sequences, vocabulary sizes as asked, save and load."""

from __future__ import annotations

import json

import pytest

from castlab.core.errors import CastlabError
from castlab.proteins.tokenize import KmerTokenizer, build_tokenizer, load_protein_tokenizer


@pytest.mark.parametrize(
    ("kind", "vocab_size"), [("aa", 0), ("kmer", 0), ("bpe", 80), ("unigram", 80), ("bpe", 200)]
)
def test_round_trip_and_size(families, kind, vocab_size):
    texts = [r.sequence for r in families]
    tokenizer = build_tokenizer(kind, texts, vocab_size=vocab_size)
    for text in texts[:10] + ["UOXBZ"]:
        ids = tokenizer.encode(text)
        assert tokenizer.decode(ids) == text and 3 not in ids  # no <unk>
    if vocab_size:
        assert tokenizer.vocab_size == vocab_size
        # bigger vocabularies give fewer tokens per sequence
        assert len(tokenizer.encode(texts[0])) < len(texts[0])
    loaded = load_protein_tokenizer(json.loads(json.dumps(tokenizer.to_dict())))
    assert loaded.encode(texts[1]) == tokenizer.encode(texts[1])


def test_kmer_falls_back_to_residues_for_unseen_kmers():
    tokenizer = KmerTokenizer.train(["MKVLAA"], k=3)
    assert tokenizer.tokenize("MKVWWW") == ["MKV", "W", "W", "W"]


def test_too_small_subword_vocabulary_is_a_user_error(families):
    with pytest.raises(CastlabError, match="not larger than the alphabet"):
        build_tokenizer("bpe", [r.sequence for r in families], vocab_size=20)
    with pytest.raises(CastlabError, match="unknown tokenizer"):
        build_tokenizer("words", [])
