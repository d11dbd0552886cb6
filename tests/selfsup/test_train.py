"""Pre-training and fine-tuning through core fit: run files, encoder folder, resume."""

from __future__ import annotations

import json

import pytest

from castlab.core.errors import CastlabError
from castlab.selfsup.data import load_images
from castlab.selfsup.model import load_encoder
from castlab.selfsup.train import (
    FinetuneConfig,
    PretrainConfig,
    finetune,
    load_pretext_network,
    pretrain,
)

from .conftest import SIZE, TINY, quick


def test_pretrain_writes_encoder_and_run_files(pretrain_run):
    assert (pretrain_run / "metrics.csv").exists() and (pretrain_run / "loss.png").exists()
    assert (pretrain_run / "checkpoints" / "last.ckpt").exists()
    config = json.loads((pretrain_run / "encoder" / "config.json").read_text())
    assert config["pretext"] == "greyblur" and config["input_size"] == SIZE
    assert load_encoder(pretrain_run / "encoder").config == TINY
    task, network = load_pretext_network(pretrain_run)
    assert task == "greyblur" and network.head_kind == "image"
    summary = json.loads((pretrain_run / "summary.json").read_text())
    assert summary["images"] == 12 and summary["images_per_second"] > 0


def test_pretrain_resume_continues(image_tree, tmp_path, ctrl_c_at_step):
    from castlab.selfsup import train as train_module

    images = load_images(image_tree, size=SIZE)
    config = PretrainConfig(task="rotation", size=SIZE, encoder=TINY)
    ctrl_c_at_step(train_module, 1)  # in the first of 2 epochs
    with pytest.raises(KeyboardInterrupt):
        pretrain(images, config, quick(max_epochs=2), tmp_path)
    summary = pretrain(images, config, quick(max_epochs=2), tmp_path, resume=True)
    assert [row["epoch"] for row in summary["epochs"]] == [1, 2]  # the first one finished now
    assert (tmp_path / "encoder").exists()


def test_a_resumed_pretraining_summary_covers_every_epoch_and_keeps_its_task(
    image_tree, tmp_path, ctrl_c_at_step
):
    """The summary listed only the epochs after the resume; and a resume with another
    pretext task of the same shape (grey for greyblur) trained on and said grey."""
    import math

    from castlab.selfsup import train as train_module

    images = load_images(image_tree, size=SIZE)
    config = PretrainConfig(task="greyblur", size=SIZE, encoder=TINY)
    settings = quick(max_epochs=2)
    steps = math.ceil(12 / settings.batch_size)  # the 12 pretext images of an epoch
    ctrl_c_at_step(train_module, steps + 1)  # in the second epoch
    with pytest.raises(KeyboardInterrupt):
        pretrain(images, config, settings, tmp_path)
    other = PretrainConfig(task="grey", size=SIZE, encoder=TINY)
    with pytest.raises(CastlabError, match=r"other settings \(pretrain.task: greyblur -> grey\)"):
        pretrain(images, other, settings, tmp_path, resume=True)
    summary = pretrain(images, config, settings, tmp_path, resume=True)
    assert [row["epoch"] for row in summary["epochs"]] == [1, 2]


def test_pretrain_bf16_mixed_runs(image_tree, tmp_path):
    images = load_images(image_tree, size=SIZE)
    config = PretrainConfig(task="simclr", size=SIZE, encoder=TINY)
    summary = pretrain(images, config, quick(precision="bf16-mixed"), tmp_path)
    assert summary["precision"] == "bf16-mixed" and summary["epochs"]


def test_pretrain_without_unlabelled_images_says_so(image_tree, tmp_path):
    images = load_images(image_tree, size=SIZE, splits=("train", "val"))
    with pytest.raises(CastlabError, match="only 0 images"):
        pretrain(images, PretrainConfig(size=SIZE, encoder=TINY), quick(), tmp_path)


def test_finetune_from_encoder_and_from_random(image_tree, pretrain_run, tmp_path):
    images = load_images(image_tree, size=SIZE)
    for encoder in (str(pretrain_run / "encoder"), None):
        result = finetune(
            images,
            FinetuneConfig(encoder=encoder, size=SIZE, encoder_shape=TINY),
            quick(max_epochs=2),
            tmp_path / str(bool(encoder)),
        )
        assert len(result.accuracy) == 2 and 0 <= result.final_accuracy <= 1
        config = json.loads((result.run_dir / "model" / "config.json").read_text())
        assert config["classes"] == ["circle", "square", "triangle"]


def test_finetune_needs_labels(image_tree, tmp_path):
    images = load_images(image_tree, size=SIZE, splits=("unsup",))
    with pytest.raises(CastlabError, match="needs labelled train and val"):
        finetune(images, FinetuneConfig(size=SIZE, encoder_shape=TINY), quick(), tmp_path)


def test_one_class_or_images_in_both_splits_are_refused():
    """One training class 'learns' to say it every time (val accuracy 1.000 on one class);
    an image in train and val is scored on what was learnt."""
    import torch

    from castlab.selfsup.data import ImageSet

    def images(labels, splits, paths):
        pixels = torch.zeros(len(paths), 3, 8, 8, dtype=torch.uint8)
        return ImageSet(pixels, torch.tensor(labels), splits, paths, ("circle", "square"))

    one = images([0, 0, 0], ("train", "train", "val"), ("a.png", "b.png", "c.png"))
    with pytest.raises(
        CastlabError, match="two classes or more among the training images, found circle"
    ):
        one.check_labelled("fine-tuning")
    both = images([0, 1, 0], ("train", "train", "val"), ("a.png", "b.png", "a.png"))
    with pytest.raises(CastlabError, match=r"1 image\(s\) in both train and val \(first: a.png\)"):
        both.check_labelled("the linear probe")
    fine = images([0, 1, 0], ("train", "train", "val"), ("a.png", "b.png", "c.png"))
    train, val = fine.check_labelled("fine-tuning")
    assert (len(train), len(val)) == (2, 1)
    # <class>/ folders (no val split): every fifth image of each class validates
    folders = images([0, 0, 1, 1, 1], ("train",) * 5, tuple("abcde"))
    train, val = folders.check_labelled("fine-tuning")
    assert val.paths == ("a", "c") and train.paths == ("b", "d", "e")
