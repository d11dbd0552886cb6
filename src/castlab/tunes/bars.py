"""Bar durations: how long each bar of an ABC body lasts, token by token.

:class:`BarCounter` follows ABC's timing rules (note lengths, broken rhythm ``>``/``<``,
tuplets ``(3``, chords ``[CEG]``, grace notes ``{g}`` with no time, inline ``[M:]``/``[L:]``)
and records every bar. The constrained decoder uses it to look one token ahead; the
evaluator uses it to count bars of the wrong length.

Durations are :class:`fractions.Fraction` in units of the tune's ``L:``.

Examples
--------
>>> from castlab.tunes.abc import abc_tokens
>>> bars = measure_bars(abc_tokens("|:A|dfa a2b|d3 d2:|"), bar_units=Fraction(6))
>>> [str(bar.duration) for bar in bars]
['1', '6', '5']
>>> right_length_share(bars)
1.0
"""

from __future__ import annotations

import copy
import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from castlab.tunes.abc import parse_fraction

__all__ = [
    "SECTION_END",
    "Bar",
    "BarCounter",
    "Kind",
    "length_value",
    "measure_bars",
    "right_length_share",
    "token_kind",
    "tuplet_shape",
]


class Kind(enum.Enum):
    NOTE = "note"
    REST = "rest"
    LENGTH = "length"
    BROKEN = "broken"
    TUPLET = "tuplet"
    CHORD_OPEN = "chord_open"
    CHORD_CLOSE = "chord_close"
    GRACE_OPEN = "grace_open"
    GRACE_CLOSE = "grace_close"
    BAR = "bar"
    ENDING = "ending"
    FIELD = "field"  # inline [K:G] or a header line
    SPACE = "space"
    NEWLINE = "newline"
    TIE = "tie"
    DECORATION = "decoration"
    SLUR = "slur"
    OTHER = "other"


#: Bar tokens that close a section (a repeat, a double bar or the end).
SECTION_END = frozenset({":|", "::", "||", "|]", ":|]", ":|1", ":|2"})
_BARS = frozenset({"|", "||", "|]", "[|", "::", ":|", "|:", ":|]", ":|1", ":|2", "|1", "|2"})
_NOTE = re.compile(r"^(?:\^\^|\^|__|_|=)?[A-Ga-g][,']*$")
# ~ . and the letters ABC 2.1 reserves for (user-definable) decorations; y is a spacer
_DECORATIONS = frozenset("~.y" + "HIJKLMNOPQRSTUVW" + "hijklmnopqrstuvw")


@lru_cache(maxsize=4096)
def token_kind(token: str) -> Kind:
    """What an ABC token does to time (see :data:`castlab.tunes.abc.ABC_TOKEN_PATTERN`)."""
    if token in _BARS:
        return Kind.BAR
    if _NOTE.match(token):
        return Kind.NOTE
    first = token[0] if token else ""
    if token in {"z", "x", "Z", "X"}:
        return Kind.REST
    if token.startswith("[") and len(token) > 1:
        return Kind.FIELD if ":" in token else Kind.ENDING
    if first.isdigit() or first == "/":
        return Kind.LENGTH
    if first in "<>":  # broken rhythm is only < or > (the tokenizer's <pad>, <eos>: other)
        return Kind.BROKEN if set(token) <= {"<", ">"} else Kind.OTHER
    if first == "(":
        return Kind.TUPLET if len(token) > 1 else Kind.SLUR
    if token.endswith("\n") and len(token) > 2 and token[1] == ":":
        return Kind.FIELD
    simple = {
        "[": Kind.CHORD_OPEN,
        "]": Kind.CHORD_CLOSE,
        "{": Kind.GRACE_OPEN,
        "{/": Kind.GRACE_OPEN,
        "}": Kind.GRACE_CLOSE,
        " ": Kind.SPACE,
        "\n": Kind.NEWLINE,
        "-": Kind.TIE,
        ")": Kind.SLUR,
    }
    if token in simple:
        return simple[token]
    if token in _DECORATIONS or first in "!+" and len(token) > 1:
        return Kind.DECORATION
    return Kind.OTHER


def length_value(token: str) -> Fraction:
    """``"2" -> 2``, ``"/2" -> 1/2``, ``"/" -> 1/2``, ``"//" -> 1/4``, ``"3/" -> 3/2``."""
    if "/" not in token:
        return Fraction(int(token))
    num, _, rest = token.partition("/")
    slashes = 1 + len(rest) - len(rest.lstrip("/"))
    rest = rest.lstrip("/")
    numerator = int(num) if num else 1
    denominator = int(rest) if rest else 2**slashes
    return Fraction(numerator, denominator)


def tuplet_shape(token: str, compound: bool) -> tuple[int, Fraction]:
    """How many notes a tuplet token takes and the factor their lengths get.

    ``(p:q:r``: p notes in the time of q, for the next r notes.

    >>> tuplet_shape("(3", compound=True)
    (3, Fraction(2, 3))
    """
    parts = token[1:].split(":")
    p = int(parts[0])
    q_default = {2: 3, 3: 2, 4: 3, 6: 2, 8: 3}.get(p, 3 if compound else 2)
    q = int(parts[1]) if len(parts) > 1 and parts[1] else q_default
    r = int(parts[2]) if len(parts) > 2 and parts[2] else p
    return r, Fraction(q, p)


@dataclass(frozen=True)
class Bar:
    """One measured bar: its duration, the duration the meter asks for, its closing token."""

    duration: Fraction
    required: Fraction | None  # None in free meter
    closing: str  # the bar token that ended it ("" when the body just stopped)
    events: int  # notes, rests and chords in it

    @property
    def full(self) -> bool:
        return self.required is not None and self.duration == self.required


class BarCounter:
    """Incremental bar-duration bookkeeping over ABC tokens.

    ``elapsed`` is the time so far in the current bar; ``bars`` the closed bars.
    """

    def __init__(
        self, bar_units: Fraction | None, *, compound: bool = False, unit: Fraction = Fraction(1, 8)
    ) -> None:
        self.bar_units = bar_units
        self.compound = compound
        self.unit = unit
        self.elapsed = Fraction(0)
        self.events = 0
        self.bars: list[Bar] = []
        self.last_mult = Fraction(1)  # tuplet x broken-rhythm factor of the last event
        self.last_length = Fraction(1)  # length of the last event
        self.length_open = False  # may the next token be a length for the last event?
        self.broken_next: Fraction | None = None
        self.second_of_pair = False  # the last event took a broken rhythm's second half
        self.pair_length = Fraction(1)  # the written length of a broken pair's first note
        self.tuplet_left = 0
        self.tuplet_ratio = Fraction(1)
        self.in_chord = False
        self.chord_notes = 0
        self.chord_length = Fraction(1)
        self.in_grace = False

    def copy(self) -> BarCounter:
        clone = copy.copy(self)
        clone.bars = list(self.bars)
        return clone

    @property
    def pending(self) -> bool:
        """True inside a tuplet, chord or grace group, or after ``>`` awaiting its note."""
        return bool(self.tuplet_left or self.in_chord or self.in_grace or self.broken_next)

    def next_mult(self) -> Fraction:
        """The factor the next note or rest will get (tuplet and broken rhythm)."""
        mult = self.tuplet_ratio if self.tuplet_left else Fraction(1)
        return mult * (self.broken_next or 1)

    def _event(self, length: Fraction) -> None:
        mult = self.next_mult()
        if self.tuplet_left:
            self.tuplet_left -= 1
        self.second_of_pair = self.broken_next is not None
        self.broken_next = None
        self.last_mult, self.last_length = mult, length
        self.elapsed += mult * length
        self.length_open = True
        self.events += 1

    def feed(self, token: str) -> None:
        """Account for one token."""
        kind = token_kind(token)
        if self.in_grace and kind not in (Kind.GRACE_CLOSE, Kind.BAR):
            return
        if kind is Kind.NOTE or kind is Kind.REST:
            if self.in_chord:
                self.chord_notes += 1
                return
            whole_bars = token in {"Z", "X"} and self.bar_units is not None
            self._event(self.bar_units if whole_bars else Fraction(1))  # type: ignore[arg-type]
        elif kind is Kind.LENGTH:
            value = length_value(token)
            if self.in_chord:
                if self.chord_notes == 1:
                    self.chord_length = value
                return
            if self.length_open:
                self.elapsed += self.last_mult * self.last_length * (value - 1)
                self.last_length *= value
            self.length_open = False
        elif kind is Kind.BROKEN:
            short = Fraction(1, 2 ** len(token))
            before, after = (2 - short, short) if token[0] == ">" else (short, 2 - short)
            self.elapsed += self.last_mult * self.last_length * (before - 1)
            self.broken_next = after
            self.pair_length = self.last_length
            self.length_open = False
        elif kind is Kind.TUPLET:
            self.tuplet_left, self.tuplet_ratio = tuplet_shape(token, self.compound)
        elif kind is Kind.CHORD_OPEN:
            self.in_chord, self.chord_notes, self.chord_length = True, 0, Fraction(1)
        elif kind is Kind.CHORD_CLOSE and self.in_chord:
            self.in_chord = False
            self._event(self.chord_length)
        elif kind is Kind.GRACE_OPEN:
            self.in_grace = True
        elif kind is Kind.GRACE_CLOSE:
            self.in_grace = False
        elif kind is Kind.BAR:
            self.close_bar(token)
        elif kind is Kind.FIELD:
            self._field(token)
        else:
            self.length_open = False if kind is not Kind.TIE else self.length_open

    def _field(self, token: str) -> None:
        from castlab.tunes.abc import meter_fraction, normalise_meter

        name, value = token.strip("[]\n")[0], token.strip("[]\n")[2:]
        try:
            if name == "M":
                bar = meter_fraction(normalise_meter(value))
                self.bar_units = None if bar is None else bar / self.unit
            elif name == "L":
                new_unit = parse_fraction(value)
                if self.bar_units is not None:
                    self.bar_units = self.bar_units * self.unit / new_unit
                self.unit = new_unit
        except (ValueError, ZeroDivisionError):
            pass

    def close_bar(self, token: str) -> None:
        """Record the current bar as ended by ``token`` and start a new one."""
        self.bars.append(Bar(self.elapsed, self.bar_units, token, self.events))
        self.elapsed = Fraction(0)
        self.events = 0
        self.length_open = False
        self.broken_next = None
        self.second_of_pair = False
        self.tuplet_left = 0
        self.in_chord = False


def measure_bars(
    tokens: Iterable[str],
    *,
    bar_units: Fraction | None,
    compound: bool = False,
    unit: Fraction = Fraction(1, 8),
) -> list[Bar]:
    """Bars with at least one note or rest, in order (an unterminated last bar included)."""
    counter = BarCounter(bar_units, compound=compound, unit=unit)
    for token in tokens:
        counter.feed(token)
    if counter.events:
        counter.close_bar("")
    return [bar for bar in counter.bars if bar.events]


def right_length_share(bars: list[Bar]) -> float:
    """Share of bars whose length is right for the meter.

    A short bar is right when it is a pickup (the first bar, or the first after a section
    end) or the bar that closes a section (it completes the pickup); everything else must be
    exactly one bar long. Free-meter bars do not count. Returns 1.0 when nothing counts.
    """
    judged = right = 0
    for i, bar in enumerate(bars):
        if bar.required is None:
            continue
        judged += 1
        if bar.duration == bar.required:
            right += 1
        elif bar.duration < bar.required:
            after_section = i == 0 or bars[i - 1].closing in SECTION_END | {"|:", "[|"}
            closes_section = bar.closing in SECTION_END or bar.closing in {"|:", ""}
            right += after_section or closes_section
    return right / judged if judged else 1.0
