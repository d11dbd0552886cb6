"""Frozen features: embed images with an encoder, and the linear probe on top of them.

Examples
--------
>>> from castlab.selfsup.model import Encoder, EncoderConfig
>>> encoder = Encoder(EncoderConfig(widths=(4, 8)))
>>> embed_pixels(encoder, torch.zeros(5, 3, 16, 16, dtype=torch.uint8)).shape
(5, 8)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from castlab.core.artifacts import atomic_write
from castlab.core.errors import CastlabError
from castlab.selfsup.data import ImageSet
from castlab.selfsup.model import Classifier, Encoder, load_encoder

__all__ = [
    "classify_files",
    "classify_pixels",
    "embed_pixels",
    "linear_probe",
    "load_classifier",
    "write_embeddings",
]


@torch.no_grad()
def embed_pixels(encoder: Encoder, pixels: torch.Tensor, *, batch_size: int = 128) -> np.ndarray:
    """Pooled features ``(N, feature_dim)`` (float32) of uint8 images ``(N, 3, H, W)``."""
    encoder = encoder.eval()
    parts = [
        encoder.features(pixels[i : i + batch_size].float() / 255.0).float()
        for i in range(0, len(pixels), batch_size)
    ]
    return torch.cat(parts).numpy() if parts else np.zeros((0, encoder.config.feature_dim), "f4")


def linear_probe(encoder: Encoder, images: ImageSet, *, c: float = 1.0, seed: int = 0) -> float:
    """Validation accuracy of logistic regression on frozen, standardised ``train`` features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train, val = images.check_labelled("the linear probe")
    probe = make_pipeline(
        StandardScaler(), LogisticRegression(C=c, max_iter=2000, random_state=seed)
    )
    probe.fit(embed_pixels(encoder, train.pixels), train.labels.numpy())
    return float(probe.score(embed_pixels(encoder, val.pixels), val.labels.numpy()))


def write_embeddings(features: np.ndarray, images: ImageSet, out: str | Path) -> Path:
    """Write features as ``.csv`` (path, split, label, f0, f1, ...) or ``.npy`` (the array,
    with :func:`rows_file` beside it: path, split, label of each row, in the array's order).

    Examples
    --------
    >>> import tempfile, torch
    >>> images = ImageSet(torch.zeros(2, 3, 8, 8, dtype=torch.uint8), torch.tensor([0, -1]),
    ...                   ("train", "unlabelled"), ("a.png", "b.png"), ("cat",))
    >>> out = write_embeddings(np.ones((2, 4)), images, Path(tempfile.mkdtemp()) / "f.npy")
    >>> np.load(out).shape, rows_file(out).read_text().splitlines()
    ((2, 4), ['path,split,label', 'a.png,train,cat', 'b.png,unlabelled,'])
    """
    import pandas as pd

    out = Path(out)
    if out.suffix not in (".csv", ".npy"):
        raise CastlabError("unknown output type", path=out, fix="end the name in .csv or .npy")
    labels = [images.classes[k] if k >= 0 else "" for k in images.labels.tolist()]
    rows = pd.DataFrame({"path": list(images.paths), "split": list(images.splits), "label": labels})
    if out.suffix == ".npy":
        with atomic_write(out, "wb") as handle:
            np.save(handle, features)
        with atomic_write(rows_file(out)) as handle:
            rows.to_csv(handle, index=False)
        return out
    frame = pd.concat(
        [rows, pd.DataFrame(features, columns=[f"f{i}" for i in range(features.shape[1])])], axis=1
    )
    with atomic_write(out) as handle:
        frame.to_csv(handle, index=False, float_format="%.6g")
    return out


def rows_file(npy: str | Path) -> Path:
    """The CSV naming the rows of a ``.npy`` of features: ``features.npy`` ->
    ``features.rows.csv``."""
    return Path(npy).with_suffix(".rows.csv")


def load_classifier(folder: str | Path) -> tuple[Classifier, dict]:
    """A fine-tuned classifier (eval mode) and its config from ``castlab selfsup finetune``'s
    ``<run>/model`` folder."""
    from castlab.core.artifacts import build_for_weights, load_model_weights, model_folder

    folder = model_folder(folder)  # or the finetune run folder's model/
    tensors, config = load_model_weights(folder)
    if config.get("kind") != "classifier" or "classes" not in config:
        raise CastlabError(
            "not a classifier folder",
            path=folder,
            fix="pass the model/ folder written by castlab selfsup finetune",
        )
    encoder = load_encoder(folder)
    classes = config["classes"]
    if not isinstance(classes, list) or not classes:
        raise CastlabError(
            "field 'classes' must list the class names",
            path=Path(folder) / "config.json",
            fix="pass the model/ folder written by castlab selfsup finetune",
        )
    classifier = build_for_weights(
        lambda: Classifier(encoder, len(classes)),
        tensors,
        folder,
        fix="pass the model/ folder written by castlab selfsup finetune, unchanged",
    )
    return classifier.eval(), config


@torch.no_grad()
def classify_pixels(
    classifier: Classifier, classes: list[str], pixels: torch.Tensor
) -> list[tuple[str, float]]:
    """``(class, probability)`` of the top class for each uint8 image ``(N, 3, H, W)``."""
    probabilities = torch.softmax(classifier(pixels.float() / 255.0).float(), dim=-1)
    best = probabilities.max(dim=-1)
    return [(classes[int(k)], float(p)) for p, k in zip(best.values, best.indices)]


def classify_files(
    folder: str | Path,
    paths: list[str | Path],
    *,
    skipped: list[CastlabError] | None = None,
) -> list[tuple[str, str, float]]:
    """``(file, class, probability)`` for image files with a fine-tuned model folder.

    A file that cannot be decoded raises its :class:`CastlabError`; with ``skipped`` (a
    list) the error is added to it instead and the other files are classified."""
    from castlab.selfsup.data import decode_image

    classifier, config = load_classifier(folder)
    size = int(config.get("input_size") or 64)
    decoded, kept = [], []
    for path in paths:
        try:
            decoded.append(decode_image(path, size))
        except CastlabError as error:
            if skipped is None:
                raise
            skipped.append(error)
        else:
            kept.append(path)
    if not decoded:
        return []
    pixels = torch.from_numpy(np.stack(decoded)).permute(0, 3, 1, 2)
    predictions = classify_pixels(classifier, config["classes"], pixels)
    return [(str(p), name, prob) for p, (name, prob) in zip(kept, predictions)]
