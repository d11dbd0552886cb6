import numpy as np
import pytest
import soundfile as sf

from castlab.birds.audio import (
    audio_blocks,
    audio_files,
    duration_seconds,
    load_audio,
    resample,
)
from castlab.core.errors import CastlabError


def _one_line(error: CastlabError) -> str:
    text = str(error)
    assert "\n" not in text
    return text


def test_stereo_8khz_becomes_mono_at_the_model_rate(tmp_path):
    left = np.sin(2 * np.pi * 440 * np.arange(8000) / 8000)
    sf.write(tmp_path / "s.wav", np.stack([left, -left * 0 + 0.5], axis=1), 8000)
    audio = load_audio(tmp_path / "s.wav", sample_rate=32000)
    assert audio.shape == (32000,) and audio.dtype == np.float32
    assert abs(float(audio.mean()) - 0.25) < 0.02  # the mean of the two channels


@pytest.mark.parametrize(
    ("rate", "target", "size"),
    [
        (44100, 48000, 44100 * 2 + 7),
        (22050, 48000, 22050 + 1),
        (48000, 32000, 48003),
        (8000, 48000, 8000),
    ],
)
def test_resample_gives_librosas_soxr_numbers(rate, target, size):
    # castlab resamples with soxr itself (librosa's first resample costs a process ~2 s of
    # imports); the numbers and the length must stay librosa's, which the models learnt from
    import librosa

    audio = np.random.default_rng(size).standard_normal(size).astype(np.float32)
    expected = librosa.resample(audio, orig_sr=rate, target_sr=target, res_type="soxr_hq")
    got = resample(audio, rate, target)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    ("rate", "channels", "frames", "target", "block"),
    [
        (44100, 2, 44100 * 7 + 13, 48000, 48000),  # stereo, resampled, a short last block
        (44100, 1, 44100 * 6, 32000, 32000 * 2),  # the blocks fill the recording exactly
        (22050, 1, 22050 * 3 + 1, 48000, 1000),  # blocks smaller than a read; ceil length
        (48000, 1, 48000 * 5 + 7, 48000, 48000),  # no resampling
        (8000, 1, 800, 32000, 32000),  # shorter than one block
    ],
)
def test_blocks_join_into_load_audios_array(tmp_path, rate, channels, frames, target, block):
    # long recordings are scored a block at a time; the blocks must be load_audio's samples
    rng = np.random.default_rng(frames)
    sf.write(tmp_path / "r.flac", rng.uniform(-0.5, 0.5, (frames, channels)), rate)
    blocks = list(audio_blocks(tmp_path / "r.flac", sample_rate=target, block=block))
    assert all(len(b) == block for b in blocks[:-1]) and 0 < len(blocks[-1]) <= block
    assert all(b.dtype == np.float32 for b in blocks)
    np.testing.assert_array_equal(
        np.concatenate(blocks), load_audio(tmp_path / "r.flac", sample_rate=target)
    )


def test_blocks_of_bad_audio_are_load_audios_errors(tmp_path):
    (tmp_path / "text.wav").write_text("not audio")
    sf.write(tmp_path / "empty.wav", np.zeros((0, 1)), 16000)
    sf.write(tmp_path / "nan.wav", np.full(1000, np.nan), 16000, subtype="FLOAT")
    for name, message in [
        ("text.wav", "cannot decode audio"),
        ("empty.wav", "holds no samples"),
        ("nan.wav", "NaN or infinite"),
    ]:
        with pytest.raises(CastlabError, match=message) as error:
            list(audio_blocks(tmp_path / name, sample_rate=32000, block=4000))
        assert name in _one_line(error.value) and str(error.value).count("fix:") == 1
        with pytest.raises(CastlabError) as whole:
            load_audio(tmp_path / name, sample_rate=32000)
        assert str(whole.value) == str(error.value)


def test_one_second_and_silent_files_load(tmp_path):
    sf.write(tmp_path / "short.flac", np.zeros(32000), 32000)
    assert load_audio(tmp_path / "short.flac").size == 32000
    assert duration_seconds(tmp_path / "short.flac") == pytest.approx(1.0)


def test_wrong_extension_with_audio_inside_still_reads(tmp_path):
    sf.write(tmp_path / "really_a_wav.mp3", np.ones(1600) * 0.1, 16000, format="WAV")
    assert load_audio(tmp_path / "really_a_wav.mp3", sample_rate=16000).size == 1600


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("notes.txt", b"hello", "not an audio file suffix"),
        ("broken.wav", b"RIFF\x00\x00garbage" * 10, "cannot decode audio"),
        ("broken.mp3", b"\x00" * 500, "cannot decode audio"),
        ("empty.ogg", b"", "empty"),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(CastlabError) as caught:
        load_audio(tmp_path / name)
    assert message in _one_line(caught.value) and name in str(caught.value)


def test_missing_file_and_empty_folder(tmp_path):
    with pytest.raises(CastlabError, match="not found"):
        load_audio(tmp_path / "nope.wav")
    with pytest.raises(CastlabError, match="no .wav"):
        audio_files(tmp_path)


def test_offset_and_duration_read_part(tmp_path):
    sf.write(tmp_path / "ramp.wav", np.linspace(0, 0.9, 32000), 32000, subtype="FLOAT")
    part = load_audio(tmp_path / "ramp.wav", offset=0.5, duration=0.25)
    assert part.size == 8000 and part[0] == pytest.approx(0.45, abs=0.01)


def test_linked_species_folders_are_followed_and_a_link_loop_ends(tmp_path):
    data = tmp_path / "data" / "veery"
    data.mkdir(parents=True)
    sf.write(data / "a.wav", np.zeros(1600), 16000)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "veery").symlink_to(data, target_is_directory=True)  # species/ -> shared data
    (data / "loop").symlink_to(data.parent, target_is_directory=True)
    assert audio_files(mine) == [mine / "veery" / "a.wav"]
