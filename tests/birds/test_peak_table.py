import json

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from castlab.birds.peak_table import COLUMNS, read_peak_table, write_peak_table
from castlab.birds.synthetic import write_species_folders
from castlab.core.errors import CastlabError


@pytest.fixture
def folder(tmp_path):
    write_species_folders(tmp_path / "rec", n_species=2, per_species=2, seconds=6.0)
    return tmp_path / "rec"


def test_resumes_and_skips_done_files(folder, tmp_path):
    out = tmp_path / "peaks.csv"
    first = write_peak_table(folder, out, count=3, progress=False)
    assert (first.files_done, first.files_skipped) == (4, 0)
    # a new file appears; a crash had left half a line at the end
    sf.write(
        folder / "ember_chirper" / "late.wav", np.random.default_rng(0).normal(0, 0.1, 64000), 32000
    )
    with out.open("a") as handle:
        handle.write("ember_chirper/half_writ")
    second = write_peak_table(folder, out, count=3, progress=False)
    assert (second.files_done, second.files_skipped) == (1, 4)
    frame = pd.read_csv(out)
    assert list(frame.columns) == COLUMNS and frame["file"].nunique() == 5
    assert not frame["file"].str.contains("half_writ").any()
    assert frame.groupby("file")["rank"].max().le(3).all()


def test_bad_and_silent_files_are_recorded_not_fatal(folder, tmp_path):
    (folder / "ember_chirper" / "corrupt.wav").write_bytes(b"RIFFnot really")
    sf.write(folder / "ember_chirper" / "silent.wav", np.zeros(32000), 32000)
    result = write_peak_table(folder, tmp_path / "p.csv", count=3, progress=False)
    assert result.files_failed == 1
    assert [name for name, _ in result.unreadable] == ["ember_chirper/corrupt.wav"]
    frame = pd.read_csv(tmp_path / "p.csv")
    notes = dict(zip(frame["file"], frame["note"].fillna("")))
    assert notes["ember_chirper/corrupt.wav"].startswith("error: cannot decode")
    assert notes["ember_chirper/silent.wav"].startswith("no peaks")
    assert len(read_peak_table(tmp_path / "p.csv")) == len(frame) - 2  # real peaks only


@pytest.mark.parametrize(
    "content, said",
    [
        (b"a,b\n1,2\n", "header ['a', 'b']"),
        (b"name,score\nalice,1\nbob,2", "header ['name', 'score']"),  # no newline at its end
        (bytes(range(128, 256)) * 3, "not UTF-8 text"),
    ],
)
def test_refuses_another_file_and_leaves_it_as_it_was(folder, tmp_path, content, said):
    other = tmp_path / "other.csv"
    other.write_bytes(content)
    with pytest.raises(CastlabError, match="not a castlab peaks CSV") as caught:
        write_peak_table(folder, other, progress=False)
    assert said in str(caught.value) and other.read_bytes() == content


@pytest.mark.parametrize("settings", [{"count": 0}, {"count": -1}, {"min_gap": -1.0}])
def test_refuses_settings_that_find_no_peak_before_writing(folder, tmp_path, settings):
    with pytest.raises(CastlabError, match="at least 1|0 s or more"):
        write_peak_table(folder, tmp_path / "p.csv", progress=False, **settings)
    assert not (tmp_path / "p.csv").exists()


def test_one_file_takes_its_folder_as_species(folder, tmp_path):
    one = next((folder / "ember_chirper").glob("*.wav"))
    write_peak_table(one, tmp_path / "one.csv", count=2, progress=False)
    assert set(pd.read_csv(tmp_path / "one.csv")["species"]) == {"ember_chirper"}


def test_cli_names_unreadable_files_and_fails_when_none_could_be_read(tmp_path):
    from tests.reliability.matrix import run_command

    (tmp_path / "bad" / "sp1").mkdir(parents=True)
    (tmp_path / "bad" / "sp1" / "x.wav").write_text("not audio")
    outcome = run_command(
        ["birds", "peaks", str(tmp_path / "bad"), "--out", str(tmp_path / "p.csv")]
    )
    assert (
        outcome.exit_code == 2 and "none of the 1 recording(s) could be decoded" in outcome.message
    )
    assert "sp1/x.wav" in outcome.message


def test_long_recordings_give_the_same_table_read_a_block_at_a_time(folder, tmp_path, monkeypatch):
    from castlab.birds import audio as audio_module
    from castlab.birds import peaks as peaks_module

    whole = read_peak_table(write_peak_table(folder, tmp_path / "a.csv", progress=False).path)
    monkeypatch.setattr(audio_module, "STREAM_SECONDS", 2.0)  # the 6-s recordings count as long
    monkeypatch.setattr(peaks_module, "SNR_BLOCK_SECONDS", 1.0)

    def not_whole(*args, **kwargs):
        raise AssertionError("read whole")

    monkeypatch.setattr(audio_module, "load_audio", not_whole)
    streamed = read_peak_table(write_peak_table(folder, tmp_path / "b.csv", progress=False).path)
    columns = ["file", "species", "rank", "time"]
    assert streamed[columns].equals(whole[columns]) and len(whole) > 4
    np.testing.assert_allclose(streamed["snr"], whole["snr"], atol=1e-4)  # 4 decimals in the CSV


def test_a_rerun_with_other_settings_is_refused_and_the_table_kept(folder, tmp_path):
    from castlab.birds.peak_table import settings_path

    out = tmp_path / "peaks.csv"
    write_peak_table(folder, out, count=3, progress=False)
    before = out.read_bytes()
    assert settings_path(out).exists()
    with pytest.raises(CastlabError, match=r"count 3 -> 5") as caught:
        write_peak_table(folder, out, count=5, progress=False)
    assert "--count 3 --min-gap 1.0" in caught.value.fix and out.read_bytes() == before
    with pytest.raises(CastlabError, match=r"min_gap 1.0 -> 2.0"):
        write_peak_table(folder, out, count=3, min_gap=2.0, progress=False)
    assert write_peak_table(folder, out, count=3, progress=False).files_skipped == 4
    # a new table (the old one deleted) takes the new settings; one without them is taken as is
    out.unlink()
    write_peak_table(folder, out, count=5, progress=False)
    settings_path(out).unlink()
    assert write_peak_table(folder, out, count=2, progress=False).files_skipped == 4
    assert json.loads(settings_path(out).read_text())["count"] == 2
