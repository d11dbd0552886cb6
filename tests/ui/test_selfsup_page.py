"""The selfsup page in Streamlit's AppTest: it loads, shows a pretext task, classifies."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGE = Path(__file__).resolve().parents[2] / "src" / "castlab" / "ui" / "views" / "selfsup.py"


def _page() -> AppTest:
    app = AppTest.from_file(str(PAGE), default_timeout=240)
    app.run()
    assert not app.exception, app.exception
    return app


def test_shows_the_pretext_task_on_a_generated_image():
    app = _page()
    app.selectbox[0].select("inpaint").run()
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    assert any("inpaint" in m.value for m in app.markdown)


def test_rotation_names_each_turn_and_the_pictures_stay_after_classify():
    app = _page()
    app.selectbox[0].select("rotation").run()
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    shown = [e for e in app.main if e.type == "image"]
    captions = [img.caption for img in shown[0].proto.imgs]
    assert len(captions) == 4 and all(c.startswith("turned ") for c in captions)
    assert any("four random turns" in m.value for m in app.markdown)
    app.button[1].click().run()  # Classify: the task's pictures stay on the page
    assert not app.exception and any("four random turns" in m.value for m in app.markdown)
    assert app.success[0].value.startswith("Predicted class")


def test_repainting_task_shows_the_network_output():
    app = _page()  # greyblur by default: a tiny network is trained on generated shapes
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    assert any("Middle row: the output of" in c.value for c in app.caption)


def test_run_folder_of_another_task_is_one_line(tmp_path):
    app = _page()
    app.text_input[0].input(str(tmp_path)).run()
    app.button[0].click().run()
    assert not app.exception
    message = app.error[0].value  # names the folder typed, not a path inside it
    assert message.startswith(f"{tmp_path}: not a pretrain run folder") and "\n" not in message


def test_classifies_with_the_demo_model():
    app = _page()
    app.button[1].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    assert app.success[0].value.startswith("Predicted class: ")


def test_bad_model_folder_is_one_line(tmp_path):
    app = _page()
    app.text_input[1].input(str(tmp_path)).run()
    app.button[1].click().run()
    assert not app.exception
    message = app.error[0].value
    assert "no model.safetensors" in message and "\n" not in message


def test_corrupt_upload_is_one_line():
    app = _page()
    app.file_uploader[0].upload("photo.jpg", b"\xff\xd8 not really a jpeg", "image/jpeg").run()
    app.button[0].click().run()
    assert not app.exception
    message = app.error[0].value
    assert message.startswith("photo.jpg: cannot decode image") and "\n" not in message


def test_uploaded_png_is_classified(tmp_path):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (40, 30), 128).save(buffer, format="PNG")  # greyscale, not square
    app = _page()
    app.file_uploader[0].upload("grey.png", buffer.getvalue(), "image/png").run()
    app.button[1].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    assert app.success[0].value.startswith("Predicted class: ")
