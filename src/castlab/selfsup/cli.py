"""``castlab selfsup ...``: thin commands over :mod:`castlab.selfsup`.

torch, Lightning and scikit-learn load inside the commands so ``castlab --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from castlab.core.errors import CastlabError
from castlab.core.options import (
    Accelerator,
    BatchSize,
    Devices,
    Epochs,
    LearningRate,
    MaxSteps,
    NumNodes,
    Precision,
    Resume,
    Seed,
    Strategy,
    Threads,
    set_threads,
    train_config,
)

__all__ = ["app", "parse_widths"]

app = typer.Typer(
    help="Self-supervised pretext tasks on unlabelled images, then few-label classification."
    "\n\nExample: castlab selfsup pretrain DATA --task greyblur --size 64 --epochs 15",
    no_args_is_help=True,
)

_DATA = Annotated[
    Path,
    typer.Argument(
        help="Image folder (train/ val/ unsup/ with class folders, or <class>/ folders) "
        "or a manifest CSV (path, split, label)."
    ),
]
_SIZE = Annotated[int, typer.Option(help="Images are resized to SIZE x SIZE pixels.")]
_ENCODER = Annotated[Path, typer.Option(help="Encoder folder written by pretrain (its encoder/).")]


def _load(data: Path, size: int, splits: tuple[str, ...] | None = None):
    """Decode the images once; say how many files were skipped as undecodable."""
    from castlab.selfsup.data import load_images

    images = load_images(data, size=size, splits=splits)
    if images.skipped:
        path, reason = images.skipped[0]
        typer.echo(
            f"skipped {len(images.skipped)} file(s) that did not decode; first: {path}: {reason}",
            err=True,
        )
    if splits is not None and "val" in splits and "val" not in images.splits:
        typer.echo("no val split: every fifth image of each class is held out to validate")
    return images


def parse_widths(text: str) -> tuple[int, ...]:
    """Parse ``--widths`` such as ``16,32,64,128``.

    Examples
    --------
    >>> parse_widths("8, 16,32")
    (8, 16, 32)
    """
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise CastlabError(
            f"--widths {text!r} is not a list of numbers", fix="e.g. 16,32,64,128"
        ) from None


@app.command()
def pretrain(
    data: _DATA,
    task: Annotated[
        str, typer.Option(help="greyblur | grey | inpaint | rotation | jigsaw | simclr.")
    ] = "greyblur",
    size: _SIZE = 64,
    widths: Annotated[
        str, typer.Option(help="Encoder widths: stem, then one per stage.")
    ] = "16,32,64,128",
    blocks: Annotated[int, typer.Option(help="Residual blocks per stage.")] = 1,
    splits: Annotated[
        str, typer.Option(help="Splits whose images the task uses (labels unused).")
    ] = "unsup",
    epochs: Epochs = 15,
    batch_size: BatchSize = 64,
    lr: LearningRate = 3e-3,
    seed: Seed = 0,
    precision: Precision = "32-true",
    accelerator: Accelerator = "auto",
    devices: Devices = "auto",
    num_nodes: NumNodes = 1,
    strategy: Strategy = "auto",
    max_steps: MaxSteps = -1,
    threads: Threads = 2,
    resume: Resume = False,
    out: Annotated[Path, typer.Option(help="Run folder.")] = Path("runs/selfsup/pretrain"),
) -> None:
    """Train an encoder on a pretext task over unlabelled images; write OUT/encoder.

    Example: castlab selfsup pretrain DATA --task greyblur --size 64 --epochs 15 --out runs/selfsup/gb
    """
    from castlab.core.training import check_run_folder
    from castlab.selfsup.model import EncoderConfig
    from castlab.selfsup.pretext import make_task
    from castlab.selfsup.train import PretrainConfig, run_settings_of
    from castlab.selfsup.train import pretrain as run_pretrain

    set_threads(threads)
    make_task(task)  # an unknown name fails before any image is decoded
    config = PretrainConfig(
        task=task,
        size=size,
        encoder=EncoderConfig(widths=parse_widths(widths), blocks=blocks),
        splits=tuple(s.strip() for s in splits.split(",") if s.strip()),
    )
    train = train_config(
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        precision=precision,
        accelerator=accelerator,
        devices=devices,
        num_nodes=num_nodes,
        strategy=strategy,
        max_steps=max_steps,
    )
    check_run_folder(out, train, resume=resume, settings=run_settings_of(config, train))
    summary = run_pretrain(_load(data, size), config, train, out, resume=resume)
    typer.echo(
        f"{summary['images_per_second']:.0f} images/s; encoder written to {summary['encoder']}"
    )


@app.command()
def finetune(
    data: _DATA,
    encoder: Annotated[
        Path | None, typer.Option(help="Encoder folder from pretrain; omit for random weights.")
    ] = None,
    size: _SIZE = 64,
    widths: Annotated[
        str, typer.Option(help="Encoder widths when starting from random weights.")
    ] = "16,32,64,128",
    freeze: Annotated[bool, typer.Option(help="Train only the head (encoder frozen).")] = False,
    epochs: Epochs = 5,
    batch_size: BatchSize = 32,
    lr: LearningRate = 3e-3,
    seed: Seed = 0,
    precision: Precision = "32-true",
    accelerator: Accelerator = "auto",
    devices: Devices = "auto",
    num_nodes: NumNodes = 1,
    strategy: Strategy = "auto",
    max_steps: MaxSteps = -1,
    threads: Threads = 2,
    resume: Resume = False,
    out: Annotated[Path, typer.Option(help="Run folder.")] = Path("runs/selfsup/finetune"),
) -> None:
    """Fine-tune encoder + head on the labelled train images; print val accuracy per epoch.

    Example: castlab selfsup finetune DATA --encoder runs/selfsup/gb/encoder --epochs 5
    """
    from castlab.core.training import check_run_folder
    from castlab.selfsup.model import EncoderConfig
    from castlab.selfsup.train import FinetuneConfig, run_settings_of
    from castlab.selfsup.train import finetune as run_finetune

    set_threads(threads)
    config = FinetuneConfig(
        encoder=str(encoder) if encoder else None,
        size=size,
        encoder_shape=EncoderConfig(widths=parse_widths(widths)),
        freeze=freeze,
    )
    train = train_config(
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        precision=precision,
        accelerator=accelerator,
        devices=devices,
        num_nodes=num_nodes,
        strategy=strategy,
        max_steps=max_steps,
    )
    check_run_folder(out, train, resume=resume, settings=run_settings_of(config, train))
    result = run_finetune(_load(data, size, ("train", "val")), config, train, out, resume=resume)
    typer.echo("val accuracy per epoch: " + ", ".join(f"{a:.3f}" for a in result.accuracy))
    typer.echo(f"model written to {result.run_dir / 'model'}")


@app.command()
def probe(
    data: _DATA,
    encoder: _ENCODER,
    size: _SIZE = 64,
    threads: Threads = 2,
) -> None:
    """Linear probe: logistic regression on frozen features of train, accuracy on val.

    Example: castlab selfsup probe DATA --encoder runs/selfsup/gb/encoder
    """
    from castlab.selfsup.features import linear_probe
    from castlab.selfsup.model import load_encoder

    set_threads(threads)
    accuracy = linear_probe(load_encoder(encoder), _load(data, size, ("train", "val")))
    typer.echo(f"linear probe val accuracy: {accuracy:.3f}")


@app.command()
def embed(
    data: _DATA,
    encoder: _ENCODER,
    out: Annotated[
        Path,
        typer.Option(
            help="Output .csv (path, split, label, features) or .npy (with a .rows.csv of "
            "each row's path, split, label)."
        ),
    ] = Path("runs/selfsup/features.csv"),
    size: _SIZE = 64,
    threads: Threads = 2,
) -> None:
    """Export pooled encoder features of every image as CSV or NPY.

    Example: castlab selfsup embed DATA --encoder runs/selfsup/gb/encoder --out features.csv
    """
    from castlab.core.artifacts import output_file
    from castlab.selfsup.features import embed_pixels, rows_file, write_embeddings
    from castlab.selfsup.model import load_encoder

    out = output_file(out, "features.csv")
    set_threads(threads)
    images = _load(data, size)
    path = write_embeddings(embed_pixels(load_encoder(encoder), images.pixels), images, out)
    typer.echo(f"{len(images)} feature rows written to {path}")
    if path.suffix == ".npy":
        typer.echo(f"each row's image (path, split, label): {rows_file(path)}")


@app.command()
def classify(
    model: Annotated[Path, typer.Argument(help="model/ folder written by finetune.")],
    images: Annotated[list[Path], typer.Argument(metavar="IMAGE...", help="Image files.")],
) -> None:
    """Print the predicted class and its probability for each image file.

    A file that cannot be read is named on stderr and the others are classified; the exit
    code is then 2.

    Example: castlab selfsup classify runs/selfsup/finetune/model photo.jpg
    """
    from castlab.selfsup.features import classify_files

    skipped: list[CastlabError] = []
    for path, name, probability in classify_files(model, list(images), skipped=skipped):
        typer.echo(f"{path}\t{name}\t{probability:.3f}")
    for error in skipped:
        typer.echo(f"error: {error}", err=True)
    if skipped:
        raise typer.Exit(2)


@app.command()
def show(
    data: _DATA,
    task: Annotated[str, typer.Option(help="Pretext task to picture.")] = "greyblur",
    run: Annotated[Path | None, typer.Option(help="Pretrain run folder: add its outputs.")] = None,
    count: Annotated[int, typer.Option(help="Images in the grid.")] = 6,
    size: _SIZE = 64,
    out: Annotated[Path, typer.Option(help="PNG to write.")] = Path("runs/selfsup/pretext.png"),
) -> None:
    """Draw the blog's input / output / target grid of a pretext task.

    Example: castlab selfsup show DATA --task greyblur --run runs/selfsup/gb --out grid.png
    """
    from castlab.core.artifacts import output_file
    from castlab.selfsup.plots import draw_pretext_grid

    out = output_file(out, "pretext.png")
    if count < 1:
        raise CastlabError(f"--count {count}: no image to show", fix="use 1 or more")
    path = draw_pretext_grid(_load(data, size), task, out, run=run, count=count)
    typer.echo(f"grid written to {path}")


@app.command()
def generate(
    out: Annotated[Path, typer.Argument(help="Folder for train/, val/ and unsup/.")],
    per_class: Annotated[int, typer.Option(help="Images per class in train and in val.")] = 20,
    unlabelled: Annotated[int, typer.Option(help="Images in unsup/.")] = 200,
    classes: Annotated[int, typer.Option(help="Synthetic classes (shapes), 1-8.")] = 4,
    size: _SIZE = 64,
    seed: Seed = 0,
) -> None:
    """Write a generated Image网-style image tree with synthetic shape classes.

    Example: castlab selfsup generate runs/selfsup/data --per-class 20 --unlabelled 200
    """
    from castlab.selfsup.synthetic import write_image_folders

    if not 1 <= classes <= 8:
        raise CastlabError(f"--classes {classes} is out of range", fix="use 1 to 8")
    for split in ("train", "val", "unsup"):  # an earlier tree would mix with this one
        if (out / split).is_dir() and any((out / split).iterdir()):
            raise CastlabError(
                f"already holds a {split}/ folder with images in it",
                path=out,
                fix="choose another folder, or delete that one first",
            )
    root = write_image_folders(
        out, per_class=per_class, unlabelled=unlabelled, size=size, n_classes=classes, seed=seed
    )
    typer.echo(f"images written under {root}")
