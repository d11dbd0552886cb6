"""Does a generated reel sound like a reel? Rhythm and melody statistics, normalised text and a
real-or-generated discriminator.

:func:`tune_statistics` measures one tune on castlab's own ABC tokens: dotted pairs
(``>``/``<``), notes and triplets per bar, range and mean interval in semitones, the share of
steps (intervals of at most two semitones) and the pitch classes relative to the tonic.
:func:`normalised_body` writes a body in one notation (no spaces, decorations, slurs, grace
notes, chords' extra notes or line breaks; every bar line ``|``) so that real and generated
tunes are compared on the music, not on how their editors typed it;
:func:`discriminator_auc` is the cross-validated ROC AUC of a character n-gram classifier
that tells real from generated on those texts (0.5: indistinguishable).

Examples
--------
>>> from castlab.tunes.abc import Tune
>>> tune = Tune("t", "hornpipe", "2/2", "1/8", "D", "|:d>f a>f (3gfe dB|A2 ~F2 D4:|")
>>> stats = tune_statistics(tune)
>>> stats["dotted_per_bar"], stats["notes_per_bar"], stats["triplets_per_bar"]
(1.0, 6.0, 0.5)
>>> normalised_body(tune)
'|d>fa>f(3gfedB|A2F2D4|'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from castlab.tunes.abc import Tune, abc_tokens
from castlab.tunes.bars import Kind, token_kind

__all__ = [
    "STATISTICS",
    "DOTTED_PER_BAR",
    "discriminator_auc",
    "dotting",
    "key_signature",
    "normalised_body",
    "note_pitch",
    "pitch_class_histogram",
    "tune_statistics",
]

#: Per-tune statistics, in the order tables show them.
STATISTICS = (
    "dotted_per_bar",
    "notes_per_bar",
    "triplets_per_bar",
    "range",
    "mean_interval",
    "step_share",
    "tonic_share",
)

_LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_FIFTHS = {"C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5, "F": -1}
_MODE_FIFTHS = {"": 0, "m": -3, "dor": -2, "mix": -1, "lyd": 1, "phr": -4, "loc": -5}
_SHARP_ORDER, _FLAT_ORDER = "FCGDAEB", "BEADGCF"
_KEY = re.compile(r"^([A-G])([#b]?)(m|dor|mix|lyd|phr|loc)?$")


def key_signature(key: str) -> tuple[int, dict[str, int]]:
    """The tonic's pitch class and the accidental of each letter for a normalised key.

    >>> key_signature("Ador")
    (9, {'F': 1})
    >>> key_signature("Bb")[1]
    {'B': -1, 'E': -1}
    """
    match = _KEY.match(key)
    if not match:  # HP (Highland pipes), none or an odd key: treat as C
        return 0, {}
    letter, accidental, mode = match.groups()
    shift = {"#": 1, "b": -1, "": 0}[accidental]
    tonic = (_LETTERS[letter] + shift) % 12
    fifths = _FIFTHS[letter] + 7 * shift + _MODE_FIFTHS[mode or ""]
    if fifths >= 0:
        return tonic, {name: 1 for name in _SHARP_ORDER[:fifths]}
    return tonic, {name: -1 for name in _FLAT_ORDER[:-fifths]}


def note_pitch(token: str, signature: dict[str, int], bar_accidentals: dict[str, int]) -> int:
    """MIDI-like pitch of a note token (``C`` = 60); updates ``bar_accidentals`` in place."""
    body = token.lstrip("^_=")
    accidental = token[: len(token) - len(body)]
    letter = body[0]
    octave = 12 if letter.islower() else 0
    octave += 12 * body.count("'") - 12 * body.count(",")
    name = letter.upper()
    if accidental:
        bar_accidentals[name + str(octave)] = {"^": 1, "^^": 2, "_": -1, "__": -2, "=": 0}[
            accidental
        ]
    shift = bar_accidentals.get(name + str(octave), signature.get(name, 0))
    return 60 + octave + _LETTERS[name] + shift


def _events(tune: Tune) -> tuple[list[int], int, int, int]:
    """Pitches of the notes (chords: first note; rests skipped), bars, dotted pairs, tuplets."""
    _, signature = key_signature(tune.key)
    pitches: list[int] = []
    bars = dotted = tuplets = events = 0
    accidentals: dict[str, int] = {}
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
            in_chord, first = True, True
        elif kind is Kind.CHORD_CLOSE:
            in_chord = False
        elif kind is Kind.NOTE and (not in_chord or first):
            pitches.append(note_pitch(token, signature, accidentals))
            events += 1
            first = False
        elif kind is Kind.REST:
            events += 1
        elif kind is Kind.BROKEN:
            dotted += 1
        elif kind is Kind.TUPLET:
            tuplets += 1
        elif kind is Kind.BAR:
            accidentals = {}
            bars += events > 0
            events = 0
    bars += events > 0
    return pitches, max(bars, 1), dotted, tuplets


def tune_statistics(tune: Tune) -> dict[str, float]:
    """The :data:`STATISTICS` of one tune (see the module docstring)."""
    pitches, bars, dotted, tuplets = _events(tune)
    tonic, _ = key_signature(tune.key)
    intervals = np.abs(np.diff(pitches)) if len(pitches) > 1 else np.zeros(1)
    return {
        "dotted_per_bar": dotted / bars,
        "notes_per_bar": _note_count(tune) / bars,
        "triplets_per_bar": tuplets / bars,
        "range": float(max(pitches) - min(pitches)) if pitches else 0.0,
        "mean_interval": float(intervals.mean()),
        "step_share": float((intervals <= 2).mean()),
        "tonic_share": float(np.mean([(p - tonic) % 12 == 0 for p in pitches])) if pitches else 0.0,
    }


def _note_count(tune: Tune) -> int:
    """Notes and rests, a chord counting once (grace notes not at all)."""
    count, in_grace, in_chord = 0, False, False
    for token in abc_tokens(tune.body):
        kind = token_kind(token)
        if kind is Kind.GRACE_OPEN or kind is Kind.GRACE_CLOSE:
            in_grace = kind is Kind.GRACE_OPEN
        elif kind is Kind.CHORD_OPEN and not in_grace:
            in_chord, count = True, count + 1
        elif kind is Kind.CHORD_CLOSE:
            in_chord = False
        elif kind in (Kind.NOTE, Kind.REST) and not in_grace and not in_chord:
            count += 1
    return count


#: A tune with at least this many dotted pairs per bar has its dotting written out: the
#: corpus is bimodal (2/2 hornpipes: half near 0, half near 2.5-3 per bar).
DOTTED_PER_BAR = 0.5


def dotting(tune: Tune) -> str:
    """``"dotted"`` when the tune writes its dotting out (``>``/``<``), else ``"plain"``.

    The corpus mixes books that write hornpipes dotted and books that leave the dotting to
    the player; as a control code (``N:dotted`` / ``N:plain``) it lets the user and the
    benchmark ask for either.

    >>> dotting(Tune("t", "hornpipe", "2/2", "1/8", "D", "|:d>fa>f g>fe>d|"))
    'dotted'
    >>> dotting(Tune("t", "reel", "2/2", "1/8", "D", "|:dfaf gfed|"))
    'plain'
    """
    _, bars, dotted, _ = _events(tune)
    return "dotted" if dotted / bars >= DOTTED_PER_BAR else "plain"


def pitch_class_histogram(tunes: Sequence[Tune]) -> np.ndarray:
    """Share of notes on each pitch class relative to the tonic, shape ``(12,)``."""
    counts = np.zeros(12)
    for tune in tunes:
        tonic, _ = key_signature(tune.key)
        pitches, *_ = _events(tune)
        for pitch in pitches:
            counts[(pitch - tonic) % 12] += 1
    return counts / max(counts.sum(), 1)


_QUOTED = re.compile(r'"[^"\n]*"')  # chord symbols and annotations
_KEEP = (Kind.NOTE, Kind.REST, Kind.LENGTH, Kind.BROKEN, Kind.TUPLET)


def normalised_body(tune: Tune) -> str:
    """The body in one notation: melody, lengths, ``>``/``<``, tuplets and ``|`` only."""
    out: list[str] = []
    in_grace = in_chord = False
    for token in abc_tokens(_QUOTED.sub("", tune.body)):
        kind = token_kind(token)
        if kind is Kind.GRACE_OPEN or kind is Kind.GRACE_CLOSE:
            in_grace = kind is Kind.GRACE_OPEN
        elif in_grace:
            continue
        elif kind is Kind.CHORD_OPEN:
            in_chord, first = True, True
        elif kind is Kind.CHORD_CLOSE:
            in_chord = False
        elif in_chord:
            if kind is Kind.NOTE and first:
                out.append(token)
                first = False
        elif kind in _KEEP:
            out.append(token.split(":")[0] if kind is Kind.TUPLET else token)
        elif kind in (Kind.BAR, Kind.ENDING) and (not out or out[-1] != "|"):
            out.append("|")
    return "".join(out)


def discriminator_auc(
    real: Sequence[Tune], generated: Sequence[Tune], *, folds: int = 5, seed: int = 0
) -> float:
    """Cross-validated ROC AUC of real vs generated on :func:`normalised_body` texts.

    Character 1-5-grams, TF-IDF, logistic regression; stratified ``folds``-fold CV.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    texts = [normalised_body(t) for t in [*real, *generated]]
    labels = np.array([0] * len(real) + [1] * len(generated))
    pipeline = make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 5), sublinear_tf=True, min_df=2),
        LogisticRegression(C=4.0, max_iter=2000),
    )
    split = StratifiedKFold(folds, shuffle=True, random_state=seed)
    scores = cross_val_predict(pipeline, texts, labels, cv=split, method="predict_proba")[:, 1]
    return float(roc_auc_score(labels, scores))
