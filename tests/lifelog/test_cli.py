"""``castlab lifelog``: help with examples, a full run, and one-line errors with exit code 2."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from castlab.cli import app as root_app
from castlab.lifelog.cli import app

runner = CliRunner()
COMMANDS = ["report", "daily", "generate"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    result = runner.invoke(root_app, ["lifelog", command, "--help"])
    assert result.exit_code == 0
    assert "Example: castlab lifelog " + command in " ".join(result.output.split())


def test_generate_then_report_then_daily(tmp_path):
    exports = tmp_path / "exports"
    result = runner.invoke(
        app, ["generate", "--out", str(exports), "--days", "60", "--ulogme-days", "2"]
    )
    assert result.exit_code == 0, result.output
    # again into the same folder: its old uLogMe days would be read with the new ones
    again = runner.invoke(app, ["generate", "--out", str(exports), "--days", "5"])
    assert "already holds uLogMe logs" in str(again.exception)
    assert len(list((exports / "ulogme_logs").iterdir())) == 4  # 2 days x 2 files, as before
    out = tmp_path / "report"
    result = runner.invoke(
        app,
        [
            "report",
            "--daylio",
            str(exports / "daylio_export.csv"),
            "--ulogme",
            str(exports / "ulogme_logs"),
            "--timezone",
            "UTC",
            "--out",
            str(out),
            "--bootstrap",
            "100",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "index.html").exists() and "report written" in result.output
    csv_path = tmp_path / "daily.csv"
    result = runner.invoke(
        app, ["daily", "--toggl", str(exports / "toggl_detailed.csv"), "--out", str(csv_path)]
    )
    assert result.exit_code == 0, result.output
    assert csv_path.read_text().startswith("date,weekday,month,hours_logged")


def _castlab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "castlab", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_bad_file_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "daylio.csv"
    bad.write_text(
        "full_date,date,weekday,time,mood,activities,note\n2024-01-01,x,y,8:00 PM,calm,,\n"
    )
    result = _castlab("lifelog", "report", "--daylio", str(bad), "--out", str(tmp_path / "r"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {bad}:2:5: unknown mood name 'calm'")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "r" / "index.html").exists()


def test_no_sources_exits_2(tmp_path, monkeypatch, capsys):
    from castlab.cli import main

    monkeypatch.setattr(sys, "argv", ["castlab", "lifelog", "report", "--out", str(tmp_path)])
    with pytest.raises(SystemExit) as caught:
        main()
    assert caught.value.code == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: no exports given") and len(error.splitlines()) == 1
