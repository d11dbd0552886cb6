"""Each page in Streamlit's AppTest: it loads, and its main action works."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGES = Path(__file__).resolve().parents[2] / "src" / "castlab" / "ui" / "pages"


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
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    abc = app.code[0].value
    assert "R:jig" in abc and "K:D" in abc and abc.count(":|") >= 2


def test_imbalance_compares_strategies_on_the_example():
    app = _page("imbalance")
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    table = app.dataframe[0].value
    assert "prior" in " ".join(map(str, table.iloc[:, 0].tolist()))


def test_imbalance_without_a_file_says_so():
    app = _page("imbalance")
    app.checkbox[0].uncheck().run()
    app.button[0].click().run()
    assert not app.exception
    assert "no file uploaded" in app.error[0].value


@pytest.mark.slow
def test_lifelog_dashboard_from_example_exports():
    app = _page("lifelog")
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
