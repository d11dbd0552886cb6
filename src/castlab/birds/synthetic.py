"""Made-up birds: frequency-modulated chirps, trills and warbles in coloured noise.

Everything the tests and the demo need, with known truth and no download: species folders
(``ROOT/<species>/<species>_<k>.wav``), and soundscapes with Audacity labels of when each
species called. Each made-up species has its own band, note shape and rhythm, so a small
CNN can tell them apart and a wrong pipeline (e.g. labels shuffled) cannot.

Examples
--------
>>> import numpy as np
>>> species = make_species(3, seed=0)
>>> [s.name for s in species]
['ember_chirper', 'glass_triller', 'reed_warbler']
>>> audio, notes = synthetic_recording(species[1], seconds=8.0, rng=np.random.default_rng(0))
>>> audio.shape, len(notes) > 0, notes[0].label
((256000,), True, 'glass_triller')
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from castlab.birds.audio import SAMPLE_RATE
from castlab.birds.data import Annotation

__all__ = [
    "SyntheticSpecies",
    "background_noise",
    "make_species",
    "mix_at_snr",
    "synthetic_call",
    "synthetic_recording",
    "synthetic_soundscape",
    "write_soundscape",
    "write_species_folders",
]

_ADJECTIVES = ["ember", "glass", "reed", "moss", "dusk", "amber", "frost", "cedar", "slate", "fern"]
_KINDS = ["chirper", "triller", "warbler"]


@dataclass(frozen=True)
class SyntheticSpecies:
    """A made-up species: how one call sounds. Frequencies in Hz, durations in seconds."""

    name: str
    kind: str  # "chirper" (FM sweeps), "triller" (fast repeated notes), "warbler" (vibrato)
    f_start: float  # note starts at this frequency ...
    f_end: float  # ... and ends at this one
    note_seconds: float
    notes: int  # notes per call
    gap_seconds: float  # silence between notes


def make_species(count: int, *, seed: int = 0) -> list[SyntheticSpecies]:
    """``count`` distinct made-up species (names are stable for a given seed and count)."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(count):
        kind = _KINDS[k % 3]
        base = 1500 + 6000 * ((k * 0.37 + rng.uniform(0, 0.15)) % 1.0)
        name = f"{_ADJECTIVES[k % len(_ADJECTIVES)]}_{kind}" + (f"{k // 10}" if k >= 10 else "")
        if kind == "chirper":
            up = k % 2 == 0
            span = rng.uniform(1500, 3000)
            spec = SyntheticSpecies(
                name,
                kind,
                base,
                base + span if up else base - span * 0.5,
                rng.uniform(0.12, 0.25),
                int(rng.integers(2, 5)),
                rng.uniform(0.08, 0.2),
            )
        elif kind == "triller":
            spec = SyntheticSpecies(
                name,
                kind,
                base + 800,
                base,
                rng.uniform(0.02, 0.04),
                int(rng.integers(12, 25)),
                rng.uniform(0.02, 0.05),
            )
        else:
            spec = SyntheticSpecies(
                name,
                kind,
                base,
                base,
                rng.uniform(0.5, 0.9),
                1,
                0.0,
            )
        out.append(spec)
    return out


def synthetic_call(
    species: SyntheticSpecies, *, sample_rate: int = SAMPLE_RATE, rng: np.random.Generator
) -> np.ndarray:
    """One call (all its notes), peak amplitude about 1, with a little natural variation."""
    jitter = rng.uniform(0.95, 1.05)
    pieces = []
    for _ in range(species.notes):
        n = int(species.note_seconds * sample_rate)
        t = np.arange(n) / sample_rate
        if species.kind == "warbler":
            freq = species.f_start * jitter + 600 * np.sin(2 * np.pi * 9 * t)
        else:
            freq = np.linspace(species.f_start, species.f_end, n) * jitter
        phase = 2 * np.pi * np.cumsum(freq) / sample_rate
        envelope = np.sin(np.pi * np.linspace(0, 1, n)) ** 2
        note = envelope * (np.sin(phase) + 0.25 * np.sin(2 * phase))
        pieces += [note, np.zeros(int(species.gap_seconds * sample_rate))]
    call = np.concatenate(pieces)
    return (call / (np.abs(call).max() + 1e-9)).astype(np.float32)


def background_noise(
    seconds: float, *, sample_rate: int = SAMPLE_RATE, rng: np.random.Generator, level: float = 0.02
) -> np.ndarray:
    """Pink-ish noise with low-frequency rumble; RMS about ``level``."""
    n = int(seconds * sample_rate)
    spectrum = np.fft.rfft(rng.normal(size=n))
    freqs = np.fft.rfftfreq(n, 1 / sample_rate)
    spectrum /= np.sqrt(np.maximum(freqs, 20.0))  # 1/f power
    noise = np.fft.irfft(spectrum, n)
    noise *= level / (noise.std() + 1e-12)
    return noise.astype(np.float32)


def mix_at_snr(
    background: np.ndarray, clip: np.ndarray, *, start: int, snr_db: float
) -> np.ndarray:
    """Add ``clip`` into a copy of ``background`` at sample ``start`` at ``snr_db`` dB.

    SNR is the power of the clip's loud part over the background's power in the same span.
    """
    out = background.copy()
    end = min(out.size, start + clip.size)
    clip = clip[: end - start]
    loud = clip[np.abs(clip) > 0.1 * (np.abs(clip).max() + 1e-12)]
    clip_power = float(np.mean(loud**2)) if loud.size else 0.0
    noise_power = float(np.mean(out[start:end] ** 2)) + 1e-12
    if clip_power > 0:
        out[start:end] += clip * np.sqrt(noise_power / clip_power * 10 ** (snr_db / 10))
    return out


def synthetic_recording(
    species: SyntheticSpecies,
    *,
    seconds: float = 20.0,
    sample_rate: int = SAMPLE_RATE,
    rng: np.random.Generator,
    calls_per_minute: float = 30.0,
    snr_db: tuple[float, float] = (5.0, 20.0),
) -> tuple[np.ndarray, list[Annotation]]:
    """A xeno-canto-like recording of one species: calls at random times in background."""
    audio = background_noise(seconds, sample_rate=sample_rate, rng=rng)
    count = max(1, int(round(seconds / 60 * calls_per_minute)))
    notes = []
    for _ in range(count):
        call = synthetic_call(species, sample_rate=sample_rate, rng=rng)
        start = int(rng.integers(0, max(1, audio.size - call.size)))
        audio = mix_at_snr(audio, call, start=start, snr_db=float(rng.uniform(*snr_db)))
        begin = start / sample_rate
        notes.append(
            Annotation(round(begin, 3), round(begin + call.size / sample_rate, 3), species.name)
        )
    return audio, sorted(notes, key=lambda a: a.start)


def synthetic_soundscape(
    species: list[SyntheticSpecies],
    *,
    seconds: float = 60.0,
    sample_rate: int = SAMPLE_RATE,
    rng: np.random.Generator,
    calls: int = 8,
    snr_db: float | tuple[float, float] = (5.0, 15.0),
) -> tuple[np.ndarray, list[Annotation]]:
    """A long recording with ``calls`` calls of random species at known times (some windows empty)."""
    audio = background_noise(seconds, sample_rate=sample_rate, rng=rng)
    notes = []
    for _ in range(calls):
        kind = species[int(rng.integers(len(species)))]
        call = synthetic_call(kind, sample_rate=sample_rate, rng=rng)
        start = int(rng.integers(0, max(1, audio.size - call.size)))
        level = snr_db if isinstance(snr_db, float | int) else float(rng.uniform(*snr_db))
        audio = mix_at_snr(audio, call, start=start, snr_db=float(level))
        begin = start / sample_rate
        notes.append(
            Annotation(round(begin, 3), round(begin + call.size / sample_rate, 3), kind.name)
        )
    return audio, sorted(notes, key=lambda a: a.start)


def _write_wav(path: Path, audio: np.ndarray, sample_rate: int) -> Path:
    import soundfile as sf

    from castlab.core.artifacts import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    peak = float(np.abs(audio).max())
    with atomic_write(path, "wb") as handle:
        sf.write(
            handle,
            audio / peak * 0.9 if peak > 1 else audio,
            sample_rate,
            format="WAV",
            subtype="PCM_16",
        )
    return path


def write_species_folders(
    root: str | Path,
    *,
    n_species: int = 4,
    per_species: int = 3,
    seconds: float = 20.0,
    sample_rate: int = SAMPLE_RATE,
    seed: int = 0,
) -> list[SyntheticSpecies]:
    """Write ``ROOT/<species>/<species>_<k>.wav`` (xeno-canto style); return the species."""
    rng = np.random.default_rng(seed)
    species = make_species(n_species, seed=seed)
    for kind in species:
        for k in range(per_species):
            audio, _ = synthetic_recording(kind, seconds=seconds, sample_rate=sample_rate, rng=rng)
            _write_wav(Path(root) / kind.name / f"{kind.name}_{k + 1}.wav", audio, sample_rate)
    return species


def write_soundscape(
    path: str | Path,
    species: list[SyntheticSpecies],
    *,
    seconds: float = 60.0,
    calls: int = 8,
    snr_db: float | tuple[float, float] = (5.0, 15.0),
    sample_rate: int = SAMPLE_RATE,
    seed: int = 1,
) -> tuple[Path, Path]:
    """Write a soundscape WAV and its Audacity labels (``.txt`` beside it); return both paths."""
    from castlab.core.artifacts import write_text

    audio, notes = synthetic_soundscape(
        species,
        seconds=seconds,
        sample_rate=sample_rate,
        rng=np.random.default_rng(seed),
        calls=calls,
        snr_db=snr_db,
    )
    wav = _write_wav(Path(path), audio, sample_rate)
    labels = write_text(
        wav.with_suffix(".txt"), "".join(f"{a.start}\t{a.end}\t{a.label}\n" for a in notes)
    )
    return wav, labels
