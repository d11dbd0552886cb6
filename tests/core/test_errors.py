from castlab.core.errors import CastlabError


def test_message_names_place_and_fix():
    error = CastlabError("bad meter 'x'", path="t.abc", line=3, column=5, fix="use M:6/8")
    assert str(error) == "t.abc:3:5: bad meter 'x' (fix: use M:6/8)"
    assert isinstance(error, ValueError)


def test_message_without_place():
    assert str(CastlabError("empty prompt")) == "empty prompt"
