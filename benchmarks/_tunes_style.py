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
    classifier = TypeClassifier(melody=True).fit(splits["train"])
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


def _table(rows: list[dict]) -> str:
    import pandas as pd
    from _common import markdown_table

    return markdown_table(pd.DataFrame(rows)).rstrip("\n")


def style_markdown(style: dict, figure: str) -> list[str]:
    """The page's sections on style fidelity (numbers only; the narrative is in the page)."""
    ceiling = style["ceiling"]
    models = style["models"]
    corpus = style["corpus_statistics"]
    types = list(corpus)
    lines = [
        "",
        "## Style fidelity per tune type (issue 17)",
        "",
        f"- Machine: {style.get('machine', '?')}; {style.get('date', '?')}; shared with other "
        "developers' jobs: 1-minute load average when each model's measurement finished: "
        + ", ".join(f"{k} {v.get('load', float('nan')):.1f}" for k, v in models.items()),
        "",
        f"Type classifier (`TypeClassifier(melody=True)`: logistic regression on word 1-4-grams "
        "of the meter and the rhythm skeleton and character 2-5-grams of the normalised body, "
        f"trained on the `R:` fields of the training split): held-out accuracy "
        f"**{ceiling['accuracy']:.1%}** on {ceiling['tunes']} labelled valid + test tunes (the "
        "ceiling of any fidelity number); recall per type: "
        + ", ".join(f"{k} {v:.0%}" for k, v in ceiling["recall"].items())
        + ". Labelled training tunes: "
        + ", ".join(f"{k} {v}" for k, v in ceiling["train_tunes"].items())
        + " (the types with >= 50).",
        "",
        "### Type fidelity and discriminator",
        "",
    ]
    rows = []
    for label, result in models.items():
        row = {"model": label, "temperature": str(result["temperatures"])}
        for name in types:
            row[f"{name} fidelity"] = f"{result['types'][name]['fidelity']:.0%}"
        row["discriminator AUC"] = f"{result['discriminator_auc']:.3f}"
        row["tunes per type"] = result["count"]
        rows.append(row)
    lines += [_table(rows), ""]
    lines += [
        "Fidelity: share of the tunes generated when asking for a type (`--type`, the model "
        "picks meter and key) that the classifier puts in that type. Discriminator: 5-fold ROC "
        "AUC of character 1-5-grams + logistic regression telling the generated tunes from as "
        "many real tunes of the same types, both written by `castlab.tunes.style."
        "normalised_body` (0.5 = indistinguishable).",
        "",
        "### Rhythm and melody statistics (mean per tune; ratio generated / corpus)",
        "",
    ]
    rows = []
    for name in types:
        for stat, value in corpus[name].items():
            row = {"type": name, "statistic": stat, "corpus": f"{value:.3f}"}
            for label, result in models.items():
                generated = result["types"][name]["statistics"][stat]
                if not value:
                    row[label] = f"{generated:.3f}" + (" ✗" if generated else " (both 0)")
                    continue
                ratio = generated / value
                mark = "" if 0.75 <= ratio <= 1.25 else " ✗"
                row[label] = f"{generated:.3f} ({ratio:.2f}{mark})"
            rows.append(row)
    lines += [_table(rows), ""]
    lines += [
        "✗: outside 25% of the corpus. Corpus = every tune of the three collections whose `R:` "
        "names the type.",
        "",
        f"![statistics]({figure})",
        "",
        "### Constrained vs plain sampling: dotted pairs per bar",
        "",
    ]
    rows = []
    for label, result in models.items():
        for name in types:
            per = result["types"][name]
            rows.append(
                {
                    "model": label,
                    "type": name,
                    "corpus": f"{corpus[name]['dotted_per_bar']:.3f}",
                    "constrained": f"{per['statistics']['dotted_per_bar']:.3f}",
                    f"plain sampling ({result['unconstrained']} tunes)": (
                        f"{per['unconstrained_statistics']['dotted_per_bar']:.3f}"
                    ),
                    "meters chosen": ", ".join(f"{k} x{v}" for k, v in per["meters"].items()),
                }
            )
    lines += [_table(rows), ""]
    lines += ["### Types chosen when asked for nothing", ""]
    names = sorted({k for r in models.values() for k in r["unprompted_types"]})
    rows = [
        {"model": label, **{k: str(r["unprompted_types"].get(k, 0)) for k in names}}
        for label, r in models.items()
    ]
    lines += [_table(rows)]
    return lines


def style_figure(style: dict, path: Path) -> Path:
    from castlab.tunes.plots import plot_style_statistics

    models = style["models"]
    return plot_style_statistics(
        style["corpus_statistics"],
        {
            label: {t: r["types"][t]["statistics"] for t in r["types"]}
            for label, r in models.items()
        },
        style["corpus_pitch_classes"],
        {
            label: {t: r["types"][t]["pitch_classes"] for t in r["types"]}
            for label, r in models.items()
        },
        path,
    )
