"""Regression tests for crashes the fuzz campaign found: each raised a traceback before."""

from __future__ import annotations

import pytest

from castlab.core.errors import CastlabError


def test_garbage_safetensors_is_a_user_error(tmp_path):
    from castlab.core.artifacts import load_model_weights

    (tmp_path / "model.safetensors").write_bytes(b"\x80\x04\x95 not a safetensors file")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(CastlabError, match="not a safetensors file") as caught:
        load_model_weights(tmp_path)
    assert caught.value.fix and "model.safetensors" in str(caught.value)


def test_broken_json_config_names_line_and_fix(tmp_path):
    from castlab.core.artifacts import read_json

    (tmp_path / "config.json").write_text('{"kind": ')
    with pytest.raises(CastlabError, match=r"config.json:1:\d+: not valid JSON") as caught:
        read_json(tmp_path / "config.json")
    assert caught.value.fix


def test_empty_experiment_grid_does_not_run_the_default_grid(tmp_path):
    """An empty grid file used to start the full default experiment (hours of training)."""
    from castlab.proteins.experiment import load_grid

    (tmp_path / "grid.toml").write_text("")
    with pytest.raises(CastlabError, match="empty"):
        load_grid(tmp_path / "grid.toml")
    (tmp_path / "latin1.toml").write_bytes("name = 'caf\xe9'\n".encode("latin-1"))
    with pytest.raises(CastlabError, match="not valid TOML"):
        load_grid(tmp_path / "latin1.toml")


def test_a_huge_author_name_does_not_hang_the_hexbins(tmp_path):
    """A CSV whose author cell was one 10 MB line kept matplotlib busy for minutes."""
    import pandas as pd

    from castlab.sentiment.plots import plot_author_hexbins

    scored = pd.DataFrame(
        {"author": ["x" * 1_000_000, "ann"], "text": ["a", "bb"], "score": [0.1, -0.2]}
    )
    path = plot_author_hexbins(scored, tmp_path / "hexbins.png")
    assert path.stat().st_size > 0
