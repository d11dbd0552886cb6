"""The shared text and CSV readers: encodings, separators, broken files -> one CastlabError."""

from __future__ import annotations

import gzip

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from castlab.core.errors import CastlabError
from castlab.core.readers import read_csv, read_text, sniff_separator

ROWS = "city,date,pm25\nNairobi,2021-01-01,12.5\nLagos,2021-01-02,30.1\n"


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: t.encode("utf-8"),
        lambda t: t.encode("utf-8-sig"),
        lambda t: t.encode("utf-16"),
        lambda t: t.replace("\n", "\r\n").encode(),
        lambda t: gzip.compress(t.encode()),
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "crlf", "gzip"],
)
def test_every_usual_save_reads_the_same(tmp_path, encode):
    path = tmp_path / "t.csv.gz"
    path.write_bytes(encode(ROWS))
    if not path.read_bytes().startswith(b"\x1f\x8b"):
        path = path.rename(tmp_path / "t.csv")
    frame = read_csv(path)
    assert list(frame.columns) == ["city", "date", "pm25"]
    assert frame["pm25"].tolist() == [12.5, 30.1]


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_separator_is_sniffed(tmp_path, sep):
    path = tmp_path / "t.csv"
    path.write_text(ROWS.replace(",", sep))
    assert read_csv(path)["city"].tolist() == ["Nairobi", "Lagos"]
    assert read_csv(path, sep=sep).shape == (2, 3)


def test_quoted_separator_does_not_fool_the_sniffer():
    assert sniff_separator('"a;b",c,d\n1,2,3\n') == ","
    assert sniff_separator("one column\n1\n") == ","


@pytest.mark.parametrize(
    ("data", "words", "line"),
    [
        (b"", "empty", None),
        (b"city,pm25\n", "no rows", None),
        ("city\ncaf\xe9\n".encode("latin-1"), "not UTF-8", 2),
        (b"\x00\x01\x02binary", "binary", None),
        (b"PK\x03\x04\x14\x00 workbook", "xlsx", None),
        (b"a,b,a\n1,2,3\n", "appears twice", 1),
        (b'a,b\n1,"2\n', "cannot split", None),
    ],
)
def test_broken_files_are_one_error_with_a_fix(tmp_path, data, words, line):
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    with pytest.raises(CastlabError, match=words) as caught:
        read_csv(path)
    assert caught.value.path == str(path) and caught.value.fix
    assert caught.value.line == line


def test_truncated_gzip_and_parquet_are_errors(tmp_path):
    path = tmp_path / "t.csv.gz"
    whole = gzip.compress(ROWS.encode() * 50)
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(CastlabError, match="not a complete gzip"):
        read_csv(path)
    (tmp_path / "t.parquet").write_bytes(b"PAR1 cut")
    with pytest.raises(CastlabError, match="Parquet"):
        read_csv(tmp_path / "t.parquet")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_give_a_table_or_a_castlab_error(tmp_path, data):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    try:
        read_csv(path)
    except CastlabError as error:
        assert error.path == str(path)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=200))
def test_arbitrary_text_reads_back_exactly(tmp_path, text):
    path = tmp_path / "fuzz.txt"
    path.write_text(text, encoding="utf-16")
    assert read_text(path) == text


def test_files_under_follows_links_once_and_ends_a_loop(tmp_path):
    from castlab.core.readers import files_under

    (tmp_path / "data" / "b").mkdir(parents=True)
    (tmp_path / "data" / "b" / "x.txt").write_text("x")
    (tmp_path / "data" / "a.txt").write_text("a")
    (tmp_path / "data" / "b" / "up").symlink_to(tmp_path / "data")  # a loop
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "linked").symlink_to(tmp_path / "data")
    found = [p.relative_to(tmp_path).as_posix() for p in files_under(tmp_path / "mine")]
    assert found == ["mine/linked/a.txt", "mine/linked/b/x.txt"]


def test_a_first_row_longer_than_the_header_is_refused_not_shifted(tmp_path):
    from castlab.core.readers import read_csv

    path = tmp_path / "posts.csv"
    path.write_text("id,text\n1,hello,extra,fields\n2,ok\n")  # pandas would index by id,text
    with pytest.raises(CastlabError, match=r"posts.csv:2: 4 fields, the header has 2"):
        read_csv(path)
    path.write_text('id,text\n1,"hello, there"\n2,ok\n')  # a quoted separator is fine
    assert read_csv(path)["text"].tolist() == ["hello, there", "ok"]
