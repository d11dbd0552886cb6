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


@pytest.mark.parametrize("name", ["common", "launch"])
def test_docstring_examples(name):
    module = importlib.import_module(f"castlab.ui.{name}")
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0
