from castlab.tunes.abc import Tune, abc_tokenizer
from castlab.tunes.evaluate import BarIndex, has_aabb_form, score_tune, summarise_scores

A = "dfa afd|" * 7
B = "fga gfe|" * 7


def test_aabb_form_with_pickup_and_endings(oneills_tokenizer):
    good = Tune("t", "jig", "6/8", "1/8", "D", f"|:A|{A}[1d3 d2:|[2d3 d2||\n|:{B}e3 e3:|")
    assert has_aabb_form(good, oneills_tokenizer)
    no_repeat = Tune("t", "jig", "6/8", "1/8", "D", f"{A}d3 d3||{B}e3 e3|]")
    assert not has_aabb_form(no_repeat, oneills_tokenizer)
    seven_bars = Tune("t", "jig", "6/8", "1/8", "D", f"|:{A}:|\n|:{B}e3 e3:|")
    assert not has_aabb_form(seven_bars, oneills_tokenizer)
    slurred = Tune("t", "jig", "6/8", "1/8", "D", f"|:{A}(d3 d3):|\n|:{B}~e3 e3:|")
    assert has_aabb_form(slurred, oneills_tokenizer)


def test_novelty_counts_the_longest_copied_run():
    training = [Tune("a", "jig", "6/8", "1/8", "D", "ABc def|gab c'3|def gab|")]
    index = BarIndex(training)
    copy = Tune("b", "jig", "6/8", "1/8", "D", "|:gab c'3|def gab|ABc ABc:|")
    assert index.longest_copied_run(copy) == 2
    fresh = Tune("c", "jig", "6/8", "1/8", "D", "|:GAB cde|")
    assert index.longest_copied_run(fresh) == 0


def test_scores_and_summary(oneills_tokenizer):
    tune = Tune("t", "jig", "6/8", "1/8", "D", f"|:{A}d3 d3:|\n|:{B}e3 e3:|")
    score = score_tune(tune, oneills_tokenizer, BarIndex([tune]), tools=False)
    assert score.aabb and score.right_length_share == 1.0 and score.copied_bars == 16
    summary = summarise_scores([score, score])
    assert summary["aabb_share"] == 1.0 and summary["median_copied_bars"] == 16


def test_aabb_form_ignores_the_dotting_code():
    # with N:dotted first in the vocabulary, replaying a plain tune must not hold it to N:dotted
    header = "R:jig\nM:6/8\nN:dotted\nL:1/8\nK:D\n"
    body = f"|:{A}d3 d3:|\n|:{B}e3 e3:|"
    tokenizer = abc_tokenizer([header + body + "d>e", header.replace("dotted", "plain") + body])
    assert tokenizer.index["N:dotted\n"] < tokenizer.index["N:plain\n"]
    plain = Tune("t", "jig", "6/8", "1/8", "D", body)
    assert has_aabb_form(plain, tokenizer)
