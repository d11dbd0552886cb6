"""Generate tunes from a trained model, constrained (complete AABB tunes) or plain sampling.

Examples
--------
>>> from castlab.tunes.model import TuneModel
>>> tunes = generate_tunes(TuneModel.pretrained(), GenerateConfig(rhythm="jig", count=1))  # doctest: +SKIP
>>> print(tunes[0].to_abc())  # doctest: +SKIP
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch

from castlab.core.errors import CastlabError
from castlab.core.sampling import SamplingConfig, sample
from castlab.core.tokenizers import BOS, EOS, SPECIAL_TOKENS
from castlab.tunes.abc import Tune, abc_tokens, normalise_key, normalise_meter, normalise_rhythm
from castlab.tunes.decoder import FormConfig, TuneGrammar
from castlab.tunes.model import TuneModel

__all__ = ["GenerateConfig", "GeneratedTune", "generate_tunes"]


@dataclass(frozen=True)
class GenerateConfig:
    """What to generate; ``None`` header fields are chosen by the model."""

    prompt: str = "|:"  # start of the body, in ABC (the blog used "|:G")
    rhythm: str | None = None  # tune type, e.g. "jig", "reel"
    meter: str | None = None  # e.g. "6/8"
    unit: str | None = None  # L:, e.g. "1/8"
    key: str | None = None  # e.g. "D", "Ador"
    count: int = 1
    seed: int = 0
    temperature: float = 0.7
    top_k: int = 0
    top_p: float = 1.0
    length: int = 100  # new tokens for unconstrained sampling (constrained stops at the end)
    constrained: bool = True
    form: FormConfig = field(default_factory=FormConfig)

    def __post_init__(self) -> None:
        if self.count < 1:
            raise CastlabError("count must be at least 1", fix="use --count 1 or more")
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
            "key": normalise_key(config.key) if config.key else None,
        }
    except ValueError as error:
        raise CastlabError(str(error), fix="e.g. --meter 6/8 --key D --unit 1/8") from None


def generate_tunes(model: TuneModel, config: GenerateConfig) -> list[GeneratedTune]:
    """Generate ``config.count`` tunes with seeds ``seed``, ``seed + 1``, ..."""
    header = _header_values(config)
    is_abc = model.tokenizer.kind == "regex"
    if config.constrained and not is_abc:
        raise CastlabError(
            "constrained decoding needs a model with ABC tokens",
            fix="use --unconstrained, or a model trained with --tokenizer abc",
        )
    results = []
    for index in range(config.count):
        seed = config.seed + index
        generator = torch.Generator().manual_seed(seed)
        start = time.perf_counter()
        if is_abc:
            prompt_tokens = abc_tokens(config.prompt)
            grammar = TuneGrammar(
                model.tokenizer,
                **header,
                prompt=prompt_tokens,
                form=config.form,
                constrain_body=config.constrained,
            )
            # header fields (<= 4) and the prompt pass through the sampler too
            limit = 4000 if config.constrained else 4 + len(prompt_tokens) + config.length
            sampling = SamplingConfig(config.temperature, config.top_k, config.top_p, limit)
            ids = sample(
                model.network,
                [BOS],
                sampling,
                generator=generator,
                constraint=grammar,
                stop_ids=(EOS,),
            )
            text = "".join(model.tokenizer.token(i) for i in ids if i >= len(SPECIAL_TOKENS))
        else:
            prefix = Tune(
                "",
                header["rhythm"] or "",
                header["meter"] or "6/8",
                header["unit"] or "1/8",
                header["key"] or "D",
                "",
            ).model_text
            prompt_ids = [BOS, *model.tokenizer.encode(prefix + config.prompt)]
            sampling = SamplingConfig(config.temperature, config.top_k, config.top_p, config.length)
            ids = sample(model.network, prompt_ids, sampling, generator=generator, stop_ids=(EOS,))
            text = prefix + config.prompt + model.tokenizer.decode(i for i in ids if i != EOS)
        title = f"castlab {header['rhythm'] or 'tune'} {seed}"
        tune = Tune.from_model_text(text, title=title, number=index + 1)
        results.append(
            GeneratedTune(tune, seed, time.perf_counter() - start, config.constrained, len(ids))
        )
    return results
