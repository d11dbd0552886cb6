"""Where the birds are loudest: a PCEN-based signal-to-noise curve and its strongest peaks.

The blog picks training clips around "peaks" of a PCEN-based SNR, as in BirdVox
(Lostanlen et al. 2019, "Per-channel energy normalization: why and how"). PCEN (librosa.pcen)
with BirdVox's settings (time constant 60 ms, gain 0.8, bias 10, power 0.25) flattens
stationary background per mel band; a frame's SNR is then how far its loudest band stands
above the median band, in PCEN units, smoothed over ~100 ms. ``find_peaks`` keeps the
strongest local maxima at least ``min_gap`` seconds apart.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> audio = rng.normal(0, 0.01, 32000 * 6).astype("float32")
>>> t = np.arange(3200) / 32000
>>> audio[64000:67200] += 0.3 * np.sin(2 * np.pi * (3000 + 20000 * t) * t)  # a chirp at 2 s
>>> times, snr = snr_curve(audio, sample_rate=32000)
>>> peaks = find_peaks(times, snr, count=3)
>>> bool(2.0 <= peaks[0].time <= 2.1), bool(peaks[0].snr > 1)
(True, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from castlab.birds.audio import SAMPLE_RATE
from castlab.core.errors import CastlabError

__all__ = [
    "Peak",
    "PcenConfig",
    "check_peak_settings",
    "find_peaks",
    "low_snr_stretches",
    "pcen",
    "recording_snr_curve",
    "snr_curve",
    "snr_curve_blocks",
]


@dataclass(frozen=True)
class PcenConfig:
    """Mel and PCEN settings; the PCEN constants are BirdVox's."""

    n_fft: int = 1024
    hop_length: int = 320  # 10 ms at 32 kHz
    n_mels: int = 64
    fmin: float = 500.0  # below this: wind, traffic, handling noise
    fmax: float = 12_000.0
    time_constant: float = 0.06  # seconds; BirdVox
    gain: float = 0.8  # PCEN's alpha
    bias: float = 10.0  # PCEN's delta
    power: float = 0.25  # PCEN's r
    smooth_seconds: float = 0.1  # moving-average window of the SNR curve


def pcen(audio: np.ndarray, *, sample_rate: int = SAMPLE_RATE, config: PcenConfig = PcenConfig()):
    """PCEN of the mel spectrogram, shape ``(n_mels, frames)``, one frame per ``hop_length``.

    Audio shorter than one FFT window (a file cut short) is padded with silence to one window.
    """
    import librosa

    if audio.size < config.n_fft:
        audio = np.pad(audio, (0, config.n_fft - audio.size))
    mel = librosa.feature.melspectrogram(
        y=audio,
        sr=sample_rate,
        n_fft=config.n_fft,
        hop_length=config.hop_length,
        n_mels=config.n_mels,
        fmin=config.fmin,
        fmax=min(config.fmax, sample_rate / 2),
        power=1.0,
    )
    return _pcen_of_mel(mel, sample_rate, config)[0]


def _pcen_of_mel(
    mel: np.ndarray, sample_rate: int, config: PcenConfig, state: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """PCEN of a magnitude mel spectrogram and the smoother's state after its last frame;
    ``state``: that of the frames before (None: the start of the recording)."""
    import librosa

    # BirdVox scales float audio to the int32 range before PCEN, so the bias means the same
    return librosa.pcen(
        mel * (2**31),
        sr=sample_rate,
        hop_length=config.hop_length,
        time_constant=config.time_constant,
        gain=config.gain,
        bias=config.bias,
        power=config.power,
        zi=state,
        return_zf=True,
    )


def snr_curve(
    audio: np.ndarray, *, sample_rate: int = SAMPLE_RATE, config: PcenConfig = PcenConfig()
) -> tuple[np.ndarray, np.ndarray]:
    """``(times, snr)``: frame centres in seconds and the PCEN SNR of each frame.

    SNR = loudest band minus the median band (PCEN units), smoothed. Silence gives zeros.
    """
    frames = pcen(audio, sample_rate=sample_rate, config=config)
    return _smoothed(frames.max(axis=0) - np.median(frames, axis=0), sample_rate, config)


def _smoothed(
    snr: np.ndarray, sample_rate: int, config: PcenConfig
) -> tuple[np.ndarray, np.ndarray]:
    """``(times, snr)`` from each frame's raw SNR: smoothed over ``config.smooth_seconds``."""
    width = max(1, int(round(config.smooth_seconds * sample_rate / config.hop_length)))
    snr = np.convolve(snr, np.ones(width) / width, mode="same")
    times = np.arange(snr.size) * config.hop_length / sample_rate
    return times.astype(np.float64), snr.astype(np.float64)


def _framed_pieces(blocks: Iterable[np.ndarray], n_fft: int, hop: int) -> Iterator[np.ndarray]:
    """Pieces of the signal as librosa centres it (``n_fft // 2`` zeros either side; a signal
    shorter than one window first padded to one, as :func:`pcen` does), each holding whole
    frames in order: frame ``k`` starts at sample ``k * hop`` of the centred signal."""
    half = n_fft // 2
    buffer, total = np.zeros(half, np.float32), 0
    for block in blocks:
        total += len(block)
        buffer = np.concatenate([buffer, np.asarray(block, dtype=np.float32)])
        if buffer.size >= n_fft:
            frames = (buffer.size - n_fft) // hop + 1
            yield buffer[: (frames - 1) * hop + n_fft]
            buffer = buffer[frames * hop :]
    buffer = np.concatenate([buffer, np.zeros(max(0, n_fft - total) + half, np.float32)])
    if buffer.size >= n_fft:
        yield buffer[: ((buffer.size - n_fft) // hop) * hop + n_fft]


def snr_curve_blocks(
    blocks: Iterable[np.ndarray],
    *,
    sample_rate: int = SAMPLE_RATE,
    config: PcenConfig = PcenConfig(),
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`snr_curve` of the ``blocks`` joined, computed a block at a time: the same
    frames, PCEN's smoothing carried from block to block, so memory holds one block however
    long the recording. The curve equals the one-shot one to about 1e-7 (sums in another
    order), the frames and their times exactly.

    Examples
    --------
    >>> audio = np.random.default_rng(0).normal(0, 0.1, 32000 * 5).astype(np.float32)
    >>> times, snr = snr_curve(audio)
    >>> blocks = [audio[i : i + 40000] for i in range(0, audio.size, 40000)]
    >>> streamed_times, streamed = snr_curve_blocks(blocks)
    >>> bool((streamed_times == times).all()), bool(np.allclose(streamed, snr, atol=1e-6))
    (True, True)
    """
    import librosa

    raw, state = [], None
    for piece in _framed_pieces(blocks, config.n_fft, config.hop_length):
        spectrum = librosa.stft(
            piece, n_fft=config.n_fft, hop_length=config.hop_length, center=False
        )
        mel = librosa.feature.melspectrogram(
            S=np.abs(spectrum),
            sr=sample_rate,
            n_fft=config.n_fft,
            n_mels=config.n_mels,
            fmin=config.fmin,
            fmax=min(config.fmax, sample_rate / 2),
        )
        frames, state = _pcen_of_mel(mel, sample_rate, config, state)  # state handed on
        raw.append(frames.max(axis=0) - np.median(frames, axis=0))
    return _smoothed(np.concatenate(raw), sample_rate, config)


#: the blocks :func:`recording_snr_curve` reads a long recording in (60 s: 7.7 MB at 32 kHz)
SNR_BLOCK_SECONDS = 60.0


def recording_snr_curve(
    path: str | Path, *, sample_rate: int = SAMPLE_RATE, config: PcenConfig = PcenConfig()
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`snr_curve` of the recording at ``path``: read whole, or, when it is longer than
    :data:`~castlab.birds.audio.STREAM_SECONDS`, :data:`SNR_BLOCK_SECONDS` at a time
    (:func:`snr_curve_blocks`). Bad audio gives :func:`~castlab.birds.audio.load_audio`'s
    one-line errors either way."""
    from castlab.birds.audio import audio_blocks, is_long, load_audio

    if not is_long(path):
        return snr_curve(
            load_audio(path, sample_rate=sample_rate), sample_rate=sample_rate, config=config
        )
    block = int(round(SNR_BLOCK_SECONDS * sample_rate))
    blocks = audio_blocks(path, sample_rate=sample_rate, block=block)
    return snr_curve_blocks(blocks, sample_rate=sample_rate, config=config)


@dataclass(frozen=True)
class Peak:
    """One peak of the SNR curve: its time (s) and height."""

    time: float
    snr: float


def check_peak_settings(count: int, min_gap: float = 1.0) -> None:
    """Refuse, in one line, a number of peaks below 1 or a negative gap between them (a count
    of 0 would record every recording as without peaks, and a negative one drop the strongest).

    >>> check_peak_settings(20)
    >>> try:
    ...     check_peak_settings(0)
    ... except CastlabError as error:
    ...     print(error.message)
    peaks per recording must be at least 1, not 0
    """
    if int(count) < 1:
        raise CastlabError(
            f"peaks per recording must be at least 1, not {count}",
            fix="give --count (peaks) or --peaks-per-file (train, cluster) of 1 or more",
        )
    if not min_gap >= 0:
        raise CastlabError(
            f"the gap between peaks must be 0 s or more, not {min_gap}",
            fix="give --min-gap 0 or more",
        )


def find_peaks(
    times: np.ndarray,
    snr: np.ndarray,
    *,
    count: int = 20,
    min_gap: float = 1.0,
    min_snr: float = 0.05,
) -> list[Peak]:
    """The ``count`` highest local maxima of ``snr``, at least ``min_gap`` s apart, strongest first.

    Peaks below ``min_snr`` are dropped, so a silent file has none.
    """
    import scipy.signal

    check_peak_settings(count, min_gap)
    if snr.size == 0:
        return []
    step = float(times[1] - times[0]) if times.size > 1 else 1.0
    distance = max(1, int(round(min_gap / step)))
    index, _ = scipy.signal.find_peaks(snr, distance=distance, height=min_snr)
    if index.size == 0 and snr.max() >= min_snr:  # a monotone curve still has one peak
        index = np.array([int(snr.argmax())])
    index = index[np.argsort(-snr[index], kind="stable")][:count]
    return [Peak(float(times[i]), float(snr[i])) for i in index]


def low_snr_stretches(
    times: np.ndarray,
    snr: np.ndarray,
    *,
    seconds: float = 5.0,
    count: int = 5,
    quantile: float = 0.3,
) -> list[float]:
    """Start times of up to ``count`` non-overlapping ``seconds``-long stretches of low SNR.

    Used as "background" examples: windows whose highest SNR is below the file's ``quantile``.

    Examples
    --------
    >>> times = np.arange(1000) / 100
    >>> snr = np.r_[np.ones(500), np.zeros(500)]
    >>> low_snr_stretches(times, snr, seconds=2, count=2)
    [5.0, 7.0]
    """
    if times.size < 2:
        return []
    step = float(times[1] - times[0])
    width = int(round(seconds / step))
    if width < 1 or width > snr.size:
        return []
    from numpy.lib.stride_tricks import sliding_window_view

    # rank windows by their loudest frame, so no call (even a short one) hides inside
    means = sliding_window_view(snr, width).max(axis=1)
    limit = np.quantile(means, quantile)
    starts: list[float] = []
    taken = np.zeros(means.size, dtype=bool)
    for i in np.argsort(means, kind="stable"):
        if len(starts) >= count or means[i] > limit:
            break
        if taken[i]:
            continue
        starts.append(round(float(times[i]), 3))
        taken[max(0, i - width + 1) : i + width] = True
    return sorted(starts)
