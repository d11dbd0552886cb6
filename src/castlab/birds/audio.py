"""Reading recordings: any of WAV, FLAC, OGG, MP3 -> one mono float32 array at one rate.

Bad audio says what is wrong in one line (:class:`~castlab.core.errors.CastlabError`):
a missing, empty, corrupt or non-audio file, an unknown suffix, NaN samples. Audio that is
merely awkward is handled: stereo is averaged to mono, any rate is resampled, a short file
is padded by whoever cuts clips from it, and silence simply yields no peaks.

Examples
--------
>>> import tempfile, pathlib, numpy as np, soundfile as sf
>>> path = pathlib.Path(tempfile.mkdtemp()) / "tone.wav"
>>> sf.write(path, np.stack([np.zeros(8000), np.ones(8000) * 0.5], axis=1), 8000)
>>> audio = load_audio(path, sample_rate=16000)
>>> audio.shape, audio.dtype, float(np.median(audio).round(2))
((16000,), dtype('float32'), 0.25)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from castlab.core.errors import CastlabError
from castlab.core.readers import files_under

__all__ = [
    "AUDIO_SUFFIXES",
    "SAMPLE_RATE",
    "audio_blocks",
    "audio_files",
    "check_audio_path",
    "duration_seconds",
    "is_long",
    "load_audio",
    "resample",
    "window_pieces",
    "windows",
]

#: The one rate every castlab bird model works at (BirdCLEF's rate); BirdNET resamples to 48 kHz.
SAMPLE_RATE = 32_000
#: Recordings longer than this (seconds; 350 MB at 48 kHz) are read a piece at a time by the
#: commands that would otherwise hold them whole (``soundscape``, ``peaks``, ``cluster``,
#: ``adapt``, ``selftrain``).
STREAM_SECONDS = 1800.0
#: Windows read at a time from such a recording by :func:`window_pieces` (24 x 5 s: 23 MB at 48 kHz).
WINDOWS_PER_READ = 24
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")
_FIX_SUFFIX = "convert it to WAV, FLAC, OGG or MP3 (e.g. ffmpeg -i IN OUT.wav)"


def _check_suffix(path: Path) -> None:
    if path.suffix.lower() not in AUDIO_SUFFIXES:
        raise CastlabError(
            f"not an audio file suffix ({path.suffix or 'none'})", path=path, fix=_FIX_SUFFIX
        )


def check_audio_path(path: str | Path) -> Path:
    """``path`` as a Path if it can be audio: an existing, non-empty file with an audio
    suffix (the checks that need no decoding; :func:`load_audio` makes them first).

    Examples
    --------
    >>> check_audio_path("missing.wav")
    Traceback (most recent call last):
    castlab.core.errors.CastlabError: missing.wav: audio file not found (fix: check the path)
    """
    path = Path(path)
    if not path.is_file():
        raise CastlabError("audio file not found", path=path, fix="check the path")
    _check_suffix(path)
    if path.stat().st_size == 0:
        raise CastlabError(
            "audio file is empty (0 bytes)", path=path, fix="record or copy it again"
        )
    return path


def load_audio(
    path: str | Path,
    *,
    sample_rate: int = SAMPLE_RATE,
    offset: float = 0.0,
    duration: float | None = None,
) -> np.ndarray:
    """Read ``path`` as mono float32 at ``sample_rate`` Hz, shape ``(samples,)``.

    ``offset`` and ``duration`` (seconds) read only part of the file. The content decides the
    decoder, so a WAV file named ``.mp3`` still reads; a file that is not audio at all raises
    a :class:`CastlabError`.
    """
    import soundfile as sf

    path = check_audio_path(path)
    try:
        with sf.SoundFile(path) as handle:
            native = handle.samplerate
            start = int(offset * native)
            if start:
                handle.seek(min(start, handle.frames))
            frames = -1 if duration is None else int(duration * native)
            data = handle.read(frames, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, ValueError) as error:
        raise _undecodable(path, error) from None
    if data.shape[0] == 0:
        raise CastlabError("audio file holds no samples", path=path, fix="check the recording")
    mono = _mono(data, path)
    if native != sample_rate:
        mono = resample(mono, native, sample_rate)
    return np.ascontiguousarray(mono, dtype=np.float32)


def audio_blocks(
    path: str | Path, *, sample_rate: int = SAMPLE_RATE, block: int
) -> Iterator[np.ndarray]:
    """``path`` as :func:`load_audio` reads it, ``block`` samples at a time (the last block
    shorter): the blocks joined are load_audio's array, sample for sample, but memory holds
    one block, however long the recording (8 hours at 44.1 kHz in stereo are 10 GB decoded
    whole). soxr resamples it as a stream, which gives its one-shot numbers.

    Examples
    --------
    >>> import tempfile, pathlib, soundfile as sf
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "noise.wav"
    >>> sf.write(path, np.random.default_rng(0).normal(0, 0.1, 44100 * 3), 44100)
    >>> blocks = list(audio_blocks(path, sample_rate=32000, block=40000))
    >>> [len(b) for b in blocks]
    [40000, 40000, 16000]
    >>> bool((np.concatenate(blocks) == load_audio(path, sample_rate=32000)).all())
    True
    """
    import soundfile as sf
    import soxr

    path = check_audio_path(path)
    pending, made, read = np.zeros(0, np.float32), 0, 0
    try:
        with sf.SoundFile(path) as handle:
            native = handle.samplerate
            stream = None
            if native != sample_rate:
                stream = soxr.ResampleStream(
                    native, sample_rate, 1, dtype="float32", quality="soxr_hq"
                )
            step = max(1, int(block * native / sample_rate))
            while True:
                data = handle.read(step, dtype="float32", always_2d=True)
                last = data.shape[0] < step
                if last and read + data.shape[0] == 0:
                    raise CastlabError(
                        "audio file holds no samples", path=path, fix="check the recording"
                    )
                mono = _mono(data, path)
                read += len(mono)
                if stream is not None:
                    mono = stream.resample_chunk(mono, last=last)
                    if last:  # load_audio's length for the whole recording
                        size = _resampled_length(read, native, sample_rate) - made - len(pending)
                        mono = _fit(mono, size)
                pending = np.concatenate([pending, mono])
                while len(pending) >= block or (last and len(pending)):
                    out, pending = pending[:block], pending[block:]
                    made += len(out)
                    yield np.ascontiguousarray(out, dtype=np.float32)
                if last:
                    return
    except CastlabError:  # said here, in load_audio's words
        raise
    except (sf.LibsndfileError, RuntimeError, ValueError) as error:
        raise _undecodable(path, error) from None


def window_pieces(
    path: str | Path, *, sample_rate: int = SAMPLE_RATE, window: float = 5.0
) -> Iterator[np.ndarray]:
    """``path`` read for work done window by window: the whole recording at once, or, when it
    is longer than :data:`STREAM_SECONDS`, :data:`WINDOWS_PER_READ` whole windows at a time
    (:func:`audio_blocks`), so memory does not grow with its length. Each piece but the last
    holds whole windows, so windows cut from the pieces are those cut from the whole.

    Examples
    --------
    >>> import tempfile, pathlib, soundfile as sf
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "noise.wav"
    >>> sf.write(path, np.random.default_rng(0).normal(0, 0.1, 32000 * 3), 32000)
    >>> [len(p) for p in window_pieces(path, sample_rate=32000, window=1.0)]
    [96000]
    """
    if is_long(path):
        block = int(round(window * sample_rate)) * WINDOWS_PER_READ
        yield from audio_blocks(path, sample_rate=sample_rate, block=block)
    else:
        yield load_audio(path, sample_rate=sample_rate)


def _undecodable(path: Path, error: Exception) -> CastlabError:
    detail = str(error).splitlines()[0] if str(error) else type(error).__name__
    return CastlabError(
        f"cannot decode audio ({detail})", path=path, fix="check the file plays; re-export it"
    )


def _mono(data: np.ndarray, path: Path) -> np.ndarray:
    """Frames ``(n, channels)`` averaged to mono; NaN or infinite samples are an error."""
    mono = data.mean(axis=1)
    if not np.all(np.isfinite(mono)):
        raise CastlabError("audio holds NaN or infinite samples", path=path, fix="re-export it")
    return mono


def resample(audio: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Mono ``audio`` from ``rate`` to ``target`` Hz with soxr (high quality), the same numbers
    as ``librosa.resample(..., res_type="soxr_hq")``: its length ``ceil(n * target / rate)``,
    zero-padded where soxr gives one sample fewer. soxr directly, because librosa's first
    resample imports scipy.signal and numba (about 2 s a process here).

    Examples
    --------
    >>> resample(np.ones(22050, dtype=np.float32), 22050, 48000).shape
    (48000,)
    >>> resample(np.ones(3, dtype=np.float32), 22050, 48000).shape  # ceil(3 * 48000 / 22050)
    (7,)
    """
    import soxr

    out = soxr.resample(audio, rate, target, quality="soxr_hq")
    return _fit(out, _resampled_length(len(audio), rate, target))


def _resampled_length(samples: int, rate: int, target: int) -> int:
    """librosa's length of ``samples`` resampled from ``rate`` to ``target`` Hz (rounded up)."""
    return int(np.ceil(samples * target / rate))


def _fit(audio: np.ndarray, size: int) -> np.ndarray:
    """``audio`` cut or zero-padded to ``size`` samples."""
    return np.pad(audio, (0, max(0, size - len(audio))))[:size]


def windows(audio: np.ndarray, *, sample_rate: int, window: float = 5.0) -> np.ndarray:
    """Cut ``audio`` into consecutive windows ``(W, window * sample_rate)``, the last zero-padded.

    Examples
    --------
    >>> windows(np.ones(11), sample_rate=2, window=2.0).shape
    (3, 4)
    """
    size = int(round(window * sample_rate))
    count = max(1, int(np.ceil(len(audio) / size)))
    padded = np.zeros(count * size, dtype=np.float32)
    padded[: len(audio)] = audio
    return padded.reshape(count, size)


def duration_seconds(path: str | Path) -> float:
    """Length of an audio file in seconds, read from its header (fast)."""
    import soundfile as sf

    path = Path(path)
    _check_suffix(path)
    try:
        return float(sf.info(str(path)).duration)
    except (sf.LibsndfileError, RuntimeError) as error:
        raise CastlabError(f"cannot read audio header ({error})", path=path) from None


def is_long(path: str | Path, seconds: float | None = None) -> bool:
    """Whether ``path`` is longer than ``seconds`` (default :data:`STREAM_SECONDS`) by its
    header: such a recording is read a piece at a time. An unreadable header gives False,
    so that :func:`load_audio` reads the file and says in one line what is wrong with it.

    Examples
    --------
    >>> import tempfile, pathlib, soundfile as sf
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "short.wav"
    >>> sf.write(path, np.zeros(32000 * 2), 32000)
    >>> is_long(path), is_long(path, 1.0)
    (False, True)
    """
    try:
        return duration_seconds(path) > (STREAM_SECONDS if seconds is None else seconds)
    except CastlabError:
        return False


def audio_files(folder: str | Path) -> list[Path]:
    """Every audio file under ``folder`` (recursively, sorted); a folder with none is an error.

    Examples
    --------
    >>> import tempfile
    >>> audio_files(tempfile.mkdtemp())
    Traceback (most recent call last):
    ...
    castlab.core.errors.CastlabError: ...: no .wav, .flac, .ogg or .mp3 files here (fix: ...)
    """
    folder = Path(folder)
    if folder.is_file():
        _check_suffix(folder)
        return [folder]
    if not folder.is_dir():
        raise CastlabError("folder not found", path=folder, fix="check the path")
    files = [p for p in files_under(folder) if p.suffix.lower() in AUDIO_SUFFIXES]
    if not files:
        raise CastlabError(
            "no .wav, .flac, .ogg or .mp3 files here",
            path=folder,
            fix="pass a folder of species/*.wav (xeno-canto style) or one audio file",
        )
    return files
