"""Art results: parameterisations race, strokes, style transfer, speed and memory at 256 px.

Writes ``docs/results/art.md`` plus figures and JSON under ``docs/results/art/``. Each part
saves its numbers to ``docs/results/art/<part>.json`` as soon as it finishes, and the page
is written from every saved part, so parts can run separately (``--parts``).

Usage::

    python benchmarks/art.py                         # every part (about 12 CPU minutes)
    python benchmarks/art.py --parts race,speed      # some parts; the page keeps the others
    python benchmarks/art.py --quick                 # fewer steps and settings (a smoke run)
    python benchmarks/art.py --page-only             # rewrite the page from saved parts

Data: scikit-learn's sample photos ``china.jpg`` (target, content) and ``flower.jpg`` (style),
centre-cropped and resized to the size asked for.

Parts:

1. race: copy china.jpg (MSE) with each parameterisation; steps to PSNR 25 dB and PSNR
   after 500 steps (lucid claims its decorrelated Fourier space beats raw pixels); and a
   texture race (style goal only), closer to the feature-visualisation use lucid meant.
2. strokes: 200 brush strokes; target SSIM >= 0.6.
3. style: content + style transfer with the random-filter net (and ``--encoder`` if given).
4. speed: steps per second per goal, fp32 vs bf16 autocast.
5. memory: peak RSS of a 512 px style run in a subprocess (target <= 2 GB).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from _common import RESULTS, command_line, markdown_table, write_page

from castlab.art.data import load_image, save_png, to_array, to_tensor
from castlab.art.goals import Goals, Style, TargetMSE
from castlab.art.model import RandomFeatureNet
from castlab.art.optimise import Optimisation
from castlab.art.parameterisations import make_parameterisation
from castlab.art.plots import curves, image_grid
from castlab.art.run import ArtConfig, build, paint
from castlab.core.artifacts import write_json

FOLDER = RESULTS / "art"
PARTS = ("race", "strokes", "style", "speed", "memory")
#: learning rates tried per parameterisation in the race (the best is drawn)
RACE_LRS = {
    "pixels": (0.03, 0.1, 0.3),
    "fourier": (0.03, 0.1, 0.3),
    "siren": (1e-3,),  # best of 1e-4, 3e-4, 1e-3 in a 96 px trial
    "cppn": (1e-2,),  # best of 1e-3, 3e-3, 1e-2 in a 96 px trial
    "palette": (0.05,),
}
#: peers quoted in issue 15, seconds per step
PEERS = {
    "pystiche users (CPU, 'more than a minute per 10 steps')": 6.0,
    "neural-style (laptop CPU, 128 px, ~1 hour per 1,000 iterations)": 3.6,
}


def _psnr(image: torch.Tensor, target: np.ndarray) -> float:
    mse = float(((to_array(image) - target) ** 2).mean())
    return 10 * math.log10(1 / max(mse, 1e-12))


def race(args: argparse.Namespace) -> dict[str, Any]:
    """Copy china.jpg with each parameterisation; PSNR per step; a texture race."""
    target = load_image("sample:china", size=args.size)
    rows, series = [], {}
    for param, lrs in RACE_LRS.items():
        for lr in lrs[:1] if args.quick else lrs:
            torch.manual_seed(0)
            art = make_parameterisation(param, args.size)
            run = Optimisation(art, Goals([(1.0, TargetMSE(to_tensor(target)))]), lr=lr)
            psnr: list[float] = []
            cpu = time.process_time()
            run.run(args.steps, callback=lambda s, p=psnr: p.append(_psnr(s.image, target)))
            cpu = time.process_time() - cpu
            reached = next((i + 1 for i, v in enumerate(psnr) if v >= 25.0), None)
            rows.append({
                "parameterisation": param, "lr": lr, "steps_to_25dB": reached,
                "psnr_100": psnr[min(99, len(psnr) - 1)], f"psnr_{args.steps}": psnr[-1],
                "best_psnr": max(psnr), "wall_s_per_step": run.history_[-1]["seconds"] / args.steps,
                "cpu_s_per_step": cpu / args.steps,
            })  # fmt: skip
            series[f"{param} lr={lr}"] = psnr
            print(f"race {param} lr={lr}: {psnr[-1]:.2f} dB, 25 dB at {reached}", flush=True)
            save_png(run.best_array, FOLDER / f"race-{param}.png") if lr == lrs[-1] else None
    texture = []
    style_image = to_tensor(load_image("sample:flower", size=args.size))
    for param in ("pixels", "fourier"):
        for lr in (0.05,):
            torch.manual_seed(0)
            goal = Style(style_image, RandomFeatureNet())
            run = Optimisation(make_parameterisation(param, args.size), Goals([(1.0, goal)]), lr=lr)
            run.run(args.texture_steps)
            losses = [row["style"] for row in run.history_]
            texture.append({
                "parameterisation": param, "lr": lr, "style_loss_start": losses[0],
                "style_loss_50": losses[min(49, len(losses) - 1)], "style_loss_end": losses[-1],
                "best_style_loss": min(losses),
            })  # fmt: skip
            save_png(run.best_array, FOLDER / f"texture-{param}-{lr}.png")
            print(f"texture {param} lr={lr}: {min(losses):.4f}", flush=True)
    return {"rows": rows, "series": series, "texture": texture, "steps": args.steps,
            "texture_steps": args.texture_steps}  # fmt: skip


def strokes(args: argparse.Namespace) -> dict[str, Any]:
    """200 brush strokes copy china.jpg; SSIM of the best image."""
    config = ArtConfig(
        param="strokes", strokes=args.strokes, goals=(("mse", 1.0), ("ssim", 0.2)),
        target="sample:china", size=args.size, steps=args.stroke_steps, frames=25,
    )  # fmt: skip
    cpu = time.process_time()
    result = paint(config, FOLDER / "strokes-run")
    cpu = time.process_time() - cpu
    summary = result.summary
    print(f"strokes: SSIM {summary['ssim']:.3f}, PSNR {summary['psnr']:.2f}", flush=True)
    save_png(result.optimisation.best_array, FOLDER / "strokes.png")
    return {"config": config, "summary": summary, "cpu_s_per_step": cpu / config.steps}


def style(args: argparse.Namespace) -> dict[str, Any]:
    """Content + style transfer with the random net (and an encoder folder if given)."""
    nets = {"random filters": None}
    if args.encoder:
        nets[f"encoder {Path(args.encoder).name}"] = str(args.encoder)
    rows, images = (
        [],
        {
            "content (china)": load_image("sample:china", size=args.size),
            "style (flower)": load_image("sample:flower", size=args.size),
        },
    )
    for name, encoder in nets.items():
        config = ArtConfig(
            param="pixels", goals=(("content", 1.0), ("style", 5.0)), content="sample:china",
            style="sample:flower", init="content", encoder=encoder, size=args.size,
            steps=args.style_steps, frames=20,
        )  # fmt: skip
        cpu = time.process_time()
        result = paint(config, FOLDER / f"style-{name.split()[0]}")
        cpu = time.process_time() - cpu
        history = result.optimisation.history_
        images[name] = result.optimisation.best_array
        rows.append({
            "features": name, "steps": config.steps,
            "style_loss_start": history[0]["style"], "style_loss_end": history[-1]["style"],
            "content_loss_end": history[-1]["content"],
            "wall_s_per_step": history[-1]["seconds"] / config.steps,
            "cpu_s_per_step": cpu / config.steps,
        })  # fmt: skip
        print(f"style {name}: {rows[-1]}", flush=True)
    image_grid(images, FOLDER / "style.png")
    encoder_config = None
    if args.encoder:
        encoder_config = json.loads((Path(args.encoder) / "config.json").read_text())
    return {"rows": rows, "encoder": str(args.encoder) if args.encoder else None,
            "encoder_config": encoder_config}  # fmt: skip


def speed(args: argparse.Namespace) -> dict[str, Any]:
    """Steps per second of the loop per goal (pixels at the benchmark size), fp32 vs bf16."""
    goal_sets = {
        "mse": (("mse", 1.0),),
        "ssim": (("ssim", 1.0),),
        "tv": (("tv", 1.0),),
        "palette": (("palette", 1.0),),
        "content": (("content", 1.0),),
        "style": (("style", 1.0),),
        "content+style (transfer)": (("content", 1.0), ("style", 5.0)),
    }
    rows = []
    for name, goals in goal_sets.items():
        row: dict[str, Any] = {"goal": name}
        for precision in ("fp32", "bf16"):
            config = ArtConfig(
                param="pixels", goals=goals, target="sample:china", content="sample:china",
                style="sample:flower", size=args.size, steps=1, precision=precision,
            )  # fmt: skip
            torch.manual_seed(0)
            parameterisation, built, _ = build(config)
            run = Optimisation(parameterisation, built, precision=precision).run(3)  # warm-up
            cpu, wall = time.process_time(), time.perf_counter()
            run.run(args.speed_steps)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            row[f"{precision}_steps_per_s"] = args.speed_steps / wall
            row[f"{precision}_cpu_s_per_step"] = cpu / args.speed_steps
        row["bf16_speedup"] = row["bf16_steps_per_s"] / row["fp32_steps_per_s"]
        rows.append(row)
        print(f"speed {row}", flush=True)
    return {"rows": rows, "steps": args.speed_steps}


_CHILD = """
import resource, sys, time
from castlab.art.run import ArtConfig, paint
size, steps, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
config = ArtConfig(param="pixels", goals=(("content", 1.0), ("style", 5.0)),
                   content="sample:china", style="sample:flower", init="content",
                   size=size, steps=steps, frames=steps)
start = time.perf_counter()
paint(config, out)
print(time.perf_counter() - start)
"""


def memory(args: argparse.Namespace) -> dict[str, Any]:
    """Peak RSS of style runs in fresh subprocesses (ru_maxrss of the child)."""
    rows = []
    for size in (256, 512):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        result = subprocess.run(
            [sys.executable, "-c", _CHILD, str(size), str(args.memory_steps), str(Path(tempfile.mkdtemp()) / f"memory-{size}")],
            capture_output=True, text=True, check=True, env=os.environ.copy(),
        )  # fmt: skip
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        if peak_kb <= before:  # an earlier child was bigger; ru_maxrss is a running maximum
            peak_kb = before
        rows.append({
            "size": size, "steps": args.memory_steps, "peak_rss_mb": peak_kb / 1024,
            "wall_seconds": float(result.stdout.strip().splitlines()[-1]),
        })  # fmt: skip
        print(f"memory {rows[-1]}", flush=True)
    return {"rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default=",".join(PARTS))
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=500, help="race steps")
    parser.add_argument("--texture-steps", type=int, default=200)
    parser.add_argument("--strokes", type=int, default=200)
    parser.add_argument("--stroke-steps", type=int, default=300)
    parser.add_argument("--style-steps", type=int, default=200)
    parser.add_argument("--speed-steps", type=int, default=10)
    parser.add_argument("--memory-steps", type=int, default=10)
    parser.add_argument("--encoder", type=Path, default=None, help="encoder folder for style")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="fewer steps and settings")
    parser.add_argument("--page-only", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.texture_steps, args.stroke_steps = 100, 50, 100
        args.style_steps, args.speed_steps, args.memory_steps = 30, 5, 3
    torch.set_num_threads(args.threads)
    FOLDER.mkdir(parents=True, exist_ok=True)
    functions = {"race": race, "strokes": strokes, "style": style, "speed": speed, "memory": memory}
    if not args.page_only:
        for part in args.parts.split(","):
            start, load = time.perf_counter(), os.getloadavg()[0]
            result = functions[part](args)
            result |= {"seconds": time.perf_counter() - start, "quick": args.quick,
                       "command": command_line(),
                       "threads": args.threads, "size": args.size, "load_before": load,
                       "load_after": os.getloadavg()[0],
                       "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}  # fmt: skip
            write_json(FOLDER / f"{part}.json", result)
    from _art_page import write_art_page

    write_art_page(FOLDER, RESULTS / "art.md", PEERS, write_page, markdown_table, curves)


if __name__ == "__main__":
    main()
