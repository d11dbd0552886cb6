import pytest

from castlab.birds.data import (
    read_annotations,
    read_audacity_labels,
    read_raven_table,
    read_soundscape_labels,
    recordings,
    window_labels,
)
from castlab.core.errors import CastlabError

SPINETAIL_STYLE = "0.101385\t0.367520\tSP\n\\\t6441.06\t12296.57\n0.506924\t3.041545\tCRER\n\\\t2593.15\t8866.92\n5.2\t7.9\tCRER\n"


def test_audacity_labels_with_frequency_lines(tmp_path):
    path = tmp_path / "labels.txt"
    path.write_text(SPINETAIL_STYLE)
    notes = read_audacity_labels(path)
    assert [n.label for n in notes] == ["SP", "CRER", "CRER"]
    assert notes[1].fmin == pytest.approx(2593.15) and notes[2].fmin is None
    assert window_labels(notes, duration=10.0) == [["CRER", "SP"], ["CRER"]]


def test_audacity_bad_line_names_the_line(tmp_path):
    path = tmp_path / "labels.txt"
    path.write_text("0.1\t0.2\tA\nzero\t1.0\tB\n")
    with pytest.raises(CastlabError) as caught:
        read_audacity_labels(path)
    assert ":2:" in str(caught.value) and "not a number" in str(caught.value)


def test_a_label_without_a_name_is_an_error_and_no_bird_labels_name_no_species(tmp_path):
    unnamed = tmp_path / "unnamed.txt"
    unnamed.write_text("0.1\t0.2\tveery\n1.0\t2.0\t  \n")
    with pytest.raises(CastlabError, match=":2: a label without a name"):
        read_annotations(unnamed)
    raven = tmp_path / "raven.txt"
    raven.write_text("Begin Time (s)\tEnd Time (s)\tSpecies\n1\t2\tveery\n3\t4\t\n")
    with pytest.raises(CastlabError, match=":3: a label without a name"):
        read_annotations(raven)
    quiet = tmp_path / "quiet.txt"
    quiet.write_text("0.1\t0.2\tveery\n1.0\t2.0\tnocall\n3.0\t4.0\tBackground\n")
    assert [n.label for n in read_annotations(quiet)] == ["veery"]


def test_raven_table_and_autodetect(tmp_path):
    path = tmp_path / "sel.txt"
    path.write_text(
        "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\tSpecies\n"
        "1\tSpectrogram 1\t1\t1.5\t2.5\t2000\t6000\tveery\n"
        "2\tSpectrogram 1\t1\t7.0\t8.0\t1000\t3000\thoatzin\n"
    )
    notes = read_raven_table(path)
    assert [(n.start, n.label, n.fmax) for n in notes] == [
        (1.5, "veery", 6000.0),
        (7.0, "hoatzin", 3000.0),
    ]
    assert read_annotations(path) == notes
    (tmp_path / "bad.txt").write_text("Begin Time (s)\tEnd Time (s)\n1\t2\n")
    with pytest.raises(CastlabError, match="no Species"):
        read_raven_table(tmp_path / "bad.txt")


def test_species_folders_and_metadata(tmp_path):
    for rel in ("veery/a.wav", "hoatzin/b.mp3", "loose.flac"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    with pytest.raises(CastlabError, match="no species"):
        recordings(tmp_path)
    meta = tmp_path / "train_metadata.csv"
    meta.write_text("primary_label,secondary_labels,filename\nwoothr,\"['veery']\",loose.flac\n")
    found = {r.path.name: (r.species, r.also) for r in recordings(tmp_path, metadata=meta)}
    assert found == {
        "a.wav": ("veery", ()),
        "b.mp3": ("hoatzin", ()),
        "loose.flac": ("woothr", ("veery",)),
    }
    (tmp_path / "loose.flac").unlink()  # a metadata CSV of another folder: nothing matches
    meta.write_text("primary_label,filename\nwoothr,XC1.ogg\nwoothr,XC2.ogg\n")
    with pytest.raises(CastlabError, match="none of the 2 files the metadata CSV names"):
        recordings(tmp_path, metadata=meta)


def test_birdclef_soundscape_labels(tmp_path):
    path = tmp_path / "train_soundscape_labels.csv"
    path.write_text(
        "row_id,site,audio_id,seconds,birds\n7019_COR_5,COR,7019,5,nocall\n7019_COR_10,COR,7019,10,rewbla amecro\n"
    )
    assert read_soundscape_labels(path) == {"7019": [[], ["amecro", "rewbla"]]}


def test_labels_saved_as_utf16_or_with_windows_line_ends_read_the_same(tmp_path):
    raven = "Selection\tBegin Time (s)\tEnd Time (s)\tSpecies\r\n1\t1.5\t2.5\tveery\r\n"
    (tmp_path / "sel.txt").write_bytes(raven.encode("utf-16"))  # Windows exports: BOM + UTF-16
    (tmp_path / "labels.txt").write_bytes(SPINETAIL_STYLE.replace("\n", "\r\n").encode("utf-16"))
    assert [(n.start, n.label) for n in read_annotations(tmp_path / "sel.txt")] == [(1.5, "veery")]
    notes = read_annotations(tmp_path / "labels.txt")
    assert [n.label for n in notes] == ["SP", "CRER", "CRER"]
    assert notes[0].fmax == pytest.approx(12296.57)


@pytest.mark.parametrize(
    "reader", [read_audacity_labels, read_raven_table, read_annotations, read_soundscape_labels]
)
def test_labels_not_in_utf8_are_one_error_naming_the_line(tmp_path, reader):
    path = tmp_path / "labels.txt"
    path.write_bytes("0.1\t0.2\tA\n0.5\t1.0\tgr\xfcnfink\n".encode("latin-1"))
    with pytest.raises(CastlabError, match=r"labels.txt:2: not UTF-8 text \(byte 0xfc\)"):
        reader(path)


def test_soundscape_labels_of_every_kind_match_their_recordings(tmp_path):
    from castlab.birds.data import SoundscapeLabels

    table = tmp_path / "train_soundscape_labels.csv"
    table.write_text(
        "row_id,site,audio_id,seconds,birds\n7019_COR_5,COR,7019,5,nocall\n7019_COR_10,COR,7019,10,rewbla amecro\n"
    )
    audacity = tmp_path / "dawn.txt"
    audacity.write_text("6.0\t8.0\tveery\n")
    labels = SoundscapeLabels.read([table, audacity])
    assert labels.names == {"amecro", "rewbla", "veery"}
    truth = labels.truth(
        {
            tmp_path / "7019_COR_20190904.ogg": 3,  # one window more than the table: no call
            tmp_path / "dawn.wav": 2,
            tmp_path / "7020_SSW_20170429.ogg": 2,  # not in the table
            tmp_path / "dusk.wav": 2,  # no label file
        }
    )
    assert truth == {
        tmp_path / "7019_COR_20190904.ogg": [[], ["amecro", "rewbla"], []],
        tmp_path / "dawn.wav": [[], ["veery"]],
    }
    with pytest.raises(CastlabError, match="BirdCLEF labels are per 5-s window, not 3 s"):
        labels.truth({tmp_path / "7019_COR_20190904.ogg": 3}, window=3.0)


@pytest.mark.parametrize(
    "name, text, said",
    [
        (
            "labels.csv",
            "row_id,site,audio_id,seconds,birds\n7019_COR_10,COR,7019,10\n",
            "labels.csv:2: the row has no 'birds' field",
        ),
        (
            "sel.txt",
            "Selection\tBegin Time (s)\tEnd Time (s)\tSpecies\n1\t1.0\t2.0\tveery\n2\t3.0\n",
            "sel.txt:3: the row has no End Time field",
        ),
    ],
)
def test_a_short_row_of_labels_is_one_error_naming_its_line(tmp_path, name, text, said):
    (tmp_path / name).write_text(text)
    reader = read_soundscape_labels if name.endswith(".csv") else read_annotations
    with pytest.raises(CastlabError, match="fewer fields than the header") as caught:
        reader(tmp_path / name)
    assert str(caught.value).startswith(str(tmp_path / said))


def test_a_metadata_row_without_a_species_is_one_error_naming_its_line(tmp_path):
    (tmp_path / "a.wav").write_bytes(b"x")
    meta = tmp_path / "train_metadata.csv"
    meta.write_text("filename,primary_label\na.wav,veery\nb.wav\n")
    with pytest.raises(CastlabError, match=r"train_metadata.csv:3: the row has no 'primary_label'"):
        recordings(tmp_path, metadata=meta)
    meta.write_text("filename,primary_label\na.wav,\n")
    with pytest.raises(
        CastlabError, match=r"train_metadata.csv:2: a.wav has an empty primary_label"
    ):
        recordings(tmp_path, metadata=meta)


@pytest.mark.parametrize(
    "name, text, said",
    [
        ("a.txt", "1.0\t2.0\tveery\nnan\t3.0\tveery\n", "a.txt:2: start 'nan' is not a time"),
        ("b.txt", "1.0\tinf\tveery\n", "b.txt:1: end 'inf' is not a time"),
        (
            "c.txt",
            "Selection\tBegin Time (s)\tEnd Time (s)\tSpecies\n1\t3.0\t2.0\tveery\n",
            "c.txt:2: end 2.0 before start 3.0",
        ),
    ],
)
def test_a_label_that_would_cover_no_window_is_one_error_naming_its_line(
    tmp_path, name, text, said
):
    (tmp_path / name).write_text(text)
    with pytest.raises(CastlabError) as caught:
        read_annotations(tmp_path / name)
    assert str(caught.value).startswith(str(tmp_path / said))
