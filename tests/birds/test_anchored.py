"""BirdNET's classifier layer refitted on the user's recordings (castlab.birds.anchored)."""

import numpy as np
import pytest

from castlab.birds.anchored import AnchoredHead, birdnet_anchors, fit_anchored_head
from castlab.birds.birdnet import load_birdnet
from castlab.birds.classifier import load_classifier
from castlab.birds.head import HeadConfig, train_head
from castlab.birds.synthetic import write_soundscape, write_species_folders
from castlab.core.errors import CastlabError

CHICKADEE = "black_capped_chickadee"


def _chunks(seed: int, count: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 0.02, (count, 144000)).astype(np.float32)


def test_anchors_are_birdnets_own_rows_and_zero_for_unknown_species():
    W0, b0, index = birdnet_anchors([CHICKADEE, "a made-up bird"])
    assert index[0] is not None and index[1] is None
    assert W0[0].any() and not W0[1].any() and b0[1] == 0
    model = load_birdnet()
    scores, embeddings = model.scores_and_embeddings(_chunks(0))
    rebuilt = 1 / (1 + np.exp(-(embeddings @ W0[0] + b0[0])))
    assert np.allclose(rebuilt, scores[:, index[0]], atol=1e-5)


def test_a_strong_pull_keeps_birdnets_scores_and_a_weak_one_learns_the_data():
    model = load_birdnet()
    classes = [CHICKADEE, "made_up"]
    X = model.embed_chunks(_chunks(1, 40)).astype(np.float64)
    rng = np.random.default_rng(2)
    direction = rng.normal(0, 1, X.shape[1])
    X = X + np.outer(rng.choice([-1.0, 1.0], len(X)), direction)  # two clusters
    y = np.where(X @ direction > 0, 1, 2)  # made_up on one side, background on the other
    held = model.embed_chunks(_chunks(3, 10)).astype(np.float64) + direction
    kept = fit_anchored_head(X, y, classes, strength=1e6, bias_strength=1e6)
    index = kept.birdnet_index[0]
    assert kept.temperature == 1.0  # no groups: no out-of-fold calibration
    birdnet = 1 / (
        1 + np.exp(-(held @ model.output_layer()[0][index] + model.output_layer()[1][index]))
    )
    assert np.allclose(kept.predict_embeddings(held)[:, 0], birdnet, atol=1e-4)
    assert np.allclose(kept.predict_embeddings(held)[:, 1], 0.5, atol=1e-3)  # zero anchor
    learnt = fit_anchored_head(X, y, classes, strength=1e-3)
    assert (learnt.predict_embeddings(held)[:, 1] > 0.9).all()
    assert (learnt.predict_embeddings(held - 2 * direction)[:, 1] < 0.1).all()


def test_saved_head_loads_back_and_scores_chunks_from_embeddings_alone(tmp_path):
    model = load_birdnet()
    W0, b0, index = birdnet_anchors([CHICKADEE, "made_up"])
    head = AnchoredHead([CHICKADEE, "made_up"], W0, b0, 2.0, birdnet_index=index, hop=0.5)
    again = load_classifier(head.save(tmp_path / "head"))
    assert isinstance(again, AnchoredHead) and again.hop == 0.5 and again.temperature == 2.0
    scores, embeddings = model.scores_and_embeddings(_chunks(4))
    logit = np.log(scores[:, index[0]] / (1 - scores[:, index[0]]))
    assert np.allclose(
        again.predict_chunks(_chunks(4))[:, 0], 1 / (1 + np.exp(-logit / 2)), atol=1e-4
    )
    # the blend of the softmax head is not applied: BirdNET's scores play no second part
    assert np.allclose(
        again.from_birdnet(np.zeros_like(scores), embeddings), again.predict_embeddings(embeddings)
    )


def test_train_head_fits_the_anchored_head_by_default(tmp_path):
    species = write_species_folders(tmp_path / "calls", n_species=2, per_species=3, seconds=8.0)
    folder = train_head(
        tmp_path / "calls",
        tmp_path / "run",
        config=HeadConfig(
            peaks_per_file=3, background_per_file=1, mixed_copies=1, noise_examples=5
        ),
    )
    head = load_classifier(folder)
    assert isinstance(head, AnchoredHead) and head.classes == sorted(s.name for s in species)
    assert head.birdnet_index == [None, None] and head.temperature > 0
    wav, truth = write_soundscape(tmp_path / "s.wav", species, seconds=10.0, calls=2)
    from castlab.birds.audio import load_audio

    probs = head.predict_windows(load_audio(wav, sample_rate=48000))
    assert probs.shape == (2, 2) and ((probs >= 0) & (probs <= 1)).all()
    with pytest.raises(CastlabError, match="unknown head"):
        train_head(tmp_path / "calls", tmp_path / "bad", config=HeadConfig(kind="logistic"))


def test_anchors_must_match_the_classes_and_embeddings():
    X, y = np.zeros((4, 8)), np.array([0, 0, 1, 1])
    with pytest.raises(CastlabError, match="anchors of shape"):
        fit_anchored_head(X, y, ["a"], anchors=(np.zeros((2, 8)), np.zeros(2)))


def test_window_scores_are_the_max_over_each_windows_chunks():
    rng = np.random.default_rng(7)
    head = AnchoredHead(["a", "b"], rng.normal(0, 1, (2, 5)), np.zeros(2))
    embeddings = rng.normal(0, 1, (4, 3, 5))  # 4 windows of 3 chunks
    windows = head.predict_window_embeddings(embeddings)
    assert windows.shape == (4, 2)
    for w in range(4):
        np.testing.assert_allclose(windows[w], head.predict_embeddings(embeddings[w]).max(axis=0))
