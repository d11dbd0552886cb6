"""Saved species classifiers behind one interface: 5-second windows in, probabilities out.

A model folder holds ``model.safetensors`` + ``config.json``; ``config["kind"]`` says which:
``"cnn"`` (the blog's CNN on log-mel clips), ``"birdnet-anchored"`` (BirdNET's classifier
layer refitted, :mod:`castlab.birds.anchored`) or ``"birdnet-head"`` (a softmax head on BirdNET
embeddings, :mod:`castlab.birds.head`). All give ``predict_windows(audio) -> (W, C)``.

Examples
--------
>>> import tempfile, numpy as np
>>> from castlab.birds.model import BirdCNN, CnnConfig
>>> folder = save_cnn(tempfile.mkdtemp(), BirdCNN(CnnConfig(2, channels=(4,))), ["a", "b"])
>>> model = load_classifier(folder)
>>> model.predict_windows(np.zeros(32000 * 12, dtype="float32")).shape
(3, 2)
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from castlab.birds.audio import windows
from castlab.birds.features import MelConfig
from castlab.core.artifacts import build_for_weights, load_model_weights, model_folder, save_model
from castlab.core.errors import CastlabError

__all__ = ["CnnClassifier", "SpeciesClassifier", "load_classifier", "save_cnn", "windows"]


class SpeciesClassifier(Protocol):
    """Anything that scores 5-second windows of a recording."""

    classes: list[str]
    sample_rate: int

    def predict_windows(self, audio: np.ndarray, *, window: float = 5.0) -> np.ndarray: ...


def save_cnn(
    directory: str | Path,
    model: Any,
    classes: list[str],
    mel: MelConfig = MelConfig(),
    *,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Save a :class:`~castlab.birds.model.BirdCNN` and what it needs to run."""
    config = {
        "kind": "cnn",
        "classes": list(classes),
        "mel": asdict(mel),
        "cnn": asdict(model.config),
        **(extra or {}),
    }
    return save_model(directory, model.state_dict(), config)


class CnnClassifier:
    """The CNN with its mel front end; ``predict_windows`` returns sigmoid probabilities."""

    def __init__(self, model: Any, classes: list[str], mel: MelConfig) -> None:
        from castlab.birds.features import LogMel

        self.model = model.eval()
        self.classes = classes
        self.mel = mel
        self.sample_rate = mel.sample_rate
        self.frontend = LogMel(mel)

    def predict_clips(self, clips: np.ndarray, *, batch_size: int = 32) -> np.ndarray:
        """Probabilities ``(N, C)`` for raw clips ``(N, samples)``."""
        import torch

        out = []
        with torch.inference_mode():
            for start in range(0, len(clips), batch_size):
                batch = torch.from_numpy(np.ascontiguousarray(clips[start : start + batch_size]))
                logits, _ = self.model(self.frontend(batch))
                out.append(torch.sigmoid(logits).numpy())
        return np.concatenate(out) if out else np.zeros((0, len(self.classes)), np.float32)

    def predict_windows(self, audio: np.ndarray, *, window: float = 5.0) -> np.ndarray:
        """Probabilities ``(W, C)`` for each ``window``-second window of ``audio``."""
        return self.predict_clips(windows(audio, sample_rate=self.sample_rate, window=window))


def load_classifier(directory: str | Path) -> SpeciesClassifier:
    """Load a model folder written by ``castlab birds train`` (either kind)."""
    directory = model_folder(directory)  # or the run folder's model/
    weights, config = load_model_weights(directory)
    kind = config.get("kind")
    if kind == "cnn":
        from castlab.birds.model import BirdCNN, CnnConfig

        fix = "pass the model folder castlab birds train wrote, unchanged"
        try:
            cnn, classes = config["cnn"], list(config["classes"])
            mel = MelConfig(**config["mel"])
            shape = CnnConfig(int(cnn["n_classes"]), tuple(cnn["channels"]), float(cnn["dropout"]))
        except CastlabError as error:  # MelConfig's own check: name the file
            raise error.at(directory / "config.json", fix=fix) from None
        except (KeyError, TypeError, ValueError) as error:
            raise CastlabError(
                f"not a birds CNN's settings ({type(error).__name__}: {error})"[:200],
                path=directory / "config.json",
                fix=fix,
            ) from None
        if len(classes) != shape.n_classes:
            raise CastlabError(
                f"field 'classes' names {len(classes)} species for {shape.n_classes} outputs",
                path=directory / "config.json",
                fix=fix,
            )
        model = build_for_weights(lambda: BirdCNN(shape), weights, directory, fix=fix)
        return CnnClassifier(model, classes, mel)
    if kind == "birdnet-head":
        from castlab.birds.head import EmbeddingHead

        return EmbeddingHead.from_saved(weights, config)
    if kind == "birdnet-anchored":
        from castlab.birds.anchored import AnchoredHead

        return AnchoredHead.from_saved(weights, config)
    raise CastlabError(
        f"unknown model kind {kind!r}", path=directory / "config.json", fix="retrain with castlab"
    )
