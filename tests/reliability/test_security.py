"""Security basics: no unpickling of user files, no network, a local-only UI, escaped HTML."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import castlab

SOURCE = Path(castlab.__file__).parent
FILES = sorted(SOURCE.rglob("*.py"))


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return f"{_name(func.value)}.{func.attr}"
    return func.id if isinstance(func, ast.Name) else ""


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SOURCE)))
def test_no_pickle_and_torch_load_only_with_weights_only(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
            assert not any(
                n.split(".")[0] in {"pickle", "dill", "joblib", "cloudpickle"} for n in names
            ), f"{path}:{node.lineno} imports a pickle library"
    for call in _calls(tree):
        name = _name(call.func)
        if name.endswith(("torch.load", "load_from_checkpoint")) or name == "np.load":
            keywords = {k.arg: k.value for k in call.keywords}
            if name == "np.load":
                flag = keywords.get("allow_pickle")
                assert flag is None or (isinstance(flag, ast.Constant) and not flag.value), (
                    f"{path}:{call.lineno} np.load with allow_pickle"
                )
                continue
            flag = keywords.get("weights_only")
            assert isinstance(flag, ast.Constant) and flag.value is True, (
                f"{path}:{call.lineno} {name} without weights_only=True"
            )
        if name.endswith(("read_pickle", "pickle.load", "pickle.loads")):
            pytest.fail(f"{path}:{call.lineno} unpickles with {name}")


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SOURCE)))
def test_html_fragments_escape_what_they_embed(path):
    """``section.html(f"...{x}...")``: every embedded value goes through html.escape."""
    for call in _calls(ast.parse(path.read_text())):
        if not (isinstance(call.func, ast.Attribute) and call.func.attr == "html"):
            continue
        for arg in call.args:
            parts = arg.values if isinstance(arg, ast.JoinedStr) else []
            for value in parts:  # the f-string's own {...}; inside html.escape(...) is fine
                if isinstance(value, ast.FormattedValue):
                    inner = value.value
                    escaped = isinstance(inner, ast.Call) and _name(inner.func) == "html.escape"
                    assert escaped, f"{path}:{value.lineno} puts unescaped text into HTML"


def test_the_tunes_demo_escapes_generated_abc():
    """Generated ABC holds '<' (broken rhythm); it went into the demo's <pre> raw."""
    text = (SOURCE / "tunes" / "demo.py").read_text()
    assert re.search(r"<pre>\{html\.escape\(", text)


def test_ui_binds_to_localhost_by_default():
    from castlab.ui.launch import streamlit_command

    command = streamlit_command(8501)
    assert command[command.index("--server.address") + 1] == "127.0.0.1"


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.csv", "/etc/passwd.csv", "..\\..\\x.csv", "a/b/../c.csv", ".csv"]
)
def test_uploaded_file_names_never_become_paths(tmp_path, name):
    from castlab.ui.common import save_upload

    class Upload:
        def __init__(self, name: str) -> None:
            self.name = name
            self.size = 4

        def getvalue(self) -> bytes:
            return b"a,b\n"

        def getbuffer(self) -> memoryview:
            return memoryview(self.getvalue())

    try:
        path = Path(save_upload(Upload(name), tmp_path, suffixes=(".csv",)))
    except castlab.core.errors.CastlabError:
        return  # refused outright is fine too
    assert path.resolve().is_relative_to(tmp_path.resolve())
    assert ".." not in path.relative_to(tmp_path.resolve()).parts


NO_NETWORK = """
import socket, sys
def refuse(*args, **kwargs):
    raise OSError("network access attempted")
socket.socket.connect = socket.socket.connect_ex = refuse
socket.create_connection = socket.getaddrinfo = refuse
import castlab.cli
from castlab.demo import run_demo
page = run_demo(sys.argv[1], ["lifelog"]).read_text()
assert "This part failed" not in page, page
print("ok")
"""


def test_no_network_while_importing_and_running_a_demo(tmp_path):
    """With sockets refusing to connect, castlab imports and runs a demo section."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", NO_NETWORK, str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]
