"""Style fidelity of a tune model, per tune type (issue 17), for benchmarks/tunes.py.

- a tune-type classifier trained on the ``R:`` fields of the training split (its held-out
  accuracy on labelled valid + test tunes is the ceiling of any fidelity number);
- type fidelity: generate ``count`` tunes asking for each type with >= 50 labelled training
  tunes (the model picks meter and key) and classify them;
- rhythm and melody statistics per type, generated vs every labelled corpus tune of that type;
- the same statistics for plain (unconstrained) sampling, to see what the decoder changes;
- which types the model picks when asked for nothing;
- a real-or-generated discriminator (5-fold ROC AUC) on normalised bodies: the generated
  tunes against as many real tunes of the same types.
"""

from __future__ import annotations

import random
import statistics
import time
from collections import Counter
from pathlib import Path

import numpy as np

from castlab.tunes.generate import GenerateConfig, generate_tunes
from castlab.tunes.model import TuneModel
from castlab.tunes.style import (
    STATISTICS,
    discriminator_auc,
    pitch_class_histogram,
    tune_statistics,
)
from castlab.tunes.train import TunesTrainConfig, prepare
from castlab.tunes.tune_types import TypeClassifier

__all__ = ["measure_style"]


def _mean_statistics(tunes) -> dict[str, float]:  # type: ignore[no-untyped-def]
    rows = [tune_statistics(t) for t in tunes]
    return {name: statistics.mean(r[name] for r in rows) for name in STATISTICS}


def corpus_reference(corpus: tuple[str, ...]) -> dict:
    """Labelled corpus tunes by type, the classifier, its held-out accuracy."""
    splits, _, _ = prepare(TunesTrainConfig(corpus=corpus, infer_types=False))
    classifier = TypeClassifier().fit(splits["train"])
    held_out = [t for t in splits["valid"] + splits["test"] if t.rhythm in classifier.types_]
    predicted = classifier.predict(held_out)
    recall = {
        name: float(np.mean([p == name for p, t in zip(predicted, held_out) if t.rhythm == name]))
        for name in classifier.types_
    }
    every = splits["train"] + splits["valid"] + splits["test"]
    by_type = {name: [t for t in every if t.rhythm == name] for name in classifier.types_}
    return {
        "classifier": classifier,
        "by_type": by_type,
        "ceiling": {
            "accuracy": float(np.mean([p == t.rhythm for p, t in zip(predicted, held_out)])),
            "tunes": len(held_out),
            "recall": recall,
            "train_tunes": {
                name: sum(t.rhythm == name for t in splits["train"]) for name in classifier.types_
            },
        },
        "statistics": {name: _mean_statistics(tunes) for name, tunes in by_type.items()},
        "pitch_classes": {
            name: pitch_class_histogram(tunes).tolist() for name, tunes in by_type.items()
        },
    }


def measure_style(
    model: TuneModel,
    reference: dict,
    *,
    count: int,
    unconstrained: int,
    temperatures: dict[str, float] | float = 0.7,
    seed: int = 1,
    examples: Path | None = None,
) -> dict:
    """Every number of the module docstring for one model."""
    classifier = reference["classifier"]
    out: dict = {"types": {}, "temperatures": temperatures}
    generated_all = []
    real_all = []
    rng = random.Random(seed)
    start = time.perf_counter()
    for name in classifier.types_:
        temperature = temperatures[name] if isinstance(temperatures, dict) else temperatures
        generated = [
            g.tune
            for g in generate_tunes(
                model,
                GenerateConfig(rhythm=name, count=count, seed=seed, temperature=temperature),
            )
        ]
        predicted = classifier.predict(generated)
        plain = [
            g.tune
            for g in generate_tunes(
                model,
                GenerateConfig(
                    rhythm=name,
                    count=unconstrained,
                    seed=seed,
                    temperature=temperature,
                    constrained=False,
                    length=400,
                ),
            )
        ]
        out["types"][name] = {
            "fidelity": float(np.mean([p == name for p in predicted])),
            "classified_as": dict(Counter(predicted)),
            "meters": dict(Counter(t.meter for t in generated)),
            "statistics": _mean_statistics(generated),
            "unconstrained_statistics": _mean_statistics(plain),
            "pitch_classes": pitch_class_histogram(generated).tolist(),
        }
        generated_all += generated
        real_all += rng.sample(
            reference["by_type"][name], min(count, len(reference["by_type"][name]))
        )
        if examples is not None:
            examples.mkdir(parents=True, exist_ok=True)
            (examples / f"{name.replace(' ', '-')}.abc").write_text(
                "\n".join(t.to_abc() for t in generated)
            )
    free = generate_tunes(model, GenerateConfig(count=count, seed=seed + 10_000))
    out["unprompted_types"] = dict(Counter(g.tune.rhythm for g in free))
    out["discriminator_auc"] = discriminator_auc(real_all, generated_all)
    out["seconds"] = round(time.perf_counter() - start)
    out["count"], out["unconstrained"] = count, unconstrained
    return out
