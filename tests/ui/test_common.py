import doctest
import importlib

import pytest

from castlab.core.errors import CastlabError
from castlab.ui.common import check_upload


def test_upload_checks():
    check_upload("a.csv", 100, suffixes=(".csv",))
    with pytest.raises(CastlabError, match="takes .csv files"):
        check_upload("a.xlsx", 100, suffixes=(".csv",))
    with pytest.raises(CastlabError, match="more than 1 MB"):
        check_upload("a.csv", 2 * 1024 * 1024, suffixes=(".csv",), max_megabytes=1)
    with pytest.raises(CastlabError, match="file is empty"):
        check_upload("a.csv", 0, suffixes=(".csv",))


def test_user_message_names_a_work_folder_file_as_uploaded(tmp_path):
    from castlab.ui.common import user_message, work_dir

    with work_dir() as folder:
        error = CastlabError(
            "bad residue", path=folder / "sub" / "a.fasta", line=3, column=4, fix="fix it"
        )
        assert user_message(error) == "sub/a.fasta:3:4: bad residue (fix: fix it)"
    elsewhere = CastlabError("file not found", path=tmp_path / "x.csv")
    assert user_message(elsewhere) == str(elsewhere)
    assert user_message(CastlabError("no path")) == "no path"


@pytest.mark.parametrize("name", ["common", "launch", "results"])
def test_docstring_examples(name):
    module = importlib.import_module(f"castlab.ui.{name}")
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0


def test_streamlit_command_hides_the_deploy_button_and_developer_menu():
    from castlab.ui.launch import streamlit_command

    command = streamlit_command(8600)
    assert command[command.index("--client.toolbarMode") + 1] == "viewer"


def test_a_fix_naming_a_setting_reads_as_the_page_control():
    from castlab.core.errors import Fix
    from castlab.ui.common import user_message

    error = CastlabError("missing value", path="t.csv", line=3, fix=Fix("fill_missing", "turn_on"))
    assert str(error) == "t.csv:3: missing value (fix: pass --fill-missing)"
    assert user_message(error, {"fill_missing": "Fill missing numbers"}) == (
        "t.csv:3: missing value (fix: tick 'Fill missing numbers')"
    )
    assert user_message(error, {}) == str(error)  # a page without that control: the CLI words


def _uploader_script() -> None:
    import streamlit as st

    from castlab.ui.common import kept_uploader

    if not st.checkbox("elsewhere"):  # ticked: the uploader is not drawn, as on another page
        upload = kept_uploader("CSV", key="data", types=[".csv"])
        st.text(f"got {upload.name if upload else None} {upload.getvalue() if upload else b''}")


def _got(app) -> str:
    return app.text[0].value if len(app.text) else ""


def test_kept_uploader_keeps_the_file_while_the_page_is_left_until_forget():
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_function(_uploader_script).run()
    assert _got(app) == "got None b''"
    app.file_uploader[0].set_value(("Train.csv", b"a,b", "text/csv")).run()
    assert _got(app) == "got Train.csv b'a,b'"
    app.checkbox[0].check().run()  # leave: Streamlit empties the uploader
    app.checkbox[0].uncheck().run()
    assert app.file_uploader[0].value is None
    assert _got(app) == "got Train.csv b'a,b'"  # the kept copy
    assert "Train.csv, uploaded earlier" in app.caption[0].value
    app.file_uploader[0].set_value(("Other.csv", b"c", "text/csv")).run()  # replaces the copy
    app.checkbox[0].check().run()
    app.checkbox[0].uncheck().run()
    assert _got(app) == "got Other.csv b'c'"
    app.button(key="data-forget").click().run()
    assert _got(app) == "got None b''"
    assert not any("uploaded earlier" in caption.value for caption in app.caption)


def test_kept_uploader_forgets_a_file_the_visitor_removes():
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_function(_uploader_script).run()
    app.file_uploader[0].set_value(("Train.csv", b"a,b", "text/csv")).run()
    app.file_uploader[0].set_value(None).run()
    assert _got(app) == "got None b''"


def _disabled_and_multiple_script() -> None:
    import streamlit as st

    from castlab.ui.common import kept_uploader

    if not st.checkbox("elsewhere"):
        off = st.checkbox("disabled")
        one = kept_uploader("CSV", key="one", types=[".csv"], disabled=off)
        many = kept_uploader("Logs", key="many", types=[".txt"], multiple=True)
        st.text(f"one={one.name if one else None} many={[f.name for f in many]}")


def test_kept_uploader_hides_its_copy_while_disabled_and_counts_several_files():
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_function(_disabled_and_multiple_script).run()
    app.file_uploader[0].set_value(("a.csv", b"x", "text/csv"))
    app.file_uploader[1].set_value([(f"k{i}.txt", b"1", "text/plain") for i in range(4)]).run()
    app.checkbox[0].check().run()
    app.checkbox[0].uncheck().run()
    assert _got(app) == "one=a.csv many=['k0.txt', 'k1.txt', 'k2.txt', 'k3.txt']"
    captions = [caption.value for caption in app.caption]
    assert "Using 4 files uploaded earlier (k0.txt, k1.txt, k2.txt, ...)" in captions[1]
    app.checkbox[1].check().run()  # the first uploader disabled: its copy waits, unshown
    assert _got(app).startswith("one=None ") and len(app.caption) == 1
    app.checkbox[1].uncheck().run()
    assert _got(app).startswith("one=a.csv ")
