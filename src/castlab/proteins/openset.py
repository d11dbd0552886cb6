"""Open-set family classification: answer "unknown" for a protein of none of the families.

A closed-set classifier always names one of its families, so a protein from elsewhere gets
the nearest one. castlab's rule has two parts: the classifier is trained with an extra
``unknown`` class of background proteins (fragments of proteome proteins that none of the
families' profile HMMs hits), and a prediction whose top family probability is below a
threshold is also ``unknown``. The threshold is calibrated on held-out in-family sequences
(:func:`calibrate_threshold`) so that a chosen share of them stays accepted.

Out-of-family proteins are found with profile HMMs built from the families' own alignments
(:func:`family_profiles`, pyhmmer's ``Builder``) and ``hmmsearch``: a protein with no hit at
E <= ``evalue`` in any family is out of family (:func:`out_of_family`).

Examples
--------
>>> import numpy as np
>>> calibrate_threshold(np.array([0.99, 0.95, 0.9, 0.6]), accept=0.75)
0.9
>>> [w for w in fragments("MKVLAAGIVG", lengths=[4], rng=np.random.default_rng(0))]
['AGIV']
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from castlab.proteins.data import ProteinRecord

__all__ = [
    "UNKNOWN",
    "calibrate_threshold",
    "family_profiles",
    "fragments",
    "open_set_rates",
    "out_of_family",
    "read_alignment_rows",
]

#: The label of the background class and of rejected predictions.
from castlab.proteins.model import UNKNOWN  # noqa: E402  (one name for the background class)


def calibrate_threshold(top_probability: np.ndarray, *, accept: float = 0.99) -> float:
    """The largest threshold that keeps at least ``accept`` of these in-family predictions.

    ``top_probability`` (n,) is the top family probability of held-out in-family sequences
    (a background-class answer counts as probability 0). Predictions at or above the returned
    value are accepted.
    """
    ordered = np.sort(np.asarray(top_probability, dtype=float))[::-1]
    keep = max(1, int(np.ceil(accept * len(ordered))))
    return float(ordered[keep - 1])


def fragments(sequence: str, *, lengths: Sequence[int], rng: np.random.Generator) -> Iterable[str]:
    """One random window of ``sequence`` per length (the whole sequence when it is shorter)."""
    for length in lengths:
        if len(sequence) <= length:
            yield sequence
        else:
            start = int(rng.integers(0, len(sequence) - length + 1))
            yield sequence[start : start + length]


def family_profiles(
    alignments: dict[str, Sequence[str]], *, max_rows: int = 400, seed: int = 0
) -> list[Any]:
    """A pyhmmer profile HMM per family, built from (at most ``max_rows`` of) its alignment.

    ``alignments`` maps a family name to its aligned rows (equal length, ``-`` or ``.`` gaps).
    """
    from pyhmmer import easel, plan7

    alphabet = easel.Alphabet.amino()
    builder = plan7.Builder(alphabet)
    background = plan7.Background(alphabet)
    rng = np.random.default_rng(seed)
    out = []
    for family, rows in sorted(alignments.items()):
        width = Counter(len(row) for row in rows).most_common(1)[0][0]
        rows = [row for row in rows if len(row) == width]  # the odd malformed row is skipped
        if len(rows) > max_rows:
            rows = [rows[i] for i in sorted(rng.choice(len(rows), max_rows, replace=False))]
        msa = easel.TextMSA(
            name=family.encode(),
            sequences=[
                easel.TextSequence(name=f"s{i}".encode(), sequence=row.replace(".", "-").upper())
                for i, row in enumerate(rows)
            ],
        )
        hmm, _, _ = builder.build_msa(msa.digitize(alphabet), background)
        out.append(hmm)
    return out


def out_of_family(
    records: Sequence[ProteinRecord], profiles: Sequence[Any], *, evalue: float = 1.0, cpus: int = 1
) -> list[ProteinRecord]:
    """The records that no profile hits at E-value <= ``evalue`` (hmmsearch, in process)."""
    from pyhmmer import easel, hmmer

    alphabet = easel.Alphabet.amino()
    block = easel.DigitalSequenceBlock(
        alphabet,
        [
            easel.TextSequence(name=f"q{i}".encode(), sequence=r.sequence).digitize(alphabet)
            for i, r in enumerate(records)
        ],
    )
    hit: set[int] = set()
    for hits in hmmer.hmmsearch(profiles, block, cpus=cpus, E=evalue):
        for found in hits:
            if found.evalue <= evalue:
                name = found.name.decode() if isinstance(found.name, bytes) else found.name
                hit.add(int(name[1:]))
    return [r for i, r in enumerate(records) if i not in hit]


def open_set_rates(
    in_family: Sequence[str | None],
    predicted_in: Sequence[str],
    predicted_out: Sequence[str],
) -> dict[str, float]:
    """Share of in-family sequences accepted and correct, and of out-of-family ones rejected.

    Examples
    --------
    >>> open_set_rates(["a", "b"], ["a", UNKNOWN], [UNKNOWN, "a", UNKNOWN, UNKNOWN])
    {'in_family_accepted_correct': 0.5, 'in_family_rejected': 0.5, 'out_of_family_rejected': 0.75}
    """
    truth = [str(f) for f in in_family]
    return {
        "in_family_accepted_correct": float(np.mean([p == t for p, t in zip(predicted_in, truth)])),
        "in_family_rejected": float(np.mean([p == UNKNOWN for p in predicted_in])),
        "out_of_family_rejected": float(np.mean([p == UNKNOWN for p in predicted_out])),
    }


def read_alignment_rows(path: str | Path) -> list[str]:
    """Aligned rows of an aligned FASTA file (gaps kept), for :func:`family_profiles`."""
    rows, parts = [], []
    with Path(path).open() as handle:
        for line in handle:
            if line.startswith(">"):
                if parts:
                    rows.append("".join(parts))
                parts = []
            elif line.strip():
                parts.append(line.strip())
    if parts:
        rows.append("".join(parts))
    return rows
