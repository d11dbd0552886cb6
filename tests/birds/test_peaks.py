import numpy as np

from castlab.birds.peaks import find_peaks, low_snr_stretches, snr_curve
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
