"""ABC notation: tunes, header normalisation and the ABC-aware tokenizer.

A tune's *model text* is its normalised header (``R:``, ``M:``, ``L:``, ``K:`` lines) followed
by its normalised body; the tokenizer splits it so that note modifiers (``^ = _``), octave
marks and lengths, bar lines and repeats (``|:`` ``:|`` ``::`` ``|]`` ``[1``), broken rhythm,
tuplets, grace notes, chords and decorations are tokens of their own, and
``"".join(tokenize(text)) == text`` for every text.

Examples
--------
>>> tune = Tune(title="Test", rhythm="jig", meter="6/8", unit="1/8", key="D", body="|:dfa afd:|")
>>> print(tune.model_text)
R:jig
M:6/8
L:1/8
K:D
|:dfa afd:|
>>> abc_tokens("|:^f2>g (3ABc [1d3:|")
['|:', '^f', '2', '>', 'g', ' ', '(3', 'A', 'B', 'c', ' ', '[1', 'd', '3', ':|']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from fractions import Fraction

from castlab.core.errors import CastlabError
from castlab.core.tokenizers import RegexTokenizer

__all__ = [
    "ABC_TOKEN_PATTERN",
    "Tune",
    "abc_tokenizer",
    "abc_tokens",
    "default_unit",
    "meter_fraction",
    "normalise_body",
    "normalise_key",
    "normalise_meter",
    "normalise_rhythm",
    "parse_fraction",
]

#: Alternatives tried left to right; anything else becomes a one-character token.
ABC_TOKEN_PATTERN = "|".join(
    [
        r"(?m:^[A-Za-z]:[^\n]*\n)",  # a header line, newline included
        r"\[[A-Za-z]:[^\]\n]*\]",  # inline field [K:G]
        r"![^!\n]*!",  # decoration !trill!
        r"\+[^+\n]*\+",  # old-style decoration +trill+
        r":\|\]|:\|[12]|\|[12]|\|\]|\|\||\[\||::|:\||\|:|\|",  # bar lines
        r"\[[12](?:[,-][12])*",  # first / second ending
        r"\(\d(?::\d?){0,2}",  # tuplet (3 or (3:2:3
        r"(?:\^\^|\^|__|_|=)?[A-Ga-g][,']*",  # note with accidental and octave marks
        r"[zxZX]",  # rests
        r"\d*/+\d*|\d+",  # note length: 2, /2, 3/2, /, //
        r">+|<+",  # broken rhythm
        r"\{/?",  # grace notes (acciaccatura with /)
        r" ",
    ]
)

_RULE = RegexTokenizer([], ABC_TOKEN_PATTERN)


def abc_tokens(text: str) -> list[str]:
    """Split ABC text into tokens (the rule, without a vocabulary)."""
    return _RULE.tokenize(text)


def abc_tokenizer(texts: list[str], *, min_count: int = 1) -> RegexTokenizer:
    """Learn the ABC token vocabulary of ``texts`` (model texts of tunes)."""
    return RegexTokenizer.train(texts, pattern=ABC_TOKEN_PATTERN, min_count=min_count)


def parse_fraction(text: str, *, default: Fraction | None = None) -> Fraction:
    """``"3/4" -> Fraction(3, 4)``, ``"2" -> 2``; raises ValueError on anything else."""
    text = text.strip()
    if not text and default is not None:
        return default
    if "/" in text:
        num, den = text.split("/", 1)
        return Fraction(int(num), int(den))
    return Fraction(int(text))


def normalise_meter(text: str) -> str:
    """``"C" -> "4/4"``, ``"C|" -> "2/2"``, ``" 6/8 " -> "6/8"``; ``"none"`` stays free meter."""
    text = text.strip().replace(" ", "")
    if text == "C":
        return "4/4"
    if text == "C|":
        return "2/2"
    if text.lower() in {"", "none"}:
        return "none"
    fraction = text.split("(")[0]
    try:
        parse_fraction(fraction)
    except (ValueError, ZeroDivisionError):  # int()'s own words mean nothing to a user
        raise ValueError(f"not a meter: {text!r} (a meter reads like 6/8, C or C|)") from None
    if "/" not in fraction:
        raise ValueError(f"not a meter: {text}")
    return fraction


def meter_fraction(meter: str) -> Fraction | None:
    """The length of a bar in whole notes (``"6/8" -> 3/4``); ``None`` for free meter."""
    if meter == "none":
        return None
    num, den = meter.split("/")
    return Fraction(sum(int(n) for n in num.split("+")), int(den))


def default_unit(meter: str) -> str:
    """The ABC default unit length: 1/16 below 3/4 time, else 1/8."""
    bar = meter_fraction(meter)
    return "1/16" if bar is not None and bar < Fraction(3, 4) else "1/8"


_MODES = {
    "": "",
    "maj": "",
    "major": "",
    "ion": "",
    "ionian": "",
    "m": "m",
    "min": "m",
    "minor": "m",
    "aeo": "m",
    "aeolian": "m",
    "mix": "mix",
    "mixolydian": "mix",
    "dor": "dor",
    "dorian": "dor",
    "phr": "phr",
    "phrygian": "phr",
    "lyd": "lyd",
    "lydian": "lyd",
    "loc": "loc",
    "locrian": "loc",
}
_KEY = re.compile(r"^([A-Ga-g])([#b]?)\s*([A-Za-z]*)")


def normalise_key(text: str, *, strict: bool = False) -> str:
    """``"D Mixolydian" -> "Dmix"``, ``"Gmaj" -> "G"``, ``"ador" -> "Ador"``; ``"none"`` kept.

    Raises ValueError for text that is not a key. A corpus's ``K:`` field may carry more
    than a key (``K:D clef=treble``): an unknown word there reads as major. ``strict`` (a
    key a user typed) refuses it instead: ``Emn`` meant E minor, not E major.

    Examples
    --------
    >>> normalise_key("D Mixolydian"), normalise_key("Emn"), normalise_key("F#m", strict=True)
    ('Dmix', 'E', 'F#m')
    >>> normalise_key("Emn", strict=True)
    Traceback (most recent call last):
    ValueError: not a key: Emn (modes: m, maj, mix, dor, phr, lyd, loc, or their names)
    """
    text = text.strip()
    if text.lower() in {"none", "hp", "hp "}:
        return text.lower() if text.lower() == "none" else "HP"
    match = _KEY.match(text)
    if not match:
        raise ValueError(f"not a key: {text}")
    tonic, accidental, mode = match.groups()
    mode = mode.lower()
    known = mode if mode in _MODES else mode[:3] if mode[:3] in _MODES else None
    if strict and (known is None or text[match.end() :].strip()):
        raise ValueError(
            f"not a key: {text} (modes: m, maj, mix, dor, phr, lyd, loc, or their names)"
        )
    return tonic.upper() + accidental + _MODES[known or ""]


_RHYTHMS = {
    "double jig": "jig",
    "slipjig": "slip jig",
    "single jig": "slide",
    "hornpipes": "hornpipe",
    "reels": "reel",
    "jigs": "jig",
    "set dance": "set dance",
}


def normalise_rhythm(text: str) -> str:
    """Lower-case tune type with common spellings merged (``"Double Jig" -> "jig"``)."""
    text = " ".join(text.lower().replace("-", " ").split()).strip(" .,;")
    return _RHYTHMS.get(text, text)


_BODY_FIELD = re.compile(r"^([A-Za-z]):(.*)$")
_QUOTED = re.compile(r'"[^"\n]*"')
_SPACES = re.compile(r"[ \t]+")


def normalise_body(lines: list[str]) -> str:
    """Clean body lines: drop comments, lyrics and annotations, keep the melody.

    Body fields that change the music (``K:``, ``M:``, ``L:``) become inline fields; quoted
    chord symbols and annotations are dropped; runs of spaces become one space.
    """
    out: list[str] = []
    for raw in lines:
        line = raw.split("%", 1)[0].rstrip()
        field = _BODY_FIELD.match(line)
        if field:
            name, value = field.groups()
            if name in "KML":
                out.append(f"[{name}:{value.strip()}]")
            continue
        line = _QUOTED.sub("", line)
        line = _SPACES.sub(" ", line).strip()
        if line.endswith("\\"):
            line = line[:-1].rstrip()
        if line:
            out.append(line)
    return "\n".join(out)


@dataclass(frozen=True)
class Tune:
    """One tune, normalised. ``meter`` and ``unit`` are fractions as text (``"6/8"``)."""

    title: str
    rhythm: str  # tune type, e.g. "reel", "jig"; "" when unknown
    meter: str
    unit: str
    key: str
    body: str
    number: int = 0  # X: in the source
    source: str = ""  # "file:line" where the tune starts
    # "dotted" or "plain": whether the dotting is written out (castlab.tunes.style.dotting),
    # a control code written as an N: line after M:; "" when not given
    dotting: str = ""

    @property
    def header_text(self) -> str:
        rhythm = f"R:{self.rhythm}\n" if self.rhythm else ""
        dotting = f"N:{self.dotting}\n" if self.dotting else ""
        return f"{rhythm}M:{self.meter}\n{dotting}L:{self.unit}\nK:{self.key}\n"

    @property
    def model_text(self) -> str:
        """What the language model reads and writes: header lines, then the body."""
        return self.header_text + self.body

    def to_abc(self, number: int | None = None) -> str:
        """A complete ABC tune with ``X:`` and ``T:`` lines."""
        x = (self.number or 1) if number is None else number
        return f"X:{x}\nT:{self.title}\n{self.model_text}\n"

    def with_body(self, body: str) -> Tune:
        return replace(self, body=body)

    @property
    def bar_units(self) -> Fraction | None:
        """How many units of ``L`` fill one bar (``None`` for free meter)."""
        bar = meter_fraction(self.meter)
        return None if bar is None else bar / parse_fraction(self.unit)

    @classmethod
    def from_model_text(cls, text: str, *, title: str = "Untitled", number: int = 1) -> Tune:
        """Rebuild a tune from model text (header lines, then body)."""
        fields: dict[str, str] = {}
        lines = text.split("\n")
        i = 0
        while i < len(lines) and re.match(r"^[A-Za-z]:", lines[i]):
            fields[lines[i][0]] = lines[i][2:].strip()
            i += 1
        if "K" not in fields or "M" not in fields:
            raise CastlabError("model text has no K: or M: line", fix="start with a header")
        meter = normalise_meter(fields["M"])
        return cls(
            title=title,
            rhythm=fields.get("R", ""),
            meter=meter,
            unit=fields.get("L", default_unit(meter)),
            key=fields["K"],
            body="\n".join(lines[i:]).strip("\n"),
            number=number,
            dotting=fields.get("N", ""),
        )
