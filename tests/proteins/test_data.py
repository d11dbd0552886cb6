"""Readers and validation: every format, labels, and errors that say where."""

from __future__ import annotations

import pytest

from castlab.core.errors import CastlabError
from castlab.proteins.data import (
    check_sequence,
    family_counts,
    iter_fasta,
    load_records,
    read_aligned_fasta,
    read_fasta,
    read_label_csv,
    read_pfam_csv,
    read_stockholm,
)

STOCKHOLM = """# STOCKHOLM 1.0
#=GF ID   fn3
#=GF AC   PF00041.20
seq1/1-10   MKV..LAAg-G
seq2/3-9    MKVW.L---GG
#=GC SS_cons ...........
seq1/1-10   WY
seq2/3-9    W.
//
# STOCKHOLM 1.0
#=GF AC   PF00278.15
x/1-4   AC-D
//
"""


def test_stockholm_joins_blocks_removes_gaps_and_versions(tmp_path):
    path = tmp_path / "two.sto"
    path.write_text(STOCKHOLM)
    records = read_stockholm(path)
    assert [(r.name, r.sequence, r.family) for r in records] == [
        ("seq1/1-10", "MKVLAAGGWY", "PF00041"),
        ("seq2/3-9", "MKVWLGGW", "PF00041"),
        ("x/1-4", "ACD", "PF00278"),
    ]


def test_stockholm_cut_short_is_an_error_naming_the_record(tmp_path):
    path = tmp_path / "cut.sto"
    first_alignment = STOCKHOLM.split("//")[0]
    path.write_text(first_alignment.rsplit("seq2", 1)[0])  # the last block lost its second row
    with pytest.raises(CastlabError, match="cut.sto:.*'seq2/3-9' has .* columns, others"):
        read_stockholm(path)
    path.write_text(first_alignment)  # whole rows, only the closing // missing: still read
    assert [r.name for r in read_stockholm(path)] == ["seq1/1-10", "seq2/3-9"]


def test_an_image_given_as_fasta_is_named_not_read_as_sequence(tmp_path):
    path = tmp_path / "seqs.fasta"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(CastlabError, match="a PNG image, not text") as error:
        read_fasta(path)
    assert error.value.path == str(path)


def test_fasta_label_from_header_field_and_from_csv(tmp_path):
    fasta = tmp_path / "k.fasta"
    fasta.write_text(">P1|TK|x\nMKV\nLL\n>P2|AGC|y\nMAAA\n")
    assert [(r.name, r.sequence, r.family) for r in read_fasta(fasta, label_field=1)] == [
        ("P1|TK|x", "MKVLL", "TK"),
        ("P2|AGC|y", "MAAA", "AGC"),
    ]
    labels = tmp_path / "labels.csv"
    labels.write_text("name,family\nP1|TK|x,one\nP2|AGC|y,two\n")
    mapping = read_label_csv(labels)
    assert [r.family for r in read_fasta(fasta, labels=mapping)] == ["one", "two"]
    labels.write_text("name,family\nP1|TK|x,one\n")
    with pytest.raises(CastlabError, match="'P2|AGC|y' has no label") as error:
        read_fasta(fasta, labels=read_label_csv(labels))
    assert error.value.line == 4


def test_bad_residue_names_file_line_record_and_position(tmp_path):
    fasta = tmp_path / "bad.fasta"
    fasta.write_text(">ok\nMKV\n>bad one\nMKJV\n")
    with pytest.raises(CastlabError) as error:
        read_fasta(fasta)
    assert (error.value.path, error.value.line, error.value.column) == (str(fasta), 4, 3)
    assert "record 'bad'" in str(error.value) and "'J'" in str(error.value)


def test_length_limits_and_sequence_before_header(tmp_path):
    with pytest.raises(CastlabError, match=r"outside 5..10 \(fix: drop the record\)"):
        check_sequence("MKV", min_length=5, max_length=10)
    with pytest.raises(CastlabError, match="0 residues.*give it its residues"):
        check_sequence("")
    fasta = tmp_path / "x.fasta"
    fasta.write_text("MKV\n>a\nMK\n")
    with pytest.raises(CastlabError, match="before the first"):
        read_fasta(fasta)
    with pytest.raises(CastlabError, match="file not found"):
        read_fasta(tmp_path / "missing.fasta")


def test_aligned_fasta_takes_family_from_file_name(tmp_path):
    path = tmp_path / "PF00013.align.80"
    path.write_text(">a/1-5\nEM-TF\n>b/2-6\nEMS.F\n")
    assert {r.family for r in read_aligned_fasta(path)} == {"PF00013"}
    assert [r.sequence for r in load_records(path)] == ["EMTF", "EMSF"]


def test_pfam_csv_and_missing_columns(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("sequence_name,family_accession,sequence\nA/1-3,PF00001.21,MKV\n")
    assert read_pfam_csv(path)[0].family == "PF00001"
    path.write_text("name,sequence\nA,MKV\n")
    with pytest.raises(CastlabError, match="missing column"):
        read_pfam_csv(path)


def test_folder_loading_and_counts(tmp_path):
    (tmp_path / "PF00001_seed.fasta").write_text(">a\nMK-V\n>b\nMKL\n")
    (tmp_path / "fam.sto").write_text("# STOCKHOLM 1.0\n#=GF AC PF00002.3\nc MKWW\n//\n")
    (tmp_path / "SOURCE.md").write_text("not a sequence file")
    records = load_records(tmp_path)
    assert family_counts(records) == {"PF00001": 2, "PF00002": 1}
    assert [r.name for r in iter_fasta(tmp_path / "PF00001_seed.fasta")] == ["a", "b"]


def test_real_pfam_families_load(shared_data):
    folder = shared_data / "pfam-families" / "hmmer-examples"
    records = load_records(folder)
    counts = family_counts(records)
    assert len(counts) == 11 and counts["PF00041"] == 98
    assert all(set(r.sequence) <= set("ACDEFGHIKLMNPQRSTVWYXBZUO") for r in records)


def test_utf16_fasta_is_read_and_latin1_bytes_are_named_not_replaced(tmp_path):
    utf16 = tmp_path / "u16.fasta"
    utf16.write_bytes(">a x\nMKVLA\n>b\nWWPP\n".encode("utf-16"))
    assert [(r.name, r.sequence) for r in read_fasta(utf16)] == [("a", "MKVLA"), ("b", "WWPP")]
    assert [r.name for r in iter_fasta(utf16)] == ["a", "b"]
    latin1 = tmp_path / "l1.fasta"
    latin1.write_bytes(b">a\nMKV\n>b caf\xe9\nMKV\n")
    with pytest.raises(CastlabError, match=r"not UTF-8 text \(byte 0xe9\)") as caught:
        read_fasta(latin1)
    assert caught.value.line == 3


def test_a_stockholm_file_without_alignments_is_an_error(tmp_path):
    empty = tmp_path / "empty.sto"
    empty.write_text("# STOCKHOLM 1.0\n")
    with pytest.raises(CastlabError, match="no alignment in this Stockholm file"):
        read_stockholm(empty)
