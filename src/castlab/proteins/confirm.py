"""The fast model proposes, alignment confirms: Smith-Waterman against stored references.

A classifier alone answers with the family whose learnt pattern fits best, and it has no
yardstick for "none of them". Alignment has one: the bit score of the best local alignment
to a known member of the family. castlab combines the two as practitioners do:

1. the classifier (ProtCNN) shortlists its ``families`` likeliest families;
2. among the stored reference sequences of those families (the training sequences), the
   ``neighbours`` nearest to the query in the classifier's feature space are aligned to it
   (Smith-Waterman, BLOSUM62, gap open 11, extend 1; parasail's striped SIMD kernels);
3. the answer is the family of the best-aligned reference, and ``unknown`` when even that
   alignment's E-value is above ``max_evalue`` (open set: no member of any proposed family
   is recognisably similar).

Bit scores use BLAST's gapped BLOSUM62 11/1 statistics (lambda 0.267, K 0.041); the E-value
of a pair is ``m * n * 2 ** -bits`` (query and reference lengths), so a short domain's
strong alignment is not judged by the bar of a long protein's chance one. The references (sequences, families, unit feature
vectors) are saved beside the model as ``references.json`` and ``references.safetensors``.

Examples
--------
>>> round(bit_score(100), 1)
43.1
>>> refs = References(["MKVLAAGIVGLLKKWW", "PPHHCCYYRRDDEEGG"], ["a", "b"], np.eye(2))
>>> best_alignment("MKVLAAGIVGLLKKWW", refs, np.array([0, 1]))
(0, 37.7)
>>> f"{evalue(37.7, 16, 16):.1e}"
'1.1e-09'
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from castlab.core.artifacts import atomic_write, write_json
from castlab.core.errors import CastlabError, first_line, require_sizes

__all__ = [
    "ConfirmConfig",
    "References",
    "best_alignment",
    "bit_score",
    "calibrate_max_evalue",
    "confirm",
    "evalue",
    "load_references",
    "save_references",
    "shortlist",
]

#: BLAST's gapped Karlin-Altschul parameters for BLOSUM62, gap open 11, extend 1
LAMBDA, K = 0.267, 0.041
GAP_OPEN, GAP_EXTEND = 11, 1


@dataclass(frozen=True)
class ConfirmConfig:
    """How many families and references each query is aligned to, and the rejection score."""

    families: int = 5  # the classifier's k likeliest families are the candidates
    neighbours: int = 32  # references aligned per query (nearest in feature space)
    max_evalue: float | None = None  # best E-value above this -> unknown (None: closed set)


@dataclass
class References:
    """Stored family members: ``sequences``, their ``families`` and (n, dim) ``features``."""

    sequences: list[str]
    families: list[str]
    features: np.ndarray

    def __post_init__(self) -> None:
        norms = np.linalg.norm(self.features, axis=1, keepdims=True).clip(1e-9)
        self.features = np.asarray(self.features / norms, dtype=np.float32)
        self.family_array = np.array(self.families)


def bit_score(raw: float) -> float:
    """Raw Smith-Waterman score (BLOSUM62 11/1) -> bit score."""
    return (LAMBDA * raw - math.log(K)) / math.log(2)


def evalue(bits: float, query_length: int, reference_length: int) -> float:
    """The E-value of one pairwise alignment: ``m * n * 2 ** -bits``."""
    return query_length * reference_length * 2.0 ** (-bits)


def _profile(query: str):  # type: ignore[no-untyped-def]
    import parasail

    return parasail.profile_create_16(query, parasail.blosum62)


def best_alignment(query: str, references: References, candidates: np.ndarray) -> tuple[int, float]:
    """(index, bit score) of the best-aligned of ``references`` at ``candidates`` indices."""
    import parasail

    profile = _profile(query)
    best, best_raw = -1, -1
    for index in candidates:
        raw = parasail.sw_striped_profile_16(
            profile, references.sequences[int(index)], GAP_OPEN, GAP_EXTEND
        ).score
        if raw > best_raw:
            best, best_raw = int(index), raw
    return best, round(bit_score(best_raw), 1)


def shortlist(
    proba: np.ndarray, features: np.ndarray, classes: Sequence[str], references: References,
    config: ConfirmConfig,
) -> list[np.ndarray]:  # fmt: skip
    """Per query, the reference indices to align: nearest ``neighbours`` of the top families.

    ``proba`` (n, n_classes) are the classifier's probabilities over ``classes`` and
    ``features`` (n, dim) its features of the queries.
    """
    unit = features / np.linalg.norm(features, axis=1, keepdims=True).clip(1e-9)
    similarity = unit.astype(np.float32) @ references.features.T  # (n, n_references)
    known = np.array([c in set(references.families) for c in classes])
    out = []
    for row in range(len(proba)):
        scores = np.where(known, proba[row], -1.0)
        top = np.array(classes)[np.argsort(scores)[::-1][: config.families]]
        allowed = np.flatnonzero(np.isin(references.family_array, top))
        nearest = np.argsort(similarity[row, allowed])[::-1][: config.neighbours]
        out.append(allowed[nearest])
    return out


def confirm(
    queries: Sequence[str],
    proba: np.ndarray,
    features: np.ndarray,
    classes: Sequence[str],
    references: References,
    config: ConfirmConfig,
) -> list[tuple[str | None, float, float]]:
    """Per query: (family of the best-aligned reference, or None when rejected; bits; E-value)."""
    out: list[tuple[str | None, float, float]] = []
    for query, candidates in zip(queries, shortlist(proba, features, classes, references, config)):
        index, bits = best_alignment(query, references, candidates)
        value = evalue(bits, len(query), len(references.sequences[index]))
        rejected = config.max_evalue is not None and value > config.max_evalue
        out.append((None if rejected else references.families[index], bits, value))
    return out


def calibrate_max_evalue(evalues: np.ndarray, *, accept: float = 0.99) -> float:
    """The lowest E-value threshold that keeps ``accept`` of these in-family queries.

    Examples
    --------
    >>> calibrate_max_evalue(np.array([1e-30, 1e-9, 1e-4, 0.5]), accept=0.75)
    0.0001
    """
    ordered = np.sort(np.asarray(evalues, dtype=float))
    return float(ordered[max(1, int(np.ceil(accept * len(ordered)))) - 1])


def save_references(directory: str | Path, references: References, config: ConfirmConfig) -> None:
    """Write ``references.json`` (config, families, sequences) and ``references.safetensors``."""
    from safetensors.numpy import save

    directory = Path(directory)
    with atomic_write(directory / "references.safetensors", "wb") as handle:
        handle.write(save({"features": references.features.astype(np.float16)}))
    write_json(
        directory / "references.json",
        {"config": asdict(config), "families": references.families,
         "sequences": references.sequences},
    )  # fmt: skip


_REWRITE = (
    "rewrite the model folder with castlab, or delete references.* to use the classifier alone"
)


def load_references(
    directory: str | Path, *, families: list[str] | None = None, dim: int | None = None
) -> tuple[References, ConfirmConfig] | None:
    """The references saved beside a model, or None when the folder has none.

    Everything is checked before use: each reference a sequence (text) with one family, as
    many as the feature rows, of ``dim`` features (the model's) and of the model's
    ``families``; the config's counts positive and its E-value a number or null."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    directory = Path(directory)
    path = directory / "references.json"
    if not path.is_file():
        return None

    def refuse(problem: str) -> CastlabError:
        return CastlabError(problem, path=path, fix=_REWRITE)

    try:
        meta = json.loads(path.read_text())
        features = load_file(str(directory / "references.safetensors"))["features"]
        config = ConfirmConfig(**meta["config"])
        sequences, named = meta["sequences"], meta["families"]
    except (OSError, ValueError, KeyError, TypeError, SafetensorError) as error:
        raise refuse(f"unreadable alignment references ({first_line(error)[:80]})") from None
    for field, values in (("sequences", sequences), ("families", named)):
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise refuse(f"field {field!r} must be a list of strings")
    if features.ndim != 2 or not len(sequences) == len(named) == len(features):
        raise refuse(
            f"{len(sequences)} sequences, {len(named)} families and "
            f"{features.shape[0] if features.ndim else 0} feature rows in references.safetensors: "
            "one of each per reference"
        )
    if not np.isfinite(features).all():
        raise refuse("references.safetensors holds NaN or infinite features")
    if dim is not None and features.shape[1] != dim:
        raise refuse(f"references of {features.shape[1]} features for a model of {dim}")
    strange = sorted(set(named) - set(families)) if families is not None else []
    if strange:
        raise refuse(f"families the model does not know: {', '.join(strange[:5])}")
    try:
        require_sizes(config)  # families, neighbours: whole numbers of at least 1
    except CastlabError as error:
        raise error.at(path, fix=_REWRITE) from None
    limit = config.max_evalue
    if limit is not None and (
        not isinstance(limit, (int, float)) or isinstance(limit, bool) or not limit >= 0
    ):
        raise refuse(f"config.max_evalue must be a number of 0 or more, or null, not {limit!r}")
    return References(sequences, named, features.astype(np.float32)), config
