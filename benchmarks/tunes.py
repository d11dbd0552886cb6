"""Headline numbers for the tunes domain -> docs/results/tunes.md.

1. Tokenizers (char / ABC / BPE) x models (LSTM / transformer) trained on O'Neill's 1850
   (music21's copy, the same files as ../shared/data/oneills1850-abc): held-out next-token
   accuracy and bits per ABC character, training throughput.
2. The small default model shipped in the package (ABC tokens, LSTM, all three collections).
3. 100 constrained vs 100 unconstrained tunes from it: parse rate, right-length bars,
   abc2midi warnings, AABB form, novelty; generation time per tune.
4. ``castlab --help`` start-up time.

Usage: python benchmarks/tunes.py [--epochs 4] [--workers 2] [--tunes 100] [--skip-grid]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
from _common import RESULTS, command_line, machine, markdown_table
from _tunes_style import corpus_reference, measure_style, style_figure, style_markdown

from castlab.core.artifacts import write_text

ROOT = Path(__file__).resolve().parents[1]
PRETRAINED = ROOT / "src" / "castlab" / "tunes" / "pretrained"
NARRATIVE = "<!-- narrative: written by hand, kept when the script rewrites the page -->"


def train_one(job: dict) -> dict:
    """Train one grid cell in its own process (one thread) and score it on the test split."""
    import torch

    torch.set_num_threads(job.get("threads", 1))
    from castlab.core.training import TrainConfig
    from castlab.tunes.train import TunesTrainConfig, next_token_metrics, prepare, train_tunes

    config = TunesTrainConfig(**job["tunes"])
    train_config = TrainConfig(progress=False, **job["train"])
    run_dir = ROOT / "runs" / "bench-tunes" / job["name"]
    if run_dir.exists():
        shutil.rmtree(run_dir)
    start = time.perf_counter()
    model = train_tunes(config, train_config, run_dir)
    seconds = time.perf_counter() - start
    splits, _, _ = prepare(config)
    metrics = next_token_metrics(model, splits["test"])
    return {
        "name": job["name"],
        "tokenizer": config.tokenizer,
        "model": config.model,
        "vocab": model.tokenizer.vocab_size,
        "params": sum(p.numel() for p in model.network.parameters()),
        "train_seconds": round(seconds),
        "tokens_per_second": model.info["tokens_per_second"],
        "steps": model.info["steps"],
        "test_tunes": len(splits["test"]),
        **metrics,
        "run_dir": str(run_dir.relative_to(ROOT)),
    }


def grid_jobs(epochs: int) -> list[dict]:
    jobs = []
    for tokenizer in ("abc", "char", "bpe"):
        for model in ("lstm", "transformer"):
            size = (
                {"dim": 128, "hidden": 256, "layers": 2}
                if model == "lstm"
                else {"dim": 128, "layers": 3, "heads": 4}
            )
            jobs.append(
                {
                    "name": f"{tokenizer}-{model}",
                    "tunes": {
                        "corpus": ("oneills",),
                        "tokenizer": tokenizer,
                        "model": model,
                        "seq_len": 128,
                        **size,
                    },
                    "train": {
                        "max_epochs": epochs,
                        "batch_size": 32,
                        "lr": 1e-2 if model == "lstm" else 2e-3,
                    },
                }
            )
    return jobs


def generation_checks(model_dir: Path, count: int, modes: tuple[bool, ...] = (True, False)) -> dict:
    from castlab.tunes.evaluate import BarIndex, score_tune, summarise_scores
    from castlab.tunes.generate import GenerateConfig, generate_tunes
    from castlab.tunes.model import TuneModel
    from castlab.tunes.train import TunesTrainConfig, prepare

    model = TuneModel.load(model_dir)
    splits, _, _ = prepare(TunesTrainConfig(corpus=tuple(model.info["corpus"])))
    index = BarIndex(splits["train"])
    out = {}
    for constrained in modes:
        generated = generate_tunes(
            model,
            GenerateConfig(
                count=count, seed=1000, temperature=0.7, constrained=constrained, length=300
            ),
        )
        scores = [score_tune(g.tune, model.tokenizer, index) for g in generated]
        summary = summarise_scores(scores)
        summary["seconds_per_tune"] = statistics.mean(g.seconds for g in generated)
        summary["tokens_per_tune"] = statistics.mean(g.new_tokens for g in generated)
        out["constrained" if constrained else "unconstrained"] = summary
        if constrained:
            (ROOT / "runs" / "bench-tunes").mkdir(parents=True, exist_ok=True)
            (ROOT / "runs" / "bench-tunes" / "constrained-examples.abc").write_text(
                "\n".join(g.tune.to_abc() for g in generated[:10])
            )
    return out


def help_time(runs: int = 5) -> float:
    castlab = ROOT / ".venv" / "bin" / "castlab"
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([str(castlab), "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def write_markdown(results: dict, command: str) -> Path:
    lines = [
        "# tunes: results",
        "",
        "- Commands (in order; later runs update only their sections): "
        + "; ".join(f"`{c}`" for c in results.get("commands", [command])),
        f"- Machine: {results['machine']}; torch threads per training job: 1, "
        f"{results['workers']} jobs at a time",
        f"- Date: {results['date']}",
        "- Data: O'Neill's 1850 from music21's corpus (the same files as "
        "`../shared/data/oneills1850-abc`), split by tune with a hash (5% valid, 5% test); "
        "the shipped model uses O'Neill's + Ryan's Mammoth + Aird's Airs.",
        "",
        "## Tokenizers x models (held-out O'Neill tunes)",
        "",
        "Bits per character = total cross-entropy in bits / characters of the tune texts, so "
        "rows compare across tokenizers; accuracy is per token of each tokenizer (ABC tokens "
        "include single spaces, which mark beaming).",
        "",
    ]
    grid = [
        {
            "tokenizer": row["tokenizer"],
            "model": row["model"],
            "vocab": row["vocab"],
            "params": f"{row['params']:,}",
            "epochs": results["epochs"],
            "steps": row["steps"],
            "accuracy": f"{row['accuracy']:.1%}",
            "bits/char": f"{row['bits_per_character']:.3f}",
            "bits/token": f"{row['bits_per_token']:.3f}",
            "train tokens/s": f"{row['tokens_per_second']:,}",
            "train s": str(row["train_seconds"]),
        }
        for row in results.get("grid", [])
    ]
    columns = ["tokenizer", "model", "vocab", "params", "epochs", "steps", "accuracy"]
    columns += ["bits/char", "bits/token", "train tokens/s", "train s"]
    lines.append(markdown_table(pd.DataFrame(grid, columns=columns)).rstrip("\n"))
    shipped = results.get("shipped")
    if shipped:
        lines += [
            "",
            "## The default model shipped until issue 17"
            if results.get("shipped_v2")
            else "## The shipped default model",
            "",
            f"ABC tokens, {shipped['model']}, {shipped['params']:,} parameters, trained "
            f"{shipped['steps']} steps ({shipped['train_seconds']} s): held-out accuracy "
            f"{shipped['accuracy']:.1%}, {shipped['bits_per_character']:.3f} bits/char on "
            f"{shipped['test_tunes']} test tunes of the three collections.",
        ]
    gen = results.get("generation")
    if gen:
        lines += [
            "",
            f"## Constrained vs unconstrained ({gen['constrained']['tunes']} tunes each, "
            "temperature 0.7, the default model shipped until issue 17)",
            "",
        ]
        rows = [
            {
                "decoding": mode,
                "parse rate (music21)": f"{s['parse_rate']:.0%}",
                "right-length bars": f"{s['right_length_bars']:.1%}",
                "tunes with no abc2midi bar warning": f"{s['abc2midi_clean_tunes']:.0%}",
                "AABB form": f"{s['aabb_share']:.0%}",
                "median / max copied bars": (
                    f"{s['median_copied_bars']:.0f} / {s['max_copied_bars']:.0f}"
                ),
                "s per tune": f"{s['seconds_per_tune']:.2f}",
                "tokens per tune": f"{s['tokens_per_tune']:.0f}",
            }
            for mode, s in gen.items()
        ]
        lines.append(markdown_table(pd.DataFrame(rows)).rstrip("\n"))
        lines += [
            "",
            "Novelty: the longest run of consecutive bars that also occurs, in order, "
            "in one training tune. AABB form: two repeated parts of 8 right-length bars "
            "(pickup and first/second endings allowed).",
        ]
    if "help_seconds" in results:
        lines += ["", f"`castlab --help`: {results['help_seconds']:.2f} s (median of 5)."]
    shipped_v2 = results.get("shipped_v2")
    if shipped_v2:
        info = shipped_v2["info"]
        lines += [
            "",
            "## The shipped default model since issue 17",
            "",
            f"`{info['train_command']}` (from a model trained {info['init_steps']} steps in its "
            "own run, then "
            f"{info['steps']} more in {info['seconds']:.0f} s, shared machine), packaged by "
            f"`{shipped_v2['command']}`"
            + "".join(
                f", its sampling settings then changed by `{c}`"
                for c in shipped_v2.get("settings_commands", [])
            )
            + f": {shipped_v2['params']:,} parameters, "
            f"{shipped_v2['package_bytes'] / 1e6:.2f} MB on disk (float16). Held-out next-token "
            f"accuracy {info['benchmark']['accuracy']:.1%}, "
            f"{info['benchmark']['bits_per_character']:.3f} bits/char on "
            f"{shipped_v2['test_tunes']} test tunes in its training text (types inferred, "
            f"{info.get('notation', 'written')} notation"
            f"{', N: dotting codes' if info.get('dotting') else ''}; not the same text as the "
            "row above). "
            f"Per-type temperatures: {info.get('temperatures', 'none (0.7)')}. "
            f"Per-type temperatures of triplets: {info.get('triplet_temperatures', 'as body')}. "
            f"Per-type temperatures of dotted pairs: {info.get('dotted_temperatures', 'as body')}"
            " (N:dotted tunes), "
            f"{info.get('plain_dotted_temperatures', 'as body')} (N:plain tunes). "
            f"Per-type guidance: {info.get('guidance', 'none')}.",
        ]
    demo_size = results.get("demo_size")
    if demo_size:
        sizes = demo_size["sizes"]
        lines += [
            "",
            "## Demo report size (the tunes part of `castlab demo`)",
            "",
            f"`{demo_size['command']}` on {demo_size['machine']}:",
            "",
            markdown_table(
                pd.DataFrame(
                    [
                        {
                            "audio": name,
                            "files in the tunes part": f"{s['total_bytes'] / 1e6:.2f} MB",
                            "of which audio": f"{s['audio_bytes'] / 1e6:.2f} MB "
                            f"({s['audio_files']} files)",
                            "rendered by fluidsynth": "yes" if s["fluidsynth"] else "no",
                        }
                        for name, s in sizes.items()
                    ]
                )
            ).rstrip("\n"),
        ]
    if results.get("style"):
        figure = RESULTS / "tunes" / "style.png"
        style_figure(results["style"], figure)
        lines += style_markdown(results["style"], "tunes/style.png")
    path = RESULTS / "tunes.md"
    RESULTS.mkdir(parents=True, exist_ok=True)
    # the hand-written reading of the numbers lives below the marker and survives re-runs
    kept = path.read_text().partition(NARRATIVE)[2] if path.exists() else ""
    write_text(path, "\n".join(lines) + "\n" + (f"\n{NARRATIVE}{kept}" if kept else ""))
    write_text(RESULTS / "tunes.json", json.dumps(results, indent=2))  # atomically
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--shipped-epochs", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tunes", type=int, default=100)
    parser.add_argument("--skip-grid", action="store_true")
    parser.add_argument("--skip-shipped", action="store_true")
    parser.add_argument(
        "--only-constrained",
        action="store_true",
        help="re-check constrained decoding only; keep the other row",
    )
    parser.add_argument(
        "--style",
        action="append",
        default=[],
        metavar="LABEL=MODEL",
        help="measure style fidelity of a model folder ('pretrained': the packaged model); "
        "only these sections run",
    )
    parser.add_argument("--style-count", type=int, default=50, help="tunes per type")
    parser.add_argument("--style-seed", type=int, default=1, help="seed of the first tune")
    parser.add_argument("--style-unconstrained", type=int, default=16)
    parser.add_argument(
        "--style-unprompted",
        type=int,
        default=0,
        help="tunes generated asking for nothing (0: as many as --style-count)",
    )
    parser.add_argument(
        "--style-mix",
        action="store_true",
        help="ask for each type's meters and dotting in the corpus's proportions",
    )
    parser.add_argument(
        "--style-guidance",
        default="0",
        help="type guidance scale, one or per type 'hornpipe=2' (0: off; -1: the model's own)",
    )
    parser.add_argument(
        "--style-header-temperature",
        type=float,
        default=1.0,
        help="temperature of the header fields the model picks (the body's: 0.7)",
    )
    parser.add_argument(
        "--style-triplet-temperature",
        default="",
        help="temperature of triplets in the body ('': the model's own per type; 'body': the "
        "body's, as before round 3)",
    )
    parser.add_argument(
        "--style-dotted-temperature",
        default="",
        help="temperature of > and < in the body ('': the model's own per type; 'body': the "
        "body's, as before round 4)",
    )
    parser.add_argument(
        "--style-guidance-against",
        default="",
        help="per type, the type to guide away from: 'hornpipe=reel,reel=hornpipe'",
    )
    parser.add_argument(
        "--style-temperature",
        default="0.7",
        help="one temperature, or per type: 'reel=0.8,jig=0.7,...'",
    )
    parser.add_argument(
        "--demo-size",
        action="store_true",
        help="only measure the size of the demo report's tunes part with WAV and with Ogg audio",
    )
    parser.add_argument(
        "--ship",
        metavar="RUN_DIR",
        help="only package RUN_DIR/model as the default model (float16) with its held-out numbers",
    )
    parser.add_argument(
        "--ship-temperatures",
        default="",
        help="per-type temperatures stored with it: 'reel=0.8,...'",
    )
    parser.add_argument(
        "--ship-triplet-temperatures",
        default="",
        help="per-type temperatures of triplets stored with it: 'reel=1,jig=1'",
    )
    parser.add_argument(
        "--ship-dotted-temperatures",
        default="",
        help="per-type temperatures of > and < stored with it: 'hornpipe=1'",
    )
    parser.add_argument(
        "--ship-plain-dotted-temperatures",
        default="",
        help="per-type temperatures of > and < in N:plain tunes stored with it: 'slip jig=1'",
    )
    parser.add_argument(
        "--ship-guidance",
        default="",
        help="per-type guidance stored with it: 'hornpipe=2:reel,reel=2:hornpipe'",
    )
    parser.add_argument(
        "--ship-settings",
        action="store_true",
        help="only change the packaged model's --ship-* sampling settings (weights untouched)",
    )
    parser.add_argument(
        "--render", action="store_true", help="only rewrite the page from tunes.json"
    )
    args = parser.parse_args()
    command = "python benchmarks/tunes.py " + " ".join(sys.argv[1:])
    if args.render:
        print(write_markdown(_locked_results(), command))
        return
    if args.ship_settings:
        run_ship_settings(
            command_line(),
            temperatures=args.ship_temperatures,
            guidance=args.ship_guidance,
            triplets=args.ship_triplet_temperatures,
            dotted=args.ship_dotted_temperatures,
            plain_dotted=args.ship_plain_dotted_temperatures,
        )
        return
    if args.ship:
        run_ship(
            Path(args.ship),
            args.ship_temperatures,
            args.ship_guidance,
            command_line(),
            triplets=args.ship_triplet_temperatures,
            dotted=args.ship_dotted_temperatures,
            plain_dotted=args.ship_plain_dotted_temperatures,
        )
        return
    if args.demo_size:
        run_demo_size(command_line())
        return
    if args.style:
        run_style(args, command_line())
        return
    previous = RESULTS / "tunes.json"
    results = json.loads(previous.read_text()) if previous.exists() else {}
    results.update(
        {
            "machine": machine(),
            "date": datetime.date.today().isoformat(),
            "workers": args.workers,
            "epochs": args.epochs,
        }
    )
    jobs = [] if args.skip_grid else grid_jobs(args.epochs)
    if not args.skip_shipped:
        jobs.insert(
            0,
            {
                "name": "shipped",
                "tunes": {
                    "corpus": ("oneills", "ryans", "airds"),
                    "tokenizer": "abc",
                    "model": "lstm",
                    "dim": 192,
                    "hidden": 384,
                    "layers": 2,
                },
                "train": {"max_epochs": args.shipped_epochs, "batch_size": 32, "lr": 1e-2},
            },
        )
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        done = list(pool.map(train_one, jobs))
    for row in done:
        print(json.dumps(row), flush=True)
    if not args.skip_grid:
        results["grid"] = [row for row in done if row["name"] != "shipped"]
    shipped = next((row for row in done if row["name"] == "shipped"), None)
    if shipped:
        results["shipped"] = shipped
        from castlab.tunes.model import TuneModel

        model = TuneModel.load(ROOT / shipped["run_dir"] / "model")
        model.info["benchmark"] = {k: shipped[k] for k in ("accuracy", "bits_per_character")}
        if PRETRAINED.exists():
            shutil.rmtree(PRETRAINED)
        model.save(PRETRAINED, half=True)  # float16 on disk keeps the package small
    modes = (True,) if args.only_constrained else (True, False)
    results["generation"] = {
        **results.get("generation", {}),
        **generation_checks(PRETRAINED, args.tunes, modes),
    }
    results["help_seconds"] = help_time()
    print(write_markdown(results, command))


def _locked_results() -> dict:
    """tunes.json as it is now, read under a lock held until this process ends, so runs in
    parallel do not overwrite each other's sections."""
    import fcntl

    (ROOT / "runs").mkdir(exist_ok=True)
    lock = (ROOT / "runs" / ".tunes-results.lock").open("w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    _LOCKS.append(lock)  # keep the file open: closing it would release the lock
    previous = RESULTS / "tunes.json"
    return json.loads(previous.read_text()) if previous.exists() else {}


_LOCKS: list = []


def _triplet_temperature(text: str) -> float | str | None:
    """'' -> None (the model's own), 'body' -> 'body', '1' -> 1.0."""
    return None if not text else "body" if text == "body" else float(text)


def run_ship(
    run_dir: Path,
    temperatures: str,
    guidance: str,
    command: str,
    *,
    triplets: str = "",
    dotted: str = "",
    plain_dotted: str = "",
) -> None:
    """Package a trained run as the default model, with its held-out numbers."""
    import torch

    from castlab.core.artifacts import read_json
    from castlab.tunes.model import TuneModel
    from castlab.tunes.train import TunesTrainConfig, next_token_metrics, prepare

    torch.set_num_threads(1)
    saved = read_json(run_dir / "config.json")
    config = TunesTrainConfig(**{**saved["tunes"], "corpus": tuple(saved["tunes"]["corpus"])})
    model = TuneModel.load(run_dir / "model")
    splits, _, _ = prepare(config)
    metrics = next_token_metrics(model, splits["test"])
    model.info["benchmark"] = {k: metrics[k] for k in ("accuracy", "bits_per_character")}
    _store_settings(
        model.info,
        temperatures=temperatures,
        guidance=guidance,
        triplets=triplets,
        dotted=dotted,
        plain_dotted=plain_dotted,
    )
    model.info["train_command"] = (run_dir / "command.txt").read_text().strip()
    if PRETRAINED.exists():
        shutil.rmtree(PRETRAINED)
    model.save(PRETRAINED, half=True)  # float16 on disk keeps the package small
    results = _locked_results()
    results["shipped_v2"] = {
        "info": model.info,
        "params": sum(p.numel() for p in model.network.parameters()),
        "package_bytes": sum(p.stat().st_size for p in PRETRAINED.iterdir()),
        "test_tunes": len(splits["test"]),
        "command": command,
        "machine": machine(),
    }
    print(json.dumps(results["shipped_v2"], indent=1))
    print(write_markdown(results, command))


def _store_settings(
    info: dict, *, temperatures: str, guidance: str, triplets: str, dotted: str, plain_dotted: str
) -> None:
    """Put the ``--ship-*`` sampling settings that were given into a model's ``info``."""
    for key, text in (
        ("temperatures", temperatures),
        ("triplet_temperatures", triplets),
        ("dotted_temperatures", dotted),
        ("plain_dotted_temperatures", plain_dotted),
    ):
        if text:
            info[key] = _temperatures(text)
    if guidance:  # 'hornpipe=2:reel,reel=2:hornpipe' -> {type: {scale, against}}
        info["guidance"] = {
            name: {"scale": float(value.split(":")[0]), "against": value.partition(":")[2] or None}
            for name, value in _temperatures(guidance, kind=str).items()
        }


def run_ship_settings(command: str, **settings: str) -> None:
    """Change only the packaged model's sampling settings (``--ship-*``); its weights,
    tokenizer and held-out numbers stay as they are."""
    from castlab.core.artifacts import read_json, write_json

    config = read_json(PRETRAINED / "config.json")
    _store_settings(config["info"], **settings)
    write_json(PRETRAINED / "config.json", config)
    results = _locked_results()
    results["shipped_v2"]["info"] = config["info"]
    results["shipped_v2"]["settings_commands"] = [
        *results["shipped_v2"].get("settings_commands", []),
        command,
    ]
    print(write_markdown(results, command))


def run_demo_size(command: str) -> None:
    """The tunes part of ``castlab demo`` written twice: WAV audio (before) and Ogg (now)."""
    import tempfile

    from castlab import demo
    from castlab.tunes import demo as tunes_demo

    sizes = {}
    for audio_format in ("wav", "ogg"):
        tunes_demo.AUDIO_FORMAT = audio_format
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            demo.run_demo(Path(tmp), ["tunes"])
            files = [p for p in Path(tmp).rglob("*") if p.is_file()]
            html = (Path(tmp) / "index.html").read_text()
            sizes[audio_format] = {
                "total_bytes": sum(p.stat().st_size for p in files),
                "audio_bytes": sum(p.stat().st_size for p in files if p.suffix in {".wav", ".ogg"}),
                "audio_files": sum(p.suffix in {".wav", ".ogg"} for p in files),
                "fluidsynth": "audio by fluidsynth" in html,
                "seconds": round(time.perf_counter() - start),
            }
        print(audio_format, sizes[audio_format], flush=True)
    results = _locked_results()
    results["demo_size"] = {"sizes": sizes, "command": command, "machine": machine()}
    print(write_markdown(results, command))


def _temperatures(text: str, kind: type = float) -> dict | float | str:  # type: ignore[type-arg]
    """'0.7' -> 0.7; 'reel=0.8,jig=0.7' -> {'reel': 0.8, 'jig': 0.7} (values of ``kind``)."""
    if "=" not in text:
        return kind(text)
    return {k.strip(): kind(v.strip()) for k, v in (item.split("=") for item in text.split(","))}


def run_style(args: argparse.Namespace, command: str) -> None:
    """Measure style fidelity of each --style model and update the page."""
    import torch

    from castlab.tunes.model import TuneModel

    torch.set_num_threads(1)
    previous = RESULTS / "tunes.json"
    results = json.loads(previous.read_text()) if previous.exists() else {}
    reference = corpus_reference(("oneills", "ryans", "airds"))
    style = results.get("style", {})
    style.update(
        {
            "ceiling": reference["ceiling"],
            "corpus_statistics": reference["statistics"],
            "corpus_pitch_classes": reference["pitch_classes"],
            "corpus_by_meter": reference["by_meter"],
            "cross_validated": reference["cross_validated"],
        }
    )
    style.setdefault("models", {})
    for item in args.style:
        label, _, folder = item.partition("=")
        model = TuneModel.pretrained() if folder == "pretrained" else TuneModel.load(folder)
        measured = measure_style(
            model,
            reference,
            count=args.style_count,
            unconstrained=args.style_unconstrained,
            temperatures=_temperatures(args.style_temperature),
            mix=args.style_mix,
            guidance=None if args.style_guidance == "-1" else _temperatures(args.style_guidance),
            header_temperature=args.style_header_temperature,
            triplet_temperature=_triplet_temperature(args.style_triplet_temperature),
            dotted_temperature=_triplet_temperature(args.style_dotted_temperature),
            seed=args.style_seed,
            unprompted=args.style_unprompted or None,
            against=_temperatures(args.style_guidance_against, kind=str)
            if args.style_guidance_against
            else None,
            examples=ROOT / "runs" / "bench-tunes" / "style" / label,
        )
        measured["model"] = folder
        measured["model_info"] = {
            k: model.info.get(k) for k in ("steps", "init_steps", "seconds", "notation")
        }
        measured["load"] = os.getloadavg()[0]
        style["models"][label] = measured
        print(label, json.dumps({k: v for k, v in measured.items() if k != "types"}), flush=True)
    # measurements of other models may finish meanwhile (parallel runs): merge under a lock
    results = _locked_results()
    merged = results.get("style", {}).get("models", {})
    style["models"] = {**merged, **style["models"]}
    results["style"] = style
    results.setdefault("commands", [])
    results["commands"] = [*results["commands"], command]
    style["machine"] = machine()
    style["date"] = datetime.date.today().isoformat()
    print(write_markdown(results, command))


if __name__ == "__main__":
    main()
