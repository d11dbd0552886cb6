"""Read protein tables as users have them: CSV, TSV or Parquet with a sequence column.

A table names its columns with :class:`TableColumns`; unnamed columns are found from the
layouts castlab knows (tried in order, first match wins):

==========================  ==============  ==================  ==================
layout                      id              sequence            label
==========================  ==============  ==================  ==================
Zindi kinase challenge      ``ID``          ``SEQUENCE``        ``LABEL``
Pfam random-split CSV       sequence_name   ``sequence``        family_accession
castlab split CSV           ``name``        ``sequence``        ``family``
UniProt / KinHub            ``uniprot_id``  canonical_sequence  (joined, below)
==========================  ==============  ==================  ==================

Labels may live in a second table joined by id (``labels=``), as KinHub's kinase groups in
``kinhub.csv`` (``UniprotID``, ``Group``) label ``kinhub_uniprot.csv`` (``uniprot_id``,
``canonical_sequence``). Every sequence is checked (:func:`castlab.proteins.data.check_sequence`)
and a bad cell is reported with its file, line (CSV/TSV: the line in the file; Parquet: the
row) and column.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "train.csv").write_text("ID,SEQUENCE,CREATURE,LABEL\\nk1,MKV,human,TK\\n")
>>> [(r.name, r.sequence, r.family) for r in read_table(folder / "train.csv")]
[('k1', 'MKV', 'TK')]
>>> _ = (folder / "seqs.tsv").write_text("uniprot_id\\tcanonical_sequence\\nP1\\tMKL\\n")
>>> _ = (folder / "groups.csv").write_text("UniprotID,Group\\nP1,AGC\\n")
>>> columns = TableColumns(label="Group", labels=folder / "groups.csv", labels_id="UniprotID")
>>> [(r.name, r.family) for r in read_table(folder / "seqs.tsv", columns)]
[('P1', 'AGC')]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from castlab.core.errors import CastlabError, Fix
from castlab.core.readers import sniff_encoding
from castlab.proteins.data import ProteinRecord, check_sequence

_VERSION = re.compile(r"\.\d+$")

__all__ = ["TABLE_SUFFIXES", "TableColumns", "is_table", "iter_sequences", "read_table"]

#: File suffixes read as tables (anything else is a sequence file: FASTA, Stockholm).
TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".parquet", ".pq")

#: (id, sequence, label) of the layouts castlab recognises, tried in order.
_LAYOUTS = (
    ("ID", "SEQUENCE", "LABEL"),  # Zindi kinase challenge (also has CREATURE)
    ("sequence_name", "sequence", "family_accession"),  # Pfam random split
    ("name", "sequence", "family"),  # castlab split folders
    ("uniprot_id", "canonical_sequence", None),  # UniProt / KinHub sequences
)


@dataclass(frozen=True)
class TableColumns:
    """Which columns hold what; ``None`` means "find it from a known layout"."""

    sequence: str | None = None
    label: str | None = None  # with ``labels``: the column of the labels table
    id: str | None = None  # record names (default: the layout's id, else the row number)
    labels: Path | None = None  # a second table holding the labels, joined by id
    labels_id: str | None = None  # its id column (default: the same name as ``id``)


def is_table(path: str | Path) -> bool:
    """Whether ``path`` is read as a table (by its suffix).

    Examples
    --------
    >>> is_table("kinhub.csv"), is_table("PF00001.fasta")
    (True, False)
    """
    return Path(path).suffix.lower() in TABLE_SUFFIXES


#: what ``castlab proteins predict`` adds to each sequence's row
ANSWERS = ("family", "probability", "top_k", "bit_score", "evalue")


def answer_columns(own: Sequence[str] = ()) -> list[str]:
    """The answers' column names beside a table's ``own`` columns (a clash gets ``predicted_``).

    Examples
    --------
    >>> answer_columns(["ID", "SEQUENCE", "family"])[:2]
    ['predicted_family', 'probability']
    """
    return [f"predicted_{a}" if a in own else a for a in ANSWERS]


def _read_frame(path: Path) -> tuple[Any, int]:
    """The table as strings and the file line of its first data row (0 for Parquet)."""
    import pandas as pd

    if not path.exists():
        raise CastlabError("file not found", path=path, fix="check the path")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
            frame = frame.astype(object).where(frame.notna(), "").astype(str)
            return frame, 0
        sep = "\t" if suffix in (".tsv", ".tab") else ","
        frame = pd.read_csv(  # UTF-16 with a byte-order mark too (Excel's "Unicode text")
            path,
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding=sniff_encoding(path),
        )
    except CastlabError:
        raise
    except (ValueError, OSError, UnicodeDecodeError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CastlabError(
            f"cannot read the table: {first}",
            path=path,
            fix="give a CSV (comma), TSV (.tsv, tab) or Parquet file with a header row",
        ) from None
    return frame, 2


def _choose(setting: str, frame: Any, template: str = "{}") -> Fix:
    """Fix: pick ``setting`` (``sequence_column``, ...) from the table's columns."""
    return Fix(setting, "choose", choices=tuple(map(str, frame.columns)), template=template)


def _column(frame: Any, path: Path, wanted: str | None, role: str, setting: str) -> str:
    if wanted is not None and wanted not in frame.columns:
        raise CastlabError(
            f"no {role} column {wanted!r}", path=path, line=1, fix=_choose(setting, frame)
        )
    return wanted  # type: ignore[return-value]


def _layout(frame: Any) -> tuple[str | None, str | None, str | None]:
    for id_column, sequence, label in _LAYOUTS:
        if sequence in frame.columns:
            return (
                id_column if id_column in frame.columns else None,
                sequence,
                label if label is not None and label in frame.columns else None,
            )
    return None, None, None


def _labels(columns: TableColumns, id_column: str | None) -> dict[str, str]:
    path = Path(columns.labels)  # type: ignore[arg-type]
    frame, first = _read_frame(path)
    key = _column(frame, path, columns.labels_id or id_column, "id", "labels_id_column")
    if key is None:
        raise CastlabError(
            "no id column to join the labels on",
            path=path,
            line=1,
            fix=Fix("labels_id_column", "name", template="{} (and --id-column for the sequences)"),
        )
    if columns.label is None:
        raise CastlabError(
            "which column of the labels table holds the label?",
            path=path,
            line=1,
            fix=_choose("label_column", frame),
        )
    label = _column(frame, path, columns.label, "label", "label_column")
    mapping: dict[str, str] = {}
    for row, (name, value) in enumerate(zip(frame[key], frame[label])):
        if name in mapping and mapping[name] != value:
            raise CastlabError(
                f"id {name!r} has two labels ({mapping[name]!r}, {value!r})",
                path=path,
                line=first + row if first else None,
                fix="keep one row per id in the labels table",
            )
        mapping[name] = value
    return mapping


def read_table(
    path: str | Path,
    columns: TableColumns = TableColumns(),
    *,
    require_labels: bool = False,
) -> list[ProteinRecord]:
    """Records of a CSV/TSV/Parquet table; the family is ``None`` where there is no label.

    With ``require_labels`` a row without a label (an empty cell, or an id missing from the
    labels table) is a :class:`~castlab.core.errors.CastlabError` naming its line.
    """
    return read_table_with_frame(path, columns, require_labels=require_labels)[0]


def read_table_with_frame(
    path: str | Path,
    columns: TableColumns = TableColumns(),
    *,
    require_labels: bool = False,
) -> tuple[list[ProteinRecord], Any]:
    """:func:`read_table`'s records and the table's own columns as strings, a row per record.

    ``castlab proteins predict`` writes these columns back beside its answers, so a user's
    extra columns (e.g. the Zindi layout's CREATURE) are kept; the file is read once.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "q.csv"
    >>> _ = path.write_text("ID,SEQUENCE,CREATURE\\nq1,MKV,human\\n")
    >>> records, frame = read_table_with_frame(path)
    >>> records[0].name, frame.to_dict("records")
    ('q1', [{'ID': 'q1', 'SEQUENCE': 'MKV', 'CREATURE': 'human'}])
    """
    path = Path(path)
    frame, first = _read_frame(path)
    layout_id, layout_sequence, layout_label = _layout(frame)
    sequence = _column(frame, path, columns.sequence, "sequence", "sequence_column")
    sequence = sequence or layout_sequence
    if sequence is None:
        raise CastlabError(
            "which column holds the sequences?",
            path=path,
            line=1,
            fix=_choose("sequence_column", frame),
        )
    id_column = _column(frame, path, columns.id, "id", "id_column") or layout_id
    mapping = None
    label = None
    if columns.labels is not None:
        mapping = _labels(columns, id_column)
        if id_column is None:
            raise CastlabError(
                "no id column to join the labels on",
                path=path,
                line=1,
                fix=_choose("id_column", frame),
            )
    else:
        label = _column(frame, path, columns.label, "label", "label_column") or layout_label
    if require_labels and mapping is None and label is None:
        raise CastlabError(
            "which column holds the family labels?",
            path=path,
            line=1,
            fix=_choose("label_column", frame, "{} (or pass --labels TABLE to join them by id)"),
        )
    names = frame[id_column] if id_column else [f"row{first + i}" for i in range(len(frame))]
    labels = frame[label] if label else [None] * len(frame)
    records = []
    for row, (name, raw, family) in enumerate(zip(names, frame[sequence], labels)):
        line = first + row if first else None
        where = {"path": path, "line": line} if line else {"path": path}
        record = f"{name}" if line else f"{name} (row {row + 1})"
        if mapping is not None:
            family = mapping.get(name)
        if require_labels and not family:
            raise CastlabError(
                f"record {record!r} has no label"
                + (" in the labels table" if mapping is not None else ""),
                **where,
                fix="add its label or remove the row",
            )
        checked = check_sequence(raw, record=record, **where)
        if label == "family_accession" and family:
            family = _VERSION.sub("", family)  # Pfam's PF00001.21 -> PF00001
        records.append(ProteinRecord(str(name), checked, family or None))
    return records, frame


def iter_sequences(path: str | Path, columns: TableColumns = TableColumns()) -> Any:
    """Records to classify from a FASTA file (streamed) or a table (labels not needed).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "q.tsv"
    >>> _ = path.write_text("ID\\tSEQUENCE\\nq1\\tMKV\\n")
    >>> [(r.name, r.sequence) for r in iter_sequences(path)]
    [('q1', 'MKV')]
    """
    from castlab.proteins.data import iter_fasta

    if is_table(path):
        return iter(read_table(path, columns))
    return iter_fasta(path)
