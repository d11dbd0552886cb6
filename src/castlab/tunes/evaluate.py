"""How good are generated tunes? Parse rate, bar lengths, AABB form and novelty.

Examples
--------
>>> from castlab.tunes.abc import Tune, abc_tokenizer
>>> tune = Tune("t", "jig", "6/8", "1/8", "D", "|:" + "dfa afd|" * 7 + "d3 d3:|\\n|:" + "fga gfe|" * 7 + "e3 e3:|")
>>> tok = abc_tokenizer([tune.model_text])
>>> has_aabb_form(tune, tok)
True
>>> index = BarIndex([tune])
>>> index.longest_copied_run(tune)
16
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from castlab.core.tokenizers import Tokenizer
from castlab.tunes.abc import Tune, abc_tokens
from castlab.tunes.bars import Kind, measure_bars, right_length_share, token_kind
from castlab.tunes.decoder import FormConfig, TuneGrammar

__all__ = ["BarIndex", "TuneScore", "has_aabb_form", "score_tune", "summarise_scores"]

_IGNORED_FOR_FORM = {Kind.SLUR, Kind.DECORATION, Kind.SPACE, Kind.TIE}


def _bar_contents(tune: Tune) -> list[str]:
    """The musical content of each bar (notes, lengths, rhythm signs), spaces removed."""
    bars: list[str] = []
    current: list[str] = []
    for token in abc_tokens(tune.body):
        kind = token_kind(token)
        if kind is Kind.BAR or kind is Kind.ENDING:
            if current:
                bars.append("".join(current))
            current = []
        elif kind in (
            Kind.NOTE,
            Kind.REST,
            Kind.LENGTH,
            Kind.BROKEN,
            Kind.TUPLET,
            Kind.CHORD_OPEN,
            Kind.CHORD_CLOSE,
        ):
            current.append(token)
    if current:
        bars.append("".join(current))
    return bars


class BarIndex:
    """Where each bar occurs in a set of (training) tunes, to measure copying."""

    def __init__(self, tunes: Sequence[Tune]) -> None:
        self.positions: dict[str, list[tuple[int, int]]] = {}
        for t, tune in enumerate(tunes):
            for p, bar in enumerate(_bar_contents(tune)):
                self.positions.setdefault(bar, []).append((t, p))

    def longest_copied_run(self, tune: Tune) -> int:
        """The longest run of consecutive bars that also occurs, in order, in one indexed tune."""
        best = 0
        previous: dict[tuple[int, int], int] = {}
        for bar in _bar_contents(tune):
            current = {}
            for t, p in self.positions.get(bar, ()):
                run = previous.get((t, p - 1), 0) + 1
                current[(t, p)] = run
                best = max(best, run)
            previous = current
        return best


#: The form a tune is judged against: a pickup counts as AABB too.
AABB = FormConfig(pickup=True)


def has_aabb_form(tune: Tune, tokenizer: Tokenizer, form: FormConfig = AABB) -> bool:
    """True when the tune is two repeated parts of ``bars_per_part`` right-length bars.

    A pickup and first/second endings are allowed. Slurs, decorations, spaces and ties are
    ignored; the rest is replayed through :class:`~castlab.tunes.decoder.TuneGrammar`.
    """
    try:
        grammar = TuneGrammar(
            tokenizer,
            rhythm=tune.rhythm or None,
            meter=tune.meter,
            unit=tune.unit,
            key=tune.key,
            form=form,
        )
    except ValueError:
        return False
    ids = {tokenizer.token(i): i for i in range(tokenizer.vocab_size)}
    body = [t for t in abc_tokens(tune.body) if token_kind(t) not in _IGNORED_FOR_FORM]
    try:
        while grammar._next_header_field():
            grammar.advance(grammar.allowed()[0])  # type: ignore[index]
        if "N" in grammar.header:  # the form only: no dotting code to hold the tune to
            grammar.header["N"] = ""
        for token in body:
            if grammar.finished:
                return token == "\n"
            allowed = grammar.allowed()
            if token not in ids or allowed is None or ids[token] not in allowed:
                return False
            grammar.advance(ids[token])
    except ValueError:
        return False
    return grammar.finished


@dataclass
class TuneScore:
    """Checks on one generated tune."""

    parses: bool  # music21 parses it into notes
    bars: int
    right_length_share: float  # castlab's own bar check (pickups allowed)
    abc2midi_warnings: int | None  # bars abc2midi reports as the wrong length
    aabb: bool
    copied_bars: int  # longest run of bars copied from the training tunes


def score_tune(
    tune: Tune, tokenizer: Tokenizer, index: BarIndex | None, *, tools: bool = True
) -> TuneScore:
    """Run every check on one tune (``tools`` runs music21 and abc2midi too)."""
    from castlab.tunes.render import bar_length_warnings, parses_with_music21

    bars = measure_bars(abc_tokens(tune.body), bar_units=tune.bar_units)
    warnings = bar_length_warnings(tune) if tools else None
    return TuneScore(
        parses=parses_with_music21(tune) if tools else True,
        bars=len(bars),
        right_length_share=right_length_share(bars),
        abc2midi_warnings=None if warnings is None else len(warnings),
        aabb=has_aabb_form(tune, tokenizer),
        copied_bars=index.longest_copied_run(tune) if index is not None else 0,
    )


def summarise_scores(scores: Sequence[TuneScore]) -> dict[str, float]:
    """Rates over many tunes: parse rate, right-length bars, AABB share, novelty."""
    n = len(scores)
    total_bars = sum(s.bars for s in scores) or 1
    right_bars = sum(s.right_length_share * s.bars for s in scores)
    warned = [s.abc2midi_warnings for s in scores if s.abc2midi_warnings is not None]
    return {
        "tunes": n,
        "parse_rate": sum(s.parses for s in scores) / n,
        "right_length_bars": right_bars / total_bars,
        "abc2midi_clean_tunes": (sum(w == 0 for w in warned) / len(warned))
        if warned
        else float("nan"),
        "aabb_share": sum(s.aabb for s in scores) / n,
        "median_copied_bars": float(statistics.median(s.copied_bars for s in scores)),
        "max_copied_bars": float(max(s.copied_bars for s in scores)),
    }
