"""Writes docs/results/art.md from the parts saved by benchmarks/art.py (numbers, not prose)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

TARGET_PSNR = 25.0
TARGET_SSIM = 0.6
TARGET_RSS_MB = 2048
SPEEDUP = 10.0


def _load(folder: Path) -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


def _when(part: dict[str, Any]) -> str:
    quick = " (--quick)" if part.get("quick") else ""
    load = part.get("load_before")
    loaded = f"; load average {load:.1f} -> {part['load_after']:.1f} on 2 CPUs" if load else ""
    prefix = "OMP_NUM_THREADS=1 nice -n 10"
    text = str(part.get("command", "")).replace(f"{prefix} {prefix}", prefix)  # early runs: twice
    command = f"\n\nCommand: `{text}`" if text else ""
    return (
        f"_Ran {part['date']}{quick}, {part['threads']} thread(s), {part['seconds']:.0f} s wall"
        f"{loaded}._{command}"
    )


def _steps(value: object) -> str:
    """Steps to a threshold, or "never" (JSON null / NaN)."""
    try:
        return "never" if value is None or value != value else str(int(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)


def _met(ok: bool | None) -> str:
    return "not run" if ok is None else ("**met**" if ok else "**not met**")


def write_art_page(
    folder: Path,
    page: Path,
    peers: dict[str, float],
    write_page: Callable[..., Path],
    markdown_table: Callable[..., str],
    curves: Callable[..., Path],
) -> Path:
    """Compose the results page from ``folder/<part>.json`` and the figures beside them."""
    parts = _load(folder)
    sections: list[str] = []
    targets: list[dict[str, str]] = []

    race = parts.get("race")
    if race:
        rows = pd.DataFrame(race["rows"])
        rows["steps_to_25dB"] = rows["steps_to_25dB"].astype(float)  # None (never) -> "-"
        steps = race["steps"]
        best = rows.loc[rows.groupby("parameterisation")[f"psnr_{steps}"].idxmax()]
        series = {
            f"{r.parameterisation} (lr {r.lr:g})": (
                list(range(1, steps + 1)),
                race["series"][f"{r.parameterisation} lr={r.lr}"],
            )
            for r in best.itertuples()
        }
        curves(series, folder / "race.png", xlabel="step", ylabel="PSNR (dB) vs china.jpg",
               title=f"Copying china.jpg at {race['size']} px (best lr each)", hline=TARGET_PSNR)  # fmt: skip
        pixels = best[best.parameterisation == "pixels"].iloc[0]
        fourier = best[best.parameterisation == "fourier"].iloc[0]
        fourier_wins = fourier[f"psnr_{steps}"] > pixels[f"psnr_{steps}"]
        pairs = rows[rows.parameterisation.isin(["pixels", "fourier"])].pivot(
            index="lr", columns="parameterisation", values=["steps_to_25dB", f"psnr_{steps}"]
        )
        same_lr = "; ".join(
            f"lr {lr:g}: 25 dB after {_steps(r[('steps_to_25dB', 'pixels')])} (pixels) vs "
            f"{_steps(r[('steps_to_25dB', 'fourier')])} (Fourier) steps, "
            f"{r[(f'psnr_{steps}', 'pixels')]:.1f} vs {r[(f'psnr_{steps}', 'fourier')]:.1f} dB "
            f"after {steps}"
            for lr, r in pairs.dropna().iterrows()
        )
        rows["steps_to_25dB"] = rows["steps_to_25dB"].map(_steps)
        texture = pd.DataFrame(race["texture"])
        tex = texture.groupby("parameterisation")[["style_loss_50", "best_style_loss"]].min()
        early = (
            "Fourier"
            if tex.loc["fourier", "style_loss_50"] < tex.loc["pixels", "style_loss_50"]
            else "pixels"
        )
        final = (
            "Fourier"
            if tex.loc["fourier", "best_style_loss"] < tex.loc["pixels", "best_style_loss"]
            else "pixels"
        )
        sections += [
            "## 1. Convergence race: copy china.jpg (goal: MSE)",
            _when(race),
            "",
            f"Every parameterisation starts from its own random initialisation (seed 0) and "
            f"Adam runs {steps} steps; PSNR of the rendered image against the target after "
            "every step. Several learning rates per parameterisation; the figure draws the "
            "best of each.",
            "",
            markdown_table(rows, digits=4),
            "![PSNR per step](art/race.png)",
            "",
            f"**lucid's claim (Fourier converges faster than pixels) does "
            f"{'hold' if fourier_wins else 'not hold'} for copying a photo**: best pixels "
            f"{pixels[f'psnr_{steps}']:.2f} dB vs best Fourier {fourier[f'psnr_{steps}']:.2f} dB "
            f"after {steps} steps. At equal learning rates: {same_lr}. With an MSE goal every "
            "pixel gets its own exact gradient and Adam scales each one, so raw pixels are "
            "already well conditioned; Fourier's 1/f scaling slows the fine detail a photo "
            "needs.",
            "",
            f"Texture race (style goal only, random-filter features, {race['texture_steps']} "
            "steps from noise), the feature-visualisation-like setting lucid's claim is about:",
            "",
            markdown_table(texture, digits=4),
            f"Style loss after 50 steps: pixels {tex.loc['pixels', 'style_loss_50']:.4f}, "
            f"Fourier {tex.loc['fourier', 'style_loss_50']:.4f}; best after "
            f"{race['texture_steps']}: pixels {tex.loc['pixels', 'best_style_loss']:.4f}, "
            f"Fourier {tex.loc['fourier', 'best_style_loss']:.4f} (lower is better): **{early} "
            f"is ahead early, {final} ends lower**.",
            "",
        ]
        targets.append({
            "target": "Fourier vs pixels (report whichever holds)",
            "measured": f"{'Fourier' if fourier_wins else 'pixels'} faster on MSE",
            "status": "reported",
        })  # fmt: skip

    strokes = parts.get("strokes")
    if strokes:
        summary = strokes["summary"]
        config = strokes["config"]
        ok = summary["ssim"] >= TARGET_SSIM
        sections += [
            f"## 2. Brush strokes: {config['strokes']} soft Bézier strokes copy china.jpg",
            _when(strokes),
            "",
            f"Goals {config['goals']}, {config['steps']} steps at {config['size']} px: SSIM "
            f"**{summary['ssim']:.3f}** (target >= {TARGET_SSIM}: {_met(ok)}), PSNR "
            f"{summary['psnr']:.2f} dB, best at step {summary['best_step']}, "
            f"{1 / summary['steps_per_second']:.2f} s/step wall, "
            f"{strokes['cpu_s_per_step']:.2f} CPU s/step.",
            "",
            "![strokes](art/strokes.png) ![frames](art/strokes-run/frames.gif)",
            "",
        ]
        targets.append({"target": f"{config['strokes']} strokes reach SSIM >= {TARGET_SSIM}",
                        "measured": f"SSIM {summary['ssim']:.3f}", "status": _met(ok)})  # fmt: skip

    style = parts.get("style")
    speed = parts.get("speed")
    if style:
        rows = pd.DataFrame(style["rows"])
        sections += [
            "## 3. Style transfer (content china.jpg + style flower.jpg)",
            _when(style),
            "",
            "Pixels start from the content image; goals content=1, style=5 (relative Gram "
            "error per layer).",
            "",
            markdown_table(rows, digits=4),
            "![style transfer side by side](art/style.png)",
            "",
        ]
        if len(rows) == 1:
            sections += ["No selfsup encoder folder was given (`--encoder`), so only the "
                         "random-filter network ran.", ""]  # fmt: skip
        else:
            config = style.get("encoder_config") or {}
            sections += [
                f"The encoder (`{style.get('encoder')}`): architecture "
                f"{config.get('architecture')}, widths {config.get('widths')}, pretext "
                f"{config.get('pretext')}, trained on {config.get('input_size')} px images.",
                "",
            ]
        per_step = float(rows.iloc[0]["wall_s_per_step"])
        cpu_step = float(rows.iloc[0]["cpu_s_per_step"])
        lines = []
        for name, seconds in peers.items():
            lines.append({"peer": name, "peer_s_per_step": seconds,
                          "castlab_cpu_s_per_step": cpu_step, "times_faster_cpu": seconds / cpu_step,
                          "castlab_wall_s_per_step": per_step,
                          "times_faster_wall": seconds / per_step})  # fmt: skip
            targets.append({"target": f">= {SPEEDUP:g}x faster per step than {name.split(' (')[0]}",
                            "measured": f"{seconds / per_step:.0f}x by wall time ({per_step:.3f} s/step), "
                                        f"{seconds / cpu_step:.0f}x by CPU time, {style['size']} px",
                            "status": _met(seconds / per_step >= SPEEDUP)})  # fmt: skip
        sections += [
            f"Speed against the peers in the issue (castlab at {style['size']} px, fp32, "
            f"{style['threads']} thread(s), random filters), judged on wall-clock seconds per "
            "step; CPU seconds per step (time.process_time, all threads) shown beside them. "
            "When the machine was shared (load average above), wall-clock times are inflated.",
            "",
            markdown_table(pd.DataFrame(lines), digits=3),
            "",
        ]
    if speed:
        rows = pd.DataFrame(speed["rows"])
        rows["bf16_cpu_speedup"] = rows["fp32_cpu_s_per_step"] / rows["bf16_cpu_s_per_step"]
        sections += [
            f"## 4. Steps per second per goal, fp32 vs bf16 autocast ({speed['size']} px, pixels)",
            _when(speed),
            "",
            f"Mean over {speed['steps']} steps after 3 warm-up steps; wall-clock steps/s and "
            "CPU seconds per step (the CPU time is less sensitive to other load).",
            "",
            markdown_table(rows, digits=3),
            "",
        ]
    memory = parts.get("memory")
    if memory:
        rows = pd.DataFrame(memory["rows"])
        peak = rows[rows["size"] == 512]["peak_rss_mb"]
        ok = None if peak.empty else bool(peak.iloc[0] <= TARGET_RSS_MB)
        sections += [
            "## 5. Peak memory of a style-transfer run (fresh subprocess, ru_maxrss)",
            _when(memory),
            "",
            markdown_table(rows, digits=1),
            "",
        ]
        targets.append({"target": "512 px style run within 2 GB RSS",
                        "measured": f"{peak.iloc[0]:.0f} MB" if ok is not None else "-",
                        "status": _met(ok)})  # fmt: skip
    head = [
        "",
        "Made with `benchmarks/art.py` (see its docstring for the parts). Data: scikit-learn's "
        "sample photos china.jpg and flower.jpg, centre-cropped and resized.",
        "",
        "## Targets (issue 15)",
        "",
        markdown_table(pd.DataFrame(targets)) if targets else "No part has run yet.",
        "",
    ]
    missing = [p for p in ("race", "strokes", "style", "speed", "memory") if p not in parts]
    if missing:
        head += [f"Parts not run yet: {', '.join(missing)}.", ""]
    return write_page(page, "art: images by optimisation", head + sections)
