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
    assert list(frame["text"]) == texts and list(frame["author"][:2]) == ["a", "b"]
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
