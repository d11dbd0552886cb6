"""Read labelled protein sequences from the formats families come in, and check them.

Formats: FASTA with the label in a header field (or in a separate CSV), the Pfam random-split
CSV (``family_accession``, ``sequence``, ...), Stockholm alignments (family from ``#=GF AC``)
and aligned FASTA (one family per file, named by the file). Alignment gaps (``-`` and ``.``)
are removed and insert columns (lower case) are upper-cased, so every record holds the plain
sequence. Every residue is checked against the amino-acid alphabet; a bad one is reported with
its file, line, record and position.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "PF00001.fasta"
>>> _ = path.write_text(">a/1-5\\nAC-DE\\n>b/1-4\\nac.D\\n")
>>> [(r.name, r.sequence, r.family) for r in read_aligned_fasta(path)]
[('a/1-5', 'ACDE', 'PF00001'), ('b/1-4', 'ACD', 'PF00001')]
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from castlab.core.errors import CastlabError
from castlab.core.readers import files_under, sniff_encoding

if TYPE_CHECKING:
    from castlab.proteins.tables import TableColumns

__all__ = [
    "ALPHABET",
    "AMINO_ACIDS",
    "ProteinRecord",
    "check_sequence",
    "family_counts",
    "iter_fasta",
    "load_labelled",
    "load_records",
    "read_aligned_fasta",
    "read_fasta",
    "read_label_csv",
    "read_pfam_csv",
    "read_stockholm",
    "require_families",
]

#: The 20 standard amino acids.
AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
#: Accepted residues: the standard 20 plus X (unknown), B (D/N), Z (E/Q), U (Sec), O (Pyl).
ALPHABET = AMINO_ACIDS + "XBZUO"
_ALLOWED = frozenset(ALPHABET)
_GAPS = str.maketrans("", "", "-.")
_VERSION = re.compile(r"\.\d+$")


@dataclass(frozen=True)
class ProteinRecord:
    """One protein sequence with its family label (``None`` when unlabelled)."""

    name: str
    sequence: str  # upper-case residues from ALPHABET, no gaps
    family: str | None = None


def check_sequence(
    sequence: str,
    *,
    path: str | Path | None = None,
    line: int | None = None,
    record: str = "",
    min_length: int = 1,
    max_length: int = 100_000,
) -> str:
    """Return ``sequence`` upper-cased; raise a CastlabError naming the first bad residue.

    Examples
    --------
    >>> check_sequence("mkv")
    'MKV'
    >>> check_sequence("MK1", record="x")
    Traceback (most recent call last):
    ...
    castlab.core.errors.CastlabError: record 'x', position 3: '1' is not an amino acid (fix: use the letters ACDEFGHIKLMNPQRSTVWY or XBZUO)
    """
    sequence = sequence.strip().upper()
    for position, residue in enumerate(sequence, start=1):
        if residue not in _ALLOWED:
            raise CastlabError(
                f"record {record!r}, position {position}: {residue!r} is not an amino acid",
                path=path,
                line=line,
                column=position if line is not None else None,
                fix=f"use the letters {AMINO_ACIDS} or XBZUO",
            )
    if not min_length <= len(sequence) <= max_length:
        raise CastlabError(
            f"record {record!r} has {len(sequence)} residues, outside {min_length}..{max_length}",
            path=path,
            line=line,
            fix="give it its residues, or drop the record" if not sequence else "drop the record",
        )
    return sequence


def _text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """``(line number, text without its line end)`` of a text file, read a line at a time.

    UTF-8 (a byte-order mark is dropped) or UTF-16 with a byte-order mark; bytes that are
    neither (a latin-1 save) are an error naming the line, never replaced in silence.
    """
    if sniff_encoding(path) == "utf-16":
        with path.open(encoding="utf-16") as handle:
            try:
                for number, text in enumerate(handle, start=1):
                    yield number, text.rstrip("\r\n")
            except UnicodeDecodeError:
                raise CastlabError(
                    "UTF-16 text cut short", path=path, fix="export or save the file again"
                ) from None
        return
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as error:
                raise CastlabError(
                    f"not UTF-8 text (byte 0x{raw[error.start]:02x})",
                    path=path,
                    line=number,
                    fix="save the file as UTF-8, e.g. iconv -f latin1 -t utf-8",
                ) from None
            yield number, text.rstrip("\r\n")


def _fasta_entries(path: Path) -> Iterator[tuple[str, int, str, int]]:
    """(header, header line, joined sequence, first sequence line) per FASTA record."""
    if not path.exists():
        raise CastlabError("file not found", path=path, fix="check the path")
    header, header_line, parts, first = None, 0, [], 0
    for number, text in _text_lines(path):  # refuses a binary file first (sniff_encoding)
        if text.startswith(">"):
            if header is not None:
                yield header, header_line, "".join(parts), first
            header, header_line, parts, first = text[1:].strip(), number, [], number + 1
        elif text.strip():
            if header is None:
                raise CastlabError(
                    "sequence before the first '>' header",
                    path=path,
                    line=number,
                    fix="start each record with a '>name' line",
                )
            parts.append(text.strip())
    if header is not None:
        yield header, header_line, "".join(parts), first


def read_fasta(
    path: str | Path,
    *,
    label_field: int | None = None,
    separator: str = "|",
    labels: Mapping[str, str] | None = None,
    family: str | None = None,
    aligned: bool = False,
    min_length: int = 1,
    max_length: int = 100_000,
) -> list[ProteinRecord]:
    """Read a FASTA file; the label comes from ``family``, ``labels`` or a header field.

    ``label_field`` picks field ``i`` (0-based) of the header split on ``separator`` (the
    header's first word is the record's name); ``labels`` maps names to families (see
    :func:`read_label_csv`). With none of them records are unlabelled. ``aligned`` removes
    gap characters first.
    """
    path = Path(path)
    records = []
    for header, header_line, raw, first in _fasta_entries(path):
        name = header.split()[0] if header else ""
        if not name:
            raise CastlabError(
                "empty FASTA header", path=path, line=header_line, fix="give each record a name"
            )
        label = family
        if label_field is not None:
            fields = header.split(separator)
            if label_field >= len(fields):
                raise CastlabError(
                    f"record {name!r} has no header field {label_field}",
                    path=path,
                    line=header_line,
                    fix=f"check --label-field (fields are split on {separator!r})",
                )
            label = fields[label_field].strip().split()[0] if fields[label_field].strip() else ""
        elif labels is not None:
            label = labels.get(name)
            if label is None:
                raise CastlabError(
                    f"record {name!r} has no label in the label file",
                    path=path,
                    line=header_line,
                    fix="add it to the label CSV or remove the record",
                )
        sequence = raw.translate(_GAPS) if aligned else raw
        sequence = check_sequence(
            sequence,
            path=path,
            line=first,
            record=name,
            min_length=min_length,
            max_length=max_length,
        )
        records.append(ProteinRecord(name, sequence, label or None))
    if not records:
        raise CastlabError(
            "no FASTA records in the file",
            path=path,
            fix="pass a FASTA file: a '>name' line before each sequence",
        )
    return records


def iter_fasta(path: str | Path) -> Iterator[ProteinRecord]:
    """Unlabelled records one at a time (gaps removed), for scoring large files in flat memory."""
    path = Path(path)
    for header, header_line, raw, first in _fasta_entries(path):
        name = header.split()[0] if header else f"record{header_line}"
        yield ProteinRecord(
            name, check_sequence(raw.translate(_GAPS), path=path, line=first, record=name)
        )


def read_aligned_fasta(path: str | Path, *, family: str | None = None) -> list[ProteinRecord]:
    """Aligned FASTA of one family (gaps removed); the family defaults to the file's PF id."""
    path = Path(path)
    if family is None:
        match = re.search(r"PF\d{5}", path.name)
        family = match.group() if match else path.name.split(".")[0]
    return read_fasta(path, family=family, aligned=True)


def read_stockholm(path: str | Path) -> list[ProteinRecord]:
    """Every alignment in a Stockholm file; family = ``#=GF AC`` without version (or ID)."""
    path = Path(path)
    if not path.exists():
        raise CastlabError("file not found", path=path, fix="check the path")
    records: list[ProteinRecord] = []
    rows: dict[str, list[str]] = {}
    first_line: dict[str, int] = {}
    family = None
    for number, text in _text_lines(path):
        if text.startswith("#=GF AC") or (text.startswith("#=GF ID") and family is None):
            family = _VERSION.sub("", text.split()[2]) if len(text.split()) > 2 else None
        elif text.startswith("//"):
            records += _stockholm_block(rows, first_line, family, path)
            rows, first_line, family = {}, {}, None
        elif text.strip() and not text.startswith("#"):
            parts = text.split()
            if len(parts) != 2:
                raise CastlabError("expected 'name aligned-sequence'", path=path, line=number)
            rows.setdefault(parts[0], []).append(parts[1])
            first_line.setdefault(parts[0], number)
    records += _stockholm_block(rows, first_line, family, path)
    if not records:
        raise CastlabError(
            "no alignment in this Stockholm file", path=path, fix="pass a Pfam .sto file"
        )
    return records


def _stockholm_block(
    rows: dict[str, list[str]], first_line: dict[str, int], family: str | None, path: Path
) -> list[ProteinRecord]:
    if rows and family is None:
        raise CastlabError(
            "alignment without '#=GF AC' or '#=GF ID'", path=path, fix="add a #=GF AC line"
        )
    # every row of one alignment has the same width; a row that stops short means a block
    # is missing (a truncated download, or a file cut by hand), not a shorter protein
    widths = {name: sum(len(part) for part in parts) for name, parts in rows.items()}
    if len(set(widths.values())) > 1:
        width = max(widths.values())
        name = min(widths, key=lambda n: widths[n])
        raise CastlabError(
            f"record {name!r} has {widths[name]} alignment columns, others {width}: the "
            "alignment is cut short",
            path=path,
            line=first_line[name],
            fix="download the file again (each alignment ends with a '//' line)",
        )
    return [
        ProteinRecord(
            name,
            check_sequence(
                "".join(parts).translate(_GAPS), path=path, line=first_line[name], record=name
            ),
            family,
        )
        for name, parts in rows.items()
    ]


def read_label_csv(
    path: str | Path, *, id_column: str = "name", label_column: str = "family"
) -> dict[str, str]:
    """A CSV mapping record names to families (for FASTA files without labels)."""
    path = Path(path)
    rows = _read_csv(path, (id_column, label_column))
    return {row[id_column]: row[label_column] for row in rows}


def _read_csv(path: Path, required: Iterable[str]) -> list[dict[str, str]]:
    if not path.exists():
        raise CastlabError("file not found", path=path, fix="check the path")
    with path.open(newline="", encoding=sniff_encoding(path)) as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise CastlabError(
                f"missing column(s) {', '.join(missing)}",
                path=path,
                line=1,
                fix=f"the header has {', '.join(reader.fieldnames or [])}",
            )
        return list(reader)


def read_pfam_csv(path: str | Path) -> list[ProteinRecord]:
    """The Pfam random-split CSV (``family_accession``, ``sequence``, optional ``sequence_name``).

    ``aligned_sequence`` is ignored; the accession's version suffix (``.12``) is dropped.
    """
    path = Path(path)
    rows = _read_csv(path, ("family_accession", "sequence"))
    records = []
    for number, row in enumerate(rows, start=2):
        name = row.get("sequence_name") or f"row{number}"
        sequence = check_sequence(row["sequence"], path=path, line=number, record=name)
        records.append(ProteinRecord(name, sequence, _VERSION.sub("", row["family_accession"])))
    return records


def load_records(
    path: str | Path, *, label_field: int | None = None, columns: TableColumns | None = None
) -> list[ProteinRecord]:
    """Read one file or every family file in a folder, choosing the reader by content.

    ``.sto``/``.stk`` -> Stockholm; ``.csv``/``.tsv``/``.parquet`` -> a table
    (:func:`castlab.proteins.tables.read_table`, the Pfam CSV among its layouts); FASTA whose
    name holds a PF id or contains gaps -> aligned FASTA of that family; other FASTA -> labels
    from ``label_field``.
    """
    from castlab.proteins.tables import TableColumns, is_table, read_table

    path = Path(path)
    if path.is_dir():
        files = [p for p in files_under(path) if _is_sequence_file(p)]
        if not files:
            raise CastlabError("no sequence files in this folder", path=path)
        return [
            r
            for file in files
            for r in load_records(file, label_field=label_field, columns=columns)
        ]
    suffix = path.suffix.lower()
    if suffix in (".sto", ".stk", ".sth"):
        return read_stockholm(path)
    if is_table(path):
        return read_table(path, columns or TableColumns())
    if label_field is None and (re.search(r"PF\d{5}", path.name) or ".align" in path.name):
        return read_aligned_fasta(path)
    return read_fasta(path, label_field=label_field, aligned=True)


def load_labelled(
    paths: Sequence[str | Path],
    *,
    label_field: int | None = None,
    labels: str | Path | None = None,
    columns: TableColumns | None = None,
) -> list[ProteinRecord]:
    """Records with families from files or folders; every record must have one.

    The family comes from the file (Stockholm, aligned FASTA, a table's label column), from
    FASTA header field ``label_field``, or from a second table ``labels`` joined by id
    (columns ``name,family`` unless ``columns`` names others).
    """
    from castlab.proteins.tables import TableColumns, is_table, read_table

    columns = columns or TableColumns()
    records: list[ProteinRecord] = []
    for path in paths:
        if is_table(path):
            if labels is not None:
                columns = replace(columns, labels=Path(labels))
            part = read_table(path, columns, require_labels=True)
        elif labels is not None:
            mapping = read_label_csv(
                labels,
                id_column=columns.labels_id or "name",
                label_column=columns.label or "family",
            )
            part = read_fasta(path, labels=mapping, aligned=True)
        else:
            part = load_records(path, label_field=label_field, columns=columns)
        require_families(
            part,
            path,
            fix="name the family with --label-field, --label-column or --labels, "
            "or use family files",
        )
        records += part
    return records


def require_families(records: Sequence[ProteinRecord], path: str | Path, *, fix: str) -> None:
    """Refuse ``records`` (read from ``path``) when any has no family: a classifier trained
    on them would learn a family "None".

    Examples
    --------
    >>> require_families([ProteinRecord("a", "MKV", "PF00041")], "fam.fasta", fix="...")
    >>> try:
    ...     require_families([ProteinRecord("a", "MKV")], "plain.fasta", fix="name it")
    ... except CastlabError as error:
    ...     print(error)
    plain.fasta: 1 of 1 record(s) have no family (the first: 'a') (fix: name it)
    """
    unlabelled = [r.name for r in records if r.family is None]
    if unlabelled:
        raise CastlabError(
            f"{len(unlabelled)} of {len(records)} record(s) have no family"
            f" (the first: {unlabelled[0]!r})",
            path=path,
            fix=fix,
        )


def _is_sequence_file(path: Path) -> bool:
    name = path.name.lower()
    return not name.startswith(("source", "license", "readme")) and (
        name.endswith((".sto", ".stk", ".sth", ".fasta", ".fa", ".faa", ".csv", ".tsv", ".parquet"))
        or ".align" in name
    )


def family_counts(records: Iterable[ProteinRecord]) -> dict[str, int]:
    """Number of records per family, largest first.

    Examples
    --------
    >>> family_counts([ProteinRecord("a", "M", "f"), ProteinRecord("b", "M", "f")])
    {'f': 2}
    """
    counts: dict[str, int] = {}
    for record in records:
        key = record.family or "<unlabelled>"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
