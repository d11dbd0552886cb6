"""Each page in Streamlit's AppTest: it loads, and its main action works."""

from fractions import Fraction
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from castlab.tunes.abc import abc_tokens
from castlab.tunes.bars import measure_bars, right_length_share

PAGES = Path(__file__).resolve().parents[2] / "src" / "castlab" / "ui" / "views"


def _page(name: str) -> AppTest:
    app = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=240)
    app.run()
    assert not app.exception, app.exception
    return app


def test_home():
    assert "castlab" in _page("home").title[0].value


def test_tunes_generates_a_tune_with_sheet_music_and_audio():
    app = _page("tunes")
    app.selectbox[0].select("jig").run()
    app.selectbox[2].select("D").run()
    app.selectbox[3].select("plain").run()  # dotting
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    abc = app.code[0].value
    assert "R:jig" in abc and "K:D" in abc and "N:plain" in abc and abc.count(":|") >= 2
    app.selectbox[3].select("dotted").run()  # a new dotting is a new tune, not the last one
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    assert "N:dotted" in app.code[0].value
    app.selectbox[1].select("4/4").run()  # a jig in 4/4: said before generating
    assert "a jig is written in 6/8, not 4/4" in app.warning[0].value


@pytest.mark.slow
def test_lifelog_dashboard_from_example_exports():
    app = _page("lifelog")
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    labels = [button.label for button in app.get("download_button")]
    assert labels[0] == "Download the dashboard (HTML)"


def test_lifelog_custom_mood_is_named_on_the_page(tmp_path):
    import numpy as np

    from castlab.lifelog.synthetic import GeneratorConfig, write_exports

    paths = write_exports(
        tmp_path, rng=np.random.default_rng(0), config=GeneratorConfig(days=30, ulogme_days=1)
    )
    daylio = paths.daylio.read_bytes().replace(b",good,", b",content,")
    app = _page("lifelog")
    app.file_uploader[1].set_value(("daylio.csv", daylio, "text/csv")).run()
    app.number_input[1].set_value(100).run()  # bootstrap resamples
    app.button[0].click().run()
    message = app.error[0].value
    assert message.startswith("daylio.csv:") and "unknown mood name 'content'" in message
    assert message.endswith("(fix: give each a score 1-5: set Daylio custom moods to 'content=3')")
    app.text_input[0].input("content=4").run()
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    assert "mood" in app.get("iframe")[0].proto.srcdoc


TWO_TUNES = b"""X:1
T:First
R:jig
M:6/8
L:1/8
K:D
|:(AFA) {g}dAF|GBG FAF:|
X:2
T:Second
R:reel
M:4/4
L:1/8
K:G
|:GABc dedB|dedB dedB:|
"""


def test_tunes_continues_an_uploaded_tune():
    app = _page("tunes")
    app.radio[0].set_value("continue a tune from my ABC file (prompt)").run()
    app.file_uploader[0].set_value(("mine.abc", TWO_TUNES, "text/plain")).run()
    assert "2 tunes read from mine.abc" in [c.value for c in app.caption]
    app.selectbox[0].select_index(1).run()  # the reel
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    abc = app.code[0].value
    assert "M:4/4" in abc and "K:G" in abc
    assert abc.split("K:G\n")[1].startswith("|:GABc dedB|dedB dedB")  # its first two bars
    labels = [button.label for button in app.get("download_button")]
    assert "Download ABC" in labels and labels[-1] == "Download all (ZIP)"


PICKUP_TUNE = b"""X:1
T:With a pickup
R:reel
M:4/4
L:1/8
K:D
A2|dfaf gfed|cdef gfec|dfaf gfed|cAGE D2:|
"""


def test_tunes_continues_a_tune_that_starts_with_a_pickup():
    """The decoder refused a pickup as the prompt's first bar (castlab's tunes have none
    unless asked for); it now follows one, so the tune goes on from the pickup (two of the
    first three O'Neill tunes start with one)."""
    app = _page("tunes")
    app.radio[0].set_value("continue a tune from my ABC file (prompt)").run()
    app.file_uploader[0].set_value(("pickup.abc", PICKUP_TUNE, "text/plain")).run()
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    assert "T:With a pickup, continued by castlab\n" in app.code[0].value
    body = app.code[0].value.split("K:D\n")[1]
    assert body.startswith("|:A2|dfaf gfed|cdef gfec|")
    bars = measure_bars(abc_tokens(body), bar_units=Fraction(8))
    assert right_length_share(bars) == 1.0  # part A's last bar shortened by the pickup's 2


def test_tunes_trains_briefly_on_an_uploaded_corpus():
    from castlab.tunes.data import collection_paths

    oneills = collection_paths("oneills")[0]  # O'Neill's 1-50, shipped with music21
    app = _page("tunes")
    app.radio[0].set_value("train a small model briefly on my ABC file (corpus)").run()
    app.file_uploader[0].set_value((oneills.name, oneills.read_bytes(), "text/plain")).run()
    app.slider[0].set_value(50).run()  # training steps: one chunk
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    assert app.info[0].value.startswith("Trained here: 50 steps on ")
    assert ":|" in app.code[0].value


@pytest.fixture
def no_default_protein_model(monkeypatch, tmp_path):
    """As on an installation without castlab's default Pfam model: the page uses its demo."""
    import castlab.proteins.default

    monkeypatch.setattr(castlab.proteins.default, "DEFAULT_MODEL_DIR", tmp_path / "absent")


def test_proteins_classifies_each_pasted_record_with_the_demo_model(no_default_protein_model):
    app = _page("proteins")
    two_records = "\n".join(app.text_area[0].value.splitlines()[:4])  # of the prefilled example
    app.text_area[0].input(two_records).run()
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    table = app.dataframe[0].value
    assert len(table) == 2 and list(table.columns) == [
        "name", "family", "probability", "top_k", "bit_score", "evalue"
    ]  # fmt: skip
    # example names are synthetic_<family>_<member>; the demo model gets them right
    assert table["family"].tolist() == [f"synthetic-F{n.split('_')[1]}" for n in table["name"]]
    assert table["top_k"].str.count(";").eq(2).all() and table["probability"].between(0, 1).all()
    assert "SYNTHETIC" in " ".join(caption.value for caption in app.caption)


def test_proteins_prefilled_example_is_recognised_by_the_default_model():
    app = _page("proteins")
    assert "default Pfam model was trained on" in app.text_area[0].label
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    table = app.dataframe[0].value  # names are <family>_reference
    assert table["family"].tolist() == [name.split("_")[0] for name in table["name"]]
    assert any("50 families, and 'unknown'" in caption.value for caption in app.caption)


def test_proteins_bad_fasta_is_one_clear_message():
    app = _page("proteins")
    app.text_area[0].input(">bad\nMKVJL\n").run()
    app.button[0].click().run()
    assert not app.exception and not app.dataframe
    message = app.error[0].value
    assert message.startswith("pasted.fasta:2:4: record 'bad', position 4: 'J' is not an amino")
    assert "Traceback" not in message and "\n" not in message


def test_proteins_with_a_model_folder(tmp_path):
    from castlab.proteins.model import ClassifierConfig, ProteinModel, build_classifier
    from castlab.proteins.tokenize import build_tokenizer

    config = ClassifierConfig(kind="cnn", vocab_size=29, n_classes=2, dim=8, blocks=1)
    families = ["PF00001", "PF00002"]
    ProteinModel(build_tokenizer("aa", []), build_classifier(config), config, families).save(
        tmp_path / "model"
    )
    app = _page("proteins")
    app.text_input[0].input(str(tmp_path / "model")).run()
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    assert set(app.dataframe[0].value["family"]) <= set(families)
    app.text_input[0].input(str(tmp_path / "missing")).run()
    app.button[0].click().run()
    assert not app.exception and "no model.safetensors here" in app.error[0].value


def test_sentiment_scores_typed_posts_with_vader():
    app = _page("sentiment")
    app.text_area[0].input("I love this, wonderful!\nI hate this, awful.").run()
    app.radio[0].set_value("vader").run()
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    table = app.dataframe[0].value
    assert table["text"].tolist() == ["I love this, wonderful!", "I hate this, awful."]
    assert table["label"].tolist() == ["positive", "negative"]
    probabilities = table[["p_negative", "p_neutral", "p_positive"]].sum(axis=1)
    assert ((probabilities - 1).abs() < 1e-6).all()
    assert (table["score"] - (table["p_positive"] - table["p_negative"])).abs().max() < 1e-9
    assert len(app.dataframe) == 1 and "needs an author column" in app.info[0].value


def test_sentiment_example_shows_every_view():
    app = _page("sentiment")
    app.radio[0].set_value("vader").run()
    app.button[1].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    posts, authors, capitals = (frame.value for frame in app.dataframe)
    assert len(posts) == 270 and "score" in posts.columns
    assert sorted(authors["author"]) == ["cheerful_chris", "grumpy_gus", "neutral_nat"]
    by_author = authors.set_index("author")["mean"]
    assert by_author["cheerful_chris"] > by_author["neutral_nat"] > by_author["grumpy_gus"]
    assert len(capitals) == 30 and capitals["mean_score"].between(-1, 1).all()
    assert [h.value for h in app.subheader] == ["Posts", "Authors", "Capital cities"]
    app.text_area[0].input("my own post").run()  # new posts: the example's result is earlier
    assert any("for earlier posts" in caption.value for caption in app.caption)


def test_sentiment_without_posts_says_so():
    app = _page("sentiment")
    app.text_area[0].input("  \n").run()
    app.button[0].click().run()
    assert not app.exception
    assert app.error[0].value.startswith("no posts")


def test_sentiment_columns_with_unrecognised_names_are_chosen_on_the_page():
    import pandas as pd

    posts = pd.DataFrame(
        {
            "message": ["I love it", "Awful, I hate it", "Great work!", "So bad"],
            "who": ["ann", "bob", "ann", "bob"],
            "nation": ["Kenya", "Kenya", "France", "France"],
        }
    )
    app = _page("sentiment")
    app.radio[0].set_value("vader").run()
    app.file_uploader[0].set_value(("mine.csv", posts.to_csv(index=False).encode(), "text/csv"))
    app.run()
    app.button[0].click().run()
    message = app.error[0].value  # 'message' is not a recognised name
    assert "no text column found (fix: choose Text column from: message, who, nation)" in message
    app.selectbox(key="column-text").select("message").run()
    app.selectbox(key="column-author").select("who").run()
    app.selectbox(key="column-country").select("nation").run()
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    assert [h.value for h in app.subheader] == ["Posts", "Authors", "Capital cities"]
    assert sorted(app.dataframe[1].value["author"]) == ["ann", "bob"]
    assert sorted(app.dataframe[2].value["iso3"]) == ["FRA", "KEN"]


def test_sentiment_keeps_the_uploaded_columns_and_prefixes_clashing_scores():
    app = _page("sentiment")
    app.radio[0].set_value("vader").run()
    data = b"id,text,label\n007,I love this,2\n008,this is terrible,0\n"
    app.file_uploader[0].set_value(("labelled.csv", data, "text/csv")).run()
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    table = app.dataframe[0].value
    assert list(table.columns[:3]) == ["id", "text", "label"]  # the user's, in order
    assert table["id"].tolist() == ["007", "008"] and table["label"].tolist() == ["2", "0"]
    assert table["sentiment_label"].tolist() == ["positive", "negative"]


def test_sentiment_scores_a_text_file_one_post_per_line():
    app = _page("sentiment")
    app.radio[0].set_value("vader").run()
    data = b"I love this\n\nthis is terrible\n"
    app.file_uploader[0].set_value(("val_text.txt", data, "text/plain")).run()
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    assert app.dataframe[0].value["text"].tolist() == ["I love this", "this is terrible"]


def test_proteins_reads_a_table_with_named_columns_and_a_stockholm_file():
    app = _page("proteins")
    table = b"acc,residues,family\nq1,MKVLAAGIVG,x\nq2,MSTNPKPQRK,y\n"
    app.file_uploader[0].set_value(("mine.csv", table, "text/csv")).run()
    app.button[0].click().run()
    message = app.error[0].value  # no known sequence column: the page names its control
    assert "fix: choose Sequence column from: acc, residues, family" in message
    assert "--" not in message
    app.text_input[0].input("residues").run()
    app.text_input[1].input("acc").run()
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    answers = app.dataframe[0].value  # the table's own columns first, as the CLI writes them
    assert list(answers.columns[:4]) == ["acc", "residues", "family", "predicted_family"]
    assert answers["acc"].tolist() == ["q1", "q2"] and answers["family"].tolist() == ["x", "y"]
    stockholm = b"# STOCKHOLM 1.0\n#=GF AC PF99999\nseq1/1-8 MK-VLAAG\nseq2/3-9 MS.TNPKP\n//\n"
    app.file_uploader[0].set_value(("family.sto", stockholm, "text/plain")).run()
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    assert len(app.dataframe[0].value) == 2


def test_proteins_uses_the_default_pfam_model_when_installed():
    from castlab.proteins.default import DEFAULT_MODEL_DIR

    if not (DEFAULT_MODEL_DIR / "model.safetensors").is_file():
        pytest.skip("castlab's default Pfam model is not installed here")
    app = _page("proteins")
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    assert any("castlab's default Pfam model" in c.value for c in app.caption)
