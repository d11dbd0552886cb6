import numpy as np
import pytest

from castlab.birds.peaks import (
    find_peaks,
    low_snr_stretches,
    recording_snr_curve,
    snr_curve,
    snr_curve_blocks,
)
from castlab.birds.synthetic import make_species, synthetic_recording


def test_peaks_fall_on_the_calls():
    audio, notes = synthetic_recording(
        make_species(3)[0], seconds=20.0, rng=np.random.default_rng(1)
    )
    times, snr = snr_curve(audio)
    peaks = find_peaks(times, snr, count=len(notes))
    on_call = [any(n.start - 0.3 <= p.time <= n.end + 0.3 for n in notes) for p in peaks]
    assert on_call[0] and np.mean(on_call) >= 0.6
    assert [p.snr for p in peaks] == sorted((p.snr for p in peaks), reverse=True)


def test_peaks_are_apart_and_at_most_count():
    audio, _ = synthetic_recording(make_species(2)[1], seconds=20.0, rng=np.random.default_rng(2))
    times, snr = snr_curve(audio)
    peaks = find_peaks(times, snr, count=5, min_gap=1.0)
    gaps = np.diff(sorted(p.time for p in peaks))
    assert len(peaks) <= 5 and (gaps >= 0.99).all()


def test_silence_has_no_peaks():
    times, snr = snr_curve(np.zeros(32000 * 3, dtype=np.float32))
    assert find_peaks(times, snr) == []


def test_low_snr_stretches_avoid_calls():
    audio, notes = synthetic_recording(
        make_species(1)[0], seconds=30.0, rng=np.random.default_rng(3), calls_per_minute=8
    )
    times, snr = snr_curve(audio)
    starts = low_snr_stretches(times, snr, seconds=3.0, count=3)
    assert starts
    for start in starts:
        assert not any(n.start < start + 3.0 and n.end > start for n in notes)


def test_audio_shorter_than_one_fft_window_is_padded_without_warnings():
    import warnings

    short = np.random.default_rng(0).normal(0, 0.1, 768).astype(np.float32)  # a file cut short
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        times, snr = snr_curve(short)
    assert times.size == snr.size > 0 and np.all(np.isfinite(snr))


@pytest.mark.parametrize("length", [100, 1023, 1024, 1025, 32000 * 3 + 17, 32000 * 20 + 5])
def test_the_curve_computed_block_by_block_is_the_whole_recordings(length):
    """Frames across block edges, PCEN's smoother carried over, a recording shorter than one
    FFT window: the streamed curve has the same frames and times and the same values (to
    float rounding: BLAS sums in another order), whatever the block size."""
    audio = np.random.default_rng(length).normal(0, 0.05, length).astype(np.float32)
    audio[length // 3 : length // 3 + 3000] += 0.5  # a loud stretch that PCEN adapts to
    times, snr = snr_curve(audio)
    for block in (length, 40_000, 7_777, 320 * 50, 511):
        pieces = [audio[i : i + block] for i in range(0, length, block)]
        streamed_times, streamed = snr_curve_blocks(pieces)
        np.testing.assert_array_equal(streamed_times, times)
        np.testing.assert_allclose(streamed, snr, rtol=0, atol=1e-6)


def test_a_long_recording_is_read_a_block_at_a_time(tmp_path, monkeypatch):
    import soundfile as sf

    from castlab.birds import audio as audio_module
    from castlab.birds import peaks as peaks_module

    recording, _ = synthetic_recording(
        make_species(1)[0], seconds=30.0, rng=np.random.default_rng(3)
    )
    sf.write(tmp_path / "long.wav", recording, 32_000)
    times, snr = snr_curve(audio_module.load_audio(tmp_path / "long.wav"))
    whole = find_peaks(times, snr, count=10)
    monkeypatch.setattr(audio_module, "STREAM_SECONDS", 10.0)  # 30 s counts as long
    monkeypatch.setattr(peaks_module, "SNR_BLOCK_SECONDS", 4.0)

    def not_whole(*args, **kwargs):
        raise AssertionError("read whole")

    monkeypatch.setattr(audio_module, "load_audio", not_whole)
    streamed_times, streamed = recording_snr_curve(tmp_path / "long.wav")
    np.testing.assert_array_equal(streamed_times, times)
    np.testing.assert_allclose(streamed, snr, rtol=0, atol=1e-6)
    assert [p.time for p in find_peaks(streamed_times, streamed, count=10)] == [
        p.time for p in whole
    ]
