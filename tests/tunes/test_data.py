import json

import pytest

from castlab.core.errors import CastlabError
from castlab.tunes.data import load_corpus, read_abc_text, read_table, split_tunes

BOOK = """% a book
X:1
T:Good
R:Double Jig
M:6/8
L:1/8
K:D
|:dfa afd|dfa a2b:|

X:2
T:No key
M:6/8
|:abc:|

X:3
T:Broken chord
M:4/4
K:G
ABcd [ceg|

X:4
T:Good again
M:C
K:Ador
ABcd efga|
"""


def test_book_parses_good_tunes_and_reports_bad_ones():
    corpus = read_abc_text(BOOK, "book.abc")
    assert [t.title for t in corpus.tunes] == ["Good", "Good again"]
    first = corpus.tunes[0]
    assert (first.rhythm, first.meter, first.unit, first.key) == ("jig", "6/8", "1/8", "D")
    assert corpus.tunes[1].meter == "4/4" and corpus.tunes[1].unit == "1/8"
    reasons = {p.tune: p for p in corpus.skipped}
    assert reasons[2].reason == "no K: field"
    assert "unclosed '['" in reasons[3].reason and reasons[3].line == 19
    assert "book.abc:19" in str(reasons[3]) and "X:3" in str(reasons[3])


def test_a_bad_header_field_is_reported_at_its_own_line():
    text = "X:1\nT:a\nM:foo\nL:1/8\nK:D\nABcd efga|\n\nX:2\nT:b\nM:6/8\nK:Zz\nABc def|\n"
    skipped = {p.tune: p for p in read_abc_text(text, "book.abc").skipped}
    assert skipped[1].line == 3 and "bad header" in skipped[1].reason  # the M: line, not 6
    assert skipped[2].line == 11  # the K: line


def test_file_without_usable_tune_is_an_error(tmp_path):
    path = tmp_path / "bad.abc"
    path.write_text("X:1\nT:x\nM:6/8\n|:abc:|\n")
    with pytest.raises(CastlabError, match=r"bad.abc: no usable tune.*no K: field"):
        load_corpus([path])
    with pytest.raises(CastlabError, match="no such file"):
        load_corpus([tmp_path / "missing.abc"])


def test_tables_with_bodies_or_whole_tunes(tmp_path):
    csv = tmp_path / "tunes.csv"
    csv.write_text(
        'name,type,meter,mode,abc\nThe Kesh,jig,6/8,Gmajor,"|:GAG GAB|ABA ABd:|"\n'
        'Bad,reel,4/4,Dmajor,"ABcd [ef"\n'
    )
    corpus = read_table(csv)
    assert corpus.tunes[0].key == "G" and corpus.tunes[0].rhythm == "jig"
    assert corpus.skipped[0].line == 3  # the CSV row
    jsonl = tmp_path / "tunes.jsonl"
    jsonl.write_text(json.dumps({"abc": "X:5\nT:Whole\nM:2/4\nK:D\nABcd|"}) + "\n")
    assert read_table(jsonl).tunes[0].unit == "1/16"
    (tmp_path / "no_abc.csv").write_text("name,notes\nx,ABC\n")
    with pytest.raises(CastlabError, match="no 'abc' column"):
        read_table(tmp_path / "no_abc.csv")


def test_duplicates_are_merged(tmp_path):
    path = tmp_path / "dup.abc"
    path.write_text("X:1\nT:a\nM:6/8\nK:D\n|:dfa afd:|\n\nX:2\nT:b\nM:6/8\nK:D\n|:dfa  afd:|\n")
    corpus = load_corpus([path])
    assert len(corpus.tunes) == 1 and corpus.duplicates == 1


def test_split_is_by_tune_deterministic_and_disjoint(oneills):
    a = split_tunes(oneills.tunes)
    b = split_tunes(list(reversed(oneills.tunes)))
    assert {t.model_text for t in a["test"]} == {t.model_text for t in b["test"]}
    sizes = {k: len(v) for k, v in a.items()}
    assert sum(sizes.values()) == len(oneills.tunes)
    assert 0.03 < sizes["test"] / len(oneills.tunes) < 0.07
    train = {t.model_text for t in a["train"]}
    assert not train & {t.model_text for t in a["test"]}


def test_real_oneills_files_match_the_embedded_collection(shared_data, oneills):
    corpus = load_corpus([shared_data / "oneills1850-abc"])
    assert len(corpus.tunes) == len(oneills.tunes)
    assert len(corpus.skipped) == len(oneills.skipped) <= 5
