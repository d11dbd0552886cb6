"""Choose a sampling knob for one tune type on tuning seeds -> docs/results/tunes_tuning.md.

Generates ``--count`` tunes of ``--type`` per setting on seeds that no reported row uses
(``--seed 5001``: the style rows of docs/results/tunes.md start at 1, 1001 and 10001), asking
only for the type (``--mix``: for the corpus's meters and dotting in its proportions, as the
style benchmark's corpus-mix rows do), and reports for each setting the type fidelity (the same classifier as the style
benchmark) and the dotted pairs and triplets per bar as ratios to the corpus's tunes of that
type, with bootstrap 95% intervals. The knob is then chosen by looking at those corpus rates;
the reported rows are measured afterwards on their own seeds by benchmarks/tunes.py.

A setting is ``label:scale=2,against=reel,temperature=0.55,dotted=1,triplet=0.55`` (missing
keys: the shipped model's own value for the type; as in ``GenerateConfig``, a ``scale``
without ``against`` guides against no type, not against the model's stored one).

Usage: python benchmarks/tunes_tuning.py --type hornpipe --count 300 --seed 5001 \\
    --setting 'shipped:' --setting 'dotted 1:dotted=1'
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
from _common import RESULTS, command_line, machine
from _tunes_style import _generate, _table, corpus_reference, mix_headers, ratio_interval

from castlab.core.artifacts import write_text
from castlab.tunes.generate import GenerateConfig, generate_tunes
from castlab.tunes.model import TuneModel
from castlab.tunes.style import dotting, tune_statistics

PAGE = RESULTS / "tunes_tuning.md"


def parse_setting(text: str) -> tuple[str, dict]:
    """'dotted 1:dotted=1,scale=2' -> ('dotted 1', {'dotted_temperature': 1.0, 'guidance': 2.0}).

    >>> parse_setting("a:scale=1.5,against=reel,temperature=0.6,triplet=0.5")
    ('a', {'guidance': 1.5, 'guidance_against': 'reel', 'temperature': 0.6, 'triplet_temperature': 0.5})
    """
    label, _, rest = text.rpartition(":")  # the label may hold colons (N:dotted)
    names = {
        "scale": "guidance",
        "against": "guidance_against",
        "temperature": "temperature",
        "dotted": "dotted_temperature",
        "plain_dotted": "plain_dotted_temperature",
        "triplet": "triplet_temperature",
    }
    options: dict = {}
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        options[names[key.strip()]] = value.strip() if key == "against" else float(value)
    return label, options


def measure(model, reference, name, count, seed, options, mix=False) -> dict:  # type: ignore[no-untyped-def]
    """``mix``: ask for the type's meters and dotting in the corpus's proportions (as the
    style benchmark's `--style-mix` rows do), not for the type only."""
    start = time.perf_counter()
    if mix:
        rest = {k: v for k, v in options.items() if k not in ("temperature", "guidance")}
        headers = mix_headers(reference["mix"][name], count, dotting=True)
        tunes = _generate(
            model,
            name,
            count,
            seed,
            options.get("temperature"),
            options.get("guidance"),
            headers,
            **rest,
        )
    else:
        config = GenerateConfig(rhythm=name, count=count, seed=seed, **options)
        tunes = [g.tune for g in generate_tunes(model, config)]
    predicted = reference["classifier"].predict(tunes)
    corpus = reference["by_type"][name]
    out = {
        "options": options,
        "tunes": count,
        "fidelity": float(np.mean([p == name for p in predicted])),
        "dotted_share": float(np.mean([dotting(t) == "dotted" for t in tunes])),
        "seconds": round(time.perf_counter() - start),
    }
    for stat in ("dotted_per_bar", "triplets_per_bar"):
        mean = statistics.mean(tune_statistics(t)[stat] for t in tunes)
        real = reference["statistics"][name][stat]
        out[stat] = mean / real if real else float("nan")  # slip jigs: no corpus triplets
        out[f"{stat}_generated"] = mean
        out[f"{stat}_ci"] = ratio_interval(tunes, corpus, stat)
    for code in ("dotted", "plain"):  # like with like: the tunes of each N: code
        rows = [tune_statistics(t) for t in tunes if dotting(t) == code]
        out[f"{code}_tunes_dotted_per_bar"] = (
            statistics.mean(r["dotted_per_bar"] for r in rows) if rows else float("nan")
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--type", default="hornpipe")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=5001)
    parser.add_argument("--setting", action="append", default=[])
    parser.add_argument(
        "--mix",
        action="store_true",
        help="ask for the corpus's meters and dotting, not the type only",
    )
    args = parser.parse_args()
    if args.seed < 2001:
        sys.exit("tuning seeds must not overlap the reported rows' (1+, 1001+): use --seed 5001")
    torch.set_num_threads(1)
    model = TuneModel.pretrained()
    reference = corpus_reference(("oneills", "ryans", "airds"))
    corpus = reference["by_type"][args.type]
    real_dotted = [tune_statistics(t) for t in corpus if dotting(t) == "dotted"]
    real_plain = [tune_statistics(t) for t in corpus if dotting(t) == "plain"]
    rows = []
    for text in args.setting or ["shipped:"]:
        label, options = parse_setting(text)
        result = measure(model, reference, args.type, args.count, args.seed, options, args.mix)
        result["label"] = label
        result["load"] = os.getloadavg()[0]
        print(json.dumps(result), flush=True)
        rows.append(result)
    shown = [
        {
            "setting": r["label"],
            "options (else the model's)": ", ".join(f"{k}={v}" for k, v in r["options"].items())
            or "-",
            "fidelity": f"{r['fidelity']:.1%}",
            "written dotted": f"{r['dotted_share']:.0%}",
            "dotted pairs per bar in dotted tunes": f"{r['dotted_tunes_dotted_per_bar']:.2f}",
            "in plain tunes": f"{r['plain_tunes_dotted_per_bar']:.3f}",
            "dotted pairs / corpus": "{:.2f} [{:.2f}, {:.2f}]".format(
                r["dotted_per_bar"], *r["dotted_per_bar_ci"]
            ),
            "triplets / corpus": "{:.2f} [{:.2f}, {:.2f}]".format(
                r["triplets_per_bar"], *r["triplets_per_bar_ci"]
            )
            if r["triplets_per_bar"] == r["triplets_per_bar"]  # nan: none in the corpus
            else "-",
            "triplets per bar (corpus {:.4f})".format(
                reference["statistics"][args.type]["triplets_per_bar"]
            ): f"{r['triplets_per_bar_generated']:.4f}",
            "s": str(r["seconds"]),
            "load": f"{r['load']:.1f}",
        }
        for r in rows
    ]
    section = [
        f"## {args.type}{' (corpus mix of meters and dotting)' if args.mix else ''}: "
        f"{args.count} tunes per setting, seeds {args.seed}+ "
        f"({datetime.date.today().isoformat()})",
        "",
        f"- Command: `{command_line()}`",
        f"- Machine: {machine()}; 1 thread, shared with other developers' jobs (load: "
        "1-minute average when each setting finished)",
        f"- Corpus {args.type}s: {len(corpus)}, "
        f"{len(real_dotted) / len(corpus):.0%} written dotted, "
        f"{statistics.mean(r['dotted_per_bar'] for r in real_dotted):.2f} dotted pairs per bar "
        "in those, "
        f"{statistics.mean(r['dotted_per_bar'] for r in real_plain):.3f} in the plain ones; "
        "fidelity: share the style benchmark's classifier puts in the type",
        "",
        _table(shown),
        "",
    ]
    header = (
        "# tunes: tuning seeds (issue 17)\n\nKnobs chosen here on seeds no reported row uses; "
        "the rows on docs/results/tunes.md are measured afterwards on their own seeds.\n\n"
    )
    kept = PAGE.read_text() if PAGE.exists() else header
    write_text(PAGE, kept + "\n".join(section) + "\n")  # atomically
    print("\n".join(section))


if __name__ == "__main__":
    main()
