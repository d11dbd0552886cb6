"""Faults: Ctrl-C during training, a kill while a checkpoint is written, and a full disk.

The kill -9 / Ctrl-C scenarios in child processes (training then --resume, scoring, report
writing) run in ``benchmarks/reliability.py``: each takes a minute of CPU, more than the
test suite can spend. Here: the pieces they rely on, in-process.
"""

from __future__ import annotations

import errno

import pytest

from castlab.core.errors import CastlabError
from tests.reliability.matrix import run_command


def _full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_disk_full_is_one_line_naming_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr("castlab.core.artifacts.os.fsync", _full_disk)
    out = tmp_path / "tables"
    outcome = run_command(["imbalance", "generate", str(out), "--rows", "50"])
    assert outcome.exit_code == 2 and not outcome.traceback
    assert "No space left on device" in outcome.message and "train.csv" in outcome.message
    assert "fix:" in outcome.message
    assert not list(tmp_path.rglob("*.tmp")) and not (out / "train.csv").exists()


def test_disk_errors_outside_castlab_writers_are_one_line(monkeypatch, capsys):
    import castlab.cli

    def app():
        raise OSError(errno.ENOSPC, "No space left on device", "runs/x/last.ckpt")

    monkeypatch.setattr(castlab.cli, "app", app)
    with pytest.raises(SystemExit) as stop:
        castlab.cli.main()
    assert stop.value.code == 2
    assert capsys.readouterr().err.strip() == (
        "error: runs/x/last.ckpt: No space left on device "
        "(fix: free space or write --out elsewhere)"
    )


def test_a_file_where_a_folder_is_needed_is_one_line_naming_it(tmp_path):
    in_the_way = tmp_path / "tables"
    in_the_way.write_text("keep me")
    outcome = run_command(["imbalance", "generate", str(in_the_way), "--rows", "50"])
    assert outcome.exit_code == 2 and not outcome.traceback
    assert outcome.message.startswith(f"error: {in_the_way}: a file is there, a folder is needed")
    assert "fix:" in outcome.message and in_the_way.read_text() == "keep me"
    inside = run_command(["imbalance", "generate", str(in_the_way / "sub"), "--rows", "50"])
    assert inside.exit_code == 2 and f"error: {in_the_way}: a file is there" in inside.message


def test_a_folder_given_for_one_file_gets_the_file_inside_it(tmp_path):
    outcome = run_command(["airquality", "generate", str(tmp_path), "--locations", "2"])
    assert outcome.exit_code in (0, None) and not outcome.traceback
    assert [p.name for p in tmp_path.iterdir()] == ["locations.csv"]


def test_a_folder_where_a_file_is_needed_is_one_line_naming_it(tmp_path):
    """Where a command still meets a folder in a file's place (the OS says EISDIR)."""
    import errno

    from castlab.cli import _os_error_line

    error = IsADirectoryError(errno.EISDIR, "Is a directory", str(tmp_path))
    line = _os_error_line(error)
    assert line == (
        f"{tmp_path}: a folder is there, a file is needed "
        f"(fix: name a file, e.g. {str(tmp_path / 'out.csv')!r})"
    )


def test_ctrl_c_in_a_command_says_so_and_exits_130(monkeypatch, capsys):
    import castlab.cli

    def app():
        raise SystemExit(130)  # what Typer does with a KeyboardInterrupt

    monkeypatch.setattr(castlab.cli, "app", app)
    with pytest.raises(SystemExit) as stop:
        castlab.cli.main()
    assert stop.value.code == 130 and "interrupted" in capsys.readouterr().err


def test_ctrl_c_during_fit_is_a_keyboard_interrupt_with_a_checkpoint(tmp_path):
    """Lightning turns Ctrl-C into sys.exit(1); fit hands the interrupt on (exit 130)."""
    import torch
    from lightning.pytorch.callbacks import Callback

    from castlab.core.training import fit, last_checkpoint
    from tests.core.test_training import CONFIG, _data, _task

    class CtrlC(Callback):
        def on_train_batch_end(self, trainer, *args):
            if trainer.global_step == 3:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit(_task(), *_data(), tmp_path, CONFIG, callbacks=[CtrlC()])
    checkpoint = torch.load(last_checkpoint(tmp_path), weights_only=True)
    assert checkpoint["global_step"] == 3
    assert not list(tmp_path.rglob("*.partial"))


def test_ctrl_c_that_lands_in_a_destructor_still_stops_training(tmp_path):
    """Python's own handler raises KeyboardInterrupt wherever the interpreter is, and inside a
    destructor or weakref callback (garbage collection runs them during training) it is
    printed as "Exception ignored" and lost: the run went on to its end, exit 0 (seen once
    in the reliability benchmark). fit's handler only notes a Ctrl-C; the next batch end
    raises it in the training loop."""
    import os
    import signal

    import torch
    from lightning.pytorch.callbacks import Callback

    from castlab.core.training import fit, last_checkpoint
    from tests.core.test_training import CONFIG, _data, _task

    class PressedDuringCleanUp:
        def __del__(self) -> None:
            os.kill(os.getpid(), signal.SIGINT)

    class CtrlC(Callback):
        def on_train_batch_start(self, trainer, *args):
            if trainer.global_step == 3:
                PressedDuringCleanUp()  # dropped at once: its __del__ runs here

    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a fresh python
    try:
        with pytest.raises(KeyboardInterrupt):
            fit(_task(), *_data(), tmp_path, CONFIG, callbacks=[CtrlC()])
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handed back
    finally:
        signal.signal(signal.SIGINT, before)
    assert torch.load(last_checkpoint(tmp_path), weights_only=True)["global_step"] == 4


def test_a_damaged_checkpoint_is_a_clear_error(tmp_path):
    from castlab.core.training import last_checkpoint

    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "last.ckpt").write_bytes(b"PK\x03\x04 cut short")
    with pytest.raises(CastlabError, match="damaged") as caught:
        last_checkpoint(tmp_path)
    assert "without --resume" in caught.value.fix


def test_a_kill_while_the_checkpoint_is_written_keeps_the_previous_one(tmp_path, monkeypatch):
    """last.ckpt is written beside and moved into place: a kill mid-write leaves the old one."""
    import torch

    from castlab.core.training import LastCheckpoint, fit, last_checkpoint
    from tests.core.test_training import CONFIG, _data, _task

    fit(_task(), *_data(), tmp_path, CONFIG.__class__(**{**CONFIG.__dict__, "max_epochs": 1}))
    before = torch.load(last_checkpoint(tmp_path), weights_only=True)["global_step"]

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # stands in for the process dying before the move

    trainer = fit(_task(), *_data(), tmp_path / "other", CONFIG)  # further on: 4 epochs
    assert trainer.global_step > before
    monkeypatch.setattr("castlab.core.training.os.replace", killed)
    callback = LastCheckpoint(tmp_path / "checkpoints" / "last.ckpt")
    with pytest.raises(KeyboardInterrupt):
        callback._save(trainer)
    assert torch.load(last_checkpoint(tmp_path), weights_only=True)["global_step"] == before
