"""CI fails when a test needing ../shared/data or a Debian tool is skipped there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SAMPLE = """
import pytest

def test_needs_data():
    pytest.skip("../shared/data is not here")

@pytest.mark.skipif(True, reason="abcmidi is not installed")
def test_needs_a_tool():
    pass

def test_skips_for_another_reason():
    pytest.skip("only on a GPU")
"""


def _run(tmp_path: Path, require: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    env = {**os.environ, "CASTLAB_REQUIRE_DATA": require, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.reliability.require_data", "-rs", "-q",
         "-p", "no:cacheprovider", str(tmp_path / "test_sample.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip


def test_skips_are_skips_on_a_laptop(tmp_path):
    result = _run(tmp_path, "0")
    assert result.returncode == 0 and "3 skipped" in result.stdout
    assert "../shared/data is not here" in result.stdout  # -rs shows the reasons


def test_data_and_tool_skips_fail_in_ci(tmp_path):
    result = _run(tmp_path, "1")
    assert result.returncode == 1 and "1 skipped" in result.stdout  # the GPU one stays a skip
    # a skip mark fails in setup (an error), pytest.skip() in the call (a failure)
    assert result.stdout.count("skipped where CASTLAB_REQUIRE_DATA=1 (CI)") == 2


def test_the_plugin_is_on_and_ci_sets_the_variable():
    assert '"tests.reliability.require_data"' in (ROOT / "tests" / "conftest.py").read_text()
    assert "CASTLAB_REQUIRE_DATA=1" in (ROOT / ".ci" / "run").read_text()
    assert "pytest -rs" in (ROOT / "Makefile").read_text()
