"""The imbalance page in Streamlit's AppTest: controls for the CLI's options, messages that
name the page's controls, results that stay, the EM estimate of an unlabelled file."""

from pathlib import Path

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

PAGE = Path(__file__).resolve().parents[2] / "src" / "castlab" / "ui" / "views" / "imbalance.py"


def _table(rows: int = 240, *, seed: int = 0, labelled: bool = True) -> pd.DataFrame:
    """An id column (unique per row), a number and a category that both predict the label."""
    rng = np.random.default_rng(seed)
    label = rng.random(rows) < 0.2
    frame = pd.DataFrame(
        {
            "uid": [f"row_{seed}_{i}" for i in range(rows)],
            "income": rng.normal(label * 1.5, 1.0).round(3),
            "city": np.where(rng.random(rows) < 0.7, np.where(label, "A", "B"), "C"),
        }
    )
    if labelled:
        frame["has_account"] = np.where(label, "Yes", "No")
    return frame


def _page_with(frame: pd.DataFrame, name: str = "train.csv") -> AppTest:
    app = AppTest.from_file(str(PAGE), default_timeout=120)
    app.run()
    assert not app.exception, app.exception
    app.file_uploader(key="data").set_value(
        (name, frame.to_csv(index=False).encode(), "text/csv")
    ).run()
    assert not app.checkbox[0].value  # an upload unticks the example
    app.selectbox(key="target").select("has_account").run()
    app.selectbox(key="positive").select("Yes").run()
    return app


def test_compares_strategies_on_the_example():
    app = AppTest.from_file(str(PAGE), default_timeout=120)
    app.run()
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    table = app.dataframe[0].value
    assert "prior" in table["strategy"].tolist()
    labels = [button.label for button in app.get("download_button")]
    assert labels == ["Download summary (CSV)", "Download everything (ZIP)"]


def test_identifier_is_proposed_for_dropping_and_the_message_names_the_control():
    app = _page_with(_table(1100))  # more ids than the 1000 categories a text column may have
    assert app.multiselect[0].value == ["uid"]  # detected and pre-selected
    app.multiselect[0].set_value([]).run()
    app.button[0].click().run()
    message = app.error[0].value
    assert message.startswith("train.csv: text column 'uid' has 1100 distinct values")
    assert message.endswith("(fix: add 'uid' to Columns to drop)") and "--drop" not in message
    app.multiselect[0].set_value(["uid"]).run()
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    assert len(app.dataframe[0].value) == 8


def test_missing_numbers_point_at_the_fill_box_and_it_works():
    frame = _table()
    frame.loc[5, "income"] = np.nan
    app = _page_with(frame)
    app.button[0].click().run()
    message = app.error[0].value
    assert message.startswith("train.csv:7:2: missing value in numeric column 'income'")
    assert "tick 'Fill missing numbers with the column median'" in message
    app.checkbox(key="fill_missing").check().run()
    app.button[0].click().run()
    assert not app.error and len(app.dataframe[0].value) == 8


def test_results_stay_when_a_control_changes():
    app = _page_with(_table())
    app.button[0].click().run()
    before = app.dataframe[0].value
    app.slider(key="test_prior").set_value(
        0.3
    ).run()  # another test share: the old result stays, marked
    assert app.dataframe[0].value.equals(before)
    assert any("earlier settings" in caption.value for caption in app.caption)
    app.slider(key="test_prior").set_value(
        0.5
    ).run()  # back to the first inputs: the cached result is current
    assert not any("earlier settings" in caption.value for caption in app.caption)


def test_unlabelled_file_gives_the_estimated_balance():
    app = _page_with(_table())
    assert app.slider(key="test_prior").disabled is False
    app.radio(key="balance").set_value("estimate from an unlabelled test file (EM)").run()
    assert app.slider(key="test_prior").disabled  # the share is estimated, not set
    app.button[0].click().run()
    assert "fix: use Unlabelled test file (CSV)" in app.error[0].value
    test = _table(400, seed=1, labelled=False)
    app.file_uploader(key="unlabelled").set_value(
        ("test.csv", test.to_csv(index=False).encode(), "text/csv")
    )
    app.run()
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    estimate = app.dataframe[0].value.set_index("class")
    assert list(estimate.index) == ["No", "Yes"]
    assert abs(estimate["estimated test share"].sum() - 1) < 1e-3
    assert 0.05 < estimate.loc["Yes", "estimated test share"] < 0.5  # made with ~20% positives


def test_no_target_lists_the_columns_and_an_unreadable_file_cannot_be_compared():
    app = AppTest.from_file(str(PAGE), default_timeout=120)
    app.run()
    app.file_uploader(key="data").set_value(("abc.csv", b"a,b,c\n1,2,3\n4,5,6\n", "text/csv"))
    app.run()
    app.button[0].click().run()
    assert app.error[0].value == "no target column chosen (fix: choose Target column from: a, b, c)"
    app.file_uploader(key="data").set_value(("bad.csv", b"", "text/csv")).run()
    assert len(app.error) == 1 and app.button[0].disabled  # the reason is shown; no second one


def test_the_target_chosen_for_a_file_comes_back_after_the_example():
    """One kept widget value for every table came back empty: the example's column 'y' is
    not in the file, so Target showed its placeholder after unticking the example."""
    app = _page_with(_table(240))  # no column a guess would find: chosen by hand
    app.checkbox[0].check().run()
    assert app.selectbox(key="target").value == "y"  # the example's own column
    app.checkbox[0].uncheck().run()
    assert app.selectbox(key="target").value == "has_account"
    assert not app.exception and not app.error
