"""The art part of ``castlab demo``: scikit-learn's two sample photos, small and quick.

Four runs through the same loop, each a different parameterisation and goal:

1. a race to copy ``china.jpg`` (pixels vs lucid's Fourier vs a SIREN), PSNR per step;
2. the same photo in soft brush strokes (MSE + SSIM);
3. style transfer: ``china.jpg`` in the style of ``flower.jpg`` with fixed random filters;
4. pixel art: 8 learnt colours on a 24 x 24 grid.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from castlab.core.report import Section

__all__ = ["SIZE", "run_demo"]

SIZE = 96  # pixels; small enough that the whole section runs in well under a minute


def run_demo(out_dir: Path, section: Section) -> None:
    """Run the four demo paintings into ``out_dir`` and fill ``section``."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # these small images gain nothing from more threads
    try:
        _run(Path(out_dir), section)
    finally:
        torch.set_num_threads(threads)


def _run(out_dir: Path, section: Section) -> None:
    from castlab.art.data import load_image
    from castlab.art.plots import curves, image_grid
    from castlab.art.run import ArtConfig, paint

    target = load_image("sample:china", size=SIZE)
    race: dict[str, tuple[list[float], list[float]]] = {}
    rows, images = [], {"target (china.jpg)": target}
    for param in ("pixels", "fourier", "siren"):
        psnr: list[float] = []

        def record(state, psnr=psnr) -> None:  # type: ignore[no-untyped-def]
            mse = float(((state.image[0].permute(1, 2, 0).numpy() - target) ** 2).mean())
            psnr.append(10 * math.log10(1 / max(mse, 1e-12)))

        config = ArtConfig(param=param, target="sample:china", size=SIZE, steps=120, frames=20)
        result = paint(config, out_dir / f"race-{param}", callback=record)
        race[param] = (list(range(1, len(psnr) + 1)), psnr)
        images[param] = result.optimisation.best_array
        rows.append({"run": f"copy china.jpg with {param}", **_numbers(result.summary)})

    runs = {
        "strokes": ArtConfig(
            param="strokes", goals=(("mse", 1.0), ("ssim", 0.2)), target="sample:china",
            strokes=80, size=SIZE, steps=150, frames=30,
        ),
        "style transfer": ArtConfig(
            param="pixels", goals=(("content", 1.0), ("style", 5.0)), content="sample:china",
            style="sample:flower", init="content", size=SIZE, steps=80, frames=20,
        ),
        "pixel art": ArtConfig(
            param="palette", goals=(("mse", 1.0),), target="sample:china", palette_size=8,
            size=SIZE, steps=150, frames=30,
        ),
    }  # fmt: skip
    gifs = []
    for name, config in runs.items():
        folder = out_dir / name.replace(" ", "-")
        result = paint(config, folder)
        images[name] = result.optimisation.best_array
        rows.append({"run": name, **_numbers(result.summary)})
        gifs.append(folder / "frames.gif")

    section.paragraph(
        "One optimisation loop, different parameterisations and goals: Adam updates the "
        f"parameters until the rendered {SIZE} x {SIZE} image meets its goals. Inputs are "
        "scikit-learn's sample photos china.jpg and flower.jpg; the style transfer uses a "
        "conv net with fixed random filters (no downloaded weights)."
    )
    grid = image_grid(images, out_dir / "results.png", columns=4)
    section.figure(grid, "Best image of each run (the style image is flower.jpg).")
    figure = curves(
        race, out_dir / "race.png", xlabel="step", ylabel="PSNR (dB) vs target",
        title=f"Copying china.jpg at {SIZE} px", hline=25.0,
    )  # fmt: skip
    section.figure(figure, "PSNR per step for three parameterisations of the same image.")
    section.table(pd.DataFrame(rows), "Each run: steps, best loss, PSNR/SSIM vs the target, speed.")
    section.links(gifs, relative_to=out_dir.parent)


def _numbers(summary: dict) -> dict:  # type: ignore[type-arg]
    return {
        "steps": summary["steps_done"],
        "best_loss": summary["best_loss"],
        "psnr_db": summary.get("psnr", float("nan")),
        "ssim": summary.get("ssim", float("nan")),
        "steps_per_s": summary["steps_per_second"],
    }
