"""Constrained decoding: the model may only write complete tunes in AABB form.

:class:`TuneGrammar` is a :class:`castlab.core.sampling.Constraint`. At every step it
allows only the tokens that keep every bar exactly as long as ``M:`` and ``L:`` demand, and
it walks the tune through its form: ``|:`` part A (a pickup if asked for or if the prompt
starts with one, eight bars, optional first and second endings) ``:|``, then part B the
same way (no pickup: abc2midi accepts one only at the start of a tune), ending on a final
bar line.
Header fields the user fixed (type, meter, unit, key) are forced; the others are sampled
from the model among the values it saw in training.

Within a bar the grammar keeps to plain melody: notes, rests, lengths on a grid of quarter
units, broken rhythm, triplets ``(3``, ties, ``~`` and ``.`` decorations; no chords,
grace notes or inline fields. A triplet's notes may be halved or doubled (``(3a/g/f/`` in
the last eighth of a jig's bar, ``(3a2g2f2``) and decorated (``(3.a.g.f``), as in the
corpus, so long as the triplet ends on the grid inside the bar. A tune headed ``N:plain``
(the dotting control code) keeps
under :data:`castlab.tunes.style.DOTTED_PER_BAR` dotted pairs per bar, one headed
``N:dotted`` reaches it (the model ignored ``N:dotted`` in 9/8, which only 3 of its training
slip jigs carry).

Examples
--------
>>> from castlab.tunes.abc import abc_tokenizer
>>> tok = abc_tokenizer(["R:jig\\nM:6/8\\nL:1/8\\nK:D\\n|:dfa afd|[1d3 d2:|[2d3 d3||\\n"])
>>> grammar = TuneGrammar(tok, rhythm="jig", meter="6/8", key="D")
>>> [tok.token(i) for i in grammar.allowed()]
['R:jig\\n']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from castlab.core.errors import CastlabError
from castlab.core.tokenizers import Tokenizer
from castlab.tunes.abc import abc_tokens, meter_fraction, parse_fraction
from castlab.tunes.bars import BarCounter, Kind, length_value, token_kind, tuplet_shape
from castlab.tunes.style import DOTTED_PER_BAR

__all__ = ["FormConfig", "TuneGrammar", "decoder_notation"]

_GRID = Fraction(1, 4)  # finest note length the grammar allows, in units of L
# lengths a triplet's notes may take (the corpus writes (3a/g/f/, (3agf and (3a2g2f2)
_TUPLET_LENGTHS = (Fraction(1, 2), Fraction(1), Fraction(2))
_HEADER_ORDER = ("R", "M", "N", "L", "K")  # N: the dotting control code (dotted / plain)
_BODY_DECORATIONS = {"~", "."}
_QUOTED = re.compile(r'"[^"\n]*"')  # chord symbols and annotations


@dataclass(frozen=True)
class FormConfig:
    """The shape of a generated tune."""

    parts: int = 2  # A and B
    bars_per_part: int = 8
    # allow an anacrusis at the start of the tune (its last bar of part A is then shortened).
    # Off by default: abc2midi reports that shortened bar as the wrong length in some tunes
    # (12 of 100 in docs/results/tunes.md), so full bars are the safe default.
    pickup: bool = False
    endings: bool = True  # allow first and second endings on a part's last bar


class TuneGrammar:
    """Allowed next tokens for a complete, bar-correct tune (see the module docstring)."""

    def __init__(
        self,
        tokenizer: Tokenizer,
        *,
        rhythm: str | None = None,
        meter: str | None = None,
        unit: str | None = None,
        key: str | None = None,
        dotting: str | None = None,
        prompt: Sequence[str] = (),
        form: FormConfig = FormConfig(),
        constrain_body: bool = True,
    ) -> None:
        self.tokenizer = tokenizer
        self.form = form
        self.constrain_body = constrain_body
        self.fixed = {"R": rhythm, "M": meter, "N": dotting, "L": unit, "K": key}
        vocab = [tokenizer.token(i) for i in range(tokenizer.vocab_size)]
        self._ids = {token: i for i, token in enumerate(vocab)}
        self._header: dict[str, list[tuple[int, str]]] = {name: [] for name in _HEADER_ORDER}
        self._by_kind: dict[Kind, list[tuple[int, str]]] = {}
        for i, token in enumerate(vocab):
            if len(token) > 2 and token[1] == ":" and token.endswith("\n") and token[0] in "RMNLK":
                self._header[token[0]].append((i, token))
            else:
                self._by_kind.setdefault(token_kind(token), []).append((i, token))
        self._check_header_values()
        self._prompt = list(prompt)
        self.reset()

    # ------------------------------------------------------------------ set-up
    def _check_header_values(self) -> None:
        names = {"R": "tune type", "M": "meter", "N": "dotting", "L": "unit length", "K": "key"}
        for field, value in self.fixed.items():
            if value is None:
                continue
            token = f"{field}:{value}\n"
            if token not in self._ids:
                known = sorted(t[2:-1] for _, t in self._header[field])
                flag = {"R": "--type", "M": "--meter", "N": "--dotting", "L": "--unit"}
                raise CastlabError(
                    f"{names[field]} {value!r} never appears in the model's training tunes",
                    fix=f"choose one of: {', '.join(known[:30])}"
                    if known
                    else f"leave out {flag.get(field, '--key')}: the model's training tunes "
                    f"have no {field}: line",
                )

    def reset(self) -> None:
        """Start again from an empty tune."""
        self.tokens: list[str] = []
        self.header: dict[str, str] = {}
        self.locked = 0  # tokens that backtracking must keep (header and prompt)
        self.finished = False
        self._start_body_state()

    def _start_body_state(self) -> None:
        self.counter = BarCounter(None)
        self.part = 0
        self.part_started = False
        self.full_bars = 0
        self.pickup = Fraction(0)
        self.ending = 0  # 0: none, 1: inside [1, 2: inside [2
        self.bar_start = 0  # index in self.tokens where the current bar began
        self.last = ""
        self._part_start_index = 0
        self.tuplet_note = False  # was the last note inside a triplet?
        self.dotted = 0  # broken-rhythm signs (> <) written so far

    def next_header_field(self) -> str:
        """The header field (``R``, ``M``, ``N``, ``L``, ``K``) to write next; "" in the body."""
        return self._next_header_field()

    def _next_header_field(self) -> str:
        for name in _HEADER_ORDER:
            if name not in self.header:
                if name in "RN" and self.fixed[name] is None and not self._header[name]:
                    continue  # a model that never saw R: (or N:) writes none
                return name
        return ""

    # ------------------------------------------------------------ the protocol
    def allowed(self) -> list[int] | None:
        """Ids allowed next; ``None`` means any (unconstrained body)."""
        if self.finished:
            return []
        field = self._next_header_field()
        if field:
            return self._header_choices(field)
        body_index = len(self.tokens) - len(self.header)
        if body_index < len(self._prompt):
            token = self._prompt[body_index]
            if token not in self._ids:
                raise CastlabError(
                    f"prompt token {token!r} is not in the model's vocabulary",
                    fix="write the prompt in ABC the model knows, e.g. '|:G'",
                )
            options = self._body_choices() if self.constrain_body else None
            if options is not None and self._ids[token] not in options:
                bar = token_kind(token) in (Kind.BAR, Kind.ENDING)
                raise CastlabError(
                    f"prompt token {token!r} (number {body_index + 1}) breaks the tune form",
                    fix="start with |: and make every bar as long as the meter asks"
                    if bar
                    else "write the prompt as castlab's tunes are written: notes and rests with "
                    "lengths, broken rhythm (>, <) and triplets ((3) in bars of the meter; no "
                    "chords, grace notes or inline fields",
                )
            return [self._ids[token]]
        return self._body_choices() if self.constrain_body else None

    def advance(self, token_id: int) -> None:
        token = self.tokenizer.token(token_id)
        self.tokens.append(token)
        field = self._next_header_field()
        if field:
            self.header[field] = token[2:-1]
            if field == "K":
                self._begin_body()
            self.locked = len(self.tokens)
            return
        if len(self.tokens) - len(self.header) <= len(self._prompt):
            self.locked = len(self.tokens)
        if self.constrain_body:
            self._advance_body(token)

    def backtrack(self) -> int:
        """Drop the current bar (or, at its start, the previous one) and replay the rest."""
        cut = self.bar_start if self.bar_start < len(self.tokens) else self._previous_bar_start()
        cut = max(cut, self.locked)
        dropped = len(self.tokens) - cut
        kept = self.tokens[:cut]
        self.reset()
        for token in kept:
            self.advance(self._ids[token])
        self.locked = min(self.locked, cut) if dropped else self.locked
        return dropped

    # --------------------------------------------------------------- internals
    def _previous_bar_start(self) -> int:
        for i in range(len(self.tokens) - 2, -1, -1):
            if token_kind(self.tokens[i]) is Kind.BAR:
                return i + 1
        return self.locked

    def _header_choices(self, field: str) -> list[int]:
        value = self.fixed[field]
        if value is not None:
            return [self._ids[f"{field}:{value}\n"]]
        choices = self._header[field]
        if field == "L":
            meter = meter_fraction(self.header.get("M", "4/4")) or Fraction(1)
            choices = [
                (i, t)
                for i, t in choices
                if (units := meter / parse_fraction(t[2:-1])).denominator == 1 and 2 <= units <= 16
            ]
        if field == "M":
            choices = [(i, t) for i, t in choices if t[2:-1] not in {"none"}]
        if not choices:
            raise CastlabError(
                f"the model knows no {field}: values", fix="retrain on tunes with them"
            )
        return [i for i, _ in choices]

    def _begin_body(self) -> None:
        meter = meter_fraction(self.header["M"]) or Fraction(1)
        unit = parse_fraction(self.header["L"])
        self.bar_units = meter / unit
        numerator = int(self.header["M"].split("/")[0].split("+")[0])
        self.compound = numerator % 3 == 0 and numerator > 3
        self.counter = BarCounter(self.bar_units, compound=self.compound, unit=unit)
        self.bar_start = len(self.tokens)

    def _in_prompt(self) -> bool:
        """Is the next body token one of the prompt's?"""
        return len(self.tokens) - len(self.header) < len(self._prompt)

    def _target(self) -> Fraction:
        last_bar = self.full_bars == self.form.bars_per_part - 1 or self.ending == 2
        return self.bar_units - self.pickup if last_bar else self.bar_units

    def _ids_of(self, kind: Kind, keep=lambda token: True) -> list[int]:  # type: ignore[no-untyped-def]
        return [i for i, token in self._by_kind.get(kind, []) if keep(token)]

    def _body_choices(self) -> list[int]:
        ids = self._ids
        if not self.part_started:
            options = [ids["|:"]] if "|:" in ids else []
            if self.last in {":|", "||", "|]"} and "\n" in ids:
                options.append(ids["\n"])
            return options
        counter, last = self.counter, self.last
        last_kind = token_kind(last) if last else Kind.OTHER
        target = self._target()
        elapsed = counter.elapsed
        options: list[int] = []
        if last == ":|" and self.ending == 1:
            return [ids["[2"]] if "[2" in ids else []
        if last_kind is Kind.DECORATION:  # a decoration must be followed by a note
            if self._note_fits(target):
                options += self._ids_of(Kind.NOTE)
            return options
        if self._tuplet_length_due():  # a triplet's last note must bring it onto the grid
            return self._length_choices(target)
        if self._pair_length_due():  # a pair's second note is as long as its first (abc2midi)
            return self._length_choices(target, only=counter.pair_length)
        if elapsed == target and not counter.pending:
            options += self._closing_bars()
        at_bar_start = counter.events == 0 and elapsed == 0
        if (
            at_bar_start
            and self.full_bars == self.form.bars_per_part - 1
            and self.ending == 0
            and self.form.endings
            and "[1" in ids
            and last != "[1"
        ):
            options.append(ids["[1"])
        # abc2midi (and most readers) accept a pickup only at the very start of a tune; one
        # the prompt writes is followed even when the form asks for none (its part A then
        # ends on a bar shortened by the pickup's length, as the form with a pickup does)
        if (
            (self.form.pickup or self._in_prompt())
            and self.part == 0
            and self.full_bars == 0
            and self.pickup == 0
            and self.ending == 0
            and 0 < elapsed < self.bar_units
            and not counter.pending
            and self.bar_start == self._part_start
            and "|" in ids
        ):
            options.append(ids["|"])
        if self._note_fits(target):
            options += self._ids_of(Kind.NOTE)
            options += self._ids_of(Kind.REST, lambda t: t == "z")
            options += [ids[d] for d in _BODY_DECORATIONS if d in ids]
        if (
            counter.length_open
            and last_kind in (Kind.NOTE, Kind.REST)
            and not counter.second_of_pair
        ):
            options += self._length_choices(target)
        if (
            last_kind in (Kind.NOTE, Kind.REST, Kind.LENGTH)
            and not counter.tuplet_left
            and not self.tuplet_note
            and counter.broken_next is None
            # no chain (c>e>a): ABC pairs two notes, and abc2midi times a chain otherwise
            # ("Notes not equal durations"), so its bars came out a sixteenth off
            and not counter.second_of_pair
        ):
            broken = self._broken_choices(target)
            if broken and self._dotting_due():
                return broken  # an N:dotted tune behind its code: dot here
            options += broken
        if (
            not counter.tuplet_left
            and counter.broken_next is None
            and "(3" in ids
            and last_kind is not Kind.TUPLET
            and self._tuplet_fits(elapsed, *tuplet_shape("(3", counter.compound), target)
        ):
            options.append(ids["(3"])
        if (
            last_kind in (Kind.NOTE, Kind.LENGTH)
            and "-" in ids
            and elapsed < target
            and not counter.tuplet_left
        ):
            options.append(ids["-"])
        if (
            last_kind in (Kind.NOTE, Kind.REST, Kind.LENGTH)
            and " " in ids
            and elapsed <= target
            and not counter.tuplet_left
            and counter.broken_next is None
        ):
            options.append(ids[" "])
        if last_kind is Kind.BAR and last != "|:" and "\n" in ids:
            options.append(ids["\n"])
        return options

    @property
    def _part_start(self) -> int:
        return self._part_start_index

    def _closing_bars(self) -> list[int]:
        ids = self._ids
        last_part = self.part == self.form.parts - 1
        if self.ending == 2:
            token = "|]" if last_part else "||"
        elif self.full_bars < self.form.bars_per_part - 1:
            token = "|"
        else:
            token = ":|"
        return [ids[token]] if token in ids else []

    def _length_choices(self, target: Fraction, *, only: Fraction | None = None) -> list[int]:
        """Length tokens that may follow the last note (``only``: of that value alone)."""
        counter = self.counter
        base = counter.elapsed - counter.last_mult * counter.last_length
        options = []
        for i, token in self._by_kind.get(Kind.LENGTH, []):
            value = length_value(token)
            if only is not None and value != only:
                continue
            new = base + counter.last_mult * counter.last_length * value
            if self.tuplet_note:  # inside a triplet: the rest of it must still fit
                fits = value in _TUPLET_LENGTHS and self._tuplet_fits(
                    new, counter.tuplet_left, counter.tuplet_ratio, target
                )
            else:
                fits = new <= target and (new / _GRID).denominator == 1
            if value != 1 and value <= 8 and fits:
                options.append(i)
        return options

    @staticmethod
    def _tuplet_fits(elapsed: Fraction, notes: int, ratio: Fraction, target: Fraction) -> bool:
        """Can ``notes`` more triplet notes (lengths from ``_TUPLET_LENGTHS``) end on the grid
        within ``target``?

        >>> TuneGrammar._tuplet_fits(Fraction(5), 3, Fraction(2, 3), Fraction(6))  # (3a/g/f/
        True
        >>> TuneGrammar._tuplet_fits(Fraction(11, 2), 3, Fraction(2, 3), Fraction(6))  # too late
        False
        """
        ends = {elapsed}
        for _ in range(notes):
            ends = {end + ratio * value for end in ends for value in _TUPLET_LENGTHS}
        return any(end <= target and (end / _GRID).denominator == 1 for end in ends)

    def _note_fits(self, target: Fraction) -> bool:
        """May a note (or rest) come next? Inside a triplet: if the triplet can still end
        on the grid within the bar; elsewhere: if its shortest length fits."""
        counter = self.counter
        if counter.tuplet_left:
            return self._tuplet_fits(
                counter.elapsed, counter.tuplet_left, counter.tuplet_ratio, target
            )
        return counter.elapsed + counter.next_mult() * _GRID <= target

    def _pair_length_due(self) -> bool:
        """The second note of a broken pair whose first took a length token: it must take the
        same one (abc2midi times only pairs of equal notes: "Notes not equal durations")."""
        counter = self.counter
        return (
            counter.second_of_pair
            and counter.length_open
            and counter.pair_length != 1
            and token_kind(self.last or "") in (Kind.NOTE, Kind.REST)
        )

    def _tuplet_length_due(self) -> bool:
        """The triplet's last note has been written and left it off the grid (``(3a/g/f``)."""
        counter = self.counter
        return (
            self.tuplet_note
            and not counter.tuplet_left
            and counter.length_open
            and (counter.elapsed / _GRID).denominator != 1
        )

    def _broken_choices(self, target: Fraction) -> list[int]:
        counter = self.counter
        # N:plain means fewer than DOTTED_PER_BAR dotted pairs per bar (style.dotting): the
        # grammar holds the tune to its code as it holds bars to their length
        bars = self.form.parts * self.form.bars_per_part
        if self.header.get("N") == "plain" and self.dotted + 1 >= DOTTED_PER_BAR * bars:
            return []
        duration = counter.last_mult * counter.last_length
        options = []
        for token, before, after in (
            (">", Fraction(3, 2), Fraction(1, 2)),
            ("<", Fraction(1, 2), Fraction(3, 2)),
        ):
            new = counter.elapsed + duration * (before - 1)
            end = new + duration * after  # the second note is as long as the first
            if token in self._ids and end <= target and (new / _GRID).denominator == 1:
                options.append(self._ids[token])
        return options

    def _dotting_due(self) -> bool:
        """An ``N:dotted`` tune is behind :data:`DOTTED_PER_BAR` pairs per bar.

        Counted over the bars closed so far plus the current one once it is half over, so the
        model gets the first half of each bar to dot where it likes; the grammar then makes
        the next dot it can fit a broken rhythm (the model picks ``>`` or ``<``).
        """
        if self.header.get("N") != "dotted":
            return False
        bars = len(self.counter.bars) + (2 * self.counter.elapsed >= self.bar_units)
        return self.dotted < DOTTED_PER_BAR * bars

    def _advance_body(self, token: str) -> None:
        kind = token_kind(token)
        if token == "|:" and not self.part_started:
            self.part_started = True
            self._part_start_index = len(self.tokens)
            self.bar_start = len(self.tokens)
            self.last = token
            return
        if kind is Kind.NOTE or kind is Kind.REST:
            self.tuplet_note = bool(self.counter.tuplet_left)
        self.dotted += kind is Kind.BROKEN
        if kind is Kind.BAR:
            self._close_bar(token)
        elif token == "[1":
            self.ending = 1
        elif token == "[2":
            self.ending = 2
            self.bar_start = len(self.tokens)
        elif kind is not Kind.NEWLINE or self.part_started:
            self.counter.feed(token)
        self.last = token

    def _close_bar(self, token: str) -> None:
        elapsed = self.counter.elapsed
        self.counter.close_bar(token)
        self.bar_start = len(self.tokens)
        if (
            elapsed < self.bar_units
            and self.full_bars == 0
            and self.pickup == 0
            and self.ending == 0
            and token == "|"
        ):
            self.pickup = elapsed
            return
        if self.ending == 1 and token == ":|":
            return  # the second ending replaces this bar
        self.full_bars += 1
        if token in {":|", "||", "|]"}:
            self.part += 1
            self.part_started = False
            self.full_bars = 0
            self.pickup = Fraction(0)
            self.ending = 0
            if self.part >= self.form.parts:
                self.finished = True


_ENDING_BARS = {"|1": "|[1", "|2": "|[2", ":|1": ":|[1", ":|2": ":|[2"}


def decoder_notation(body: str) -> str:
    """A body rewritten in the notation the grammar writes, the music unchanged.

    Slurs, decorations other than ``~`` and ``.``, grace notes and chord symbols go; a chord
    keeps its first note (and its length); ``|1`` and ``:|2`` become ``|[1`` and ``:|[2``;
    spaces stay only after notes and lengths, line breaks only after bar lines. Training on
    this notation keeps the model from reading the decoder's notation as a sign of a
    particular book (measured in docs/results/tunes.md).

    Examples
    --------
    >>> decoder_notation('|: "G"(3ABc !trill!d2 {e}[dB]2 | (AB) ~c2 |1 d4 :|2 d3 z |]')
    '|:(3ABc d2 d2 |AB ~c2 |[1d4 :|[2d3 z |]'
    """
    out: list[str] = []
    in_grace = in_chord = False
    chord = "first"  # inside a chord: waiting for its first note, its length, or skipping
    for token in abc_tokens(_QUOTED.sub("", body)):
        kind = token_kind(token)
        if kind is Kind.GRACE_OPEN or kind is Kind.GRACE_CLOSE:
            in_grace = kind is Kind.GRACE_OPEN
            continue
        if in_grace:
            continue
        if kind is Kind.CHORD_OPEN:
            in_chord, chord = True, "first"
            continue
        if kind is Kind.CHORD_CLOSE:
            in_chord = False
            continue
        if in_chord:  # keep the first note and its own length: [d2f2] -> d2
            if kind is Kind.NOTE and chord == "first":
                out.append(token)
                chord = "length"
            elif kind is Kind.LENGTH and chord == "length":
                out.append(token)
            else:
                chord = "rest" if chord != "first" else chord
            continue
        last = token_kind(out[-1]) if out else Kind.OTHER
        if kind in (Kind.SLUR, Kind.OTHER) or (
            kind is Kind.DECORATION and token not in _BODY_DECORATIONS
        ):
            continue
        if kind is Kind.SPACE and last not in (Kind.NOTE, Kind.REST, Kind.LENGTH):
            continue
        if kind is Kind.NEWLINE and (last is not Kind.BAR or out[-1] == "|:"):
            continue
        out.append(_ENDING_BARS.get(token, token))
    return "".join(out)
