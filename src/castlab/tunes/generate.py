"""Generate tunes from a trained model, constrained (complete AABB tunes) or plain sampling.

Examples
--------
>>> from castlab.tunes.model import TuneModel
>>> tunes = generate_tunes(TuneModel.pretrained(), GenerateConfig(rhythm="jig", count=1))  # doctest: +SKIP
>>> print(tunes[0].to_abc())  # doctest: +SKIP
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

import torch

from castlab.core.errors import CastlabError
from castlab.core.sampling import SamplingConfig, filter_logits, sample, sample_batch
from castlab.core.tokenizers import BOS, EOS, SPECIAL_TOKENS
from castlab.tunes.abc import Tune, abc_tokens, normalise_key, normalise_meter, normalise_rhythm
from castlab.tunes.bars import Kind, token_kind
from castlab.tunes.decoder import FormConfig, TuneGrammar
from castlab.tunes.guidance import TypeGuidance
from castlab.tunes.model import TuneModel
from castlab.tunes.temperature import TokenTemperature

__all__ = [
    "DEFAULT_TEMPERATURE",
    "USUAL_METERS",
    "GenerateConfig",
    "GeneratedTune",
    "generate_tunes",
    "prompt_notation",
    "unusual_meter",
]

DEFAULT_TEMPERATURE = 0.7

#: The meters each common Irish tune type is written in (O'Neill's has 2/4 hornpipes too).
USUAL_METERS = {
    "reel": ("4/4", "2/2"),
    "jig": ("6/8",),
    "slip jig": ("9/8",),
    "hornpipe": ("4/4", "2/2", "2/4"),
    "polka": ("2/4",),
    "slide": ("12/8",),
    "mazurka": ("3/4",),
    "waltz": ("3/4",),
}


def unusual_meter(rhythm: str | None, meter: str | None) -> str | None:
    """A one-line note when a tune type is asked for in a meter it is not written in.

    Examples
    --------
    >>> unusual_meter("jig", "4/4")
    "a jig is written in 6/8, not 4/4: the tune will be a jig's header over 4/4 bars"
    >>> unusual_meter("reel", "C|") is None
    True
    """
    if not rhythm or not meter:
        return None
    kind = normalise_rhythm(rhythm)
    usual = USUAL_METERS.get(kind)
    try:
        asked = normalise_meter(meter)
    except ValueError:  # not a meter: generate_tunes says so
        return None
    if usual is None or asked in usual:
        return None
    return (
        f"a {kind} is written in {' or '.join(usual)}, not {asked}: "
        f"the tune will be a {kind}'s header over {asked} bars"
    )


def prompt_notation(prompt: str) -> str:
    """``prompt`` (the start of a tune body) in the notation castlab's decoder writes.

    Slurs and grace notes are left out (the model's vocabulary has neither; tuplets such as
    ``(3`` stay), a tie next to a broken-rhythm sign is dropped (O'Neill's ``d>-c`` and
    ``G-<E``), and spaces next to a broken-rhythm sign or after a bar line go; the notes and
    their lengths are kept.

    Examples
    --------
    >>> prompt_notation("|: (3DEF {g}G2 | G-<E F>-D | A> BA/2B/2 |")
    '|:(3DEF G2 |G<E F>D |A>BA/2B/2 |'
    """
    text = re.sub(r"\{[^}]*\}|\((?!\d)|\)", "", prompt)
    text = re.sub(r"-\s*([<>])|([<>])\s*-", r"\1\2", text)
    text = re.sub(r"\s*([<>])\s*", r"\1", " ".join(text.split()))
    return re.sub(r"(\|+:?|:\|+|\|\])\s+", r"\1", text)


@dataclass(frozen=True)
class GenerateConfig:
    """What to generate; ``None`` header fields are chosen by the model."""

    prompt: str = "|:"  # start of the body, in ABC (the blog used "|:G")
    rhythm: str | None = None  # tune type, e.g. "jig", "reel"
    meter: str | None = None  # e.g. "6/8"
    unit: str | None = None  # L:, e.g. "1/8"
    key: str | None = None  # e.g. "D", "Ador"
    # "dotted" or "plain": dotting written out or left to the player (models trained with
    # the N: control code, castlab.tunes.style.dotting); None: the model chooses
    dotting: str | None = None
    count: int = 1
    seed: int = 0
    # None: the model's temperature for the type asked for (info["temperatures"], chosen by
    # benchmarks/tunes.py), else DEFAULT_TEMPERATURE
    temperature: float | None = None
    top_k: int = 0
    top_p: float = 1.0
    # type guidance (castlab.tunes.guidance): 0 off; > 0 pushes the body towards what the
    # type asked for adds to the rest of the header, by the model's own judgement; None: the
    # model's setting for the type (info["guidance"], chosen by benchmarks/tunes.py), else 0
    guidance: float | None = None
    # a type to steer away from (e.g. "reel"); None: the model's setting, else no type at all
    guidance_against: str | None = None
    # header fields left to the model (type, meter, dotting, unit, key) are drawn at this
    # temperature: 1 follows the mix the model learnt (a lower one picks the commonest meter
    # and dotting nearly always); None: the body's temperature
    header_temperature: float | None = 1.0
    # triplets ((3 and other tuplets) are drawn at this temperature, the rest of the body at
    # ``temperature``: at the body's 0.7 the shipped model wrote half the corpus's triplets in
    # reels, at 1 as many (castlab.tunes.temperature); None: the model's setting for the type
    # (info["triplet_temperatures"], chosen by benchmarks/tunes.py), else the body's
    triplet_temperature: float | None = None
    # broken rhythm (> and <, dotted pairs) drawn at this temperature in tunes whose N: code
    # says dotted (an open code is drawn before the body); None: the model's setting for the
    # type (info["dotted_temperatures"]), else the body's. In a dotted tune > is the majority
    # choice and a low body temperature over-dots it; plain tunes keep the body's
    dotted_temperature: float | None = None
    # the same for tunes whose N: code says plain (or that have none); None: the model's
    # setting for the type (info["plain_dotted_temperatures"]), else the body's. In a plain
    # slip jig an occasional > is a minority choice the body's 0.7 sharpens away (at 1 the
    # model's own rate: docs/results/tunes.md, fifth round)
    plain_dotted_temperature: float | None = None
    length: int = 100  # new tokens for unconstrained sampling (constrained stops at the end)
    batch: int = 16  # tunes sampled side by side (LSTM models); the same tunes, faster
    constrained: bool = True
    form: FormConfig = field(default_factory=FormConfig)

    def __post_init__(self) -> None:
        if self.dotting not in (None, "", "dotted", "plain"):
            raise CastlabError(
                f"unknown dotting {self.dotting!r}", fix="use --dotting dotted or --dotting plain"
            )
        if self.count < 1:
            raise CastlabError("count must be at least 1", fix="use --count 1 or more")
        if self.guidance is not None and not 0 <= self.guidance < math.inf:  # nan, inf too
            raise CastlabError(
                f"guidance {self.guidance} must be a number >= 0", fix="use e.g. --guidance 1.0"
            )
        for name in ("triplet_temperature", "dotted_temperature", "plain_dotted_temperature"):
            value = getattr(self, name)
            if value is not None and not 0 < value < math.inf:  # nan sampled a traceback
                raise CastlabError(
                    f"{name.replace('_', ' ')} must be > 0",
                    fix=f"use e.g. --{name.replace('_', '-')} 1.0",
                )
        if self.length < 1:
            raise CastlabError("length must be at least 1", fix="use e.g. --length 100")


@dataclass
class GeneratedTune:
    """One generated tune with how it was made."""

    tune: Tune
    seed: int
    seconds: float
    constrained: bool
    new_tokens: int


def _header_values(config: GenerateConfig) -> dict[str, str | None]:
    try:
        return {
            "rhythm": normalise_rhythm(config.rhythm) if config.rhythm else None,
            "meter": normalise_meter(config.meter) if config.meter else None,
            "unit": config.unit.replace(" ", "") if config.unit else None,
            "key": normalise_key(config.key, strict=True) if config.key else None,
            "dotting": config.dotting or None,
        }
    except ValueError as error:
        raise CastlabError(str(error), fix="e.g. --meter 6/8 --key D --unit 1/8") from None


@dataclass
class _Job:
    seed: int
    prompt_ids: list[int]
    sampling: SamplingConfig
    generator: torch.Generator
    grammar: TuneGrammar | None
    prefix: str  # text before the sampled ids (unconstrained sampling of non-ABC models)


_FIELDS = {"R": "rhythm", "M": "meter", "N": "dotting", "L": "unit", "K": "key"}


@torch.no_grad()
def _draw_header(
    model: TuneModel,
    header: dict[str, str | None],
    temperature: float,
    generator: torch.Generator,
) -> dict[str, str | None]:
    """The header fields left open, sampled from the model at ``temperature``."""
    grammar = TuneGrammar(model.tokenizer, **header)
    logits, state = model.network.step(torch.tensor([[BOS]]))
    while grammar.next_header_field():
        filtered = filter_logits(logits[0, -1], allowed=grammar.allowed())
        probs = torch.softmax(filtered / max(temperature, 1e-6), dim=-1)
        token = int(torch.multinomial(probs, 1, generator=generator))
        grammar.advance(token)
        logits, state = model.network.step(torch.tensor([[token]]), state)
    return {**header, **{_FIELDS[name]: value for name, value in grammar.header.items()}}


def _for_type(model: TuneModel, setting: str, rhythm: str | None, default: Any = None) -> Any:
    """The model's stored ``info[setting]`` for the tune type ``rhythm``, else ``default``."""
    return model.info.get(setting, {}).get(rhythm or "", default)


def _temperature(model: TuneModel, config: GenerateConfig, rhythm: str | None) -> float:
    """The body's temperature: asked for, else the model's for the type, else the default."""
    if config.temperature is not None:
        return config.temperature
    return float(_for_type(model, "temperatures", rhythm, DEFAULT_TEMPERATURE))


def _job(
    model: TuneModel,
    config: GenerateConfig,
    header: dict[str, str | None],
    seed: int,
    *,
    know_dotting: bool = False,
) -> _Job:
    """One tune's sampler set-up; ``know_dotting``: draw the header first if ``N:`` is open."""
    generator = torch.Generator().manual_seed(seed)
    temperature = _temperature(model, config, header["rhythm"])
    if model.tokenizer.kind == "regex":
        prompt_tokens = abc_tokens(config.prompt)
        # the N: code picks the tune's sampler (dotted_temperature): draw it before the body
        open_dotting = know_dotting and header["dotting"] is None and model.header_values("N")
        header_temperature = config.header_temperature
        if open_dotting and header_temperature is None:
            header_temperature = temperature
        if header_temperature is not None and (header_temperature != temperature or open_dotting):
            header = _draw_header(model, header, header_temperature, generator)
        grammar = TuneGrammar(
            model.tokenizer,
            **header,
            prompt=prompt_tokens,
            form=config.form,
            constrain_body=config.constrained,
        )
        # header fields (<= 4) and the prompt pass through the sampler too
        limit = 4000 if config.constrained else 4 + len(prompt_tokens) + config.length
        sampling = SamplingConfig(temperature, config.top_k, config.top_p, limit)
        return _Job(seed, [BOS], sampling, generator, grammar, "")
    prefix = Tune(
        "",
        header["rhythm"] or "",
        header["meter"] or "6/8",
        header["unit"] or "1/8",
        header["key"] or "D",
        "",
        dotting=header["dotting"] or "",
    ).model_text
    prompt_ids = [BOS, *model.tokenizer.encode(prefix + config.prompt)]
    sampling = SamplingConfig(temperature, config.top_k, config.top_p, config.length)
    return _Job(seed, prompt_ids, sampling, generator, None, prefix + config.prompt)


def _guidance(
    model: TuneModel, config: GenerateConfig, rhythm: str | None
) -> tuple[float, str | None]:
    """(scale, type to guide against) asked for, else the model's for the type, else off."""
    stored = _for_type(model, "guidance", rhythm, {})
    scale = config.guidance if config.guidance is not None else float(stored.get("scale", 0.0))
    against = config.guidance_against
    if against is None and config.guidance is None:
        against = stored.get("against")
    return scale, normalise_rhythm(against) if against else None


def _sample(network: Any, batch: list[_Job]) -> list[list[int]]:
    """The token ids of each job's tune, side by side when there are several."""
    if len(batch) <= 1:
        return [
            sample(
                network,
                job.prompt_ids,
                job.sampling,
                generator=job.generator,
                constraint=job.grammar,
                stop_ids=(EOS,),
            )
            for job in batch
        ]
    return sample_batch(
        network,
        [job.prompt_ids for job in batch],
        batch[0].sampling,
        generators=[job.generator for job in batch],
        constraints=[job.grammar for job in batch],
        stop_ids=(EOS,),
    )


def generate_tunes(model: TuneModel, config: GenerateConfig) -> list[GeneratedTune]:
    """Generate ``config.count`` tunes with seeds ``seed``, ``seed + 1``, ..."""
    header = _header_values(config)
    is_abc = model.tokenizer.kind == "regex"
    if config.constrained and not is_abc:
        raise CastlabError(
            "constrained decoding needs a model with ABC tokens",
            fix="use --unconstrained, or a model trained with --tokenizer abc",
        )
    network = model.network
    scale, against = _guidance(model, config, header["rhythm"])
    if config.guidance_against and not (scale and header["rhythm"]):  # it had no effect
        raise CastlabError(
            f"--guidance-against {config.guidance_against} needs guidance"
            + (
                " towards a --type"
                if not header["rhythm"]
                else f" (none is stored for {header['rhythm']})"
            ),
            fix="add --type and --guidance, e.g. --type jig --guidance 1.0",
        )
    if scale and header["rhythm"]:
        network = TypeGuidance(model.network, model.tokenizer, scale=scale, against=against)
    temperature = _temperature(model, config, header["rhythm"])
    vocab = [model.tokenizer.token(i) for i in range(model.tokenizer.vocab_size)]

    def own(kind: Kind, asked: float | None, setting: str) -> dict[int, float]:
        """Token id -> its own temperature for tokens of ``kind``; {} at the body's."""
        value = asked if asked is not None else _for_type(model, setting, header["rhythm"])
        if not (value and temperature and value != temperature and is_abc):
            return {}
        return {i: float(value) for i, t in enumerate(vocab) if token_kind(t) is kind}

    triplets = own(Kind.TUPLET, config.triplet_temperature, "triplet_temperatures")
    dotted = own(Kind.BROKEN, config.dotted_temperature, "dotted_temperatures")
    plain_dotted = own(Kind.BROKEN, config.plain_dotted_temperature, "plain_dotted_temperatures")
    # by N: code: > and < at one temperature where the code says dotted, at another where it
    # says plain (the hornpipes' 1.5 turned plain ones dotted: docs/results/tunes.md, fourth
    # round); a code with the same tokens as plain shares its sampler
    by_code = {"plain": {**triplets, **plain_dotted}, "dotted": {**triplets, **dotted}}
    networks = {}
    for code, kept in by_code.items():
        if code != "plain" and kept == by_code["plain"]:
            networks[code] = networks["plain"]
        elif kept:
            networks[code] = TokenTemperature(
                network, list(kept), temperature=temperature, token_temperature=list(kept.values())
            )
        else:
            networks[code] = network
    by_dotting = bool(dotted or plain_dotted)
    jobs = [
        _job(model, config, header, config.seed + i, know_dotting=by_dotting)
        for i in range(config.count)
    ]
    codes = [
        "dotted" if by_dotting and job.grammar and job.grammar.fixed["N"] == "dotted" else "plain"
        for job in jobs
    ]
    results: list[GeneratedTune] = []
    # an LSTM steps many tunes at once; a transformer's growing context goes one at a time
    chunk = config.batch if model.model_config.kind == "lstm" else 1
    for first in range(0, len(jobs), chunk):
        batch = jobs[first : first + chunk]
        start = time.perf_counter()
        outputs: list[list[int]] = [[] for _ in batch]
        for code, network in networks.items():
            where = [i for i in range(len(batch)) if codes[first + i] == code]
            for i, ids in zip(where, _sample(network, [batch[i] for i in where]), strict=True):
                outputs[i] = ids
        seconds = (time.perf_counter() - start) / len(batch)
        for job, ids in zip(batch, outputs, strict=True):
            if is_abc:
                text = "".join(model.tokenizer.token(i) for i in ids if i >= len(SPECIAL_TOKENS))
            else:
                text = job.prefix + model.tokenizer.decode(i for i in ids if i != EOS)
            title = f"castlab {header['rhythm'] or 'tune'} {job.seed}"
            tune = Tune.from_model_text(text, title=title, number=job.seed - config.seed + 1)
            results.append(GeneratedTune(tune, job.seed, seconds, config.constrained, len(ids)))
    return results
