"""Frozen features: embedding export, linear probe, classifying files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from castlab.core.errors import CastlabError
from castlab.selfsup.data import load_images
from castlab.selfsup.features import (
    classify_files,
    embed_pixels,
    linear_probe,
    load_classifier,
    write_embeddings,
)
from castlab.selfsup.model import load_encoder
from castlab.selfsup.train import FinetuneConfig, finetune

from .conftest import SIZE, TINY, quick


def test_embeddings_csv_and_npy(image_tree, pretrain_run, tmp_path):
    images = load_images(image_tree, size=SIZE)
    features = embed_pixels(load_encoder(pretrain_run / "encoder"), images.pixels, batch_size=5)
    assert features.shape == (36, 16) and np.isfinite(features).all()
    frame = pd.read_csv(
        write_embeddings(features, images, tmp_path / "f.csv"), keep_default_na=False
    )
    assert list(frame.columns[:4]) == ["path", "split", "label", "f0"]
    assert (frame.loc[frame.split == "unsup", "label"] == "").all()
    assert np.load(write_embeddings(features, images, tmp_path / "f.npy")).shape == (36, 16)
    rows = pd.read_csv(tmp_path / "f.rows.csv", keep_default_na=False)  # the .npy's rows, named
    assert rows.to_dict("list") == frame[["path", "split", "label"]].to_dict("list")
    with pytest.raises(CastlabError, match="unknown output type"):
        write_embeddings(features, images, tmp_path / "f.txt")


def test_linear_probe_scores_val(image_tree, pretrain_run):
    images = load_images(image_tree, size=SIZE)
    accuracy = linear_probe(load_encoder(pretrain_run / "encoder"), images)
    assert 0 <= accuracy <= 1


def test_classify_files_with_a_finetuned_folder(image_tree, pretrain_run, tmp_path):
    images = load_images(image_tree, size=SIZE)
    run = finetune(images, FinetuneConfig(size=SIZE, encoder_shape=TINY), quick(), tmp_path)
    classifier, config = load_classifier(run.run_dir / "model")
    files = sorted((image_tree / "val" / "square").glob("*.png"))[:2]
    rows = classify_files(run.run_dir / "model", files)
    assert [r[1] in config["classes"] for r in rows] == [True, True]
    assert all(0 < r[2] <= 1 for r in rows)
    assert classify_files(run.run_dir, files) == rows  # the run folder means its model/
    with pytest.raises(CastlabError, match="not a classifier folder"):
        load_classifier(pretrain_run / "encoder")
