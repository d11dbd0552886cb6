"""The art page in Streamlit's AppTest: it loads, paints, and a bad image is one message."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGE = Path(__file__).resolve().parents[2] / "src" / "castlab" / "ui" / "views" / "art.py"


def _page() -> AppTest:
    app = AppTest.from_file(str(PAGE), default_timeout=120)
    app.run()
    assert not app.exception, app.exception
    return app


def _small(app: AppTest) -> None:
    app.slider[0].set_value(32)  # size
    app.slider[1].set_value(10)  # steps


def test_paints_the_sample_target_and_offers_downloads():
    app = _page()
    _small(app)
    app.selectbox[1].select("pixels")
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    assert "PSNR" in app.success[0].value
    labels = [button.label for button in app.get("download_button")]
    assert labels == ["Download PNG", "Download GIF", "Download config (JSON)"]


def test_style_transfer_mode():
    app = _page()
    app.radio[0].set_value("Style transfer").run()
    _small(app)
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    assert "Best loss" in app.success[0].value


def test_a_file_that_is_not_an_image_is_one_clear_message(tmp_path):
    bad = tmp_path / "photo.png"
    bad.write_text("not an image")
    app = _page()
    _small(app)
    app.selectbox[0].select("path on this machine").run()  # its path box appears
    app.text_input[0].input(str(bad))
    app.button[0].click().run()
    assert not app.exception and not app.success
    message = app.error[0].value
    assert "not an image Pillow can read" in message and "\n" not in message


def test_a_bad_goal_is_one_clear_message():
    app = _page()
    _small(app)
    app.text_input[0].input("mse=1, oil=2")
    app.button[0].click().run()
    assert "unknown goal 'oil'" in app.error[0].value


def test_a_goal_needing_another_image_names_the_page_controls_not_a_flag():
    app = _page()
    _small(app)
    app.text_input[0].input("style=1")
    app.button[0].click().run()
    assert app.error[0].value == (
        "goal style needs a style image (fix: use Style transfer, with a Style image)"
    )  # it said 'pass --style IMAGE', a flag the page does not have


def test_an_empty_goal_list_names_the_goals_control():
    app = _page()
    _small(app)
    app.text_input[0].input(" ").run()
    app.button[0].click().run()
    assert app.error[0].value == "no goals given (fix: add 'mse=1' to Goals)"


def test_an_upload_box_shows_only_for_the_upload_source_and_clip_is_refused():
    app = _page()
    assert not app.get("file_uploader") and len(app.text_input) == 1  # a sample: goals only
    app.selectbox[0].select("upload").run()
    assert len(app.get("file_uploader")) == 1
    app.selectbox[0].select("sample:china").run()
    _small(app)
    app.text_input[0].input("clip=1").run()
    app.button[0].click().run()
    assert app.error[0].value.startswith("the clip goal needs a text prompt")
