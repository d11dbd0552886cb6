import numpy as np
import soundfile as sf

from castlab.birds.audio import SAMPLE_RATE, load_audio
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
    whole = load_audio(tmp_path / "r.wav", sample_rate=SAMPLE_RATE)
    for time in (0.5, 5.0, 9.0):
        clip = _call_clip(tmp_path / "r.wav", time)
        expected = cut_clip(whole, time, seconds=3.0, sample_rate=SAMPLE_RATE)
        assert clip.shape == expected.shape == (3 * SAMPLE_RATE,)
        np.testing.assert_allclose(clip, expected, rtol=0, atol=1e-4)
    assert not clip[-SAMPLE_RATE // 4 :].any()  # 9 s + 1.5 s lies past the 10-s file
