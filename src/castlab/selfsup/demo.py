"""The selfsup part of ``castlab demo``: a pretext task, then few-label classification.

Runs in well under a minute on generated images (shape classes on random backgrounds):
RandomGreyBlur pre-training of a tiny encoder on the unlabelled images, the blog's
input/output/target grid, then fine-tuning on a few labels from the pretrained encoder and
from random weights, the accuracy curves and a 2-D map of the pretrained features.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from castlab.core.report import Section

__all__ = ["run_demo"]

SIZE = 32  # pixels
WIDTHS = (8, 16, 32, 64)  # a tiny encoder: the demo must stay fast on two cores


def run_demo(out_dir: Path, section: Section) -> None:
    """Pre-train, fine-tune and draw on generated images; fill ``section``."""
    import torch

    threads = torch.get_num_threads()
    # nets this small gain nothing from a second thread, and lose a lot on a busy machine
    torch.set_num_threads(1)
    try:
        _run(Path(out_dir), section)
    finally:
        torch.set_num_threads(threads)


def _run(out_dir: Path, section: Section) -> None:
    from castlab.core.training import TrainConfig, discard_checkpoint
    from castlab.selfsup.data import load_images
    from castlab.selfsup.features import embed_pixels, linear_probe
    from castlab.selfsup.model import EncoderConfig, load_encoder
    from castlab.selfsup.plots import draw_pretext_grid, plot_accuracy_curves, plot_embedding_map
    from castlab.selfsup.synthetic import write_image_folders
    from castlab.selfsup.train import FinetuneConfig, PretrainConfig, finetune, pretrain

    root = write_image_folders(
        out_dir / "data", per_class=12, unlabelled=300, size=SIZE, n_classes=4
    )
    images = load_images(root, size=SIZE)
    section.paragraph(
        f"Generated data: {images.counts()} images at {SIZE} px, classes {', '.join(images.classes)} "
        "(the class is the shape; colours and backgrounds are random)."
    )
    shape = EncoderConfig(widths=WIDTHS)
    quick = dict(batch_size=32, lr=3e-3, progress=False, checkpoint_every_steps=0)
    for run in out_dir.glob("*/"):  # scratch runs: an earlier stopped demo's start over
        discard_checkpoint(run)
    summary = pretrain(
        images,
        PretrainConfig(task="greyblur", size=SIZE, encoder=shape),
        TrainConfig(max_epochs=6, **quick),
        out_dir / "pretrain",
    )
    grid = draw_pretext_grid(
        images, "greyblur", out_dir / "greyblur_grid.png", run=out_dir / "pretrain"
    )
    section.figure(grid, "RandomGreyBlur: input (regions blurred and grey), network output, target")
    curves, rows = {}, []
    for name, encoder in (("RandomGreyBlur", summary["encoder"]), ("no pretraining", None)):
        runs = []
        for seed in (0, 1):
            result = finetune(
                images,
                FinetuneConfig(encoder=encoder, size=SIZE, encoder_shape=shape),
                TrainConfig(max_epochs=8, seed=seed, **quick),
                out_dir / f"finetune-{'pretrained' if encoder else 'random'}-{seed}",
            )
            runs.append(list(result.accuracy))
        curves[name] = runs
        rows.append({"start": name, "val accuracy (mean of 2 seeds)": sum(r[-1] for r in runs) / 2})
    encoder = load_encoder(summary["encoder"])
    rows.append(
        {
            "start": "linear probe (RandomGreyBlur)",
            "val accuracy (mean of 2 seeds)": linear_probe(encoder, images),
        }
    )
    section.table(pd.DataFrame(rows), "Validation accuracy on 48 labelled images after 8 epochs")
    section.figure(
        plot_accuracy_curves(curves, out_dir / "accuracy.png", title="few-label fine-tuning"),
        "Validation accuracy per epoch (band: ± one std over seeds)",
    )
    section.figure(
        plot_embedding_map(
            embed_pixels(encoder, images.pixels),
            images.labels.tolist(),
            images.classes,
            out_dir / "embedding_map.png",
            title="RandomGreyBlur features (PCA)",
        ),
        "Pretrained features of every image, coloured by class (grey: unlabelled)",
    )
