"""Reading posts (formats, column mapping, streaming) and the labelled tweet sets."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from castlab.core.errors import CastlabError
from castlab.sentiment.data import (
    ColumnMap,
    iter_posts,
    match_key,
    normalise_tweet,
    read_posts,
    read_semeval,
    read_tweeteval,
    training_tweets,
)

TWINT_HEADER = (
    "id,conversation_id,created_at,date,time,timezone,user_id,username,name,place,tweet,"
    "language,mentions,urls,photos,replies_count,retweets_count,likes_count,hashtags,cashtags,"
    "link,retweet,quote_url,video,thumbnail,near,geo,source,user_rt_id,user_rt,retweet_id,"
    "reply_to,retweet_date,translate,trans_src,trans_dest"
)


def test_na_null_and_none_cells_stay_text_and_bad_scores_are_named(tmp_path):
    """pandas read 'NA' (Namibia's code, a username), 'null', 'None', 'N/A' and 'NaN' as
    missing: authors and countries were lost without a word. Scores read back from a file
    that are text or out of range were dropped from means or averaged; now refused."""
    path = tmp_path / "posts.csv"
    path.write_text(
        "id,username,text,country\n007,NA,lovely day in Windhoek,NA\n008,null,N/A,None\n009,,NaN,\n"
    )
    posts = read_posts(path)
    assert posts["author"].tolist()[:2] == ["NA", "null"] and pd.isna(posts["author"][2])
    assert posts["text"].tolist() == ["lovely day in Windhoek", "N/A", "NaN"]
    assert posts["country"].tolist()[:2] == ["NA", "None"] and pd.isna(posts["country"][2])
    scored = tmp_path / "scored.csv"
    for cell, said in (("abc", "'abc' in row 2"), ("5.0", "'5.0' in row 2")):
        scored.write_text(
            "text,p_negative,p_neutral,p_positive,score,label\n"
            f"a,0.1,0.2,0.7,0.6,positive\nb,0.1,0.2,0.7,{cell},positive\n"
        )
        with pytest.raises(CastlabError, match=f"scored.csv: column 'score' holds {said}"):
            read_posts(scored)


def test_twint_csv_export_is_recognised(tmp_path):
    path = tmp_path / "twint.csv"
    row = '1,1,2021-06-01 10:00:00 UTC,2021-06-01,10:00:00,+0000,9,elon,Elon,,"Rockets, rockets",en'
    path.write_text(TWINT_HEADER + "\n" + row + ",,,,,,,,,,,,,,,,,,,,,,,,\n")
    frame = read_posts(path)
    assert frame.loc[0, "text"] == "Rockets, rockets"
    assert frame.loc[0, "author"] == "elon"
    assert frame.loc[0, "time"] == "2021-06-01 10:00:00 UTC"  # created_at wins over date/time


def test_a_first_row_with_extra_fields_is_an_error_not_shifted_columns(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text("id,text\n1,hello,extra,fields\n2,ok\n")
    with pytest.raises(CastlabError, match=r"posts.csv:2: 4 fields, the header has 2"):
        read_posts(path)


def test_snscrape_jsonl_nested_fields_are_flattened(tmp_path):
    record = {
        "rawContent": "Hello from Nairobi",
        "user": {"username": "ann"},
        "date": "2023-01-01T00:00:00+00:00",
        "place": {"fullName": "Nairobi, Kenya", "country": "Kenya"},
        "coordinates": {"latitude": -1.28, "longitude": 36.8},
    }
    path = tmp_path / "snscrape.jsonl"
    path.write_text(json.dumps(record) + "\n" + json.dumps({"rawContent": "no place"}) + "\n")
    frame = read_posts(path)
    assert list(frame.columns) == [
        "text",
        "author",
        "time",
        "place",
        "country",
        "latitude",
        "longitude",
    ]
    assert frame.loc[0, "country"] == "Kenya" and frame.loc[0, "latitude"] == pytest.approx(-1.28)
    assert frame.loc[1, "text"] == "no place" and pd.isna(frame.loc[1, "latitude"])


def test_parquet_and_explicit_column_names(tmp_path):
    path = tmp_path / "posts.parquet"
    pd.DataFrame({"body_text": ["a", "b", "c"], "who": ["x", "y", "x"]}).to_parquet(path)
    chunks = list(iter_posts(path, columns=ColumnMap(text="body_text", author="who"), chunk_size=2))
    assert [len(c) for c in chunks] == [2, 1]
    assert list(pd.concat(chunks)["author"]) == ["x", "y", "x"]


def test_streaming_keeps_chunks_small_on_a_big_file(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w") as handle:
        handle.write("text\n")
        for i in range(25_000):
            handle.write(f"post number {i}\n")
    sizes = [len(chunk) for chunk in iter_posts(path, chunk_size=4_000, progress=True)]
    assert sum(sizes) == 25_000 and max(sizes) == 4_000


def test_errors_say_what_and_how_to_fix(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(CastlabError, match="no text column.*--text-column.*a, b"):
        read_posts(path)
    with pytest.raises(CastlabError, match="no column 'zz' for author"):
        read_posts(path, columns=ColumnMap(text="a", author="zz"))
    with pytest.raises(CastlabError, match="unknown file type"):
        read_posts(_write(tmp_path / "x.xml"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{oops\n')
    with pytest.raises(CastlabError) as error:
        read_posts(bad)
    assert error.value.line == 2
    with pytest.raises(CastlabError, match="file not found"):
        read_posts(tmp_path / "missing.csv")


def _write(path):
    path.write_text("<x/>")
    return path


def test_a_text_file_is_a_post_per_line_and_binary_bytes_are_refused(tmp_path):
    path = tmp_path / "val_text.txt"
    path.write_text("I love it\n\n  awful day \n")
    assert read_posts(path)["text"].tolist() == ["I love it", "awful day"]
    path.write_bytes(bytes(range(256)) * 4)  # a binary file behind a .txt name
    with pytest.raises(CastlabError, match="a binary file, not text"):
        read_posts(path)


@pytest.mark.parametrize("name", ["posts.csv", "posts.jsonl"])
def test_a_spreadsheet_behind_a_text_name_is_named(tmp_path, name):
    import zipfile

    with zipfile.ZipFile(tmp_path / name, "w") as book:  # what an .xlsx is inside
        book.writestr("xl/workbook.xml", "<workbook/>" * 200)
    with pytest.raises(CastlabError, match="xlsx.*not text.*save it as CSV"):
        read_posts(tmp_path / name)


def test_normalise_and_match_key():
    assert normalise_tweet("@Bob see http://t.co/x and www.a.com") == "@user see http and http"
    assert match_key('"Gas hit $3.39!!!! I\\u2019m going :)"') == match_key(
        "Gas hit $3.39 I'm going"
    )
    assert match_key("a b") != match_key("a c")


def test_semeval_minus_tweeteval_val(shared_data):
    semeval = shared_data / "semeval-twitter-sentiment"
    tweeteval = shared_data / "tweeteval-sentiment"
    everything = read_semeval(semeval)
    val = read_tweeteval(tweeteval, "val")
    train = training_tweets(semeval, tweeteval)
    assert len(everything) == 50_334 and len(val) == 2_000
    assert set(val["label"]) == {0, 1, 2}
    val_keys = set(val["text"].map(match_key))
    train_keys = train["text"].map(match_key)
    assert not train_keys.isin(val_keys).any()  # no validation tweet is trained on
    assert train_keys.is_unique
    assert 45_000 < len(train) < len(everything) - 1_900
    assert not train["text"].str.contains(r"\\u2019", regex=False).any()  # escapes decoded


def test_a_users_label_column_is_not_taken_for_castlabs(tmp_path):
    path = tmp_path / "labelled.csv"
    path.write_text("id,text,label\n1,I love this,2\n")
    assert list(read_posts(path).columns) == ["text"]
    kept = read_posts(path, keep_columns=True)
    assert list(kept.columns) == ["id", "text", "label"] and kept.loc[0, "id"] == "1"


def test_prefixed_castlab_scores_are_read_back(tmp_path):
    from castlab.sentiment.data import tidy_posts

    path = tmp_path / "scored.csv"
    path.write_text(
        "username,text,label,sentiment_p_negative,sentiment_p_neutral,sentiment_p_positive,"
        "sentiment_score,sentiment_label\nann,great,2,0.1,0.2,0.7,0.6,positive\n"
    )
    frame = read_posts(path)
    assert frame.loc[0, "label"] == "positive" and frame.loc[0, "score"] == pytest.approx(0.6)
    assert tidy_posts(read_posts(path, keep_columns=True)).loc[0, "author"] == "ann"


@pytest.mark.parametrize(
    ("labels", "said", "line"),
    [
        ("0\n1\n", "3 texts but 2 labels", None),  # the third tweet was dropped in silence
        ("0\n1\n2\n0\n", "3 texts but 4 labels", None),
        ("0\n1\npositive\n", "label 'positive' is not 0, 1 or 2", 3),  # was int()'s ValueError
        ("0\n5\n1\n", "label '5' is not 0, 1 or 2", 2),  # was an IndexError in training
    ],
)
def test_tweeteval_labels_must_pair_with_the_texts(tmp_path, labels, said, line):
    (tmp_path / "val_text.txt").write_text("good day\nthe bus\nawful\n")
    (tmp_path / "val_labels.txt").write_text(labels)
    with pytest.raises(CastlabError, match=said) as caught:
        read_tweeteval(tmp_path)
    assert caught.value.line == line
    (tmp_path / "val_labels.txt").write_text("2\n1\n0\n\n")  # blank lines at the end are fine
    assert read_tweeteval(tmp_path)["label"].tolist() == [2, 1, 0]


def test_scores_under_a_prefix_of_ones_own_are_read_back_not_scored_again(tmp_path):
    from castlab.sentiment.data import SCORE_COLUMNS, score_column_prefix
    from castlab.sentiment.scorers import VaderScorer
    from castlab.sentiment.stream import score_file

    source = tmp_path / "posts.csv"
    source.write_text("text,author\nI love it,a\nI hate it,b\n")
    scored = tmp_path / "scored.csv"
    score_file(source, scored, VaderScorer(), prefix="vader_")  # the README's example
    posts = read_posts(scored)
    assert posts["score"].tolist() == pd.read_csv(scored)["vader_score"].tolist()
    both = ["text", *(p + name for p in ("vader_", "minilm_") for name in SCORE_COLUMNS)]
    with pytest.raises(CastlabError, match="2 prefixes .vader_, minilm_."):
        score_column_prefix(both)


@pytest.mark.parametrize(
    ("name", "content", "said", "line"),
    [
        ("arr.json", '[{"text": "great"}, {"text": "awful"}]', "found an array", 1),
        ("num.jsonl", '{"text": "great"}\n5\n', "found the value 5", 2),  # was a TypeError
    ],
)
def test_json_lines_that_are_not_objects_are_named(tmp_path, name, content, said, line):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(CastlabError, match=said) as caught:
        list(iter_posts(path))
    assert caught.value.line == line
