import numpy as np
import soundfile as sf

from castlab.birds.audio import SAMPLE_RATE, load_audio
from castlab.birds.birdnet import BIRDNET_RATE
from castlab.birds.cluster import _call_clip
from castlab.birds.features import cut_clip


def test_example_clips_are_read_again_from_their_part_of_the_file(tmp_path):
    """Clustering keeps only where each call is; an example's clip is read again from its
    part of the file (with a margin for the resampler) and matches the whole file's clip,
    the last one zero-padded past the end."""
    rng = np.random.default_rng(0)
    rate = 44_100
    t = np.arange(10 * rate) / rate
    audio = 0.3 * np.sin(2 * np.pi * (2000 + 300 * np.sin(2 * np.pi * 3 * t)) * t)
    sf.write(tmp_path / "r.wav", audio + rng.normal(0, 0.01, len(t)), rate)
    for rate in (SAMPLE_RATE, BIRDNET_RATE):  # the mel features' rate and BirdNET's
        whole = load_audio(tmp_path / "r.wav", sample_rate=rate)
        for time in (0.5, 5.0, 9.0):
            clip = _call_clip(tmp_path / "r.wav", time, rate)
            expected = cut_clip(whole, time, seconds=3.0, sample_rate=rate)
            assert clip.shape == expected.shape == (3 * rate,)
            np.testing.assert_allclose(clip, expected, rtol=0, atol=1e-4)
            np.testing.assert_array_equal(
                _call_clip(tmp_path / "r.wav", time, rate, whole), expected
            )
        assert not clip[-rate // 4 :].any()  # 9 s + 1.5 s lies past the 10-s file


def test_a_long_recording_is_clustered_without_being_held_whole(tmp_path, monkeypatch):
    """Past STREAM_SECONDS the SNR curve is streamed and each call's clip read on its own:
    the same calls are found, with the same features (the files are at castlab's rate, so
    the clips read on their own hold the same samples)."""
    from castlab.birds import audio as audio_module
    from castlab.birds import cluster as cluster_module
    from castlab.birds.synthetic import write_species_folders

    write_species_folders(tmp_path / "rec", n_species=2, per_species=2, seconds=20.0)
    config = cluster_module.ClusterConfig(features="mel", peaks_per_file=3, examples=1)
    features = []
    real_embedding = cluster_module.mel_embedding
    monkeypatch.setattr(  # note each call's features as they are computed
        cluster_module,
        "mel_embedding",
        lambda clip, sample_rate: (
            features.append(real_embedding(clip, sample_rate=sample_rate)) or features[-1]
        ),
    )
    whole = cluster_module.cluster_calls(tmp_path / "rec", tmp_path / "a", config=config)
    whole_features, features[:] = list(features), []
    monkeypatch.setattr(audio_module, "STREAM_SECONDS", 10.0)  # 20 s counts as long
    real_load = audio_module.load_audio

    def parts_only(path, *args, duration=None, **kwargs):
        assert duration is not None, "a long recording read whole"
        return real_load(path, *args, duration=duration, **kwargs)

    monkeypatch.setattr(audio_module, "load_audio", parts_only)
    streamed = cluster_module.cluster_calls(tmp_path / "rec", tmp_path / "b", config=config)
    columns = ["file", "species", "time"]
    assert streamed.table[columns].equals(whole.table[columns])
    np.testing.assert_allclose(streamed.table["snr"], whole.table["snr"], atol=1e-4)
    np.testing.assert_allclose(np.stack(features), np.stack(whole_features), atol=1e-5)


def test_repeated_calls_leave_no_empty_cluster():
    """Identical calls, fewer of them than the clusters asked for: every cluster reported
    holds calls, numbered 0..k-1 (a 60-min recording of one repeated pattern, 5 calls in 4
    clusters, gave an empty one: "Mean of empty slice" and a summary of 4 clusters)."""
    import warnings

    from castlab.birds.cluster import _kmeans

    X = np.repeat(np.array([[0.0, 0.0, 1.0], [2.0, 1.0, 0.0], [5.0, 5.0, 5.0]]), [2, 1, 2], axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        labels, k = _kmeans(X, 4, seed=0)
    assert k == 3 and sorted(set(labels.tolist())) == [0, 1, 2]
    assert labels[0] == labels[1] and labels[3] == labels[4] and len(set(labels[[0, 2, 3]])) == 3
