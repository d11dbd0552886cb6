"""Shared plotting: one atomic PNG save, and no module switches matplotlib's backend."""

import subprocess
import sys

import pytest
from matplotlib.figure import Figure

from castlab.core.plots import save_figure


def test_save_figure_writes_a_png_atomically(tmp_path):
    fig = Figure()
    fig.subplots().plot([1, 2, 3])
    path = save_figure(fig, tmp_path / "sub" / "line.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in path.parent.iterdir()] == ["line.png"]  # no temporary left


def test_a_failed_save_leaves_the_old_file(tmp_path):
    path = tmp_path / "keep.png"
    path.write_bytes(b"old")
    fig = Figure()
    with pytest.raises(ValueError):  # a negative dpi fails inside savefig
        save_figure(fig, path, dpi=-1)
    assert path.read_bytes() == b"old"


@pytest.mark.parametrize(
    "module", ["castlab.imbalance.plots", "castlab.lifelog.plots", "castlab.core.plots"]
)
def test_importing_plots_keeps_the_users_backend(module):
    code = f"import matplotlib, {module}; print(matplotlib.get_backend())"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"MPLBACKEND": "svg", "PATH": ""},
    )
    assert result.stdout.strip() == "svg", result.stderr
