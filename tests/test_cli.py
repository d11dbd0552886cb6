"""The root CLI: every command documents an example; user errors exit 2 with one line."""

import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from castlab.cli import app


def _commands(group, prefix: str = "castlab"):
    if hasattr(group, "commands"):  # a group (typer ships its own click)
        for name, command in group.commands.items():
            yield from _commands(command, f"{prefix} {name}")
    else:
        yield prefix, group


def test_every_command_has_help_with_an_example():
    commands = list(_commands(typer.main.get_command(app)))
    assert len(commands) >= 8
    for name, command in commands:
        assert command.help and "Example:" in command.help, f"{name} has no example"
        assert f"Example: {name}" in command.help, f"{name}'s example does not run {name}"


def test_help_runs():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0 and "tunes" in result.output


def test_version_prints_the_package_version():
    from castlab import __version__

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output == f"castlab {__version__}\n"


def test_user_error_is_one_line_and_exit_code_2(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "castlab", "tunes", "generate", "--model", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert (
        len(lines) == 1 and "no model.safetensors" in lines[0] and "Traceback" not in result.stderr
    )


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from castlab.cli import app; "
        "print(sorted(m for m in ('torch', 'music21', 'lightning', 'pandas', 'sklearn') "
        "if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]"


def test_shared_options_read_the_same_everywhere():
    """Lightning and thread options are declared once (castlab.core.options) and reused;
    a command may mark one as used by one of its kinds only ("finetune: ", sentiment train)."""
    shared = ("accelerator", "devices", "num_nodes", "strategy", "max_steps")
    seen: dict[str, set[str]] = {}
    for _, command in _commands(typer.main.get_command(app)):
        for param in command.params:
            if param.name in shared:
                seen.setdefault(param.name, set()).add(param.help.removeprefix("finetune: "))
    assert {"accelerator", "devices", "max_steps"} <= set(seen)
    for name, helps in seen.items():
        assert len(helps) == 1, f"--{name.replace('_', '-')} has {len(helps)} wordings: {helps}"


def test_zero_epochs_is_refused_in_every_training_command():
    from castlab.core.errors import CastlabError
    from castlab.core.options import train_config

    assert train_config(epochs=1).max_epochs == 1
    with pytest.raises(CastlabError, match="--epochs 0: nothing would be trained"):
        train_config(epochs=0)
