import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from castlab.core.errors import CastlabError
from castlab.core.tokenizers import (
    SPECIAL_TOKENS,
    CharTokenizer,
    RegexTokenizer,
    SubwordTokenizer,
    load_tokenizer,
)

TEXTS = ["|:GABc dBAG|FGAB c2:|\n", "M:6/8\nK:D\n|:dfa afd|", "abc def ghi " * 3]


@pytest.mark.parametrize(
    "make",
    [
        lambda: CharTokenizer.train(TEXTS),
        lambda: RegexTokenizer.train(TEXTS, pattern=r"\|:|:\||[A-Ga-g]|\d+|."),
        lambda: SubwordTokenizer.train(TEXTS * 20, vocab_size=60, algorithm="bpe"),
        lambda: SubwordTokenizer.train(TEXTS * 20, vocab_size=60, algorithm="unigram"),
    ],
)
def test_round_trip_and_save_load(make, tmp_path):
    tokenizer = make()
    for text in TEXTS:
        assert tokenizer.decode(tokenizer.encode(text)) == text
    tokenizer.save(tmp_path / "tok.json")
    again = load_tokenizer(tmp_path / "tok.json")
    assert again.encode(TEXTS[0]) == tokenizer.encode(TEXTS[0])
    assert [again.token(i) for i in range(4)] == list(SPECIAL_TOKENS)


def test_unknown_characters_map_to_unk():
    tokenizer = CharTokenizer.train(["ab"])
    assert tokenizer.encode("az") == [tokenizer.index["a"], 3]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ABCabc|:2/ \n^_=[]xyz", max_size=60))
def test_regex_tokenizer_never_loses_characters(text):
    tokenizer = RegexTokenizer([], r"\|:|:\||\^?[A-Ca-c]|\d*/\d*|\d+")
    assert "".join(tokenizer.tokenize(text)) == text


def test_unknown_kind_is_a_clear_error():
    with pytest.raises(CastlabError, match="unknown tokenizer kind"):
        load_tokenizer({"kind": "magic"})
