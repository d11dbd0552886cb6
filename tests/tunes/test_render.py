import shutil

import numpy as np
import pytest
import soundfile

from castlab.tunes import render
from castlab.tunes.abc import Tune

TUNE = Tune("Test", "jig", "6/8", "1/8", "D", "|:A|dfa afd|dfa a2b|fed cBA|d3 d2:|")


@pytest.mark.tools
@pytest.mark.skipif(
    not shutil.which("abc2midi") or not shutil.which("abcm2ps"),
    reason="abcmidi / abcm2ps are not installed",
)
def test_real_tools_write_every_output(tmp_path):
    files = render.write_outputs(TUNE, tmp_path, "t")
    assert files.abc.read_text().startswith("X:1\nT:Test\n")
    assert files.midi.read_bytes()[:4] == b"MThd"
    audio, rate = soundfile.read(files.wav)
    assert len(audio) / rate > 2 and np.abs(audio).max() > 0.01  # a few seconds, not silence
    assert "<svg" in files.svg.read_text()
    assert render.bar_length_warnings(TUNE) == []
    bad = Tune("Bad", "jig", "6/8", "1/8", "D", "dfa afd|dfa a|dfa afd|")
    assert len(render.bar_length_warnings(bad)) >= 1


@pytest.mark.tools
@pytest.mark.skipif(
    not shutil.which("abc2midi") or not shutil.which("fluidsynth"),
    reason="abcmidi / fluidsynth are not installed",
)
def test_fluidsynth_renders_into_a_relative_output_folder(tmp_path, monkeypatch):
    if render._soundfont() is None:
        pytest.skip("no General MIDI soundfont installed")
    monkeypatch.chdir(tmp_path)  # as `castlab tunes generate --out tunes/` from a project folder
    files = render.write_outputs(TUNE, "tunes", "t", sheet=False)
    assert "audio by fluidsynth" in files.notes


def test_fallbacks_without_debian_tools(tmp_path, monkeypatch):
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    files = render.write_outputs(TUNE, tmp_path, "t")
    assert files.svg is None and "install abcm2ps" in " ".join(files.notes)
    assert "MIDI by music21" in files.notes and "audio by built-in synth" in files.notes
    audio, rate = soundfile.read(files.wav)
    assert np.abs(audio).max() > 0.1
    assert render.bar_length_warnings(TUNE) is None


def test_ogg_audio_is_much_smaller_than_wav(tmp_path, monkeypatch):
    monkeypatch.setattr(render.shutil, "which", lambda name: None)  # the built-in synth
    wav = render.write_outputs(TUNE, tmp_path, "w", sheet=False).wav
    ogg = render.write_outputs(TUNE, tmp_path, "o", sheet=False, audio_format="ogg").wav
    assert ogg.suffix == ".ogg" and soundfile.info(str(ogg)).format == "OGG"
    audio, _ = soundfile.read(ogg)
    assert audio.ndim == 1 and np.abs(audio).max() > 0.1
    assert ogg.stat().st_size * 4 < wav.stat().st_size
