"""Regression tests for crashes the fuzz campaign found: each raised a traceback before."""

from __future__ import annotations

import pytest

from castlab.core.errors import CastlabError


def test_garbage_safetensors_is_a_user_error(tmp_path):
    from castlab.core.artifacts import load_model_weights

    (tmp_path / "model.safetensors").write_bytes(b"\x80\x04\x95 not a safetensors file")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(CastlabError, match="not a safetensors file") as caught:
        load_model_weights(tmp_path)
    assert caught.value.fix and "model.safetensors" in str(caught.value)


def test_broken_json_config_names_line_and_fix(tmp_path):
    from castlab.core.artifacts import read_json

    (tmp_path / "config.json").write_text('{"kind": ')
    with pytest.raises(CastlabError, match=r"config.json:1:\d+: not valid JSON") as caught:
        read_json(tmp_path / "config.json")
    assert caught.value.fix


def test_empty_experiment_grid_does_not_run_the_default_grid(tmp_path):
    """An empty grid file used to start the full default experiment (hours of training)."""
    from castlab.proteins.experiment import load_grid

    (tmp_path / "grid.toml").write_text("")
    with pytest.raises(CastlabError, match="empty"):
        load_grid(tmp_path / "grid.toml")
    (tmp_path / "latin1.toml").write_bytes("name = 'caf\xe9'\n".encode("latin-1"))
    with pytest.raises(CastlabError, match="not valid TOML"):
        load_grid(tmp_path / "latin1.toml")


def test_a_huge_author_name_does_not_hang_the_hexbins(tmp_path):
    """A CSV whose author cell was one 10 MB line kept matplotlib busy for minutes."""
    import pandas as pd

    from castlab.sentiment.plots import plot_author_hexbins

    scored = pd.DataFrame(
        {"author": ["x" * 1_000_000, "ann"], "text": ["a", "bb"], "score": [0.1, -0.2]}
    )
    path = plot_author_hexbins(scored, tmp_path / "hexbins.png")
    assert path.stat().st_size > 0


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ("author,text\nann,café\n".encode("latin-1"), "not UTF-8"),
        (b"\x1f\x8b\x08\x00cut", "cut short|cannot read"),
    ],
    ids=["latin1", "truncated-gzip"],
)
def test_sentiment_posts_in_a_wrong_encoding_are_one_error(tmp_path, data, words):
    """Both were tracebacks (UnicodeDecodeError; EOFError, which click printed as 'Aborted.')."""
    from castlab.sentiment.data import read_posts

    path = tmp_path / ("posts.csv.gz" if data.startswith(b"\x1f\x8b") else "posts.csv")
    path.write_bytes(data)
    with pytest.raises(CastlabError, match=words) as caught:
        read_posts(path)
    assert caught.value.fix and caught.value.path == str(path)


def test_sentiment_reads_utf16_and_semicolon_posts(tmp_path):
    from castlab.sentiment.data import read_posts

    path = tmp_path / "posts.csv"
    path.write_bytes("author;text\r\nann;I love it\r\nbob;meh\r\n".encode("utf-16"))
    assert read_posts(path)["text"].tolist() == ["I love it", "meh"]


def test_sentiment_broken_parquet_and_tweeteval_encoding(tmp_path):
    from castlab.sentiment.data import read_posts, read_tweeteval

    (tmp_path / "posts.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(CastlabError, match="Parquet"):
        read_posts(tmp_path / "posts.parquet")
    (tmp_path / "val_text.txt").write_bytes("caf\xe9\n".encode("latin-1"))
    (tmp_path / "val_labels.txt").write_text("1\n")
    with pytest.raises(CastlabError, match="val_text.txt:1: not UTF-8"):
        read_tweeteval(tmp_path)


def test_lifelog_csv_with_a_huge_field_gives_a_fix(tmp_path):
    from castlab.lifelog.data import read_daylio

    path = tmp_path / "daylio.csv"
    path.write_text("full_date,date,weekday,time,mood,activities,note\n" + "x" * 200_000)
    with pytest.raises(CastlabError, match="broken CSV") as caught:
        read_daylio(path)
    assert caught.value.fix and caught.value.line == 2


def test_cut_short_image_gives_a_fix(tmp_path):
    import io

    import numpy as np
    from PIL import Image

    from castlab.art.data import load_image

    buffer = io.BytesIO()
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(noise).save(buffer, format="JPEG")
    whole = buffer.getvalue()
    for cut, words in ((300, "cannot read image"), (len(whole) // 2, "cannot decode image")):
        (tmp_path / "cut.jpg").write_bytes(whole[:cut])  # inside the header, inside the data
        with pytest.raises(CastlabError, match=words) as caught:
            load_image(tmp_path / "cut.jpg")
        assert "complete PNG or JPEG" in caught.value.fix


def test_a_header_without_posts_is_no_posts(tmp_path):
    """sentiment authors drew hexbins of zero posts: 'cannot convert float NaN to integer'."""
    from castlab.sentiment.data import read_posts

    (tmp_path / "posts.csv").write_text("author,text,created_at\n")
    with pytest.raises(CastlabError, match="no posts in the file"):
        read_posts(tmp_path / "posts.csv")


def test_an_empty_fasta_file_is_named(tmp_path):
    """proteins evaluate scored zero records (a scikit-learn traceback); train said no file."""
    from castlab.proteins.data import read_fasta

    (tmp_path / "empty.fasta").write_text("")
    with pytest.raises(CastlabError, match="empty.fasta: no FASTA records"):
        read_fasta(tmp_path / "empty.fasta")


def test_tunes_evaluate_on_a_tiny_corpus_names_it(tmp_path):
    """'no tunes to evaluate' did not say which corpus was too small."""
    from tests.reliability.corpus import ABC
    from tests.reliability.matrix import run_command

    abc = tmp_path / "few.abc"
    abc.write_text(ABC.split("\n\n")[0] + "\n")
    outcome = run_command(["tunes", "evaluate", "--corpus", str(abc), "--count", "1"])
    assert outcome.exit_code == 2 and not outcome.traceback
    assert "few.abc" in outcome.message and "fix:" in outcome.message
