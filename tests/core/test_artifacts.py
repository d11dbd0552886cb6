import json

import pytest
import torch

from castlab.core.artifacts import (
    atomic_write,
    load_model_weights,
    output_file,
    read_json,
    run_dir,
    save_model,
    write_json,
)
from castlab.core.errors import CastlabError


def test_atomic_write_keeps_old_file_when_interrupted(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(path) as handle:
        handle.write("half")
        raise RuntimeError("crash")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temporary left behind


def test_atomic_write_leaves_no_folder_it_made_when_interrupted(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "keep.txt").write_text("kept")
    with pytest.raises(KeyboardInterrupt), atomic_write(tmp_path / "run" / "a" / "b" / "x") as f:
        f.write("half")
        raise KeyboardInterrupt
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["keep.txt"]
    with pytest.raises(RuntimeError), atomic_write(tmp_path / "new" / "x") as f:
        (tmp_path / "new" / "other.txt").write_text("someone else's")  # not empty: kept
        raise RuntimeError("crash")
    assert [p.name for p in (tmp_path / "new").iterdir()] == ["other.txt"]


def test_atomic_write_gives_normal_permissions(tmp_path):
    path = tmp_path / "a.txt"
    with atomic_write(path) as handle:
        handle.write("x")
    assert path.stat().st_mode & 0o044  # readable by group/others under the usual umask


def test_json_round_trip_and_errors(tmp_path):
    write_json(tmp_path / "c.json", {"a": 1, "p": tmp_path})
    assert read_json(tmp_path / "c.json")["a"] == 1
    (tmp_path / "bad.json").write_text('{"a": \n oops}')
    with pytest.raises(CastlabError, match=r"bad.json:2:\d+: not valid JSON"):
        read_json(tmp_path / "bad.json")
    with pytest.raises(CastlabError, match="file not found"):
        read_json(tmp_path / "missing.json")


def test_model_saved_as_safetensors_not_pickle(tmp_path):
    state = {"w": torch.arange(6.0).reshape(2, 3)}
    save_model(tmp_path / "m", state, {"kind": "test"})
    raw = (tmp_path / "m" / "model.safetensors").read_bytes()
    header_size = int.from_bytes(raw[:8], "little")
    assert json.loads(raw[8 : 8 + header_size])["w"]["shape"] == [2, 3]
    loaded, config = load_model_weights(tmp_path / "m")
    assert torch.equal(loaded["w"], state["w"]) and config == {"kind": "test"}
    with pytest.raises(CastlabError, match="no model.safetensors"):
        load_model_weights(tmp_path)
    # a NaN weight made every answer NaN (sentiment: empty probabilities labelled negative)
    save_model(tmp_path / "nan", {"w": torch.tensor([1.0, float("nan")])}, {"kind": "test"})
    with pytest.raises(CastlabError, match="tensor 'w' holds NaN or infinite values"):
        load_model_weights(tmp_path / "nan")


def test_json_that_is_a_device_or_huge_is_refused_before_reading(tmp_path, monkeypatch):
    """A config.json or thresholds file linked to /dev/zero was read until memory ran out."""
    (tmp_path / "c.json").symlink_to("/dev/zero")
    with pytest.raises(CastlabError, match="not a regular file"):
        read_json(tmp_path / "c.json")
    monkeypatch.setattr("castlab.core.artifacts.MAX_JSON_BYTES", 10)
    (tmp_path / "big.json").write_text('{"a": "0123456789"}')
    with pytest.raises(CastlabError, match="too large for a castlab JSON file"):
        read_json(tmp_path / "big.json")


def test_output_file_puts_the_default_name_inside_a_folder(tmp_path):
    (tmp_path / "made.v2").mkdir()
    assert output_file(tmp_path / "made.v2", "p.csv") == tmp_path / "made.v2" / "p.csv"
    assert output_file(tmp_path / "new", "p.csv") == tmp_path / "new" / "p.csv"
    assert output_file(tmp_path / "mine.tsv", "p.csv") == tmp_path / "mine.tsv"


def test_run_dir_is_safe(tmp_path):
    path = run_dir("tunes", "../my run!", root=tmp_path)
    assert path.parent == tmp_path / "tunes" and path.name == "my-run"
