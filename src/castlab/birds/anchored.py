"""BirdNET's own classifier layer, refitted on your recordings: castlab's default head.

BirdNET turns a 3-s chunk into a 1024-d embedding and scores each of its 6,522 labels with
one sigmoid of it. For the species of a training folder castlab refits those sigmoids on the
folder's calls and background chunks (binary cross-entropy; every other species and the
``background`` class are a species' negatives), with an L2 pull back towards BirdNET's own
weights for that species (``strength``; its bias more loosely, ``bias_strength``). With
little data the head stays near BirdNET, which has heard the species in far more recordings;
where the user's recordings disagree with BirdNET, it moves. A species BirdNET does not know
is pulled towards zero instead (an L2-regularised logistic regression on the embedding). One
temperature, fitted on out-of-fold logits (folds = recordings), calibrates the scores.

Each species is its own sigmoid, so two species calling in one chunk can both score high.
On the benchmark's synthetic soundscapes (``docs/results/birds.md``) this head alone beat
the softmax head averaged with BirdNET's scores, the default before it.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = np.r_[rng.normal(0, 1, (40, 8)) + 2, rng.normal(0, 1, (40, 8)) - 2]
>>> y = np.repeat([0, 1], 40)  # species "a", then background (index len(classes))
>>> anchors = (np.zeros((1, 8)), np.zeros(1))  # "a" unknown to BirdNET: pulled towards 0
>>> head = fit_anchored_head(X, y, ["a"], anchors=anchors, groups=np.tile(np.arange(4), 20))
>>> p = head.predict_embeddings(np.array([[2.0] * 8, [-2.0] * 8]))
>>> bool(p[0, 0] > 0.9), bool(p[1, 0] < 0.1)
(True, True)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from castlab.birds.birdnet import BirdNET, _sigmoid, load_birdnet
from castlab.birds.head import BACKGROUND, BirdNETHead, HeadConfig
from castlab.core.errors import CastlabError

__all__ = ["AnchoredHead", "birdnet_anchors", "fit_anchored_head"]


class AnchoredHead(BirdNETHead):
    """One sigmoid per species on BirdNET's raw embedding: ``sigmoid((x @ coef.T +
    intercept) / temperature)``."""

    def __init__(
        self,
        classes: list[str],
        coef: np.ndarray,
        intercept: np.ndarray,
        temperature: float = 1.0,
        *,
        birdnet_index: list[int | None] | None = None,
        hop: float = 1.0,
    ) -> None:
        self.classes = classes
        self.coef, self.intercept = np.asarray(coef), np.asarray(intercept)  # (C, D), (C,)
        self.temperature = temperature
        self.birdnet_index = birdnet_index  # the BirdNET label each species started from
        self.hop = hop
        #: share of the training calls whose species the head named first when their
        #: recording was held out (3 folds by recording; None: fewer than 3 recordings)
        self.out_of_fold_accuracy: float | None = None

    def predict_embeddings(self, embeddings: np.ndarray) -> np.ndarray:
        """Species probabilities ``(N, C)`` for BirdNET embeddings ``(N, 1024)``."""
        logits = np.asarray(embeddings, dtype=np.float64) @ self.coef.T + self.intercept
        return _sigmoid(logits / self.temperature)

    def predict_window_embeddings(self, embeddings: np.ndarray) -> np.ndarray:
        """``(W, C)`` for the embeddings ``(W, K, 1024)`` of each window's ``K`` chunks: the
        maximum over a window's chunks, as :meth:`predict_windows` scores a window."""
        embeddings = np.asarray(embeddings)
        chunks = self.predict_embeddings(embeddings.reshape(-1, embeddings.shape[-1]))
        return chunks.reshape(*embeddings.shape[:2], -1).max(axis=1)

    def from_birdnet(self, scores: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
        """BirdNET's own scores are already inside the refitted layer: only the embeddings count."""
        return self.predict_embeddings(embeddings)

    def save(self, directory: str | Path, extra: dict[str, Any] | None = None) -> Path:
        import torch

        from castlab.core.artifacts import save_model

        weights = {
            "coef": torch.from_numpy(self.coef.astype(np.float32)),
            "intercept": torch.from_numpy(self.intercept.astype(np.float32)),
        }
        config = {
            "kind": "birdnet-anchored",
            "classes": self.classes,
            "temperature": self.temperature,
            "birdnet_index": self.birdnet_index,
            "hop": self.hop,
            "out_of_fold_accuracy": self.out_of_fold_accuracy,
            "background_class": BACKGROUND,
            "licence": "starts from BirdNET's weights (CC BY-NC-SA 4.0)",
            **(extra or {}),
        }
        return save_model(directory, weights, config)

    @classmethod
    def from_saved(cls, weights: dict[str, Any], config: dict[str, Any]) -> AnchoredHead:
        head = cls(
            list(config["classes"]),
            weights["coef"].numpy().astype(np.float64),
            weights["intercept"].numpy().astype(np.float64),
            float(config.get("temperature", 1.0)),
            birdnet_index=config.get("birdnet_index"),
            hop=float(config.get("hop", 1.0)),
        )
        head.out_of_fold_accuracy = config.get("out_of_fold_accuracy")
        return head


def birdnet_anchors(
    classes: list[str], birdnet: BirdNET | None = None
) -> tuple[np.ndarray, np.ndarray, list[int | None]]:
    """``(weights (C, 1024), biases (C,), BirdNET label of each class)``: BirdNET's own
    classifier row for each species it knows (by scientific or common name), zeros for the
    others."""
    model = birdnet or load_birdnet()
    weight, bias = model.output_layer()
    index = model.index_of(classes)
    W0, b0 = np.zeros((len(classes), weight.shape[1])), np.zeros(len(classes))
    for c, label in enumerate(index):
        if label is not None:
            W0[c], b0[c] = weight[label], bias[label]
    return W0, b0, index


def _fit_sigmoids(
    X: np.ndarray,
    Y: np.ndarray,
    W0: np.ndarray,
    b0: np.ndarray,
    strength: float,
    bias_strength: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Per class: mean binary cross-entropy + ``strength * |w - w0|^2 + bias_strength *
    (b - b0)^2``, minimised by L-BFGS from the anchors."""
    from scipy.optimize import minimize

    n, d = X.shape
    c = Y.shape[1]

    def objective(flat: np.ndarray) -> tuple[float, np.ndarray]:
        W, b = flat[: c * d].reshape(c, d), flat[c * d :]
        z = X @ W.T + b
        # log(1 + e^z) - y z, computed stably
        loss = np.logaddexp(0.0, z) - Y * z
        error = (_sigmoid_exact(z) - Y) / n
        dW, db = error.T @ X + 2 * strength * (W - W0), error.sum(0) + 2 * bias_strength * (b - b0)
        value = loss.sum() / n + strength * ((W - W0) ** 2).sum()
        value += bias_strength * ((b - b0) ** 2).sum()
        return float(value), np.r_[dW.ravel(), db]

    start = np.r_[W0.ravel(), b0]
    result = minimize(objective, start, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return result.x[: c * d].reshape(c, d), result.x[c * d :]


def _sigmoid_exact(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # no overflow, no clipping (the gradient needs it)


def _fit_temperature(logits: np.ndarray, Y: np.ndarray) -> float:
    from scipy.optimize import minimize_scalar

    def loss(log_t: float) -> float:
        z = logits / np.exp(log_t)
        return float(np.mean(np.logaddexp(0.0, z) - Y * z))

    return float(np.exp(minimize_scalar(loss, bounds=(-3, 3), method="bounded").x))


def fit_anchored_head(
    X: np.ndarray,
    y: np.ndarray,
    classes: list[str],
    *,
    anchors: tuple[np.ndarray, np.ndarray] | None = None,
    groups: np.ndarray | None = None,
    strength: float = HeadConfig.anchor_strength,
    bias_strength: float = HeadConfig.anchor_bias_strength,
    birdnet_index: list[int | None] | None = None,
) -> AnchoredHead:
    """Fit on raw BirdNET embeddings ``X (N, 1024)``, labels ``y`` in ``0..C`` (``C`` =
    background). ``anchors``: ``(W0 (C, D), b0 (C,))`` the fit is pulled towards (default:
    :func:`birdnet_anchors`). The temperature comes from out-of-fold logits (folds =
    ``groups``, e.g. recordings) when there are at least 3 groups.
    """
    from sklearn.model_selection import GroupKFold

    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    if len(set(y.tolist())) < 2:
        raise CastlabError("the head needs at least two classes with examples")
    if anchors is None:
        W0, b0, birdnet_index = birdnet_anchors(classes)
    else:
        W0, b0 = (np.asarray(a, dtype=np.float64) for a in anchors)
    if W0.shape != (len(classes), X.shape[1]):
        raise CastlabError(
            f"anchors of shape {W0.shape} for {len(classes)} classes of {X.shape[1]}-d embeddings"
        )
    Y = (y[:, None] == np.arange(len(classes))[None, :]).astype(np.float64)
    temperature, accuracy = 1.0, None
    if groups is not None and len(set(np.asarray(groups).tolist())) >= 3:
        logits = np.zeros_like(Y)
        for train, test in GroupKFold(n_splits=3).split(X, y, groups):
            W, b = _fit_sigmoids(X[train], Y[train], W0, b0, strength, bias_strength)
            logits[test] = X[test] @ W.T + b
        temperature = _fit_temperature(logits, Y)
        calls = y < len(classes)  # the background chunks have no species to name
        if calls.any():
            accuracy = float((logits[calls].argmax(1) == y[calls]).mean())
    W, b = _fit_sigmoids(X, Y, W0, b0, strength, bias_strength)
    head = AnchoredHead(list(classes), W, b, temperature, birdnet_index=birdnet_index)
    head.out_of_fold_accuracy = accuracy
    return head
