"""Scoring many files into a folder, in one process and on a 2-worker Dask LocalCluster."""

from __future__ import annotations

import pandas as pd
import pytest

from castlab.core.errors import CastlabError
from castlab.sentiment.cluster import ScorerSpec, expand_inputs, score_files


def _inputs(folder, files: int = 4, rows: int = 30):
    folder.mkdir()
    words = ["love", "hate", "chair", "great", "awful", "fine"]
    for f in range(files):
        frame = pd.DataFrame(
            {
                "id": [f * 1_000 + i for i in range(rows)],
                "text": [f"I {words[(f + i) % 6]} this {i}" for i in range(rows)],
                "label": [i % 3 for i in range(rows)],
            }
        )
        frame.to_parquet(folder / f"posts-{f}.parquet", index=False)
    return expand_inputs(str(folder / "*.parquet"))


def test_dask_local_cluster_matches_one_process_row_for_row(tmp_path):
    inputs = _inputs(tmp_path / "posts")
    single = score_files(inputs, tmp_path / "single", ScorerSpec("vader"), chunk_size=7)
    dask = score_files(
        inputs, tmp_path / "dask", ScorerSpec("vader"), chunk_size=7, dask="local", workers=2
    )
    assert single["posts"] == dask["posts"] == 120 and dask["files"] == 4
    for source in inputs:
        name = source.name
        one = pd.read_parquet(tmp_path / "single" / name)
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "dask" / name), one)
        assert list(one.columns[:3]) == ["id", "text", "label"]
        assert list(one["id"]) == list(pd.read_parquet(source)["id"])
    assert (tmp_path / "dask" / "_SUCCESS.json").exists()


def test_a_rerun_skips_finished_files(tmp_path):
    inputs = _inputs(tmp_path / "posts", files=2, rows=5)
    out = tmp_path / "scored"
    score_files(inputs, out, ScorerSpec("vader"))
    again = score_files(inputs, out, ScorerSpec("vader"))
    assert again["skipped"] == 2 and again["posts"] == 10
    pd.DataFrame({"text": ["new"]}).to_parquet(inputs[0], index=False)  # changed: scored again
    assert score_files(inputs, out, ScorerSpec("vader"))["skipped"] == 1
    # a rerun over fewer inputs keeps the other output (hours of scoring) but names it, with
    # its scorer: a glob over the folder would mix it in
    fewer = score_files(inputs[:1], out, ScorerSpec("vader"))
    assert fewer["earlier"] == {"posts-1.parquet": "vader"}
    assert (out / "posts-1.parquet").exists()


def test_inputs_that_would_share_an_output_are_refused(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "posts.csv").write_text("text\nhi\n")
    inputs = expand_inputs(str(tmp_path / "*" / "posts.csv"))
    with pytest.raises(CastlabError, match="both be written to posts.parquet"):
        score_files(inputs, tmp_path / "out", ScorerSpec("vader"))
