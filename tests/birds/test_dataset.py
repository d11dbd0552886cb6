import numpy as np
import torch

from castlab.birds.augment import add_background, mix_clips
from castlab.birds.dataset import AugmentConfig, ClipDataset, ClipItem
from castlab.birds.features import LogMel, MelConfig, cut_clip


def _audio(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 0.1, 32000 * 10).astype(np.float32)


def test_mixing_adds_the_other_species_label():
    items = [ClipItem(0, 5.0, (0,)), ClipItem(1, 5.0, (2,))]
    augment = AugmentConfig(mix_prob=1.0, background_prob=0.0)
    data = ClipDataset([_audio(0), _audio(1)], items, n_classes=3, augment=augment)
    _, target = data.clip(0)
    assert target.tolist() == [1.0, 0.0, 1.0]


def test_background_items_have_no_label_and_plain_items_are_deterministic():
    items = [ClipItem(0, 5.0, ())]
    plain = ClipDataset([_audio(0)], items, n_classes=2)
    (a, target), (b, _) = plain[0], plain[0]
    assert target.sum() == 0 and torch.equal(a, b)
    augmented = ClipDataset([_audio(0)], items, n_classes=2, augment=AugmentConfig(), seed=1)
    assert not torch.equal(augmented[0][0], augmented[0][0])  # shift/gain differ per call


def test_augmentation_happens_on_audio_before_the_spectrogram():
    clip = cut_clip(_audio(3), 5.0)
    louder = LogMel()(torch.from_numpy(clip * 4)[None])
    plain = LogMel()(torch.from_numpy(clip)[None])
    # gain is removed by the per-band median subtraction (up to the log's epsilon)
    assert torch.allclose(louder, plain, atol=0.05)
    noisy = add_background(
        clip, _audio(4)[: clip.size], rng=np.random.default_rng(0), low_db=0, high_db=0
    )
    assert np.mean(noisy**2) > 1.5 * np.mean(clip**2)
    other = 3 * _audio(5)[: clip.size]
    mixed, weight = mix_clips(clip, other, rng=np.random.default_rng(0))
    assert 0.3 <= weight <= 1.0 and mixed.shape == clip.shape
    added = mixed - clip  # at the weight times the clip's loudness, not the other's own
    assert abs(np.sqrt(np.mean(added**2)) / np.sqrt(np.mean(clip**2)) - weight) < 1e-3
    silent, weight = mix_clips(np.zeros_like(clip), other, rng=np.random.default_rng(1))
    ratio = np.sqrt(np.mean(silent**2)) / np.sqrt(np.mean(other**2))
    assert abs(ratio - weight) < 1e-3  # into silence at its own level: a call to hear


def test_clips_near_the_ends_are_padded():
    clip = cut_clip(np.ones(32000, dtype=np.float32), 0.2, seconds=5.0)
    assert clip.size == 160000 and clip.sum() == 32000


def test_mel_shape_follows_config():
    config = MelConfig(n_mels=32, hop_length=640)
    assert LogMel(config)(torch.zeros(3, 160000)).shape == (3, 1, 32, 251)
