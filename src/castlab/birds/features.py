"""Log-mel spectrograms in plain torch (torchaudio does not import here), computed on the fly.

:class:`LogMel` turns raw audio ``(B, samples)`` into ``(B, 1, n_mels, frames)``: a torch
STFT, librosa's mel filterbank as a fixed matrix, ``log(mel + eps)``, then each band's median
over time subtracted. The median subtraction removes a recording's stationary background
(the same idea as PCEN, cheaper), so a call stands out whatever the gain and the site.

Examples
--------
>>> import torch
>>> frontend = LogMel(MelConfig(n_mels=32))
>>> frontend(torch.zeros(2, 32000 * 5)).shape
torch.Size([2, 1, 32, 501])
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from castlab.birds.audio import SAMPLE_RATE
from castlab.core.errors import require_between

__all__ = ["LogMel", "MelConfig", "cut_clip"]


@dataclass(frozen=True)
class MelConfig:
    """Spectrogram settings (saved with every model)."""

    sample_rate: int = SAMPLE_RATE
    n_fft: int = 1024
    hop_length: int = 320  # 10 ms frames
    n_mels: int = 64
    fmin: float = 150.0
    fmax: float = 15_000.0
    clip_seconds: float = 5.0  # the BirdCLEF window

    def __post_init__(self) -> None:
        # sizes a saved model's config.json could set to anything: n_fft 10**9 asked numpy
        # for 119 GiB of filter bank, clip_seconds nan trained and scored on nothing
        require_between("mel sample_rate", self.sample_rate, 999, 384_001, example=SAMPLE_RATE)
        require_between("mel n_fft", self.n_fft, 15, 2**16 + 1, example=1024)
        require_between("mel hop_length", self.hop_length, 0, 2**16 + 1, example=320)
        require_between("mel n_mels", self.n_mels, 0, 1025, example=64)
        require_between("mel fmin", self.fmin, -1e-9, self.sample_rate, example=150.0)
        require_between("mel fmax", self.fmax, self.fmin, self.sample_rate, example=15_000.0)
        require_between("mel clip_seconds", self.clip_seconds, 0, 601, example=5.0)


class LogMel(nn.Module):
    """Raw audio ``(B, samples)`` -> log-mel ``(B, 1, n_mels, frames)``, background removed."""

    def __init__(self, config: MelConfig = MelConfig()) -> None:
        super().__init__()
        import librosa

        self.config = config
        filters = librosa.filters.mel(
            sr=config.sample_rate,
            n_fft=config.n_fft,
            n_mels=config.n_mels,
            fmin=config.fmin,
            fmax=min(config.fmax, config.sample_rate / 2),
        )
        self.register_buffer("filters", torch.from_numpy(filters).float(), persistent=False)
        self.register_buffer("window", torch.hann_window(config.n_fft), persistent=False)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        # frames by unfold + rfft: several times faster than torch.stft on CPU here
        half = self.config.n_fft // 2
        padded = nn.functional.pad(audio[:, None], (half, half), mode="reflect")[:, 0]
        frames = padded.unfold(-1, self.config.n_fft, self.config.hop_length)  # (B, T, n_fft)
        spec = torch.fft.rfft(frames * self.window).abs().transpose(1, 2)  # (B, F, T)
        mel = torch.log(self.filters @ spec + 1e-5)  # (B, M, T)
        mel = mel - mel.median(dim=-1, keepdim=True).values
        return mel.unsqueeze(1)


def cut_clip(audio, center: float, *, seconds: float = 5.0, sample_rate: int = SAMPLE_RATE):  # type: ignore[no-untyped-def]
    """The ``seconds``-long piece of ``audio`` centred on ``center`` s, zero-padded at the ends.

    Examples
    --------
    >>> import numpy as np
    >>> cut_clip(np.ones(10), 0.0, seconds=1.0, sample_rate=4).tolist()
    [0.0, 0.0, 1.0, 1.0]
    """
    import numpy as np

    size = int(round(seconds * sample_rate))
    start = int(round(center * sample_rate)) - size // 2
    out = np.zeros(size, dtype=np.float32)
    lo, hi = max(0, start), min(len(audio), start + size)
    if hi > lo:
        out[lo - start : hi - start] = audio[lo:hi]
    return out
