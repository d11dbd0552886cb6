"""Augmentations on raw audio (before the spectrogram): pure functions with an explicit ``rng``.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> clip = np.ones(100, dtype=np.float32)
>>> bool(0.5 <= random_gain(clip, rng=rng).mean() <= 2.0)
True
>>> mixed, weight = mix_clips(clip, np.zeros(100, dtype=np.float32), rng=rng)
>>> mixed.shape, 0.3 <= weight <= 1.0
((100,), True)
"""

from __future__ import annotations

import numpy as np

__all__ = ["add_background", "mix_clips", "random_gain", "random_shift"]


def random_shift(center: float, *, max_shift: float, rng: np.random.Generator) -> float:
    """Move a clip's centre by up to ``max_shift`` seconds either way (time-shift augmentation)."""
    return float(center + rng.uniform(-max_shift, max_shift))


def random_gain(
    clip: np.ndarray, *, rng: np.random.Generator, low_db: float = -6.0, high_db: float = 6.0
) -> np.ndarray:
    """Scale by a random gain between ``low_db`` and ``high_db``."""
    return (clip * 10 ** (rng.uniform(low_db, high_db) / 20)).astype(np.float32)


def add_background(
    clip: np.ndarray,
    background: np.ndarray,
    *,
    rng: np.random.Generator,
    low_db: float = 0.0,
    high_db: float = 20.0,
) -> np.ndarray:
    """Add ``background`` (same length) at a random clip-to-background ratio in dB."""
    clip_power = float(np.mean(clip**2)) + 1e-12
    noise_power = float(np.mean(background**2)) + 1e-12
    ratio_db = rng.uniform(low_db, high_db)
    scale = np.sqrt(clip_power / noise_power / 10 ** (ratio_db / 10))
    return (clip + scale * background).astype(np.float32)


#: A clip quieter than this (RMS; -80 dB below full scale) is digital silence to :func:`mix_clips`.
SILENCE_RMS = 1e-4


def mix_clips(
    clip: np.ndarray, other: np.ndarray, *, rng: np.random.Generator, low: float = 0.3
) -> tuple[np.ndarray, float]:
    """Mix another species' clip in at a random weight in ``[low, 1]``; return it and the weight.

    The other clip is scaled to ``weight`` times the clip's loudness (RMS); into a clip of
    digital silence (below :data:`SILENCE_RMS`) it goes at ``weight`` times its own, so the
    call the caller labels is there to hear. The caller labels the result with both species
    (a multi-label example).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> call = np.sin(np.linspace(0, 200, 1000)).astype(np.float32)
    >>> mixed, weight = mix_clips(np.zeros(1000, np.float32), call, rng=rng)
    >>> bool(np.allclose(mixed, weight * call, atol=1e-6))
    True
    """
    weight = float(rng.uniform(low, 1.0))
    clip_rms = float(np.sqrt(np.mean(clip**2)))
    other_rms = float(np.sqrt(np.mean(other**2))) + 1e-9
    level = clip_rms + 1e-9 if clip_rms >= SILENCE_RMS else other_rms
    return (clip + other * weight * level / other_rms).astype(np.float32), weight
