"""Synthetic protein families for the demo and the tests (no download, clearly labelled).

Each family gets a random ancestor and a per-position conservation; members are drawn by
substituting residues (more often at weakly conserved positions), with occasional short
insertions and deletions, and a random N- and C-terminal flank, so a family is a profile
rather than one string. Family names start with ``synthetic-`` so results can never be
mistaken for real data.

Examples
--------
>>> records = synthetic_families(n_families=2, per_family=3, seed=1)
>>> len(records), records[0].family
(6, 'synthetic-F00')
>>> set("".join(r.sequence for r in records)) <= set(AMINO_ACIDS)
True
"""

from __future__ import annotations

import numpy as np

from castlab.proteins.data import AMINO_ACIDS, ProteinRecord

__all__ = ["AMINO_ACIDS", "synthetic_families", "synthetic_proteome"]

# background residue frequencies (UniProt, rounded), in AMINO_ACIDS order
_BACKGROUND = np.array(
    [
        8.3,
        1.4,
        5.5,
        6.7,
        3.9,
        7.1,
        2.3,
        5.9,
        5.8,
        9.7,
        2.4,
        4.1,
        4.7,
        3.9,
        5.3,
        6.6,
        5.4,
        6.9,
        1.1,
        2.9,
    ]
)
_BACKGROUND = _BACKGROUND / _BACKGROUND.sum()


def _random_protein(rng: np.random.Generator, length: int) -> str:
    return "".join(rng.choice(list(AMINO_ACIDS), size=length, p=_BACKGROUND))


def synthetic_families(
    *,
    n_families: int = 8,
    per_family: int = 60,
    length: tuple[int, int] = (60, 140),
    mutation: float = 0.35,
    seed: int = 0,
) -> list[ProteinRecord]:
    """``n_families`` x ``per_family`` records drawn from generated family profiles.

    ``mutation`` is the mean share of substituted positions (0.35: members share ~65% of
    the ancestor, like a Pfam family's close members; raise it for a harder task).
    """
    rng = np.random.default_rng(seed)
    records = []
    for f in range(n_families):
        ancestor = _random_protein(rng, int(rng.integers(length[0], length[1] + 1)))
        # conserved positions mutate rarely, variable ones often (Beta keeps the mean)
        rate = rng.beta(0.7, 0.7 * (1 - mutation) / mutation, size=len(ancestor))
        family = f"synthetic-F{f:02d}"
        for m in range(per_family):
            residues = []
            for position, residue in enumerate(ancestor):
                if rng.random() < 0.01:  # short deletion
                    continue
                residues.append(
                    _random_protein(rng, 1) if rng.random() < rate[position] else residue
                )
                if rng.random() < 0.01:  # short insertion
                    residues.append(_random_protein(rng, int(rng.integers(1, 4))))
            flank = (_random_protein(rng, int(rng.integers(0, 8))) for _ in range(2))
            left, right = flank
            records.append(
                ProteinRecord(
                    f"synthetic_{f:02d}_{m:03d}", left + "".join(residues) + right, family
                )
            )
    return records


def synthetic_proteome(
    *, n: int = 200, length: tuple[int, int] = (50, 300), seed: int = 0
) -> list[str]:
    """Unlabelled random sequences (background frequencies) for quick LM pretraining tests."""
    rng = np.random.default_rng(seed)
    return [_random_protein(rng, int(rng.integers(length[0], length[1] + 1))) for _ in range(n)]
