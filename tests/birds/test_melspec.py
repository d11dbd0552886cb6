"""BirdNET's spectrograms in scipy, the rest of its model in LiteRT (castlab.birds.melspec)."""

from pathlib import Path

import numpy as np

from castlab.birds import melspec
from castlab.birds.birdnet import BirdNET, load_birdnet
from castlab.birds.melspec import split_front_end


def _chunks() -> np.ndarray:
    """Noise, a warbling tone in noise, a loud click train, silence: 3-s chunks at 48 kHz."""
    rng = np.random.default_rng(1)
    t = np.arange(144_000) / 48_000
    chunks = rng.normal(0, 0.05, (4, 144_000)).astype(np.float32)
    chunks[1] += (0.3 * np.sin(2 * np.pi * (2000 + 500 * np.sin(7 * t)) * t)).astype(np.float32)
    chunks[2, ::4800] = 1.0
    chunks[3] = 0.0
    return chunks


def test_the_shipped_model_splits_after_its_two_spectrograms():
    model = load_birdnet()
    shipped = Path(model.analyzer.model_path).read_bytes()
    front = split_front_end(shipped, [model.analyzer.output_layer_index])
    assert front is not None
    assert [(part.length, part.step) for part in front.spectrogram_parts] == [
        (2048, 278),
        (1024, 280),
    ]
    assert front.frames == 511 and front.input_shape == [1, 96, 511, 2]
    spectrograms = front.spectrograms(_chunks())
    assert spectrograms.shape == (4, 96, 511, 2) and spectrograms.dtype == np.float32
    assert np.isfinite(spectrograms).all() and spectrograms[1].std() > spectrograms[0].std()


def test_scores_and_embeddings_match_litert_s_own_front_end():
    """The scipy spectrograms give BirdNET's numbers to float rounding, one thread or two,
    an all-zero chunk (padding) included (its FFT in float64, as LiteRT's kernel)."""
    chunks = _chunks()
    litert = BirdNET(front_end="litert")
    expected_scores, expected_embeddings = litert.scores_and_embeddings(chunks)
    for threads in (1, 2):
        scipy_way = BirdNET(threads=threads)
        assert scipy_way._front() is not None  # the split is in use, not the whole model
        scores, embeddings = scipy_way.scores_and_embeddings(chunks)
        assert np.abs(scores - expected_scores).max() < 1e-5
        assert np.abs(embeddings - expected_embeddings).max() < 1e-4
        assert (scores.argmax(1) == expected_scores.argmax(1)).all()


def test_a_model_that_is_not_birdnet_s_classifier_is_not_split():
    """BirdNET's range model has no spectrograms: no split, so BirdNET would run whole."""
    model = load_birdnet()
    meta = Path(model.analyzer.model_path).with_name(
        "BirdNET_GLOBAL_6K_V2.4_MData_Model_V2_FP16.tflite"
    )
    assert split_front_end(meta.read_bytes(), [0]) is None


def test_spectrograms_that_disagree_with_litert_are_not_used(monkeypatch):
    """The check against LiteRT's own front end can fail: with no tolerance at all (the two
    FFTs round differently) the split is refused."""
    model = load_birdnet()
    shipped = Path(model.analyzer.model_path).read_bytes()
    monkeypatch.setattr(melspec, "TOLERANCE", 0.0)
    assert split_front_end(shipped, [model.analyzer.output_layer_index]) is None
