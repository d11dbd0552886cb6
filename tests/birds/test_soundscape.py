import numpy as np
import pandas as pd
import pytest

from castlab.birds.analyse import analyse_soundscapes
from castlab.birds.data import read_audacity_labels, window_labels
from castlab.birds.soundscape import (
    decide,
    false_positive_rate,
    micro_f1,
    pool_windows,
    row_ids,
    tune_thresholds,
    write_submission,
)
from castlab.birds.synthetic import write_soundscape
from castlab.core.errors import CastlabError


def test_micro_f1_counts_nocall_only_when_asked():
    truth = [["a"], [], []]
    assert micro_f1([["a"], [], []], truth) == 1.0
    assert micro_f1([["a"], [], ["b"]], truth, count_nocall=False) == 2 / 3
    assert false_positive_rate([["a"], [], ["b"]], truth) == 0.5


def test_thresholds_prefer_fewer_false_alarms_on_ties():
    probs = np.array([[0.9], [0.2], [0.1]])
    assert tune_thresholds(probs, [["a"], [], []], ["a"])[0] > 0.2


def test_submission_format(tmp_path):
    path = write_submission(tmp_path / "s.csv", row_ids("7019_COR", 2), [["a", "b"], []])
    assert path.read_text() == "row_id,birds\n7019_COR_5,a b\n7019_COR_10,nocall\n"
    spaced = write_submission(tmp_path / "t.csv", ["x_5"], [["Marsh Tit", "a"]])
    assert spaced.read_text().splitlines()[1].split(",")[1].split() == ["Marsh_Tit", "a"]


def test_held_out_soundscape_with_tuned_thresholds(demo_model, tmp_path):
    model, species = demo_model
    tune = write_soundscape(tmp_path / "tune.wav", species, seconds=60.0, calls=10, seed=21)
    test = write_soundscape(tmp_path / "test.wav", species, seconds=60.0, calls=10, seed=22)
    tuned = analyse_soundscapes([tune[0]], model, tmp_path / "t", labels=[tune[1]], plots=False)
    files = analyse_soundscapes([test[0]], model, tmp_path / "o", thresholds=tuned["thresholds"])
    frame = pd.read_csv(files["probabilities"])
    assert list(frame.columns[:3]) == ["row_id", "start", "end"] and len(frame) == 12
    assert frame["row_id"].iloc[-1] == "test_60" and files["timeline_test"].exists()
    truth = window_labels(read_audacity_labels(test[1]), duration=60.0)
    predicted = [[] if b == "nocall" else b.split() for b in frame["birds"]]
    assert micro_f1(predicted, truth, count_nocall=False) >= 0.6


def test_pool_windows_takes_only_chunks_inside_each_window():
    # 12 s of 3-s chunks every second: starts 0..9; windows 0-5, 5-10, 10-15
    chunks = np.zeros((10, 2))
    chunks[3, 0] = 0.9  # 3-6 s straddles the boundary: belongs to no window
    chunks[1, 1] = 0.8  # 1-4 s: window 0
    chunks[6, 1] = 0.4  # 6-9 s: window 1
    pooled = pool_windows(chunks, hop=1.0, count=3)
    assert pooled.shape == (3, 2)
    assert pooled[:, 0].tolist() == [0.0, 0.0, 0.0]
    assert pooled[:, 1].tolist() == [0.8, 0.4, 0.0]  # window 2 falls back to the last chunk
    assert np.allclose(pool_windows(chunks, hop=1.0, count=3, top_k=3)[:, 1], [0.8 / 3, 0.4 / 3, 0])


def test_micro_thresholds_make_a_confused_species_flag_less():
    # "b" scores 0.5 on two windows of "a"; its own F1 is best when it flags them too
    probs = np.array([[0.9, 0.5], [0.9, 0.5], [0.8, 0.1], [0.8, 0.1], [0.1, 0.6], [0.1, 0.3]])
    probs = np.vstack([probs, [[0.1, 0.01]]])
    truth = [["a"], ["a"], ["a"], ["a"], ["b"], ["b"], ["b"]]
    own = tune_thresholds(probs, truth, ["a", "b"], min_positives=1, objective="species")
    micro = tune_thresholds(probs, truth, ["a", "b"], min_positives=1)
    assert own[1] <= 0.3 < 0.5 < micro[1]
    f1 = [micro_f1(decide(probs, t, ["a", "b"]), truth, count_nocall=False) for t in (own, micro)]
    assert f1[1] > f1[0]


def test_unknown_threshold_objective_is_one_clear_error():
    with pytest.raises(CastlabError, match="objective"):
        tune_thresholds(np.zeros((2, 1)), [[], []], ["a"], objective="macro")


def test_a_long_recording_is_read_and_scored_a_piece_at_a_time(demo_model, tmp_path, monkeypatch):
    """Past STREAM_SECONDS a recording is read WINDOWS_PER_READ windows at a time (memory
    stays flat however long it is); the windows' numbers are those of the whole recording."""
    import castlab.birds.audio as audio_module
    import castlab.birds.soundscape as soundscape
    from castlab.birds.audio import load_audio
    from castlab.birds.classifier import load_classifier

    model, species = demo_model
    classifier = load_classifier(model)
    wav, _ = write_soundscape(tmp_path / "long.wav", species, seconds=62.0, calls=10, seed=5)
    whole = soundscape.analyse_soundscape(
        wav, classifier, audio=load_audio(wav, sample_rate=classifier.sample_rate)
    )
    monkeypatch.setattr(audio_module, "STREAM_SECONDS", 30.0)
    monkeypatch.setattr(audio_module, "WINDOWS_PER_READ", 5)
    monkeypatch.setattr(audio_module, "load_audio", lambda *a, **k: pytest.fail("read whole"))
    pieces = soundscape.analyse_soundscape(wav, classifier)
    assert pieces.probs.shape == whole.probs.shape == (13, len(species))
    # the same windows, scored in batches of another size: equal but for float rounding
    # (6e-8 on an Intel Xeon with AVX-512, where the batch size picks torch's kernels)
    np.testing.assert_allclose(pieces.probs, whole.probs, rtol=0, atol=1e-6)
    assert pieces.decisions == whole.decisions
