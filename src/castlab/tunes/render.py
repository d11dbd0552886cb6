"""Playable outputs of a tune: ABC, MIDI, WAV audio and SVG sheet music, plus tool checks.

Real tools are used where they exist (Debian packages ``abcmidi``, ``abcm2ps``,
``fluidsynth`` + ``fluid-soundfont-gm``); without them MIDI comes from music21 and audio
from a simple built-in synthesiser, and SVG is skipped with a note.

Examples
--------
>>> from castlab.tunes.abc import Tune
>>> tune = Tune("Demo", "jig", "6/8", "1/8", "D", "|:dfa afd|d3 d3:|")
>>> bar_length_warnings(tune)  # doctest: +SKIP
[]
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from castlab.core.artifacts import write_text
from castlab.tunes.abc import Tune

__all__ = [
    "INSTRUMENTS",
    "SOUNDFONTS",
    "TuneFiles",
    "abc_to_midi",
    "abc_to_svg",
    "bar_length_warnings",
    "midi_to_wav",
    "parses_with_music21",
    "write_outputs",
]

#: General MIDI programs (0-based) for the instruments of the blog.
INSTRUMENTS = {"whistle": 78, "flute": 73, "fiddle": 40, "piano": 0}
SOUNDFONTS = ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/soundfonts/FluidR3_GM.sf2")


@dataclass
class TuneFiles:
    """Paths written for one tune (``None`` where a tool was missing)."""

    abc: Path
    midi: Path | None
    wav: Path | None  # the audio file: WAV, or Ogg Vorbis with audio_format="ogg"
    svg: Path | None
    notes: list[str]


def _playable_abc(tune: Tune, instrument: str) -> str:
    program = INSTRUMENTS.get(instrument, INSTRUMENTS["whistle"])
    text = tune.to_abc()
    return text.replace("\nK:", f"\n%%MIDI program {program}\nK:", 1)


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


def abc_to_midi(tune: Tune, midi_path: str | Path, *, instrument: str = "whistle") -> str:
    """Write a MIDI file (repeats played out); returns the tool used."""
    midi_path = Path(midi_path)
    midi_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if shutil.which("abc2midi"):
            (work / "tune.abc").write_text(_playable_abc(tune, instrument))
            _run(["abc2midi", "tune.abc", "-o", "tune.mid"], work)
            if (work / "tune.mid").exists():
                os.replace(work / "tune.mid", midi_path)
                return "abc2midi"
        from music21 import converter

        score = converter.parse(tune.to_abc(), format="abc")
        score.write("midi", fp=str(work / "tune.mid"))
        os.replace(work / "tune.mid", midi_path)
        return "music21"


def _soundfont() -> str | None:
    return next((path for path in SOUNDFONTS if os.path.exists(path)), None)


def _write_audio(audio, path: Path, sample_rate: int) -> None:  # type: ignore[no-untyped-def]
    """Write float audio atomically; ``.ogg`` as Ogg Vorbis (mono), anything else as WAV."""
    import numpy as np
    import soundfile

    tmp = path.with_name(f".{path.name}.tmp")
    if path.suffix.lower() == ".ogg":
        mono = audio.mean(axis=1) if audio.ndim == 2 else audio
        soundfile.write(
            str(tmp), np.asarray(mono, dtype="float32"), sample_rate, format="OGG", subtype="VORBIS"
        )
    else:
        soundfile.write(str(tmp), audio, sample_rate, format="WAV")
    os.replace(tmp, path)


def midi_to_wav(midi_path: str | Path, wav_path: str | Path, *, sample_rate: int = 22050) -> str:
    """Render MIDI to audio with fluidsynth, or the built-in synthesiser; returns which.

    The file's suffix picks the format: ``.wav`` (16-bit PCM) or ``.ogg`` (Ogg Vorbis, mono,
    about a tenth of the size).
    """
    wav_path = Path(wav_path).resolve()  # fluidsynth runs in the output folder: no relative paths
    tmp = wav_path.with_name(f".{wav_path.stem}.tmp.wav")
    soundfont = _soundfont()
    if shutil.which("fluidsynth") and soundfont:
        result = _run(
            [
                "fluidsynth",
                "-ni",
                "-q",
                "-F",
                str(tmp),
                "-r",
                str(sample_rate),
                soundfont,
                str(Path(midi_path).resolve()),
            ],
            wav_path.parent,
        )
        if result.returncode == 0 and tmp.exists() and tmp.stat().st_size > 44:
            if wav_path.suffix.lower() == ".wav":
                os.replace(tmp, wav_path)
            else:
                import soundfile

                audio, rate = soundfile.read(str(tmp))
                tmp.unlink()
                _write_audio(audio, wav_path, rate)
            return "fluidsynth"
    import pretty_midi

    audio = pretty_midi.PrettyMIDI(str(midi_path)).synthesize(fs=sample_rate)
    peak = float(abs(audio).max()) or 1.0
    _write_audio(0.8 * audio / peak, wav_path, sample_rate)
    return "built-in synth"


def abc_to_svg(tune: Tune, svg_path: str | Path) -> bool:
    """Engrave sheet music with abcm2ps; returns False when abcm2ps is not installed."""
    if not shutil.which("abcm2ps"):
        return False
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "tune.abc").write_text(tune.to_abc())
        _run(["abcm2ps", "-g", "-q", "tune.abc", "-O", "tune.svg"], work)
        pages = sorted(work.glob("tune*.svg"))
        if not pages:
            return False
        os.replace(pages[0], svg_path)
    return True


_BAR_WARNING = re.compile(r"Bar (\d+) has (\d+) time units while the time signature has (\d+)")


def bar_length_warnings(tune: Tune) -> list[str] | None:
    """abc2midi's complaints about bars of the wrong length (``None`` without abc2midi)."""
    if not shutil.which("abc2midi"):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "tune.abc").write_text(tune.to_abc())
        result = _run(["abc2midi", "tune.abc", "-o", "tune.mid"], work)
    lines = (result.stdout + result.stderr).splitlines()
    return [line for line in lines if _BAR_WARNING.search(line)]


def parses_with_music21(tune: Tune) -> bool:
    """True when music21 parses the tune into at least one note."""
    from music21 import converter

    try:
        score = converter.parse(tune.to_abc(), format="abc")
    except Exception:  # music21 raises many types for bad ABC
        return False
    return len(score.flatten().notes) > 0


def write_outputs(
    tune: Tune,
    directory: str | Path,
    stem: str,
    *,
    instrument: str = "whistle",
    audio: bool = True,
    sheet: bool = True,
    audio_format: str = "wav",
) -> TuneFiles:
    """Write ``stem.abc``, ``stem.mid``, ``stem.wav`` and ``stem.svg`` into ``directory``.

    ``audio_format="ogg"`` writes ``stem.ogg`` (Ogg Vorbis) instead of the WAV file; its
    path is in ``TuneFiles.wav`` all the same.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    abc = write_text(directory / f"{stem}.abc", tune.to_abc())
    midi = directory / f"{stem}.mid"
    notes.append(f"MIDI by {abc_to_midi(tune, midi, instrument=instrument)}")
    wav: Path | None = None
    if audio:
        wav = directory / f"{stem}.{audio_format}"
        notes.append(f"audio by {midi_to_wav(midi, wav)}")
    svg: Path | None = directory / f"{stem}.svg"
    if not sheet or not abc_to_svg(tune, svg):  # type: ignore[arg-type]
        svg = None
        if sheet:
            notes.append("no sheet music: install abcm2ps")
    return TuneFiles(abc, midi, wav, svg, notes)
