"""Tables as users have them: CSV/TSV/Parquet, named columns, labels joined by id."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from typer.testing import CliRunner

from castlab.cli import app
from castlab.core.errors import CastlabError
from castlab.proteins.data import load_labelled
from castlab.proteins.synthetic import synthetic_families
from castlab.proteins.tables import TableColumns, iter_sequences, read_table

runner = CliRunner()


def test_zindi_layout_is_found_without_options(tmp_path):
    path = tmp_path / "Train.csv"
    path.write_text("ID,SEQUENCE,CREATURE,LABEL\nk1,mkvl,human,TK\nk2,MKLL,mouse,AGC\n")
    records = read_table(path)
    assert [(r.name, r.sequence, r.family) for r in records] == [
        ("k1", "MKVL", "TK"),
        ("k2", "MKLL", "AGC"),
    ]


def test_named_columns_in_tsv_and_parquet(tmp_path):
    frame = pd.DataFrame({"acc": ["a", "b"], "seq": ["MKV", "WWP"], "fam": ["x", "y"]})
    tsv = tmp_path / "t.tsv"
    frame.to_csv(tsv, sep="\t", index=False)
    parquet = tmp_path / "t.parquet"
    frame.to_parquet(parquet)
    columns = TableColumns(sequence="seq", label="fam", id="acc")
    for path in (tsv, parquet):
        assert [(r.name, r.family) for r in read_table(path, columns)] == [("a", "x"), ("b", "y")]


def test_labels_joined_from_a_second_table_like_kinhub(tmp_path):
    sequences = tmp_path / "kinhub_uniprot.csv"
    sequences.write_text("uniprot_id,hgnc_name,canonical_sequence\nP1,A,MKV\nP2,B,MKL\n")
    groups = tmp_path / "kinhub.csv"
    groups.write_text("HGNC Name,Group,UniprotID\nB,TK,P2\nA,AGC,P1\n")
    columns = TableColumns(label="Group", labels_id="UniprotID")
    records = load_labelled([sequences], labels=groups, columns=columns)
    assert [(r.name, r.family) for r in records] == [("P1", "AGC"), ("P2", "TK")]
    groups.write_text("HGNC Name,Group,UniprotID\nA,AGC,P1\n")  # P2 has no label now
    with pytest.raises(CastlabError, match=r"kinhub_uniprot.csv:3: record 'P2' has no label"):
        load_labelled([sequences], labels=groups, columns=columns)


def test_bad_cells_and_columns_name_file_line_and_fix(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("ID,SEQUENCE,LABEL\nk1,MKV,TK\nk2,MK1,TK\n")
    with pytest.raises(CastlabError, match=r"t.csv:3.*'1' is not an amino acid"):
        read_table(path)
    path.write_text("acc,residues\nk1,MKV\n")
    with pytest.raises(CastlabError, match="choose --sequence-column from: acc, residues"):
        read_table(path)
    with pytest.raises(CastlabError, match="no label column 'family'"):
        read_table(path, TableColumns(sequence="residues", label="family"))
    path.write_text("ID,SEQUENCE,LABEL\nk1,MKV,\n")
    with pytest.raises(CastlabError, match="t.csv:2: record 'k1' has no label"):
        load_labelled([path])


def test_a_fasta_without_families_is_named_with_its_first_record(tmp_path):
    path = tmp_path / "plain.fasta"
    path.write_text(">p1\nMKV\n>p2\nMKL\n")
    with pytest.raises(CastlabError, match=r"plain.fasta: 2 of 2 record\(s\) have no family"):
        load_labelled([path])


def test_train_and_predict_commands_read_tables(tmp_path):
    records = synthetic_families(n_families=2, per_family=16, mutation=0.2, seed=2)
    table = tmp_path / "train.tsv"
    pd.DataFrame(
        {"acc": [r.name for r in records], "residues": [r.sequence for r in records]}
    ).to_csv(table, sep="\t", index=False)
    labels = tmp_path / "labels.csv"
    labels.write_text("id,fam\n" + "".join(f"{r.name},{r.family}\n" for r in records))
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        ["proteins", "train", str(table), "--sequence-column", "residues", "--id-column", "acc",
         "--labels", str(labels), "--labels-id-column", "id", "--label-column", "fam",
         "--model", "cnn", "--epochs", "1", "--dim", "16", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    queries = tmp_path / "q.csv"
    queries.write_text(
        f"ID,SEQUENCE,CREATURE,family\nq1,{records[0].sequence},human,?\n"
        f"q2,{records[-1].sequence},mouse,?\n"
    )
    assert [r.name for r in iter_sequences(queries)] == ["q1", "q2"]
    predictions = tmp_path / "p.csv"
    result = runner.invoke(
        app, ["proteins", "predict", str(out / "model"), str(queries), "--out", str(predictions)]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(predictions.open()))
    # the user's own columns come back first, unchanged; a clashing answer is renamed
    assert [(r["ID"], r["CREATURE"], r["family"]) for r in rows] == [
        ("q1", "human", "?"),
        ("q2", "mouse", "?"),
    ]
    assert {r["predicted_family"] for r in rows} <= {r.family for r in records}
    assert all(r["evalue"] == "" for r in rows)  # no references: no confirming alignment


def test_utf16_tables_from_excel_read_and_latin1_is_one_clear_error(tmp_path):
    sequences = tmp_path / "seqs.tsv"
    sequences.write_text("acc\tseq\r\nP1\tMKV\r\nP2\tWWP\r\n", encoding="utf-16")
    groups = tmp_path / "groups.csv"
    groups.write_text("UniprotID,Group\r\nP1,TK\r\nP2,AGC\r\n", encoding="utf-16")
    columns = TableColumns(sequence="seq", id="acc", label="Group", labels_id="UniprotID")
    records = load_labelled([sequences], labels=groups, columns=columns)
    assert [(r.name, r.sequence, r.family) for r in records] == [
        ("P1", "MKV", "TK"),
        ("P2", "WWP", "AGC"),
    ]
    latin = tmp_path / "latin.csv"
    latin.write_bytes("ID,SEQUENCE,LABEL\nk1,MKV,M\xfcller\n".encode("latin-1"))
    with pytest.raises(CastlabError, match=r"latin.csv: cannot read the table: 'utf-8' codec"):
        read_table(latin)
