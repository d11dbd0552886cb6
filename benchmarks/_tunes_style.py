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
    dotting,
    pitch_class_histogram,
    tune_statistics,
)
from castlab.tunes.train import TunesTrainConfig, prepare
from castlab.tunes.tune_types import TypeClassifier

__all__ = ["measure_style"]


def _mean_statistics(tunes) -> dict[str, float]:  # type: ignore[no-untyped-def]
    rows = [tune_statistics(t) for t in tunes]
    return {name: statistics.mean(r[name] for r in rows) for name in STATISTICS}


#: statistics whose sampling noise the page reports (rare events: a few tunes carry them)
NOISY = ("dotted_per_bar", "triplets_per_bar")


def ratio_interval(generated, corpus, stat, *, draws=2000, seed=0) -> list[float]:  # type: ignore[no-untyped-def]
    """Bootstrap 95% interval of mean(generated) / mean(corpus), tunes resampled on both sides.

    >>> from castlab.tunes.abc import Tune
    >>> real = [Tune("t", "reel", "2/2", "1/8", "D", b) for b in ["|:d>f a>f:|", "|:dfaf:|"]]
    >>> lo, hi = ratio_interval(real, real, "dotted_per_bar", draws=200)
    >>> lo < 1 < hi
    True
    """
    rng = np.random.default_rng(seed)
    g = np.array([tune_statistics(t)[stat] for t in generated])
    c = np.array([tune_statistics(t)[stat] for t in corpus])
    gm = g[rng.integers(0, len(g), (draws, len(g)))].mean(axis=1)
    cm = c[rng.integers(0, len(c), (draws, len(c)))].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(cm > 0, gm / np.where(cm > 0, cm, 1), np.nan)
    if np.isnan(ratios).all():
        return [float("nan"), float("nan")]
    return [float(x) for x in np.nanpercentile(ratios, [2.5, 97.5])]


def _by_meter(tunes) -> dict[str, dict[str, float]]:  # type: ignore[no-untyped-def]
    """Tunes, dotted pairs and triplets per bar, and the share written dotted, per meter."""
    out = {}
    for meter in sorted({t.meter for t in tunes}):
        rows = [t for t in tunes if t.meter == meter]
        stats = [tune_statistics(t) for t in rows]
        out[meter] = {
            "tunes": len(rows),
            "dotted_per_bar": statistics.mean(r["dotted_per_bar"] for r in stats),
            "triplets_per_bar": statistics.mean(r["triplets_per_bar"] for r in stats),
            "dotted_share": statistics.mean(dotting(t) == "dotted" for t in rows),
        }
    return out


def _cross_validated_recall(tunes, types) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    """5-fold recall of the classifier on real training tunes per type, meter and dotting."""
    rng = np.random.default_rng(0)
    kept = [t for t in tunes if t.rhythm in types]
    folds = np.array_split(rng.permutation(len(kept)), 5)
    hits: dict[str, list[bool]] = {}
    for fold in folds:
        held = set(fold.tolist())
        classifier = TypeClassifier(melody=True).fit(
            [t for i, t in enumerate(kept) if i not in held]
        )
        test = [kept[i] for i in fold]
        for tune, predicted in zip(test, classifier.predict(test), strict=True):
            for key in (tune.rhythm, f"{tune.rhythm} {tune.meter} {dotting(tune)}"):
                hits.setdefault(key, []).append(predicted == tune.rhythm)
    return {key: {"tunes": len(v), "recall": float(np.mean(v))} for key, v in hits.items()}


def corpus_reference(corpus: tuple[str, ...]) -> dict:
    """Labelled corpus tunes by type, the classifier, its held-out accuracy."""
    splits, _, _ = prepare(TunesTrainConfig(corpus=corpus, infer_types=False, dotting=False))
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
        "by_meter": {name: _by_meter(tunes) for name, tunes in by_type.items()},
        "mix": {
            name: Counter((t.meter, dotting(t)) for t in tunes) for name, tunes in by_type.items()
        },
        "cross_validated": _cross_validated_recall(splits["train"], classifier.types_),
        "pitch_classes": {
            name: pitch_class_histogram(tunes).tolist() for name, tunes in by_type.items()
        },
    }


def mix_headers(mix: Counter, count: int, *, dotting: bool) -> list[tuple[str, str | None]]:
    """``count`` (meter, dotting) pairs in the corpus's proportions (largest remainders).

    >>> mix_headers(Counter({("2/4", "plain"): 6, ("2/2", "dotted"): 3, ("2/2", "plain"): 1}), 5,
    ...             dotting=True)
    [('2/4', 'plain'), ('2/4', 'plain'), ('2/4', 'plain'), ('2/2', 'dotted'), ('2/2', 'dotted')]
    """
    if not dotting:
        merged: Counter = Counter()
        for (meter, _), n in mix.items():
            merged[(meter, None)] += n
        mix = merged
    total = sum(mix.values())
    exact = {key: count * n / total for key, n in mix.items()}
    shares = {key: int(x) for key, x in exact.items()}
    by_remainder = sorted(exact, key=lambda key: (shares[key] - exact[key], -mix[key]))
    for key in by_remainder[: count - sum(shares.values())]:
        shares[key] += 1
    return [key for key, n in sorted(shares.items(), key=lambda kv: -mix[kv[0]]) for _ in range(n)]


def _generate(model, name, count, seed, temperature, guidance, headers, **kw):  # type: ignore[no-untyped-def]
    """Tunes of type ``name``; with ``headers`` each group of (meter, dotting) asked for."""
    if headers is None:
        config = GenerateConfig(
            rhythm=name, count=count, seed=seed, temperature=temperature, guidance=guidance, **kw
        )
        return [g.tune for g in generate_tunes(model, config)]
    tunes, offset = [], 0
    for (meter, dotted), n in Counter(headers).items():
        config = GenerateConfig(
            rhythm=name,
            meter=meter,
            dotting=dotted,
            count=n,
            seed=seed + offset,
            temperature=temperature,
            guidance=guidance,
            **kw,
        )
        tunes += [g.tune for g in generate_tunes(model, config)]
        offset += n
    return tunes


def measure_style(
    model: TuneModel,
    reference: dict,
    *,
    count: int,
    unconstrained: int,
    temperatures: dict[str, float] | float = 0.7,
    seed: int = 1,
    examples: Path | None = None,
    mix: bool = False,
    guidance: float | dict[str, float] | None = 0.0,
    against: dict[str, str] | None = None,
    header_temperature: float | None = 1.0,
    triplet_temperature: float | str | None = None,
    dotted_temperature: float | str | None = None,
    unprompted: int | None = None,
) -> dict:
    """Every number of the module docstring for one model.

    ``mix``: ask for each type's meters (and dotting, when the model knows the ``N:`` code)
    in the corpus's proportions instead of letting the model choose; ``guidance``: type
    guidance (``castlab.tunes.guidance``) at that scale (per type when a dict; None: the
    model's own setting); ``header_temperature``: for the header fields the model picks;
    ``triplet_temperature``: for triplets (None: the model's own per type, "body": the body's);
    ``dotted_temperature``: for ``>`` and ``<``, the same way;
    ``unprompted``: tunes generated asking for nothing (None: ``count``).
    """
    classifier = reference["classifier"]
    knows_dotting = bool(model.header_values("N"))
    out: dict = {
        "types": {},
        "temperatures": temperatures,
        "guidance": guidance
        if guidance is not None
        else {k: v["scale"] for k, v in model.info.get("guidance", {}).items()},
        "header_temperature": header_temperature,
        "triplet_temperature": triplet_temperature
        if triplet_temperature is not None
        else model.info.get("triplet_temperatures", "body"),
        "dotted_temperature": dotted_temperature
        if dotted_temperature is not None
        else model.info.get("dotted_temperatures", "body"),
        # > and < in N:plain tunes (round 5); rows before it drew them like the body
        "plain_dotted_temperature": model.info.get("plain_dotted_temperatures", "body"),
        "against": against
        or (
            {k: v["against"] for k, v in model.info.get("guidance", {}).items()}
            if guidance is None
            else {}
        ),
        "asked": ("type, meter and dotting" if knows_dotting else "type and meter")
        if mix
        else "type",
    }
    generated_all = []
    real_all = []
    rng = random.Random(seed)
    start = time.perf_counter()
    for name in classifier.types_:
        temperature = temperatures[name] if isinstance(temperatures, dict) else temperatures
        headers = mix_headers(reference["mix"][name], count, dotting=knows_dotting) if mix else None
        away = (against or {}).get(name)
        scale = guidance.get(name, 0.0) if isinstance(guidance, dict) else guidance
        options = {
            "guidance_against": away,
            "header_temperature": header_temperature,
            # "body": triplets at the body's temperature (no separate one)
            "triplet_temperature": temperature
            if triplet_temperature == "body"
            else triplet_temperature,
            "dotted_temperature": temperature
            if dotted_temperature == "body"
            else dotted_temperature,
        }
        generated = _generate(model, name, count, seed, temperature, scale, headers, **options)
        predicted = classifier.predict(generated)
        plain = _generate(
            model,
            name,
            unconstrained,
            seed,
            temperature,
            scale,
            None,
            **options,
            constrained=False,
            length=400,
        )
        out["types"][name] = {
            "fidelity": float(np.mean([p == name for p in predicted])),
            "classified_as": dict(Counter(predicted)),
            "meters": dict(Counter(t.meter for t in generated)),
            "fidelity_by_header": {
                f"{m} {d}": float(
                    np.mean(
                        [
                            p == name
                            for p, t in zip(predicted, generated)
                            if (t.meter, dotting(t)) == (m, d)
                        ]
                    )
                )
                for m, d in sorted({(t.meter, dotting(t)) for t in generated})
            },
            "statistics": _mean_statistics(generated),
            "by_meter": {
                meter: {
                    **values,
                    "fidelity": float(
                        np.mean(
                            [p == name for p, t in zip(predicted, generated) if t.meter == meter]
                        )
                    ),
                }
                for meter, values in _by_meter(generated).items()
            },
            "unconstrained_statistics": _mean_statistics(plain),
            "ratio_ci": {
                stat: ratio_interval(generated, reference["by_type"][name], stat) for stat in NOISY
            },
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
    free = generate_tunes(
        model,
        GenerateConfig(
            count=unprompted or count,
            seed=seed + 10_000,
            triplet_temperature=None if triplet_temperature == "body" else triplet_temperature,
            dotted_temperature=None if dotted_temperature == "body" else dotted_temperature,
        ),
    )
    out["unprompted_types"] = dict(Counter(g.tune.rhythm for g in free))
    out["discriminator_auc"] = discriminator_auc(real_all, generated_all)
    out["seconds"] = round(time.perf_counter() - start)
    out["count"], out["unconstrained"], out["seed"] = count, unconstrained, seed
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
    ]
    cross = style.get("cross_validated")
    if cross:
        lines += [
            "The same classifier's 5-fold cross-validated recall on the real labelled training "
            "tunes, by meter and by whether the dotting is written out "
            "(`castlab.tunes.style.dotting`: >= 0.5 dotted pairs per bar), groups of 10+ tunes: "
            "plain hornpipes are the hard case even for real tunes.",
            "",
            _table(
                [
                    {"tunes of": key, "tunes": str(v["tunes"]), "recall": f"{v['recall']:.0%}"}
                    for key, v in sorted(cross.items())
                    if v["tunes"] >= 10
                ]
            ),
            "",
        ]
    lines += ["### Type fidelity and discriminator", ""]
    rows = []
    for label, result in models.items():
        row = {
            "model": label,
            "asked for": result.get("asked", "type"),
            "guidance": _guidance_text(result.get("guidance", 0.0))
            + (
                " against " + ", ".join(f"{k}: {v}" for k, v in result["against"].items())
                if result.get("against") and result.get("guidance")
                else ""
            ),
            "temperature": str(result["temperatures"]),
            # rows measured before header_temperature existed drew the header like the body
            "header temperature": f"{result.get('header_temperature') or 'as body'}",
            # rows measured before round 3 drew triplets like the rest of the body
            "triplet temperature": str(result.get("triplet_temperature") or "body").replace(
                "body", "as body"
            ),
            # rows measured before round 4 drew > and < like the rest of the body
            "dotted temperature": str(result.get("dotted_temperature") or "body").replace(
                "body", "as body"
            ),
            "plain dotted temperature": str(
                result.get("plain_dotted_temperature") or "body"
            ).replace("body", "as body"),
        }
        for name in types:
            row[f"{name} fidelity"] = f"{result['types'][name]['fidelity']:.0%}"
        row["discriminator AUC"] = f"{result['discriminator_auc']:.3f}"
        row["tunes per type"] = result["count"]
        row["first seed"] = result.get("seed", 1)
        rows.append(row)
    lines += [_table(rows), ""]
    lines += [
        "Fidelity: share of the tunes generated when asking for a type that the classifier "
        "puts in that type. Asked for *type*: `--type` only, the model picks meter, dotting and "
        "key; *type, meter and dotting*: each type's meters and dotting (`N:dotted`/`N:plain`) "
        "in the corpus's proportions (`--style-mix`), the model picks the key. Guidance: "
        "`castlab.tunes.guidance` at that scale, against the type named (the model's own "
        "judgement, not the classifier's). Discriminator: 5-fold ROC "
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
    lines += _noise_markdown(style)
    lines += _by_meter_markdown(style)
    lines += ["### Types chosen when asked for nothing", ""]
    names = sorted({k for r in models.values() for k in r["unprompted_types"]})
    rows = [
        {"model": label, **{k: str(r["unprompted_types"].get(k, 0)) for k in names}}
        for label, r in models.items()
    ]
    lines += [_table(rows)]
    return lines


def _guidance_text(guidance: float | dict) -> str:
    if isinstance(guidance, dict):  # the model's own setting per type
        return ", ".join(f"{k} {v:g}" for k, v in guidance.items()) or "0"
    return f"{guidance:g}"


def _noise_markdown(style: dict) -> list[str]:
    """Bootstrap 95% intervals of the rare-event ratios (rows measured with them)."""
    models = {
        label: result
        for label, result in style["models"].items()
        if all("ratio_ci" in per for per in result["types"].values())
    }
    if not models:
        return []
    rows = []
    for label, result in models.items():
        for name, per in result["types"].items():
            row = {"model": label, "type": name}
            for stat in NOISY:
                lo, hi = per["ratio_ci"][stat]
                ratio = (
                    per["statistics"][stat] / style["corpus_statistics"][name][stat]
                    if (style["corpus_statistics"][name][stat])
                    else float("nan")
                )
                row[stat] = "-" if np.isnan(lo) else f"{ratio:.2f} [{lo:.2f}, {hi:.2f}]"
            rows.append(row)
    return [
        "### Sampling noise of the rare-event ratios",
        "",
        "Ratio generated / corpus with its bootstrap 95% interval (2,000 resamples of the tunes, "
        "generated and corpus both resampled): an interval that holds 0.75-1.25 means the "
        "number of tunes cannot tell a miss from a hit; '-': no corpus tune has any.",
        "",
        _table(rows),
        "",
    ]


def _by_meter_markdown(style: dict) -> list[str]:
    """Dotted pairs per bar per type and meter, corpus vs the models measured by meter."""
    models = {
        label: result
        for label, result in style["models"].items()
        if all("by_meter" in per for per in result["types"].values())
    }
    corpus = style.get("corpus_by_meter")
    if not models or not corpus:
        return []
    lines = [
        "### Dotted pairs per bar by meter (like with like)",
        "",
        "Each cell: tunes, share written dotted, dotted pairs per bar (and for generated tunes "
        "the fidelity of those tunes). Meters with at least 5% of a type's corpus tunes.",
        "",
    ]
    rows = []
    for name, meters in corpus.items():
        total = sum(m["tunes"] for m in meters.values())
        for meter, c in meters.items():
            if c["tunes"] < 0.05 * total:
                continue
            row = {
                "type": name,
                "meter": meter,
                "corpus": f"{c['tunes']}, {c['dotted_share']:.0%}, {c['dotted_per_bar']:.2f}",
            }
            for label, result in models.items():
                g = result["types"][name]["by_meter"].get(meter)
                row[label] = (
                    f"{g['tunes']}, {g['dotted_share']:.0%}, {g['dotted_per_bar']:.2f}; "
                    f"fidelity {g['fidelity']:.0%}"
                    if g
                    else "-"
                )
            rows.append(row)
    return [*lines, _table(rows), ""]


#: the rows the figure shows (all of them when none is there): more do not stay readable
FIGURE_MODELS = (
    "before",
    "round 4 shipped, 800 tunes: type only",
    "round 7 shipped (jig triplets 0.88, plain slip-jig > < 1.1), 2400 tunes: type only",
    "round 7 shipped (jig triplets 0.88, plain slip-jig > < 1.1), 2400 tunes: corpus mix",
)


def style_figure(style: dict, path: Path) -> Path:
    from castlab.tunes.plots import plot_style_statistics

    models = {k: v for k, v in style["models"].items() if k in FIGURE_MODELS} or style["models"]
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
