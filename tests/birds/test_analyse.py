"""castlab.birds.analyse: recordings scored in worker processes match one process."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from castlab.birds.analyse import score_recordings
from castlab.core.errors import CastlabError


@pytest.fixture(scope="module")
def recordings(demo_model, tmp_path_factory):
    from castlab.birds.synthetic import write_soundscape

    root = tmp_path_factory.mktemp("scapes")
    return [
        write_soundscape(root / f"site{k}.wav", demo_model[1], seconds=10.0 + 5 * k, seed=k)[0]
        for k in range(3)
    ]


def test_workers_give_the_same_windows_in_order(demo_model, recordings):
    alone = score_recordings(recordings, demo_model[0])
    shared = score_recordings(recordings, demo_model[0], workers=2)
    assert [r.name for r in shared] == ["site0", "site1", "site2"]
    assert [len(r.probs) for r in shared] == [2, 3, 4]
    for one, other in zip(alone, shared):
        np.testing.assert_allclose(one.probs, other.probs, atol=1e-6)


def test_reading_ahead_in_one_process_scores_each_recording_as_alone(
    demo_model, recordings, tmp_path, monkeypatch
):
    """One process decodes the next recording while it scores this one: each recording
    gets the windows it gets alone, in order, long ones (read in their turn) too; an
    unreadable one stops the run with its own error."""
    from castlab.birds import analyse
    from castlab.birds.classifier import load_classifier
    from castlab.birds.soundscape import analyse_soundscape

    classifier = load_classifier(demo_model[0])
    alone = [analyse_soundscape(path, classifier).probs for path in recordings]
    monkeypatch.setattr(analyse, "READ_AHEAD_SECONDS", 12.0)  # site2 (20 s): read in turn
    ahead = score_recordings(recordings, demo_model[0])
    assert [r.name for r in ahead] == ["site0", "site1", "site2"]
    for expected, result in zip(alone, ahead):
        np.testing.assert_array_equal(result.probs, expected)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF0000WAVEnot audio at all")
    with pytest.raises(CastlabError, match="broken.wav"):
        score_recordings([recordings[0], broken, recordings[1]], demo_model[0])


def test_a_bad_recording_in_a_worker_is_the_users_error(demo_model, recordings, tmp_path):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF0000WAVEnot audio at all")
    with pytest.raises(CastlabError, match="broken.wav"):
        score_recordings([*recordings, broken], demo_model[0], workers=2)


@pytest.fixture(scope="module")
def birdnet_head(tmp_path_factory):
    """(head, its saved folder, a 10-s noise recording at 48 kHz, its audio): BirdNET's own
    classifier layer for two real species and a made-up one."""
    import soundfile as sf

    from castlab.birds.anchored import AnchoredHead, birdnet_anchors

    root = tmp_path_factory.mktemp("head")
    classes = ["black_capped_chickadee", "hoatzin", "made_up"]
    W0, b0, index = birdnet_anchors(classes)
    head = AnchoredHead(classes, W0, b0, 1.0, birdnet_index=index)
    audio = np.random.default_rng(3).normal(0, 0.02, 48000 * 10).astype(np.float32)
    sf.write(root / "site.wav", audio, 48000)
    return head, head.save(root / "head"), root / "site.wav", audio


def test_chunk_hop_2_scores_the_outer_chunks_and_3_the_centre_one(birdnet_head):
    from castlab.birds.birdnet import hop_chunks

    head, model, site, audio = birdnet_head
    default, fast, fastest = (
        score_recordings([site], model, chunk_hop=hop)[0].probs for hop in (None, 2.0, 3.0)
    )
    chunks = head.predict_chunks(hop_chunks(audio, hop=1.0))  # starts 0, 1, ..., 7 s
    np.testing.assert_allclose(default, [chunks[0:3].max(0), chunks[5:8].max(0)], atol=1e-5)
    np.testing.assert_allclose(fast, [chunks[[0, 2]].max(0), chunks[[5, 7]].max(0)], atol=1e-5)
    np.testing.assert_allclose(fastest, chunks[[1, 6]], atol=1e-5)  # the centre chunk: 1-4 s


def test_chunk_hop_is_refused_for_a_cnn_and_when_not_positive(demo_model, recordings):
    with pytest.raises(CastlabError, match="for a BirdNET head"):
        score_recordings(recordings[:1], demo_model[0], chunk_hop=2.0)
    with pytest.raises(CastlabError, match="not positive"):
        score_recordings(recordings[:1], demo_model[0], chunk_hop=0.0, workers=2)


def test_a_place_switches_off_species_out_of_range_before_thresholds(birdnet_head, tmp_path):
    from castlab.birds.analyse import analyse_soundscapes
    from castlab.birds.prior import Place
    from castlab.core.artifacts import read_json

    _, model, site, _ = birdnet_head
    anywhere, ithaca = (
        pd.read_csv(
            analyse_soundscapes([site], model, tmp_path / name, thresholds=1e-9, place=place)[
                "probabilities"
            ]
        )
        for name, place in (("anywhere", None), ("ithaca", Place(42.45, -76.48, week=20)))
    )
    # noise: tiny but positive probabilities, so a threshold of 1e-9 flags every species
    assert anywhere["birds"].tolist() == ["black_capped_chickadee hoatzin made_up"] * 2
    assert ithaca["birds"].tolist() == ["black_capped_chickadee made_up"] * 2
    assert (ithaca["hoatzin"] == 0).all()
    for kept in ("black_capped_chickadee", "made_up"):
        np.testing.assert_allclose(ithaca[kept], anywhere[kept])
    said = read_json(tmp_path / "ithaca" / "prior.json")
    assert said["switched_off"] == ["hoatzin"] and said["unknown_to_birdnet"] == ["made_up"]
    assert not (tmp_path / "anywhere" / "prior.json").exists()


def test_window_competition_damps_all_but_each_windows_top_species(
    demo_model, recordings, tmp_path
):
    from castlab.birds.analyse import analyse_soundscapes
    from castlab.birds.soundscape import compete

    plain, damped = (
        pd.read_csv(
            analyse_soundscapes(recordings[:1], demo_model[0], tmp_path / str(x), competition=x)[
                "probabilities"
            ]
        )
        for x in (0.0, 1.0)
    )
    species = [s.name for s in demo_model[1]]
    expected = compete(plain[species].to_numpy(), 1.0)
    # the CSVs hold 4 decimals: p^2/top from p and top rounded by up to 5e-5 each, itself
    # rounded again, can be 2e-4 off (1.4e-4 seen on an AVX2-only machine)
    np.testing.assert_allclose(damped[species].to_numpy(), expected, atol=2.5e-4)
    top = plain[species].to_numpy().argmax(1)
    assert (damped[species].to_numpy() <= plain[species].to_numpy() + 1e-4).all()
    np.testing.assert_allclose(
        damped[species].to_numpy()[range(len(top)), top],
        plain[species].to_numpy()[range(len(top)), top],
        atol=1e-4,
    )
    with pytest.raises(CastlabError, match="negative"):
        analyse_soundscapes(recordings[:1], demo_model[0], tmp_path / "no", competition=-1.0)


def test_birdclef_soundscape_labels_tune_thresholds_like_audacity_labels(
    demo_model, recordings, tmp_path
):
    """BirdCLEF's train_soundscape_labels.csv (by audio_id) gives the same truth, thresholds
    and scores as Audacity files for the same recordings; row ids are BirdCLEF's."""
    import shutil

    from castlab.birds.analyse import analyse_soundscapes
    from castlab.birds.data import read_annotations, window_labels
    from castlab.core.artifacts import read_json

    rows, audio = ["row_id,site,audio_id,seconds,birds"], []
    for k, wav in enumerate(recordings):
        renamed = shutil.copy(wav, tmp_path / f"{7019 + k}_COR_20190904.wav")
        audio.append(renamed)
        windows = window_labels(read_annotations(wav.with_suffix(".txt")), duration=10 + 5 * k)
        for w, species in enumerate(windows):
            end = 5 * (w + 1)
            rows.append(
                f"{7019 + k}_COR_{end},COR,{7019 + k},{end},{' '.join(species) or 'nocall'}"
            )
    table = tmp_path / "train_soundscape_labels.csv"
    table.write_text("\n".join(rows) + "\n")
    birdclef = analyse_soundscapes(
        audio, demo_model[0], tmp_path / "b", labels=[table], plots=False
    )
    audacity = analyse_soundscapes(
        recordings,
        demo_model[0],
        tmp_path / "a",
        labels=[w.with_suffix(".txt") for w in recordings],
        plots=False,
    )
    assert read_json(birdclef["thresholds"]) == read_json(audacity["thresholds"])
    scores, by_files = read_json(birdclef["scores"]), read_json(audacity["scores"])
    assert scores.pop("label_files") == {} and len(by_files.pop("label_files")) == 3
    assert scores == by_files and scores["windows"] == 9
    submission = pd.read_csv(birdclef["submission"])
    assert submission["row_id"].tolist()[:3] == ["7019_COR_5", "7019_COR_10", "7020_COR_5"]


def test_labels_with_thresholds_score_those_thresholds_out_of_sample(
    demo_model, recordings, tmp_path
):
    """--labels with --thresholds: the thresholds given decide, the labels only score them
    (no thresholds.json written, scores.json says out of sample); thresholds naming none
    of the model's species are refused before scoring."""
    import json

    from castlab.birds.analyse import analyse_soundscapes
    from castlab.birds.soundscape import decide
    from castlab.core.artifacts import read_json

    labels = [w.with_suffix(".txt") for w in recordings]
    tuned = analyse_soundscapes(recordings[:1], demo_model[0], tmp_path / "t", labels=labels[:1])
    given = read_json(tuned["thresholds"])
    files = analyse_soundscapes(
        recordings[1:],
        demo_model[0],
        tmp_path / "s",
        labels=labels[1:],
        thresholds=tuned["thresholds"],
    )
    assert "thresholds" not in files and not (tmp_path / "s" / "thresholds.json").exists()
    frame = pd.read_csv(files["probabilities"])
    classes = list(given)
    decided = decide(frame[classes].to_numpy(), np.array(list(given.values())), classes)
    assert [" ".join(d) or "nocall" for d in decided] == frame["birds"].tolist()
    scores = read_json(files["scores"])
    assert "out-of-sample" in scores["note"]
    in_sample = analyse_soundscapes(
        recordings[1:], demo_model[0], tmp_path / "i", labels=labels[1:]
    )
    assert "in-sample" in read_json(in_sample["scores"])["note"]
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"Marsh Tit": 0.4}))
    with pytest.raises(CastlabError, match="the thresholds name none of the model's species"):
        analyse_soundscapes(recordings, demo_model[0], tmp_path / "o", thresholds=other)
    assert not (tmp_path / "o").exists()
    # one name mistyped: that species silently kept 0.5
    typo = tmp_path / "typo.json"
    typo.write_text(json.dumps({classes[0]: 0.3, classes[1][:-1]: 0.2}))
    with pytest.raises(CastlabError, match=f"did you mean '{classes[1]}'"):
        analyse_soundscapes(recordings, demo_model[0], tmp_path / "y", thresholds=typo)


def test_labels_are_checked_before_any_scoring(demo_model, recordings, tmp_path):
    from castlab.birds.analyse import analyse_soundscapes

    wrong = tmp_path / "site0.txt"
    wrong.write_text("1.0\t3.0\tBlack-capped Chickadee\n")
    with pytest.raises(CastlabError, match="the labels name none of the model's species"):
        analyse_soundscapes(recordings, demo_model[0], tmp_path / "o", labels=[wrong])
    other = tmp_path / "elsewhere.txt"
    other.write_text(f"1.0\t3.0\t{demo_model[1][0].name}\n")
    with pytest.raises(CastlabError, match="no label file matches a recording's name"):
        analyse_soundscapes(recordings, demo_model[0], tmp_path / "o", labels=[other])
    assert not (tmp_path / "o").exists()  # nothing scored or written


def test_recordings_whose_row_ids_would_clash_are_refused_before_scoring(
    demo_model, recordings, tmp_path, monkeypatch
):
    import shutil

    import castlab.birds.analyse as analyse

    (tmp_path / "b").mkdir()
    twin = shutil.copy(recordings[0], tmp_path / "b" / recordings[0].name)
    monkeypatch.setattr(analyse, "score_recordings", lambda *a, **k: pytest.fail("scored"))
    with pytest.raises(CastlabError, match="row ids would start 'site0' as those of") as caught:
        analyse.analyse_soundscapes([recordings[0], twin], demo_model[0], tmp_path / "o")
    assert str(caught.value).startswith(str(twin))
    assert not (tmp_path / "o").exists()


def test_scores_name_the_labelled_species_the_model_lacks(demo_model, recordings, tmp_path):
    from castlab.birds.analyse import analyse_soundscapes
    from castlab.core.artifacts import read_json

    labels = tmp_path / "site0.txt"
    labels.write_text(f"1.0\t3.0\t{demo_model[1][0].name}\n6.0\t8.0\tGlass Triller\n")
    files = analyse_soundscapes(recordings[:1], demo_model[0], tmp_path, labels=[labels])
    assert read_json(files["scores"])["labels_the_model_lacks"] == ["Glass Triller"]


def test_scores_say_which_label_files_went_unused_and_which_paired_by_order(
    demo_model, recordings, tmp_path
):
    from castlab.birds.analyse import analyse_soundscapes
    from castlab.core.artifacts import read_json

    species = demo_model[1][0].name
    used, stray = tmp_path / "site0.txt", tmp_path / "spinetail.txt"
    used.write_text(f"1.0\t3.0\t{species}\n")
    stray.write_text("1.0\t3.0\tGlass Triller\n")  # goes with no recording
    files = analyse_soundscapes(
        recordings[:2], demo_model[0], tmp_path / "a", labels=[used, stray], plots=False
    )
    scores = read_json(files["scores"])
    assert scores["label_files_unused"] == [str(stray)]
    assert scores["labels_the_model_lacks"] == []  # only the labels used count
    assert scores["label_files"] == {"site0.wav": str(used)}
    # the only label file for the only recording goes with it whatever its name
    files = analyse_soundscapes(
        recordings[1:2], demo_model[0], tmp_path / "b", labels=[used], plots=False
    )
    assert read_json(files["scores"])["label_files"] == {"site1.wav": str(used)}


def test_thresholds_outside_0_1_are_refused_before_scoring(demo_model, recordings, tmp_path):
    from castlab.birds.analyse import analyse_soundscapes

    with pytest.raises(CastlabError, match="threshold 1.5 is not between 0 and 1"):
        analyse_soundscapes(recordings[:1], demo_model[0], tmp_path / "o", thresholds=1.5)
    saved = tmp_path / "thresholds.json"
    saved.write_text(json.dumps({demo_model[1][0].name: -0.2}))
    with pytest.raises(CastlabError, match="is not between 0 and 1"):
        analyse_soundscapes(recordings[:1], demo_model[0], tmp_path / "o", thresholds=saved)
    assert not (tmp_path / "o").exists()


def test_labelled_analysis_loads_the_model_once(demo_model, recordings, tmp_path, monkeypatch):
    """Checking the labels, scoring and naming the classes share one loaded classifier."""
    import castlab.birds.classifier as classifier_module
    from castlab.birds.analyse import analyse_soundscapes

    loads = []
    real = classifier_module.load_classifier
    monkeypatch.setattr(classifier_module, "load_classifier", lambda d: loads.append(d) or real(d))
    analyse_soundscapes(
        recordings[:1],
        demo_model[0],
        tmp_path,
        labels=[recordings[0].with_suffix(".txt")],
        plots=False,
    )
    assert loads == [demo_model[0]]


def test_the_last_window_ends_where_the_recording_ends(demo_model, tmp_path):
    """A 10.1-s recording has 3 windows; the CSV's last ``end`` is 10.1 s, not 15 s, while its
    BirdCLEF row id keeps the window's end second (``_15``), as that format asks."""
    import soundfile as sf

    from castlab.birds.classifier import load_classifier
    from castlab.birds.soundscape import analyse_soundscape

    classifier = load_classifier(demo_model[0])
    path = tmp_path / "short.wav"
    rate = classifier.sample_rate
    sf.write(path, np.random.default_rng(0).normal(0, 0.01, int(10.1 * rate)), rate)
    frame = analyse_soundscape(path, classifier).probability_frame()
    assert frame["start"].tolist() == [0.0, 5.0, 10.0]
    assert frame["end"].tolist() == [5.0, 10.0, 10.1]
    assert frame["row_id"].tolist()[-1] == "short_15"
