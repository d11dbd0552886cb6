"""A torch Dataset of 5-second clips cut around peaks, augmented as audio, then turned into mels.

Each item is a :class:`ClipItem` (which recording, the clip's centre, the species indices;
no species = a background clip). ``__getitem__`` cuts the clip from the raw audio with a
random time shift, applies gain, adds a background stretch, sometimes mixes in a clip of
another species (both labels then count), and only then computes the log-mel spectrogram.

Examples
--------
>>> import numpy as np
>>> audio = [np.random.default_rng(0).normal(0, 0.1, 32000 * 8).astype("float32")]
>>> items = [ClipItem(0, 4.0, (1,)), ClipItem(0, 2.5, ())]
>>> data = ClipDataset(audio, items, n_classes=3, augment=AugmentConfig())
>>> mel, target = data[0]
>>> tuple(mel.shape), target.tolist()
((1, 64, 501), [0.0, 1.0, 0.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

from castlab.birds.augment import add_background, mix_clips, random_gain, random_shift
from castlab.birds.excerpts import Excerpts
from castlab.birds.features import LogMel, MelConfig, cut_clip

__all__ = ["AugmentConfig", "ClipDataset", "ClipItem"]


@dataclass(frozen=True)
class ClipItem:
    """One training clip: recording index, centre time (s), species indices (empty: background)."""

    source: int
    center: float
    labels: tuple[int, ...]


@dataclass(frozen=True)
class AugmentConfig:
    """Raw-audio augmentation; probabilities are per item."""

    max_shift: float = 1.0  # seconds either way around the peak
    gain_db: float = 6.0  # random gain in [-gain_db, +gain_db]
    background_prob: float = 0.5  # add a background stretch at 0-20 dB below the clip
    mix_prob: float = 0.25  # mix in another species' clip (labels: both)


class ClipDataset(Dataset):
    """Clips of ``audios`` described by ``items``; returns ``(mel (1, M, T), target (C,))``.

    ``audios``: each recording as an array, or the stretches of it that the clips reach
    (:class:`~castlab.birds.excerpts.Excerpts`, what training keeps).
    """

    def __init__(
        self,
        audios: Sequence[np.ndarray | Excerpts],
        items: list[ClipItem],
        *,
        n_classes: int,
        mel: MelConfig = MelConfig(),
        augment: AugmentConfig | None = None,
        backgrounds: list[np.ndarray] | None = None,
        seed: int = 0,
    ) -> None:
        self.audios = audios
        self.items = items
        self.n_classes = n_classes
        self.mel_config = mel
        self.frontend = LogMel(mel)
        self.augment = augment
        self.backgrounds = backgrounds or []
        self.rng = np.random.default_rng(seed)
        self._labelled = [k for k, item in enumerate(items) if item.labels]

    def __len__(self) -> int:
        return len(self.items)

    def _cut(self, item: ClipItem) -> np.ndarray:
        center = item.center
        if self.augment is not None:
            center = random_shift(center, max_shift=self.augment.max_shift, rng=self.rng)
        return cut_clip(
            self.audios[item.source],
            center,
            seconds=self.mel_config.clip_seconds,
            sample_rate=self.mel_config.sample_rate,
        )

    def clip(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """The augmented raw clip ``(samples,)`` and its multi-hot target ``(C,)``."""
        item = self.items[index]
        target = np.zeros(self.n_classes, dtype=np.float32)
        target[list(item.labels)] = 1.0
        clip = self._cut(item)
        spec = self.augment
        if spec is None:
            return clip, target
        if self._labelled and self.rng.random() < spec.mix_prob:
            for _ in range(8):  # a few draws to find a clip of another species
                other = self.items[self._labelled[int(self.rng.integers(len(self._labelled)))]]
                if set(other.labels) - set(item.labels):
                    clip, _ = mix_clips(clip, self._cut(other), rng=self.rng)
                    target[list(other.labels)] = 1.0
                    break
        if self.backgrounds and self.rng.random() < spec.background_prob:
            noise = self.backgrounds[int(self.rng.integers(len(self.backgrounds)))]
            noise = cut_clip(
                noise,
                self.rng.uniform(0, len(noise) / self.mel_config.sample_rate),
                seconds=self.mel_config.clip_seconds,
                sample_rate=self.mel_config.sample_rate,
            )
            clip = add_background(clip, noise, rng=self.rng)
        clip = random_gain(clip, rng=self.rng, low_db=-spec.gain_db, high_db=spec.gain_db)
        return clip, target

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        clip, target = self.clip(index)
        with torch.no_grad():
            mel = self.frontend(torch.from_numpy(clip)[None])[0]  # (1, M, T)
        return mel, torch.from_numpy(target)
