import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from castlab.cli import app
from castlab.core.errors import CastlabError


def _run(*args: str):
    result = CliRunner().invoke(app, ["birds", *args])
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_generate_then_peaks_resume(tmp_path):
    said = _run(
        "generate",
        str(tmp_path / "g"),
        "--species",
        "2",
        "--per-species",
        "1",
        "--seconds",
        "6",
        "--soundscapes",
        "1",
    )
    assert (tmp_path / "g" / "soundscapes" / "soundscape_1.txt").exists()
    assert f"next: castlab birds train {tmp_path / 'g' / 'species'}" in said  # not the soundscapes
    first = _run(
        "peaks", str(tmp_path / "g" / "species"), "--out", str(tmp_path / "p.csv"), "--count", "3"
    )
    again = _run(
        "peaks", str(tmp_path / "g" / "species"), "--out", str(tmp_path / "p.csv"), "--count", "3"
    )
    assert "2 files done" in first and "2 already there" in again
    assert set(pd.read_csv(tmp_path / "p.csv")["species"]) == {"ember_chirper", "glass_triller"}


def test_soundscape_with_labels_writes_submission(demo_model, tmp_path):
    from castlab.birds.synthetic import write_soundscape

    wav, labels = write_soundscape(tmp_path / "site.wav", demo_model[1], seconds=20.0, calls=3)
    output = _run(
        "soundscape",
        str(demo_model[0]),
        str(wav),
        "--labels",
        str(labels),
        "--out",
        str(tmp_path / "o"),
    )
    assert "micro_f1_birdclef" in output
    submission = pd.read_csv(tmp_path / "o" / "submission.csv")
    assert submission["row_id"].tolist() == ["site_5", "site_10", "site_15", "site_20"]
    assert (tmp_path / "o" / "thresholds.json").exists() and (
        tmp_path / "o" / "timeline_site.png"
    ).exists()
    assert "thresholds: 0.5 for every species" not in output
    assert not (demo_model[0] / "thresholds.json").exists()
    untuned = _run("soundscape", str(demo_model[0]), str(wav), "--out", str(tmp_path / "u"))
    assert "thresholds: 0.5 for every species" in untuned and "pass --labels" in untuned
    saved = str(tmp_path / "o" / "thresholds.json")
    out = str(tmp_path / "t")
    tuned = _run("soundscape", str(demo_model[0]), str(wav), "--out", out, "--thresholds", saved)
    assert "thresholds: 0.5 for every species" not in tuned


def test_picture_and_cluster(species_folder, tmp_path):
    first = sorted(species_folder.rglob("*.wav"))[0]
    assert "picture written" in _run("picture", str(first), "--out", str(tmp_path / "p.png"))
    output = _run(
        "cluster",
        str(species_folder),
        "--features",
        "mel",
        "--peaks-per-file",
        "2",
        "--out",
        str(tmp_path / "c"),
    )
    assert "ARI vs species" in output and (tmp_path / "c" / "cluster_map.png").exists()


def test_cluster_on_birdnet_embeddings_gives_birdnet_its_threads(species_folder, tmp_path):
    from castlab.birds.birdnet import load_birdnet

    shared = load_birdnet()
    before = shared.threads
    try:
        output = _run(
            "cluster", str(species_folder), "--peaks-per-file", "2", "--threads", "2",
            "--out", str(tmp_path / "c"),
        )  # fmt: skip
        assert "24 calls in 4 clusters" in output and shared.threads == 2
    finally:
        shared.threads = before


def test_bad_audio_is_one_line_and_exit_code_2(tmp_path):
    (tmp_path / "notes.txt").write_text("not audio")
    result = subprocess.run(
        [sys.executable, "-m", "castlab", "birds", "picture", str(tmp_path / "notes.txt")],
        capture_output=True,
        text=True,
    )
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and "not an audio file suffix" in lines[0]


def test_head_with_a_birdnet_weight_outside_0_1_is_refused(tmp_path):
    from castlab.core.errors import CastlabError

    result = CliRunner().invoke(
        app,
        ["birds", "train", str(tmp_path), "--features", "birdnet", "--birdnet-weight", "1.5"],
    )
    assert result.exit_code != 0 and isinstance(result.exception, CastlabError)
    assert "not in 0-1" in str(result.exception) and "--birdnet-weight" in str(result.exception)


def test_an_unknown_head_is_refused_before_any_work(tmp_path):
    from castlab.core.errors import CastlabError

    result = CliRunner().invoke(
        app, ["birds", "train", str(tmp_path), "--features", "birdnet", "--head", "mlp"]
    )
    assert result.exit_code != 0 and isinstance(result.exception, CastlabError)
    assert "unknown head 'mlp'" in str(result.exception) and "--head anchored" in str(
        result.exception
    )


def test_an_unknown_threshold_objective_is_refused_before_any_work(tmp_path):
    from castlab.core.errors import CastlabError

    result = CliRunner().invoke(  # neither file exists: the objective is checked first
        app,
        [
            "birds",
            "soundscape",
            str(tmp_path / "m"),
            str(tmp_path / "a.wav"),
            "--objective",
            "macro",
        ],
    )
    assert result.exit_code != 0 and isinstance(result.exception, CastlabError)
    assert "unknown threshold objective 'macro'" in str(result.exception)
    assert "'micro' or 'species'" in str(result.exception)


def test_two_label_files_after_one_labels_flag_are_explained(tmp_path):
    from castlab.core.errors import CastlabError

    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("0\t1\tx\n")
    result = CliRunner().invoke(  # typer reads b.txt as a recording: say so, before any work
        app,
        ["birds", "soundscape", str(tmp_path / "m"), str(tmp_path / "a.wav"), "--labels"]
        + [str(tmp_path / "a.txt"), str(tmp_path / "b.txt")],
    )
    assert result.exit_code != 0 and isinstance(result.exception, CastlabError)
    assert "label file where a recording was expected" in str(result.exception)
    assert "--labels a.txt --labels b.txt" in str(result.exception)


def test_a_place_and_competition_are_checked_before_any_work(tmp_path):
    from castlab.core.errors import CastlabError

    scape = ["birds", "soundscape", str(tmp_path / "m"), str(tmp_path / "a.wav")]
    for extra, said in (
        (["--lat", "42.4"], "give both --lat and --lon"),
        (["--week", "20"], "--week needs a place"),
        (["--competition", "-1"], "window competition -1.0 is negative"),
        (["--lat", "1", "--lon", "1", "--prior-threshold", "2"], "prior threshold 2.0"),
        (["--lat", "42.4", "--lon", "-76.5", "--week", "53"], "week 53 is not a BirdNET week"),
        (["--lat", "-76.5", "--lon", "242.4"], "is not a place"),
    ):
        result = CliRunner().invoke(app, scape + extra)  # neither file exists: place first
        assert result.exit_code != 0 and isinstance(result.exception, CastlabError)
        assert said in str(result.exception)


def test_birdnet_checks_its_place_and_confidence_before_loading(tmp_path):
    from castlab.core.errors import CastlabError

    command = ["birds", "birdnet", str(tmp_path / "a.wav"), "--out", str(tmp_path / "d.csv")]
    for extra, said in (
        (["--lat", "1", "--lon", "1", "--prior-mode", "soft"], "unknown prior mode 'soft'"),
        (["--lat", "1", "--lon", "1", "--prior-threshold", "0"], "prior threshold 0.0"),
        (["--min-confidence", "25"], "--min-confidence 25.0 is not between 0 and 1"),
    ):
        result = CliRunner().invoke(app, command + extra)  # the file does not exist: checks first
        assert result.exit_code != 0 and isinstance(result.exception, CastlabError)
        assert said in str(result.exception)
    assert not (tmp_path / "d.csv").exists()


def test_a_birdnet_head_is_trained_with_birdnet_on_the_threads_asked_for(species_folder, tmp_path):
    from castlab.birds.birdnet import load_birdnet
    from castlab.birds.classifier import load_classifier

    shared = load_birdnet()
    before = shared.threads
    try:
        said = _run(
            "train", str(species_folder), "--features", "birdnet", "--out", str(tmp_path),
            "--peaks-per-file", "1", "--background-per-file", "1", "--mixed-copies", "1",
            "--threads", "3", "--epochs", "3",
        )  # fmt: skip
        assert shared.threads == 3 and len(shared._interpreters) == 3  # side by side
        assert len(load_classifier(tmp_path / "model").classes) == 4
        assert "note: --epochs set the mel CNN's training; a BirdNET head ignores them" in said
        # what it can say of its quality (made-up species: BirdNET knows none of them)
        assert "BirdNET does not know " in said and "out-of-fold accuracy" in said
    finally:
        shared.threads = before
    refused = CliRunner().invoke(
        app, ["birds", "train", str(species_folder), "--features", "birdnet", "--resume"]
    )
    assert isinstance(refused.exception, CastlabError)  # exit code 2 in castlab's entry point
    assert "--resume is for the mel CNN" in str(refused.exception)


def test_birdnet_detections_on_two_threads_are_those_on_one(tmp_path):
    from castlab.birds.birdnet import load_birdnet
    from castlab.birds.synthetic import write_soundscape

    wav, _ = write_soundscape(tmp_path / "s.wav", [], seconds=7.0, calls=0)  # 3 chunks
    shared = load_birdnet()
    before = shared.threads
    try:
        tables = {}
        for threads in ("1", "2"):
            out = tmp_path / f"d{threads}.csv"
            _run(
                "birdnet",
                str(wav),
                "--min-confidence",
                "0",
                "--threads",
                threads,
                "--out",
                str(out),
            )
            assert shared.threads == int(threads)
            tables[threads] = pd.read_csv(out)
        assert len(tables["1"]) > 0
        pd.testing.assert_frame_equal(tables["1"], tables["2"])
    finally:
        shared.threads = before


@pytest.mark.parametrize(
    "option, value, said",
    [
        ("--species", "0", "--species 0: cannot be below 1"),
        ("--per-species", "0", "--per-species 0: cannot be below 1"),
        ("--soundscapes", "-1", "--soundscapes -1: cannot be below 0"),
        ("--seconds", "0", "--seconds 0.0: too short for a call"),
        ("--seconds", "nan", "--seconds nan: too short for a call"),
    ],
)
def test_generate_refuses_what_makes_nothing_in_one_line(tmp_path, option, value, said):
    result = CliRunner().invoke(app, ["birds", "generate", str(tmp_path / "g"), option, value])
    assert isinstance(result.exception, CastlabError) and str(result.exception).startswith(said)
    assert not (tmp_path / "g").exists()
