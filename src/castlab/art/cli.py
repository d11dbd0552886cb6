"""``castlab art ...``: thin commands over :func:`castlab.art.run.paint`.

Each command builds an :class:`~castlab.art.run.ArtConfig`, calls ``paint`` once and says
where the outputs went. torch loads inside the commands, so ``castlab --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from castlab.core.errors import CastlabError
from castlab.core.options import Seed, Threads, set_threads

__all__ = ["app"]

app = typer.Typer(
    help="Make images by optimisation: a parameterisation (pixels, Fourier, SIREN/CPPN, "
    "brush strokes, palette) is updated step by step to meet weighted goals (target image, "
    "style, content, smoothness, palette, CLIP text).\n\n"
    "Example: castlab art paint --target sample:china --param fourier --goal mse=1 --steps 300",
    no_args_is_help=True,
)

_Image = Annotated[
    str | None, typer.Option(help="Image file, or sample:china / sample:flower (scikit-learn).")
]
_Param = Annotated[str, typer.Option(help="pixels | fourier | siren | cppn | strokes | palette.")]
_Goal = Annotated[
    list[str] | None,
    typer.Option(
        metavar="NAME=WEIGHT",
        help="NAME=WEIGHT, repeatable: mse, ssim, style, content, tv, palette, clip "
        "(default: mse with --target, style with --style, clip with --prompt).",
    ),
]
_Size = Annotated[int, typer.Option(help="Side of the square image in pixels.")]
_Steps = Annotated[int, typer.Option(help="Optimiser steps.")]
_Lr = Annotated[
    float | None, typer.Option(help="Adam learning rate (default: per parameterisation).")
]
_Views = Annotated[
    int, typer.Option(help="Augmented crops per step for style/clip goals (0: none).")
]
_Encoder = Annotated[
    Path | None,
    typer.Option(help="Feature network folder (model.safetensors + config.json), e.g. from "
                 "castlab selfsup; default: fixed random filters."),
]  # fmt: skip
_Precision = Annotated[
    str, typer.Option(help="fp32 | bf16 (CPU autocast; 32-true and bf16-mixed mean the same).")
]
_Out = Annotated[
    Path, typer.Option(help="Folder for image.png, frames.gif/.mp4, loss.png, config.json.")
]


_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".mp4")


def _run(config: Any, out: Path, threads: int) -> None:
    from castlab.art.run import paint

    if out.suffix.lower() in _IMAGE_SUFFIXES and not out.is_dir():  # before any painting
        raise CastlabError(
            "--out names the run's folder (image.png, frames, loss.png, config.json go in it)",
            path=out,
            fix=f"name a folder, e.g. --out {out.with_suffix('')}",
        )
    set_threads(threads)
    result = paint(config, out, report=typer.echo, progress=True)
    summary = result.summary
    line = f"best loss {summary['best_loss']:.4g} at step {summary['best_step']}"
    if "psnr" in summary:
        line += f"; PSNR {summary['psnr']:.2f} dB, SSIM {summary['ssim']:.3f} vs the target"
    typer.echo(f"{line}; {summary['steps_per_second']:.1f} steps/s")
    written = sorted(path.name for path in result.paths.values() if path is not None)
    typer.echo(f"written to {out} ({', '.join(written)})")


@app.command()
def paint(
    target: _Image = None,
    style: _Image = None,
    content: _Image = None,
    param: _Param = "fourier",
    goal: _Goal = None,
    init: Annotated[
        str | None, typer.Option(help="Start from an image: content, target or a path.")
    ] = None,
    prompt: Annotated[str | None, typer.Option(help="Text for the clip goal.")] = None,
    clip_model: Annotated[
        Path | None, typer.Option(help="Local folder with a CLIPModel and its tokenizer.")
    ] = None,
    encoder: _Encoder = None,
    palette: Annotated[
        str | None, typer.Option(help="Comma-separated hex colours, e.g. '#000000,#ffcc00'.")
    ] = None,
    palette_size: Annotated[int, typer.Option(help="Colours of a learnt palette.")] = 8,
    strokes: Annotated[int, typer.Option(help="Brush strokes (--param strokes).")] = 200,
    size: _Size = 256,
    steps: _Steps = 500,
    lr: _Lr = None,
    views: _Views = 0,
    frames: Annotated[int, typer.Option(help="Frames kept for the GIF/MP4.")] = 60,
    precision: _Precision = "fp32",
    seed: Seed = 0,
    threads: Threads = 2,
    out: _Out = Path("runs/art/paint"),
) -> None:
    """Optimise an image towards weighted goals; write the image, an animation and the loss.

    Example: castlab art paint --target sample:china --param strokes --strokes 200 --goal mse=1 --goal ssim=0.2 --steps 300 --out runs/art/strokes
    """
    from castlab.art.goals import parse_goal
    from castlab.art.run import ArtConfig

    goals = tuple(parse_goal(text) for text in goal or [])
    if not goals:
        goals = tuple(
            (name, 1.0) for name, given in (("mse", target), ("style", style), ("clip", prompt))
            if given
        )  # fmt: skip
    config = ArtConfig(
        param=param,
        goals=goals,
        target=target,
        style=style,
        content=content,
        init=init,
        prompt=prompt,
        clip_model=None if clip_model is None else str(clip_model),
        encoder=None if encoder is None else str(encoder),
        palette=tuple(c for c in (palette or "").split(",") if c.strip()),
        palette_size=palette_size,
        strokes=strokes,
        size=size,
        steps=steps,
        lr=lr,
        views=views,
        frames=frames,
        precision=precision,
        seed=seed,
    )
    _run(config, out, threads)


@app.command("style")
def style_transfer(
    content: Annotated[str, typer.Option(help="The picture to keep (file or sample:NAME).")],
    style: Annotated[str, typer.Option(help="The picture whose style to copy.")],
    style_weight: Annotated[float, typer.Option(help="Weight of the style goal.")] = 5.0,
    content_weight: Annotated[float, typer.Option(help="Weight of the content goal.")] = 1.0,
    tv_weight: Annotated[float, typer.Option(help="Weight of total variation.")] = 0.0,
    param: _Param = "pixels",
    encoder: _Encoder = None,
    size: _Size = 256,
    steps: _Steps = 300,
    lr: _Lr = None,
    views: _Views = 0,
    precision: _Precision = "fp32",
    seed: Seed = 0,
    threads: Threads = 2,
    out: _Out = Path("runs/art/style"),
) -> None:
    """Content + style transfer, starting from the content image.

    Example: castlab art style --content sample:china --style sample:flower --size 256 --steps 300 --out runs/art/style
    """
    from castlab.art.run import ArtConfig

    goals = [("content", content_weight), ("style", style_weight)]
    if tv_weight:
        goals.append(("tv", tv_weight))
    config = ArtConfig(
        param=param,
        goals=tuple(goals),
        style=style,
        content=content,
        init="content" if param in ("pixels", "fourier") else None,
        encoder=None if encoder is None else str(encoder),
        size=size,
        steps=steps,
        lr=lr,
        views=views,
        precision=precision,
        seed=seed,
    )
    _run(config, out, threads)


@app.command()
def repeat(
    config_json: Annotated[Path, typer.Argument(help="A run's config.json.")],
    threads: Threads = 2,
    out: _Out = Path("runs/art/repeat"),
) -> None:
    """Run a saved config again (same seed: the same image on the same machine).

    Example: castlab art repeat runs/art/paint/config.json --out runs/art/again
    """
    from castlab.art.run import load_config

    _run(load_config(config_json), out, threads)
