"""Property-based tests: readers take any text and either read it or raise CastlabError.

Round-trips hold where they should: the ABC tokenizer gives back the text it split, FASTA
and proteins splits written by castlab read back as the same records. Examples are few
(``max_examples``) so the suite stays fast; a failure prints the smallest input found.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from castlab.core.errors import CastlabError

FEW = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

#: text with the characters these formats are made of, plus anything else
FORMAT_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("XTMLKR:|/>\n\r\t,;\"'#=-.ABCDEFGabcdefg0123456789 *[]{}()<>^_~")),
        st.characters(codec="utf-8"),  # any character a UTF-8 file can hold
    ),
    max_size=300,
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _only_castlab_errors(read, path: Path) -> None:
    try:
        read(path)
    except CastlabError:
        pass


READERS = {
    "abc text": lambda p: __import__("castlab.tunes.data", fromlist=["x"]).read_abc_text(
        p.read_text(), str(p)
    ),
    "tune table": lambda p: __import__("castlab.tunes.data", fromlist=["x"]).read_table(p),
    "fasta": lambda p: __import__("castlab.proteins.data", fromlist=["x"]).read_fasta(
        p, label_field=1
    ),
    "stockholm": lambda p: __import__("castlab.proteins.data", fromlist=["x"]).read_stockholm(p),
    "protein records": lambda p: __import__("castlab.proteins.data", fromlist=["x"]).load_records(
        p
    ),
    "posts": lambda p: __import__("castlab.sentiment.data", fromlist=["x"]).read_posts(p),
    "toggl": lambda p: __import__("castlab.lifelog.data", fromlist=["x"]).read_toggl(p),
    "daylio": lambda p: __import__("castlab.lifelog.data", fromlist=["x"]).read_daylio(p),
    "audacity labels": lambda p: __import__("castlab.birds.data", fromlist=["x"]).read_annotations(
        p
    ),
    "imbalance table": lambda p: __import__("castlab.imbalance.data", fromlist=["x"]).load_table(
        p, target="label"
    ),
    "readings": lambda p: __import__("castlab.airquality.data", fromlist=["x"]).read_table(p),
    "csv": lambda p: __import__("castlab.core.readers", fromlist=["x"]).read_csv(p),
}
SUFFIX = {"abc text": ".abc", "fasta": ".fasta", "stockholm": ".sto", "audacity labels": ".txt"}


@pytest.mark.parametrize("reader", sorted(READERS))
@FEW
@given(text=FORMAT_TEXT)
def test_arbitrary_text_reads_or_raises_castlab_error(tmp_path, reader, text):
    path = _write(tmp_path, f"input{SUFFIX.get(reader, '.csv')}", text)
    _only_castlab_errors(READERS[reader], path)


@FEW
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes_as_a_fasta_file(tmp_path, data):
    from castlab.proteins.data import read_fasta

    path = tmp_path / "input.fasta"
    path.write_bytes(data)
    _only_castlab_errors(lambda p: read_fasta(p), path)


# ------------------------------------------------------------------ round trips

ABC_BODY = st.text(alphabet=st.sampled_from(list("ABCDEFGabcdefgz^_=,'|:[]/23>< ")), max_size=80)


@FEW
@given(body=ABC_BODY)
def test_abc_tokens_give_back_the_text(body):
    from castlab.tunes.abc import abc_tokenizer, abc_tokens

    assert "".join(abc_tokens(body)) == body
    tokenizer = abc_tokenizer([body])
    assert tokenizer.decode(tokenizer.encode(body)) == body


RESIDUES = st.text(alphabet=st.sampled_from(list("ACDEFGHIKLMNPQRSTVWYXBZUO")), min_size=1)
NAMES = st.text(alphabet=st.sampled_from(list("abcXYZ0123456789_./-")), min_size=1, max_size=12)
FAMILIES = st.sampled_from(["PF00001", "PF00002", "PF13499"])
RECORDS = st.lists(st.tuples(NAMES, RESIDUES, FAMILIES), min_size=1, max_size=8)


@FEW
@given(records=RECORDS)
def test_fasta_written_reads_back(tmp_path, records):
    from castlab.proteins.data import read_fasta

    path = tmp_path / "round.fasta"
    lines = []
    for name, sequence, family in records:  # wrapped at 60 columns, as FASTA writers do
        lines.append(f">{name}|{family}\n")
        lines += [sequence[i : i + 60] + "\n" for i in range(0, len(sequence), 60)]
    path.write_text("".join(lines))
    read = read_fasta(path, label_field=1)
    assert [(r.name.split("|")[0], r.sequence, r.family) for r in read] == records


@FEW
@given(records=RECORDS)
def test_split_written_reads_back(tmp_path, records):
    from castlab.proteins.data import ProteinRecord
    from castlab.proteins.splits import read_split, write_split

    proteins = [ProteinRecord(name, seq, family) for name, seq, family in records]
    parts = {"train": proteins[::2], "valid": proteins[1::2], "test": proteins[:1]}
    folder = write_split(parts, tmp_path / "split", info={"method": "random"})
    assert read_split(folder) == parts
