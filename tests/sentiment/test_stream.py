"""Scoring a file chunk by chunk into CSV or Parquet."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from castlab.core.errors import CastlabError
from castlab.sentiment.scorers import Scorer, VaderScorer
from castlab.sentiment.stream import score_file


class LengthScorer(Scorer):
    """A fake scorer that records the batch sizes it was given."""

    name = "length"

    def __init__(self) -> None:
        self.batches: list[int] = []

    def predict_proba(self, texts):
        self.batches.append(len(texts))
        positive = np.array([min(len(t) / 20, 1.0) for t in texts])
        return np.stack([1 - positive, np.zeros_like(positive), positive], axis=1)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_chunks_are_scored_and_written_in_order(tmp_path, suffix):
    source = tmp_path / "posts.csv"
    texts = [f"post {'x' * (i % 25)}" for i in range(1_050)]
    pd.DataFrame({"tweet": texts, "username": ["a", "b"] * 525}).to_csv(source, index=False)
    scorer = LengthScorer()
    out = tmp_path / f"scored{suffix}"
    assert score_file(source, out, scorer, chunk_size=200) == 1_050
    assert scorer.batches == [200] * 5 + [50]
    frame = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert list(frame.columns[:2]) == ["tweet", "username"]  # the input's own names
    assert list(frame["tweet"]) == texts and list(frame["username"][:2]) == ["a", "b"]
    assert np.allclose(frame["score"], [2 * min(len(t) / 20, 1) - 1 for t in texts])
    assert not list(tmp_path.glob(".*partial"))


def test_bad_output_and_empty_input(tmp_path):
    source = tmp_path / "posts.csv"
    source.write_text("text\n")
    with pytest.raises(CastlabError, match="no posts"):
        score_file(source, tmp_path / "out.csv", VaderScorer())
    assert not (tmp_path / "out.csv").exists()
    with pytest.raises(CastlabError, match="unknown output type"):
        score_file(source, tmp_path / "out.xlsx", VaderScorer())


SCORE_NAMES = ["p_negative", "p_neutral", "p_positive", "score", "label"]


def _write(frame: pd.DataFrame, path):
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        path.write_text(frame.to_json(orient="records", lines=True))


def _read(path):
    return pd.read_csv(path, dtype=str) if path.suffix == ".csv" else pd.read_parquet(path)


@pytest.mark.parametrize("source_suffix", [".csv", ".jsonl", ".parquet"])
@pytest.mark.parametrize("out_suffix", [".csv", ".parquet"])
def test_every_input_column_is_kept_in_order(tmp_path, source_suffix, out_suffix):
    posts = pd.DataFrame(
        {
            "id": ["007", "008", "009"],  # leading zeros must survive a CSV
            "tweet": ["I love this", "I hate this", "a chair"],
            "lang": ["en", "en", "en"],
        }
    )
    source = tmp_path / f"posts{source_suffix}"
    _write(posts, source)
    out = tmp_path / f"scored{out_suffix}"
    assert score_file(source, out, VaderScorer(), chunk_size=2) == 3
    frame = _read(out)
    assert list(frame.columns) == ["id", "tweet", "lang", *SCORE_NAMES]
    if source_suffix != ".jsonl":  # JSON reads "007" as text too, but pandas writes it back
        assert list(frame["id"]) == ["007", "008", "009"]
    assert list(frame["label"]) == ["positive", "negative", "neutral"]


@pytest.mark.parametrize("source_suffix", [".csv", ".jsonl", ".parquet"])
def test_a_label_or_score_column_gets_castlab_columns_prefixed(tmp_path, source_suffix):
    posts = pd.DataFrame({"text": ["I love this", "I hate this"], "label": [2, 0], "score": [5, 1]})
    source = tmp_path / f"posts{source_suffix}"
    _write(posts, source)
    out = tmp_path / "scored.csv"
    score_file(source, out, VaderScorer())
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["text", "label", "score"] + [
        f"sentiment_{n}" for n in SCORE_NAMES
    ]
    assert list(frame["label"]) == [2, 0] and list(frame["score"]) == [5, 1]  # untouched
    assert list(frame["sentiment_label"]) == ["positive", "negative"]


def test_an_explicit_prefix_is_used_and_a_clash_names_the_column(tmp_path):
    source = tmp_path / "posts.csv"
    pd.DataFrame({"text": ["I love this"], "vader_score": [1]}).to_csv(source, index=False)
    out = tmp_path / "scored.parquet"
    score_file(source, out, VaderScorer(), prefix="v_")
    assert list(pd.read_parquet(out).columns) == ["text", "vader_score"] + [
        f"v_{n}" for n in SCORE_NAMES
    ]
    with pytest.raises(CastlabError, match="already has a column 'vader_score'.*--prefix"):
        score_file(source, tmp_path / "again.csv", VaderScorer(), prefix="vader_")
    assert not (tmp_path / "again.csv").exists()


def test_jsonl_keys_that_appear_late_are_kept(tmp_path):
    source = tmp_path / "posts.jsonl"
    source.write_text(
        '{"id": 1, "text": "good"}\n{"id": 2, "text": "bad"}\n'
        '{"id": 3, "text": "ok", "user": {"name": "ann"}}\n'
    )
    out = tmp_path / "scored.csv"
    score_file(source, out, VaderScorer(), chunk_size=1)
    frame = pd.read_csv(out)
    assert list(frame.columns[:3]) == ["id", "text", "user.name"]
    assert frame["user.name"].isna().tolist() == [True, True, False]


class Interrupted(Exception):
    pass


class StopAfter(LengthScorer):
    """Scores ``limit`` batches, then fails as a Ctrl-C or a crash would."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def predict_proba(self, texts):
        if len(self.batches) == self.limit:
            raise Interrupted
        return super().predict_proba(texts)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_an_interrupted_run_resumes_without_rescoring_finished_chunks(tmp_path, suffix):
    from castlab.sentiment.stream import parts_folder

    source = tmp_path / "posts.csv"
    pd.DataFrame(
        {"id": range(1_000), "text": [f"post {'x' * (i % 25)}" for i in range(1_000)]}
    ).to_csv(source, index=False)
    reference = tmp_path / f"reference{suffix}"
    score_file(source, reference, LengthScorer(), chunk_size=150)
    out = tmp_path / f"scored{suffix}"
    with pytest.raises(Interrupted):
        score_file(source, out, StopAfter(3), chunk_size=150)
    assert not out.exists()  # nothing under the final name that could pass for complete
    assert len(list(parts_folder(out).glob("part-*"))) == 3
    again = LengthScorer()
    assert score_file(source, out, again, chunk_size=150) == 1_000
    assert again.batches == [150] * 3 + [100]  # chunks 4 to 7 only
    assert out.read_bytes() == reference.read_bytes() if suffix == ".csv" else True
    read = pd.read_csv if suffix == ".csv" else pd.read_parquet
    pd.testing.assert_frame_equal(read(out), read(reference))
    assert not parts_folder(out).exists()


def test_a_changed_input_is_scored_afresh(tmp_path):
    source = tmp_path / "posts.csv"
    source.write_text("text\n" + "good\n" * 10)
    out = tmp_path / "scored.csv"
    with pytest.raises(Interrupted):
        score_file(source, out, StopAfter(1), chunk_size=4)
    source.write_text("text\n" + "bad\n" * 6)
    scorer = LengthScorer()
    assert score_file(source, out, scorer, chunk_size=4) == 6
    assert scorer.batches == [4, 2] and list(pd.read_csv(out)["text"]) == ["bad"] * 6


def test_a_scorer_with_another_model_or_precision_scores_afresh(tmp_path):
    source = tmp_path / "posts.csv"
    source.write_text("text\n" + "good\n" * 10)
    out = tmp_path / "scored.csv"
    first = StopAfter(1)
    first.settings = {"model": "head-a", "precision": "int8"}
    with pytest.raises(Interrupted):
        score_file(source, out, first, chunk_size=4)
    same_name = LengthScorer()  # the same scorer name, with another model: it resumed before
    same_name.settings = {"model": "head-b", "precision": "int8"}
    assert score_file(source, out, same_name, chunk_size=4) == 10
    assert same_name.batches == [4, 4, 2]  # every chunk scored by this one


def test_model_scorers_name_their_weights_and_precision(tmp_path):
    from castlab.sentiment.scorers import DefaultScorer, MiniLMScorer

    default = DefaultScorer(precision="float32").identity()
    assert default["name"] == "default" and default["precision"] == "float32"
    assert default["model"]["size"] > 0
    assert DefaultScorer(precision="int8").identity() != default
    assert set(MiniLMScorer().identity()) == {"name", "head"}
