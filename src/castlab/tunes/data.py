"""Tune corpora: read ABC books and tune tables, normalise, de-duplicate and split.

Sources
-------
- ABC files with many ``X:`` tunes each (``.abc``), or folders of them.
- Tables (``.csv``, ``.json``, ``.jsonl``) with an ``abc`` column, either whole tunes or
  bodies only with ``type`` / ``meter`` / ``mode`` (or ``key``) / ``name`` columns, as in
  thesession.org's data dumps.
- The embedded default: the ABC collections music21 ships (O'Neill's 1850, Ryan's Mammoth,
  Aird's Airs), read from its installed corpus folder.

Malformed tunes are skipped and counted, with the first reasons kept (file, tune number,
line, column); a source with no usable tune is a :class:`CastlabError`.

Examples
--------
>>> corpus = read_abc_text("X:1\\nT:A\\nM:6/8\\nL:1/8\\nK:D\\n|:dfa afd:|\\n", "a.abc")
>>> corpus.tunes[0].body, corpus.skipped
('|:dfa afd:|', [])
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from castlab.core.errors import CastlabError
from castlab.core.readers import check_not_binary, files_under, read_csv
from castlab.tunes.abc import (
    Tune,
    abc_tokens,
    default_unit,
    normalise_body,
    normalise_key,
    normalise_meter,
    normalise_rhythm,
    parse_fraction,
)

__all__ = [
    "COLLECTIONS",
    "Corpus",
    "Problem",
    "collection_paths",
    "load_corpus",
    "read_abc_text",
    "read_table",
    "split_tunes",
]

#: Named collections of the music21 corpus that castlab can use without any download.
COLLECTIONS = {
    "oneills": "oneills1850",
    "ryans": "ryansMammoth",
    "airds": "airdsAirs",
}


@dataclass(frozen=True)
class Problem:
    """Why one tune was skipped."""

    source: str
    tune: int  # X: number
    line: int
    column: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}: tune X:{self.tune}: {self.reason}"


@dataclass
class Corpus:
    """Usable tunes plus what was skipped or merged on the way."""

    tunes: list[Tune] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    duplicates: int = 0

    def extend(self, other: Corpus) -> None:
        self.tunes.extend(other.tunes)
        self.skipped.extend(other.skipped)
        self.duplicates += other.duplicates

    def summary(self) -> str:
        """One line: counts and the first reasons for skipping."""
        text = f"{len(self.tunes)} tunes, {len(self.skipped)} skipped, {self.duplicates} duplicates"
        if self.skipped:
            text += "; first problems: " + "; ".join(str(p) for p in self.skipped[:3])
        return text


_FIELD = re.compile(r"^([A-Za-z]):(.*)$")
_ALLOWED_OTHER = set(" \n-()`")  # ` is allowed inside beams and has no meaning
_PAIRS = {"[": "]", "{": "}"}


def _body_problem(body: str) -> tuple[int, int, str] | None:
    """First problem in a normalised body as (line offset, column, reason), or None."""
    stack: list[str] = []
    line, column = 0, 1
    notes = 0
    from castlab.tunes.bars import Kind, token_kind

    for token in abc_tokens(body):
        kind = token_kind(token)
        if kind is Kind.NOTE:
            notes += 1
        if token in _PAIRS or token == "{/":
            stack.append(token[0])
        elif token in {"]", "}"}:
            if not stack or _PAIRS[stack.pop()] != token:
                return line, column, f"unbalanced {token!r}"
        elif kind is Kind.OTHER and token not in _ALLOWED_OTHER:
            return line, column, f"unexpected character {token!r}"
        if token == "\n":
            line, column = line + 1, 1
            if stack:
                return line - 1, column, f"unclosed {stack[-1]!r} at end of line"
        else:
            column += len(token)
    if stack:
        return line, column, f"unclosed {stack[-1]!r}"
    if notes == 0:
        return 0, 1, "no notes"
    return None


def _make_tune(
    fields: dict[str, str],
    body_lines: list[str],
    number: int,
    source: str,
    body_line: int,
    field_lines: dict[str, int] | None = None,
) -> tuple[Tune | None, Problem | None]:
    """The tune, or the problem that skips it (a header's at its own line, ``field_lines``)."""
    path, start = source.rsplit(":", 1)[0], int(source.rsplit(":", 1)[1])
    lines = field_lines or {}

    def problem(reason: str, line: int = 0, column: int = 1) -> tuple[None, Problem]:
        return None, Problem(path, number, line or body_line, column, reason)

    if "K" not in fields:
        return problem("no K: field", start)
    if "M" not in fields:
        return problem("no M: field (castlab needs a meter to check bar lengths)", start)
    field = "M"
    try:
        meter = normalise_meter(fields["M"])
        if meter == "none":
            return problem("free meter (M:none) cannot be checked bar by bar", lines.get("M", 0))
        field = "L"
        unit = fields.get("L", "").replace(" ", "") or default_unit(meter)
        parse_fraction(unit)
        field = "K"
        key = normalise_key(fields["K"])
    except (ValueError, ZeroDivisionError) as error:
        return problem(f"bad header: {error}", lines.get(field, 0))
    body = normalise_body(body_lines)
    found = _body_problem(body)
    if found is not None:
        offset, column, reason = found
        return problem(reason, body_line + offset, column)
    title = fields.get("T", "").strip() or f"Tune {number}"
    return (
        Tune(title, normalise_rhythm(fields.get("R", "")), meter, unit, key, body, number, source),
        None,
    )


def read_abc_text(text: str, source: str = "<text>") -> Corpus:
    """Parse every ``X:`` tune in ABC ``text``; ``source`` names it in messages."""
    corpus = Corpus()
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i = 0
    while i < len(lines):
        if not lines[i].startswith("X:"):
            i += 1
            continue
        start = i + 1
        try:
            number = int(lines[i][2:].strip() or 0)
        except ValueError:
            number = 0
        fields: dict[str, str] = {}
        field_lines: dict[str, int] = {}
        i += 1
        while i < len(lines) and lines[i].strip() and "K" not in fields:
            match = _FIELD.match(lines[i].split("%", 1)[0].strip())
            if match and match.group(1) not in fields:
                fields[match.group(1)] = match.group(2).strip()
                field_lines[match.group(1)] = i + 1
            i += 1
        body_line = i + 1
        body: list[str] = []
        while i < len(lines) and lines[i].strip() and not lines[i].startswith("X:"):
            body.append(lines[i])
            i += 1
        tune, problem = _make_tune(
            fields, body, number, f"{source}:{start}", body_line, field_lines
        )
        if tune is not None:
            corpus.tunes.append(tune)
        elif problem is not None:
            corpus.skipped.append(problem)
    return corpus


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    check_not_binary(path, data[:65536])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_MODE_WORDS = re.compile(r"(major|minor|dorian|mixolydian|lydian|phrygian|locrian)$", re.IGNORECASE)


def read_table(path: str | Path) -> Corpus:
    """Read tunes from a CSV / JSON / JSONL table with an ``abc`` column."""
    import pandas as pd

    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv" or path.name.lower().endswith(".csv.gz"):
            frame = read_csv(path, what="tune table", dtype=str, keep_default_na=False)
        elif suffix in {".jsonl", ".ndjson"}:
            frame = pd.read_json(path, lines=True, dtype=False)
        else:
            frame = pd.DataFrame(json.loads(_read_text(path)))
    except CastlabError:
        raise
    except (ValueError, json.JSONDecodeError) as error:
        raise CastlabError(
            f"cannot read table: {error}", path=path, fix="pass UTF-8 CSV, JSON or JSONL"
        ) from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if "abc" not in frame.columns:
        raise CastlabError(
            f"no 'abc' column (found: {', '.join(frame.columns[:8])})",
            path=path,
            fix="name the column with the tunes 'abc'",
        )
    corpus = Corpus()
    for row_number, row in enumerate(frame.to_dict("records"), start=2):
        abc = str(row.get("abc") or "")
        if re.search(r"^K:", abc, re.MULTILINE):
            text = abc if abc.lstrip().startswith("X:") else f"X:{row_number}\n{abc}"
        else:
            key = str(row.get("mode") or row.get("key") or "")
            key = _MODE_WORDS.sub(lambda m: " " + m.group(1), key)
            text = (
                f"X:{row_number}\nT:{row.get('name') or row.get('title') or ''}\n"
                f"R:{row.get('type') or row.get('rhythm') or ''}\n"
                f"M:{row.get('meter') or ''}\nK:{key}\n{abc.replace(chr(13), '')}"
            )
            if not row.get("meter"):
                text = text.replace("\nM:\n", "\n")
            if not key:
                text = text.replace("\nK:\n", "\n")
        part = read_abc_text(text.strip() + "\n", f"{path}:row{row_number}")
        for problem in part.skipped:
            problem_line = Problem(
                str(path), problem.tune, row_number, problem.column, problem.reason
            )
            corpus.skipped.append(problem_line)
        corpus.tunes.extend(part.tunes)
    return corpus


def collection_paths(name: str) -> list[Path]:
    """The ``.abc`` files of a music21 collection (``oneills``, ``ryans``, ``airds``)."""
    if name not in COLLECTIONS:
        raise CastlabError(f"unknown collection {name!r}", fix=f"use {', '.join(COLLECTIONS)}")
    spec = importlib.util.find_spec("music21")
    if spec is None or spec.origin is None:
        raise CastlabError("music21 is not installed", fix="pip install music21")
    folder = Path(spec.origin).parent / "corpus" / COLLECTIONS[name]
    return sorted(folder.glob("*.abc"))


def _dedupe(tunes: Iterable[Tune]) -> tuple[list[Tune], int]:
    seen: set[tuple[str, str, str]] = set()
    kept: list[Tune] = []
    for tune in tunes:
        key = (tune.meter, tune.key, re.sub(r"\s+", "", tune.body))
        if key not in seen:
            seen.add(key)
            kept.append(tune)
    return kept, sum(1 for _ in tunes) - len(kept) if isinstance(tunes, list) else 0


def load_corpus(sources: Sequence[str | Path] = ("oneills", "ryans", "airds")) -> Corpus:
    """Read and de-duplicate tunes from files, folders, tables or collection names."""
    corpus = Corpus()
    for source in sources:
        if str(source) in COLLECTIONS:
            paths = collection_paths(str(source))
        else:
            path = Path(source)
            if not path.exists():
                raise CastlabError(
                    "no such file or folder",
                    path=path,
                    fix=f"check the path, or name a collection: {', '.join(COLLECTIONS)}",
                )
            paths = (
                [p for p in files_under(path) if p.suffix == ".abc"] if path.is_dir() else [path]
            )
            if not paths:
                raise CastlabError("no .abc files in this folder", path=path)
        for path in paths:
            if path.suffix.lower() in {".csv", ".json", ".jsonl", ".ndjson"}:
                part = read_table(path)
            else:
                part = read_abc_text(_read_text(path), str(path))
            if not part.tunes and len(paths) == 1:
                reason = f": {part.skipped[0]}" if part.skipped else ""
                raise CastlabError(
                    f"no usable tune{reason}",
                    path=path,
                    fix="check that tunes start with X: and have M: and K: lines",
                )
            corpus.extend(part)
    if not corpus.tunes:
        raise CastlabError(
            "no usable tune in " + ", ".join(map(str, sources)),
            fix="check that tunes start with X: and have M: and K: lines",
        )
    corpus.tunes, corpus.duplicates = _dedupe(corpus.tunes)
    return corpus


def split_tunes(
    tunes: Sequence[Tune], *, valid: float = 0.05, test: float = 0.05
) -> dict[str, list[Tune]]:
    """Split by tune into train / valid / test, deterministically (a hash of each tune).

    The same tune always lands in the same split, whatever else is in the corpus.
    """
    splits: dict[str, list[Tune]] = {"train": [], "valid": [], "test": []}
    for tune in tunes:
        digest = hashlib.sha1(tune.model_text.encode("utf-8")).digest()
        position = int.from_bytes(digest[:8], "big") / 2**64
        name = "test" if position < test else "valid" if position < test + valid else "train"
        splits[name].append(tune)
    return splits
