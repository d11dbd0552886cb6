import pytest

from castlab.core.errors import CastlabError
from castlab.tunes.abc import Tune
from castlab.tunes.data import split_tunes
from castlab.tunes.tune_types import TypeClassifier, infer_types, labelled_types, rhythm_skeleton


def test_skeleton_is_the_same_for_both_ways_of_writing_a_reel():
    two_two = Tune("a", "reel", "2/2", "1/8", "D", "|:dB A2 d>e fd|")
    two_four = Tune("b", "reel", "2/4", "1/16", "D", "|:dB A2 d>e fd|")
    jig = Tune("c", "jig", "6/8", "1/8", "D", "|:dB A2 de|")
    assert rhythm_skeleton(two_two) == rhythm_skeleton(two_four) == "N N N2 N> N N N |"
    assert rhythm_skeleton(jig) == "N N N2 N N |"


@pytest.fixture(scope="module")
def classifier_and_split(oneills):
    splits = split_tunes(oneills.tunes)
    return TypeClassifier().fit(splits["train"]), splits


def test_classifier_learns_types_from_r_fields(classifier_and_split):
    classifier, splits = classifier_and_split
    assert {"reel", "jig", "hornpipe"} <= set(classifier.types_)
    held_out = [t for t in splits["valid"] + splits["test"] if t.rhythm in classifier.types_]
    predicted = classifier.predict(held_out)
    accuracy = sum(p == t.rhythm for p, t in zip(predicted, held_out)) / len(held_out)
    assert len(held_out) > 30 and accuracy > 0.75
    probs = classifier.predict_proba(held_out[:5])
    assert probs.shape == (5, len(classifier.types_))


def test_infer_types_only_labels_untyped_tunes_in_a_meter_of_the_type(classifier_and_split):
    classifier, splits = classifier_and_split
    waltz = Tune("w", "", "3/4", "1/8", "D", "|:d2 f2 a2|d6:|")
    jig = Tune("j", "", "6/8", "1/8", "D", "|:dfa afd|dfa afd|fed cBA|d3 d3:|")
    labelled = Tune("r", "reel", "6/8", "1/8", "D", "|:dfa afd:|")
    out, counts = infer_types([waltz, jig, labelled], classifier=classifier)
    assert [t.rhythm for t in out] == ["", "jig", "reel"]
    assert counts == {"jig": 1}
    assert labelled_types(splits["train"], min_tunes=10000) == []


def test_classifier_needs_two_labelled_types():
    tunes = [Tune("t", "jig", "6/8", "1/8", "D", "|:dfa afd:|")] * 60
    with pytest.raises(CastlabError, match="two tune types"):
        TypeClassifier().fit(tunes)


def test_melody_features_make_a_judge_as_good_or_better(classifier_and_split):
    rhythm_only, splits = classifier_and_split
    judge = TypeClassifier(melody=True).fit(splits["train"])
    held_out = [t for t in splits["valid"] + splits["test"] if t.rhythm in judge.types_]
    right = [
        sum(p == t.rhythm for p, t in zip(c.predict(held_out), held_out, strict=True))
        for c in (rhythm_only, judge)
    ]
    assert right[1] >= right[0] - 2 and right[1] / len(held_out) > 0.8
