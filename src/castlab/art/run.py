"""One art run from a config: build the parts, optimise, write every output atomically.

:func:`paint` is what the CLI, the UI page, the demo and the benchmark call. Its folder holds

- ``config.json``: the exact :class:`ArtConfig` (``castlab art repeat`` runs it again),
- ``image.png``: the best image so far (rewritten as the run improves, so a Ctrl-C or a
  crash keeps it),
- ``frames.gif`` and ``frames.mp4`` (MP4 only where ffmpeg is installed),
- ``loss.png`` and ``history.csv``: the loss of every goal per step,
- ``summary.json``: steps, best step and loss, speed, PSNR/SSIM against the target if any,
  and ``stopped`` (why the run ended early, or null).

Examples
--------
>>> import tempfile
>>> config = ArtConfig(param="pixels", goals=(("mse", 1.0),), target="sample:china",
...                    size=32, steps=30, lr=0.1)
>>> result = paint(config, tempfile.mkdtemp())
>>> sorted(p.name for p in result.paths.values() if p is not None)[:3]
['config.json', 'frames.gif', 'frames.mp4']
>>> bool(result.summary["psnr"] > 15)
True
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from castlab.art.data import load_image, save_png, to_tensor
from castlab.art.goals import (
    Content,
    Goal,
    Goals,
    Palette,
    Style,
    TargetMSE,
    TargetSSIM,
    TotalVariation,
    parse_goal,
)
from castlab.art.optimise import Optimisation, Step
from castlab.art.parameterisations import Parameterisation, make_parameterisation
from castlab.core.artifacts import read_json, record_outputs, write_json, write_text
from castlab.core.errors import CastlabError, Fix

__all__ = ["MAX_SIZE", "ArtConfig", "PaintResult", "load_config", "paint", "parse_palette"]

MAX_SIZE = 1024  # largest side castlab paints at (memory grows with size squared)


@dataclass(frozen=True)
class ArtConfig:
    """Everything that decides a run; saved as ``config.json`` beside its outputs."""

    param: str = "fourier"  # a name in castlab.art.parameterisations.PARAMETERISATIONS
    goals: tuple[tuple[str, float], ...] = (("mse", 1.0),)  # (goal name, weight) pairs
    target: str | None = None  # image for mse/ssim: a path or sample:china / sample:flower
    style: str | None = None  # image for the style goal
    content: str | None = None  # image for the content goal
    init: str | None = None  # start image (pixels/fourier): "content", "target" or a path
    prompt: str | None = None  # text for the clip goal
    clip_model: str | None = None  # local folder with a transformers CLIPModel + tokenizer
    encoder: str | None = None  # feature network folder; None: fixed random filters
    palette: tuple[str, ...] = ()  # hex colours; empty: learnt (param) or k-means of target
    palette_size: int = 8  # colours when the palette is learnt or taken from the target
    strokes: int = 200  # brush strokes for param "strokes"
    size: int = 256  # side of the square image in pixels
    steps: int = 500
    lr: float | None = None  # Adam learning rate; None: the parameterisation's default
    views: int = 0  # augmented views per step for style/clip goals (0: none)
    frames: int = 60  # frames kept for the GIF/MP4
    precision: str = "fp32"  # fp32 | bf16 (CPU autocast)
    seed: int = 0


@dataclass
class PaintResult:
    """What :func:`paint` wrote and measured."""

    paths: dict[str, Path | None]
    summary: dict[str, Any]
    optimisation: Optimisation


def load_config(path: str | Path) -> ArtConfig:
    """Read a ``config.json`` written by :func:`paint` (unknown keys are an error)."""
    data = read_json(path)
    fields = {f.name: f for f in dataclasses.fields(ArtConfig)}
    if not isinstance(data, dict) or set(data) - set(fields):
        extra = sorted(set(data) - set(fields)) if isinstance(data, dict) else []
        raise CastlabError(
            f"not an art config (unknown keys {extra})", path=path, fix="pass a run's config.json"
        )
    try:
        data["goals"] = tuple((str(n), float(w)) for n, w in data.get("goals", ()))
        data["palette"] = tuple(data.get("palette", ()))
        for name, value in data.items():  # numbers where numbers belong ("steps": "x")
            default = fields[name].default
            if isinstance(default, (int, float)) and not isinstance(default, bool):
                if not isinstance(value, (int, float)) or isinstance(value, bool):
                    raise TypeError(f"{name} is {value!r}, not a number")
        return ArtConfig(**data)
    except (TypeError, ValueError) as error:  # a goal without a weight, a weight "x", ...
        raise CastlabError(
            f"not an art config ({error})"[:200], path=path, fix="pass a run's config.json"
        ) from None


def parse_palette(colours: tuple[str, ...] | list[str]) -> torch.Tensor:
    """Hex colours (``#ff8800`` or ``ff8800``) -> ``(K, 3)`` in ``[0, 1]``.

    Examples
    --------
    >>> parse_palette(["#ff0000", "0000ff"]).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    rows = []
    for colour in colours:
        text = colour.strip().lstrip("#")
        try:
            if len(text) != 6:
                raise ValueError
            rows.append([int(text[i : i + 2], 16) / 255 for i in (0, 2, 4)])
        except ValueError:
            raise CastlabError(
                f"{colour!r} is not a hex colour", fix="write e.g. #ff8800"
            ) from None
    return torch.tensor(rows, dtype=torch.float32)


def _kmeans(image: np.ndarray, k: int, *, seed: int, rounds: int = 15) -> torch.Tensor:
    pixels = torch.from_numpy(image.reshape(-1, 3))
    generator = torch.Generator().manual_seed(seed)
    centres = pixels[torch.randperm(len(pixels), generator=generator)[:k]].clone()
    for _ in range(rounds):
        nearest = torch.cdist(pixels, centres).argmin(1)
        for j in range(k):
            members = pixels[nearest == j]
            if len(members):
                centres[j] = members.mean(0)
    return centres


def _check(config: ArtConfig) -> None:
    if not 16 <= config.size <= MAX_SIZE:
        raise CastlabError(f"--size {config.size}", fix=f"use a size from 16 to {MAX_SIZE}")
    if config.steps < 1 or config.frames < 1:
        raise CastlabError("steps and frames must be at least 1", fix="e.g. --steps 200")
    for name, weight in config.goals:
        parse_goal(f"{name}={weight}")


def _images(config: ArtConfig, report: Callable[[str], None]) -> dict[str, np.ndarray]:
    sources = {"target": config.target, "style": config.style, "content": config.content}
    if config.init and config.init not in ("content", "target"):
        sources["init"] = config.init
    return {
        role: load_image(source, size=config.size, report=report)
        for role, source in sources.items()
        if source
    }


def _goal(name: str, config: ArtConfig, images: dict[str, np.ndarray], features: Any) -> Goal:
    def need(role: str) -> torch.Tensor:
        if role not in images:
            raise CastlabError(
                f"goal {name} needs a {role} image", fix=Fix(role, "give", option=f"--{role} IMAGE")
            )
        return to_tensor(images[role])

    if name == "mse":
        return TargetMSE(need("target"))
    if name == "ssim":
        return TargetSSIM(need("target"))
    if name == "tv":
        return TotalVariation()
    if name == "style":
        return Style(need("style"), features())
    if name == "content":
        return Content(need("content"), features())
    if name == "palette":
        if config.palette:
            return Palette(parse_palette(config.palette))
        if "target" not in images:
            raise CastlabError("goal palette needs --palette or --target", fix="pass --palette")
        if config.palette_size < 2:  # as the palette parameterisation says
            raise CastlabError("a palette needs at least 2 colours", fix="raise --palette-size")
        return Palette(_kmeans(images["target"], config.palette_size, seed=config.seed))
    if name == "clip":
        from castlab.art.clip import TextPrompt

        if not config.clip_model or not config.prompt:
            raise CastlabError(
                "goal clip needs --prompt and --clip-model FOLDER",
                fix="save a CLIPModel and its tokenizer in a folder; nothing is downloaded",
            )
        return TextPrompt(config.prompt, config.clip_model)
    raise CastlabError(f"unknown goal {name!r}")


def build(
    config: ArtConfig, *, report: Callable[[str], None] | None = None
) -> tuple[Parameterisation, Goals, dict[str, np.ndarray]]:
    """The parameterisation, the goals and the loaded reference images of ``config``."""
    say = report or (lambda text: None)
    _check(config)
    images = _images(config, say)
    cache: list[Any] = []

    def features() -> Any:  # one feature network shared by style and content
        if not cache:
            from castlab.art.model import RandomFeatureNet, load_feature_network

            cache.append(
                load_feature_network(config.encoder) if config.encoder else RandomFeatureNet()
            )
        return cache[0]

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        palette = parse_palette(config.palette) if config.palette else None
        parameterisation = make_parameterisation(
            config.param,
            config.size,
            strokes=config.strokes,
            palette_size=config.palette_size,
            palette=palette,
        )
        goals = Goals([(w, _goal(n, config, images, features)) for n, w in config.goals])
    if config.init:
        start = images.get(config.init) if config.init in ("content", "target") else images["init"]
        if start is None:
            raise CastlabError(f"--init {config.init} needs --{config.init}")
        parameterisation.initialise(to_tensor(start))
    return parameterisation, goals, images


def _scores(image: np.ndarray, target: np.ndarray) -> dict[str, float]:
    from pytorch_msssim import ssim

    mse = float(np.mean((image - target) ** 2))
    similarity = ssim(to_tensor(image), to_tensor(target), data_range=1.0)
    return {"psnr": 10 * math.log10(1 / max(mse, 1e-12)), "ssim": float(similarity)}


def _write_outputs(run: Optimisation, config: ArtConfig, out: Path, extra: dict[str, Any],
                   report: Callable[[str], None]) -> PaintResult:  # fmt: skip
    import pandas as pd

    from castlab.art.media import write_gif, write_mp4
    from castlab.art.plots import loss_curve

    paths: dict[str, Path | None] = {"config": out / "config.json"}
    summary: dict[str, Any] = {"steps_done": len(run.history_), **extra}
    if run.history_:
        paths["image"] = save_png(run.best_array, out / "image.png")
        frames = [frame for _, frame in run.frames_]
        # a few seconds at 512 px; write_mp4 says when it cannot (no ffmpeg, or ffmpeg failed)
        report(f"writing {len(frames)} frames to frames.gif and frames.mp4")
        paths["gif"] = write_gif(frames, out / "frames.gif")
        paths["mp4"] = write_mp4(frames, out / "frames.mp4", report=report)
        paths["loss"] = loss_curve(run.history_, out / "loss.png", title=f"{config.param}")
        paths["history"] = write_text(
            out / "history.csv", pd.DataFrame(run.history_).to_csv(index=False)
        )
        summary |= {
            "best_step": run.best_step_,
            "best_loss": run.best_loss_,
            "seconds": run.history_[-1]["seconds"],
            "steps_per_second": run.steps_per_second(),
        }
    paths["summary"] = write_json(out / "summary.json", summary)
    record_outputs(out, "art paint", paths.values())  # an earlier run's frames.mp4 and such go
    return PaintResult(paths, summary, run)


def paint(
    config: ArtConfig,
    out_dir: str | Path,
    *,
    report: Callable[[str], None] | None = None,
    callback: Callable[[Step], Any] | None = None,
    progress: bool = False,
) -> PaintResult:
    """Run ``config`` and write its outputs into ``out_dir`` (see the module docstring).

    A Ctrl-C or an error stops the run, but the outputs of the steps done so far are
    written (``summary.json`` says ``stopped``) before the exception goes on.
    """
    say = report or (lambda text: None)
    out = Path(out_dir)
    parameterisation, goals, images = build(config, report=say)
    every = max(1, config.steps // config.frames)
    run = Optimisation(
        parameterisation, goals, lr=config.lr, views=config.views, precision=config.precision,
        seed=config.seed, frame_every=every,
    )  # fmt: skip
    write_json(out / "config.json", config)  # once every setting is checked (Optimisation)
    saved = [0]

    def step(state: Step) -> None:
        if state.frame is not None and run.best_step_ > saved[0]:  # keep the best on disk
            save_png(run.best_array, out / "image.png")
            saved[0] = run.best_step_
        if callback is not None:
            callback(state)

    start = time.perf_counter()
    try:
        run.run(config.steps, callback=step, progress=progress)
    except BaseException as error:
        stopped = type(error).__name__
        _write_outputs(run, config, out, {"stopped": stopped}, say)
        raise
    extra: dict[str, Any] = {"stopped": None, "wall_seconds": time.perf_counter() - start}
    if "target" in images:
        extra |= _scores(run.best_array, images["target"])
    return _write_outputs(run, config, out, extra, say)
