"""Site adaptation of the anchored head on labelled soundscapes, and self-training on
unlabelled ones (castlab.birds.adapt)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from castlab.birds.adapt import SiteWindows, adapt_head, adapt_to_site, self_train
from castlab.birds.anchored import AnchoredHead
from castlab.cli import app
from castlab.core.errors import CastlabError

D = 6  # embedding size of the made-up sites


def _site(rng, windows: int, *, signal: np.ndarray, share: float = 0.5) -> SiteWindows:
    """A soundscape whose calls of "a" lie along ``signal``; 3 chunks per window."""
    calls = rng.random(windows) < share
    X = rng.normal(0, 0.3, (windows, 3, D)) + calls[:, None, None] * signal
    return SiteWindows(X, [["a"] if c else [] for c in calls])


def _deaf_head() -> AnchoredHead:
    """A head for "a" and "b" that hears nothing (every probability about 0.0025)."""
    return AnchoredHead(["a", "b"], np.zeros((2, D)), np.full(2, -12.0), 2.0)


def test_a_strong_pull_keeps_the_head_and_a_weak_one_follows_the_labels():
    rng = np.random.default_rng(0)
    head = _deaf_head()
    X = np.r_[rng.normal(0, 0.3, (40, D)) + np.eye(D)[0] * 3, rng.normal(0, 0.3, (40, D))]
    Y = np.zeros((80, 2))
    Y[:40, 0] = 1
    kept = adapt_head(head, X, Y, strength=1e6)
    assert kept.temperature == 1.0  # the head's temperature is folded into the weights
    np.testing.assert_allclose(kept.predict_embeddings(X), head.predict_embeddings(X), atol=1e-4)
    learnt = adapt_head(head, X, Y, strength=1e-3)
    assert (learnt.predict_embeddings(X[:40])[:, 0] > 0.9).all()
    assert (learnt.predict_embeddings(X[40:])[:, 0] < 0.1).all()
    assert (learnt.predict_embeddings(X)[:, 1] < 0.05).all()  # no labels of "b": stays deaf
    with pytest.raises(CastlabError, match="not positive"):
        adapt_head(head, X, Y, strength=0.0)


def test_adaptation_helps_out_of_fold_and_says_so():
    rng = np.random.default_rng(1)
    signal = 2.0 * np.eye(D)[0]
    site = [_site(rng, 30, signal=signal) for _ in range(4)]
    adapted = adapt_to_site(_deaf_head(), site, folds=2)
    assert adapted.f1_before == 0.0 and adapted.f1_after > 0.9
    assert adapted.windows == adapted.learnt_windows == 120 and adapted.folds == 2
    assert 0.05 <= adapted.thresholds[0] <= 0.95
    summary = adapted.summary()
    assert summary["cross_fitted_micro_f1_after"] == adapted.f1_after
    assert set(summary["thresholds"]) == {"a", "b"}
    # only "a" is labelled: its own F1 is the micro F1; "b", never labelled, is never flagged
    a, b = summary["per_species"]["a"], summary["per_species"]["b"]
    assert a["windows"] == sum(bool(t) for s in site for t in s.truth)
    assert (a["f1_before"], a["f1_after"]) == (adapted.f1_before, adapted.f1_after)
    assert b == {"windows": 0, "f1_before": None, "f1_after": None}


@pytest.mark.parametrize("objective", ["micro", "species"])
def test_the_f1_reported_uses_thresholds_tuned_as_the_saved_ones_are(monkeypatch, objective):
    """The out-of-fold F1 before and after comes from thresholds tuned for the objective
    asked for, as the saved thresholds are, not always for micro F1."""
    import castlab.birds.soundscape as soundscape

    asked = []
    real = soundscape.tune_thresholds

    def tune(*args, **kwargs):
        asked.append(kwargs.get("objective", "micro"))
        return real(*args, **kwargs)

    monkeypatch.setattr(soundscape, "tune_thresholds", tune)
    rng = np.random.default_rng(1)
    site = [_site(rng, 30, signal=2.0 * np.eye(D)[0]) for _ in range(4)]
    adapt_to_site(_deaf_head(), site, folds=2, objective=objective)
    assert len(asked) == 1 + 2 * 2 and set(asked) == {objective}  # saved + 2 folds x before/after


def test_out_of_fold_scores_come_from_a_head_that_did_not_learn_that_soundscape():
    rng = np.random.default_rng(2)
    # only soundscape 0 has calls of "a" (along the first axis); the others teach background
    site = [_site(rng, 20, signal=3.0 * np.eye(D)[0], share=0.6)]
    site += [_site(rng, 20, signal=np.zeros(D), share=0.0) for _ in range(2)]
    adapted = adapt_to_site(_deaf_head(), site)
    calls = np.array([bool(t) for t in site[0].truth])
    final = adapted.head.predict_embeddings(site[0].embeddings.reshape(-1, D))
    final = final.reshape(20, 3, 2).max(axis=1)
    assert (final[calls, 0] > 0.5).all()  # the saved head learnt soundscape 0's calls ...
    assert (adapted.oof_probs[0][calls, 0] < 0.05).all()  # ... its out-of-fold scores did not


def test_windows_not_to_learn_from_are_scored_but_not_learnt():
    rng = np.random.default_rng(3)
    signal = 2.0 * np.eye(D)[0]
    site = [_site(rng, 24, signal=signal) for _ in range(3)]
    mislabelled = SiteWindows(
        rng.normal(0, 0.3, (10, 3, D)) - signal, [["a"]] * 10, learn=np.zeros(10, bool)
    )
    alone = adapt_to_site(_deaf_head(), site)
    beside = adapt_to_site(_deaf_head(), [*site, mislabelled])
    np.testing.assert_allclose(beside.head.coef, alone.head.coef)
    assert beside.windows == alone.windows + 10 and beside.learnt_windows == alone.learnt_windows


def test_one_long_soundscape_is_split_into_stretches():
    rng = np.random.default_rng(4)
    adapted = adapt_to_site(_deaf_head(), [_site(rng, 60, signal=2.0 * np.eye(D)[0])])
    assert adapted.folds == 3 and adapted.f1_after > 0.9


def test_a_species_the_head_lacks_is_added_and_learnt_from_the_labels_alone():
    from castlab.birds.adapt import add_species

    rng = np.random.default_rng(6)
    head = _deaf_head()  # knows "a" and "b"; the site also has "c", along the second axis
    site = []
    for _ in range(3):
        calls = rng.random(30) < 0.5
        X = rng.normal(0, 0.3, (30, 3, D)) + 2.0 * calls[:, None, None] * np.eye(D)[1]
        site.append(SiteWindows(X, [["c"] if c else [] for c in calls]))
    grown = add_species(head, ["c", "a"], from_birdnet=False)  # "a" is there already
    assert grown.classes == ["a", "b", "c"] and grown.coef.shape == (3, D)
    np.testing.assert_allclose(
        grown.predict_embeddings(np.eye(D))[:, :2], head.predict_embeddings(np.eye(D))
    )
    adapted = adapt_to_site(grown, site)
    c = adapted.summary()["per_species"]["c"]
    assert c["windows"] == sum(bool(t) for s in site for t in s.truth)
    assert c["f1_after"] > 0.9 and c["f1_after"] > c["f1_before"]
    with pytest.raises(CastlabError, match="no call of the model's species"):
        adapt_to_site(head, site)  # without it: nothing to learn


def test_what_cannot_be_adapted_is_refused():
    rng = np.random.default_rng(5)
    quiet = [_site(rng, 20, signal=np.zeros(D), share=0.0) for _ in range(3)]
    with pytest.raises(CastlabError, match="no call of the model's species"):
        adapt_to_site(_deaf_head(), quiet)
    with pytest.raises(CastlabError, match="too few labelled windows"):
        adapt_to_site(_deaf_head(), [SiteWindows(np.zeros((1, 3, D)), [["a"]])])
    with pytest.raises(CastlabError, match="anchored head"):
        adapt_to_site(object(), quiet)  # type: ignore[arg-type]
    with pytest.raises(CastlabError, match="cannot hold any labelled window out"):
        adapt_to_site(_deaf_head(), quiet, folds=1)
    with pytest.raises(CastlabError, match="3 labelled windows but embeddings"):
        SiteWindows(np.zeros((2, 3, D)), [[], [], []])


def _invoke(*args: str):
    return CliRunner().invoke(app, ["birds", *map(str, args)])


def test_cli_adapts_a_birdnet_head_and_soundscape_uses_its_thresholds(tmp_path, demo_model):
    from castlab.birds.anchored import birdnet_anchors
    from castlab.birds.classifier import load_classifier
    from castlab.birds.synthetic import write_soundscape

    species = demo_model[1][:2]
    classes = [s.name for s in species]
    W0, b0, index = birdnet_anchors(classes)  # made-up species: BirdNET knows neither
    model = AnchoredHead(classes, W0, b0 - 4.0, 1.0, birdnet_index=index).save(tmp_path / "head")
    wavs, labels = zip(
        *(
            write_soundscape(tmp_path / f"site{k}.wav", species, seconds=20.0, calls=3, seed=k)
            for k in range(3)
        )
    )
    with open(labels[2], "a") as handle:  # a species the head does not know
        handle.write("1.0\t2.0\tMarsh Tit\n")
    out = tmp_path / "adapted"
    flags = [x for label in labels for x in ("--labels", label)]
    result = _invoke("adapt", model, *wavs, *flags, "--out", out, "--threads", "1")
    assert result.exit_code == 0, (result.output, result.exception)
    said = json.loads((out / "adaptation.json").read_text())
    assert said["windows"] == 12 and said["recordings"] == ["site0.wav", "site1.wav", "site2.wav"]
    assert "micro F1 on windows held out (3 folds)" in result.output
    assert set(said["per_species"]) == set(classes)
    assert "per species, as trained -> adapted (labelled windows): " in result.output
    assert said["labels_the_model_lacks"] == ["Marsh Tit"] and said["added_species"] == []
    assert "species the model does not know, not learnt" in result.output
    from PIL import Image

    assert Image.open(out / "adaptation.png").size[0] > 300  # each species before and after
    adapted = load_classifier(out)
    assert isinstance(adapted, AnchoredHead) and not np.allclose(adapted.coef, W0)
    thresholds = json.loads((out / "thresholds.json").read_text())
    assert set(thresholds) == set(classes)
    scored = _invoke("soundscape", out, wavs[0], "--out", tmp_path / "s", "--threads", "1")
    assert scored.exit_code == 0, scored.output
    assert "thresholds: 0.5 for every species" not in scored.output  # the adapted ones
    grown = tmp_path / "grown"
    result = _invoke(
        "adapt", model, *wavs, *flags, "--out", grown, "--threads", "1", "--new-species"
    )
    assert result.exit_code == 0, (result.output, result.exception)
    assert "added and learnt from these labels alone: Marsh Tit" in result.output
    head = load_classifier(grown)  # BirdNET knows the Marsh Tit: its row is the start
    assert head.classes == [*classes, "Marsh Tit"] and head.birdnet_index[-1] is not None
    assert "Marsh Tit" in json.loads((grown / "thresholds.json").read_text())
    assert "labelled in every one" not in result.output
    # a species labelled over every window: "always yes" scores F1 1, which says nothing
    everywhere = []
    for k, label in enumerate(labels):
        path = tmp_path / "everywhere" / f"site{k}.txt"  # named like its recording
        path.parent.mkdir(exist_ok=True)
        path.write_text(Path(label).read_text() + f"0.0\t20.0\t{classes[0]}\n")
        everywhere += ["--labels", path]
    result = _invoke("adapt", model, *wavs, *everywhere, "--out", tmp_path / "e", "--threads", "1")
    assert result.exit_code == 0, (result.output, result.exception)
    assert f"warning: {classes[0]} is labelled in every one of the 12 windows" in result.output


def test_a_long_site_recording_is_embedded_a_piece_at_a_time(tmp_path, demo_model, monkeypatch):
    """Past STREAM_SECONDS, adapt and selftrain read a recording a few windows at a time,
    never whole, and get the windows' embeddings of the whole recording."""
    import castlab.birds.audio as audio_module
    from castlab.birds.adapt import _site_windows
    from castlab.birds.anchored import birdnet_anchors
    from castlab.birds.birdnet import BIRDNET_RATE, load_birdnet
    from castlab.birds.synthetic import write_soundscape

    species = demo_model[1][:2]
    classes = [s.name for s in species]
    head = AnchoredHead(classes, *birdnet_anchors(classes)[:2], 1.0)
    wav, _ = write_soundscape(tmp_path / "long.wav", species, seconds=22.0, calls=3, seed=1)
    birdnet = load_birdnet(threads=1)
    audio = audio_module.load_audio(wav, sample_rate=BIRDNET_RATE)
    whole = head.embed_windows(audio, birdnet=birdnet)

    def not_whole(*args, **kwargs):
        raise AssertionError("read whole")

    monkeypatch.setattr(audio_module, "STREAM_SECONDS", 10.0)
    monkeypatch.setattr(audio_module, "WINDOWS_PER_READ", 2)
    monkeypatch.setattr(audio_module, "load_audio", not_whole)
    (site,) = _site_windows(head, [wav], None, birdnet, covered=(), window=5.0, progress=False)
    assert site.embeddings.shape == whole.shape == (5, 3, 1024)
    np.testing.assert_allclose(site.embeddings, whole, atol=1e-5)
    assert site.truth == [[] for _ in range(5)]


def test_cli_refuses_a_cnn_and_a_label_file_among_the_audio_in_one_line(tmp_path, demo_model):
    import subprocess
    import sys

    from castlab.birds.synthetic import write_soundscape

    wav, label = write_soundscape(tmp_path / "site.wav", demo_model[1], seconds=10.0, calls=1)
    out = tmp_path / "o"
    cnn = subprocess.run(
        [sys.executable, "-m", "castlab", "birds", "adapt", str(demo_model[0]), str(wav)]
        + ["--labels", str(label), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    lines = cnn.stderr.strip().splitlines()
    assert cnn.returncode == 2 and len(lines) == 1 and "anchored head" in lines[0]
    assert "--features birdnet" in lines[0] and not out.exists()
    same = _invoke("adapt", demo_model[0], wav, "--labels", label, "--out", demo_model[0])
    assert "would overwrite the model as trained" in str(same.exception)
    as_audio = _invoke("adapt", demo_model[0], wav, label, "--labels", label)
    assert isinstance(as_audio.exception, CastlabError)
    assert "label file where a recording was expected" in str(as_audio.exception)


def _half_hearing_head() -> AnchoredHead:
    """A head for "a" that hears its calls along the first axis only."""
    return AnchoredHead(["a"], np.eye(D)[:1] * 2.0, np.array([-3.0]))


def _calls_clear_and_faint(rng, windows: int) -> SiteWindows:
    """A third of the windows without a call, a third with a faint call (the first axis
    0.8: the head is unsure), a third with a clear one (3.0); every call of "a" here also
    shows on the second axis, which the head does not use."""
    kind = rng.integers(0, 3, windows)
    X = rng.normal(0, 0.5, (windows, 3, D))
    X[:, :, 0] += np.array([0.0, 0.8, 3.0])[kind][:, None]
    X[:, :, 1] += np.array([0.0, 2.0, 2.0])[kind][:, None]
    return SiteWindows(X, [["a"] if k else [] for k in kind])


def test_self_training_learns_from_its_own_detections_and_no_label():
    from castlab.birds.soundscape import decide, micro_f1, tune_thresholds

    rng = np.random.default_rng(0)
    unlabelled = [_calls_clear_and_faint(rng, 150) for _ in range(2)]
    labelled, test = _calls_clear_and_faint(rng, 40), _calls_clear_and_faint(rng, 200)
    head = _half_hearing_head()

    def f1(model: AnchoredHead, thresholds: np.ndarray) -> float:
        probs = model.predict_window_embeddings(test.embeddings)
        return micro_f1(decide(probs, thresholds, ["a"]), test.truth, count_nocall=False)

    before = f1(
        head,
        tune_thresholds(head.predict_window_embeddings(labelled.embeddings), labelled.truth, ["a"]),
    )
    done = self_train(head, unlabelled, [labelled])
    assert len(done.rounds) == 3 and done.rounds[0]["windows"] == 300
    assert 0 < done.rounds[0]["per_species"]["a"] < 300 and done.rounds[0]["background"] > 0
    assert done.head.coef[0, 1] > 1.0  # it learnt the second axis from its own detections
    assert f1(done.head, done.thresholds) > before + 0.03
    assert done.f1_before is not None and done.f1_after > done.f1_before  # on the labelled ones
    # the unlabelled soundscapes' labels are not read: wrong ones change nothing
    wrong = [SiteWindows(s.embeddings, [["a"]] * len(s.truth)) for s in unlabelled]
    np.testing.assert_allclose(self_train(head, wrong, [labelled]).head.coef, done.head.coef)
    # learning only detections and quiet windows leaves the unsure ones out, and with one
    # species it teaches the head to hear it everywhere (why the default learns every window)
    quiet = self_train(head, unlabelled, [labelled], quiet=0.05)
    assert quiet.rounds[0]["windows"] < 300
    assert f1(quiet.head, quiet.thresholds) < before - 0.1
    # without labelled soundscapes the thresholds given stay
    fixed = self_train(head, unlabelled, thresholds=np.array([0.3]), rounds=1)
    assert fixed.thresholds.tolist() == [0.3] and len(fixed.rounds) == 1
    assert fixed.f1_before is None and fixed.f1_after is None


def test_self_training_refuses_what_it_cannot_do():
    rng = np.random.default_rng(4)
    site = [_calls_clear_and_faint(rng, 20)]
    with pytest.raises(CastlabError, match="needs thresholds"):
        self_train(_half_hearing_head(), site)
    with pytest.raises(CastlabError, match="0 rounds"):
        self_train(_half_hearing_head(), site, thresholds=np.array([0.5]), rounds=0)
    masked = [SiteWindows(site[0].embeddings, site[0].truth, learn=np.zeros(20, bool))]
    with pytest.raises(CastlabError, match="no unlabelled window to learn from"):
        self_train(_half_hearing_head(), masked, thresholds=np.array([0.5]))


def test_cli_self_trains_with_a_few_labels_and_refuses_without_thresholds(tmp_path, demo_model):
    from castlab.birds.anchored import birdnet_anchors
    from castlab.birds.synthetic import write_soundscape

    species = demo_model[1][:2]
    classes = [s.name for s in species]
    W0, b0, index = birdnet_anchors(classes)
    model = AnchoredHead(classes, W0, b0 - 4.0, 1.0, birdnet_index=index).save(tmp_path / "head")
    wavs, labels = zip(
        *(
            write_soundscape(tmp_path / f"site{k}.wav", species, seconds=20.0, calls=3, seed=k)
            for k in range(3)
        )
    )
    out = tmp_path / "selftrained"
    result = _invoke(
        "selftrain", model, *wavs, "--labels", labels[0], "--out", out, "--threads", "1"
    )
    assert result.exit_code == 0, (result.output, result.exception)
    said = json.loads((out / "selftraining.json").read_text())
    assert len(said["rounds"]) == 3 and said["labelled_recordings"] == ["site0.wav"]
    assert said["recordings"] == ["site0.wav", "site1.wav", "site2.wav"]
    assert "round 1: learnt from " in result.output
    assert "micro F1 with thresholds tuned on them" in result.output
    # BirdNET's rows for made-up species are zeros: the head hears nothing and is told so
    assert "found no species in any window, so it learnt only background" in result.output
    assert set(json.loads((out / "thresholds.json").read_text())) == set(classes)
    from castlab.birds.classifier import load_classifier

    assert load_classifier(out).classes == classes
    bare = _invoke("selftrain", model, wavs[1], "--out", tmp_path / "x", "--threads", "1")
    assert isinstance(bare.exception, CastlabError)  # exit code 2 in castlab's entry point
    assert "self-training needs thresholds" in str(bare.exception)
