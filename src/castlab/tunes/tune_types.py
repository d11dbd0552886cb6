"""Tune types (reel, jig, hornpipe, ...): a classifier on rhythm, and types for untyped tunes.

Most tunes of the corpus carry no ``R:`` field. :class:`TypeClassifier` learns the type from
the tunes that do, on what a musician hears as the type: the meter and the *rhythm
skeleton* of the body (note lengths, dotted pairs, triplets and bar lines with the pitches
taken out, in bar-relative units so ``2/4 L:1/16`` and ``2/2 L:1/8`` reels read the same).
:func:`infer_types` labels the untyped tunes it is confident about, so that the language
model sees a type (a control code) on most tunes; the benchmark uses the same classifier to
judge whether a generated "reel" is a reel.

Examples
--------
>>> from castlab.tunes.abc import Tune
>>> rhythm_skeleton(Tune("t", "hornpipe", "2/2", "1/8", "D", "|:d>fa>f (3gfe dB|"))
'N> N N> N (3 N N N N N |'
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np

from castlab.core.errors import CastlabError
from castlab.tunes.abc import Tune, abc_tokens
from castlab.tunes.bars import Kind, length_value, token_kind

__all__ = ["TypeClassifier", "infer_types", "labelled_types", "rhythm_skeleton"]

#: bars are 8 "eighths" long in a reel whatever its M: and L:; lengths are scaled to that
_BAR_EIGHTHS = 8


def _unit_scale(tune: Tune) -> Fraction:
    """Factor turning lengths in units of ``L:`` into eighth notes of a common-time bar."""
    bar_units = tune.bar_units
    if not bar_units:
        return Fraction(1)
    # 6/8 and 9/8 stay in eighths; duple and quadruple bars are scaled to 8 eighths
    numerator = int(tune.meter.split("/")[0].split("+")[0])
    if numerator % 3 == 0 and numerator > 3:
        return Fraction(1, 8) / Fraction(tune.unit)
    return Fraction(_BAR_EIGHTHS) / bar_units


def rhythm_skeleton(tune: Tune) -> str:
    """The body as rhythm words: ``N`` a note or rest, with its length and ``>``/``<``.

    Lengths are in eighths of a common-time bar (see :func:`_unit_scale`); pitches,
    decorations, slurs, grace notes, chords' extra notes and spaces are dropped and every bar
    line becomes ``|``.
    """
    scale = _unit_scale(tune)
    words: list[str] = []
    in_grace = in_chord = False
    for token in abc_tokens(tune.body):
        kind = token_kind(token)
        if kind is Kind.GRACE_OPEN:
            in_grace = True
        elif kind is Kind.GRACE_CLOSE:
            in_grace = False
        elif in_grace:
            continue
        elif kind is Kind.CHORD_OPEN:
            in_chord = True
            words.append("N")
        elif kind is Kind.CHORD_CLOSE:
            in_chord = False
        elif kind in (Kind.NOTE, Kind.REST) and not in_chord:
            words.append("N")
        elif kind is Kind.LENGTH and words and words[-1].startswith("N") and not in_chord:
            length = length_value(token) * scale
            words[-1] = "N" + (str(length) if length != 1 else "")
        elif kind is Kind.BROKEN and words and words[-1].startswith("N"):
            words[-1] += token[0]
        elif kind is Kind.TUPLET:
            words.append(token.split(":")[0])
        elif kind is Kind.BAR and words and words[-1] != "|":
            words.append("|")
    if scale != 1:  # notes without a length token are one unit long
        plain = "N" + str(scale)
        words = [plain if w == "N" else (plain + w[1:] if w in {"N>", "N<"} else w) for w in words]
    return " ".join(words)


def _documents(tunes: Sequence[Tune]) -> list[tuple[str, str]]:
    """(meter + rhythm skeleton, normalised body) per tune: the classifier's two inputs."""
    from castlab.tunes.style import normalised_body

    return [
        (f"M{t.meter.replace('/', '_')} " + rhythm_skeleton(t), normalised_body(t)) for t in tunes
    ]


def _column(rows: Sequence[tuple[str, str]], i: int) -> list[str]:
    return [row[i] for row in rows]


def labelled_types(tunes: Sequence[Tune], *, min_tunes: int = 50) -> list[str]:
    """Types written in ``R:`` on at least ``min_tunes`` tunes, most frequent first."""
    counts = Counter(t.rhythm for t in tunes if t.rhythm)
    return [name for name, n in counts.most_common() if n >= min_tunes]


@dataclass
class TypeClassifier:
    """Logistic regression on word 1-4-grams of the meter and rhythm skeleton.

    With ``melody=True`` character 2-5-grams of the normalised body (pitches included,
    :func:`castlab.tunes.style.normalised_body`) are added: a better judge of generated tunes
    (hornpipes held-out recall 0.90 instead of 0.73, docs/results/tunes.md), while
    :func:`infer_types` labels training tunes on meter and rhythm alone.
    Follows the scikit-learn contract: ``fit`` learns ``types_`` from the tunes' ``R:``
    fields (types with ``min_tunes`` or more tunes) and returns ``self``.
    """

    min_tunes: int = 50
    regularisation: float = 4.0  # scikit-learn's C
    melody: bool = False

    def _features(self):  # type: ignore[no-untyped-def]
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import make_pipeline, make_union
        from sklearn.preprocessing import FunctionTransformer

        rhythm = TfidfVectorizer(
            analyzer="word", token_pattern=r"\S+", ngram_range=(1, 4), sublinear_tf=True
        )
        if not self.melody:
            return make_pipeline(FunctionTransformer(_column, kw_args={"i": 0}), rhythm)
        melody = TfidfVectorizer(analyzer="char", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
        return make_union(
            make_pipeline(FunctionTransformer(_column, kw_args={"i": 0}), rhythm),
            make_pipeline(FunctionTransformer(_column, kw_args={"i": 1}), melody),
        )

    def fit(self, tunes: Sequence[Tune]) -> TypeClassifier:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        self.types_ = labelled_types(tunes, min_tunes=self.min_tunes)
        if len(self.types_) < 2:
            raise CastlabError(
                f"fewer than two tune types with {self.min_tunes}+ tunes in R: fields",
                fix="use a corpus with R: fields, e.g. the default collections",
            )
        kept = [t for t in tunes if t.rhythm in self.types_]
        self.pipeline_ = make_pipeline(
            self._features(), LogisticRegression(C=self.regularisation, max_iter=3000)
        )
        self.pipeline_.fit(_documents(kept), [t.rhythm for t in kept])
        self.meters_ = {
            name: {
                m
                for m, n in Counter(t.meter for t in kept if t.rhythm == name).items()
                if n >= max(2, 0.05 * sum(t.rhythm == name for t in kept))
            }
            for name in self.types_
        }
        return self

    def predict_proba(self, tunes: Sequence[Tune]) -> np.ndarray:
        """Probabilities, shape ``(len(tunes), len(types_))``, columns in ``types_`` order."""
        probs = self.pipeline_.predict_proba(_documents(tunes))
        order = [list(self.pipeline_.classes_).index(name) for name in self.types_]
        return probs[:, order]

    def predict(self, tunes: Sequence[Tune]) -> list[str]:
        probs = self.predict_proba(tunes)
        return [self.types_[i] for i in probs.argmax(axis=1)]


def infer_types(
    tunes: Sequence[Tune],
    *,
    classifier: TypeClassifier | None = None,
    min_probability: float = 0.8,
) -> tuple[list[Tune], Counter[str]]:
    """Give untyped tunes the type the classifier is confident about; returns (tunes, counts).

    A tune gets a type only when its meter is one that type is written in (in 5%+ of the
    labelled tunes of that type) and the probability is at least ``min_probability``;
    airs, waltzes and marches in other meters stay untyped.
    """
    classifier = classifier or TypeClassifier().fit(tunes)
    untyped = [i for i, t in enumerate(tunes) if not t.rhythm]
    out = list(tunes)
    counts: Counter[str] = Counter()
    if not untyped:
        return out, counts
    probs = classifier.predict_proba([tunes[i] for i in untyped])
    for row, i in zip(probs, untyped, strict=True):
        best = int(row.argmax())
        name = classifier.types_[best]
        if row[best] >= min_probability and tunes[i].meter in classifier.meters_[name]:
            out[i] = replace(tunes[i], rhythm=name)
            counts[name] += 1
    return out, counts
