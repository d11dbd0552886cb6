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
