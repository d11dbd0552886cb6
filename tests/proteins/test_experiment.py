"""The homework grid: runs every combination, writes CSV, table and plot; bad grids are errors."""

from __future__ import annotations

import pandas as pd
import pytest

from castlab.core.errors import CastlabError
from castlab.proteins.experiment import ExperimentConfig, load_grid, run_experiment, summarise

GRID = """
name = "tiny"
[data]
source = "synthetic"
families = 3
per_family = 20
[grid]
tokenizer = ["aa", "bpe"]
vocab_size = [40, 60]
model = ["cnn"]
seeds = [0, 1]
[train]
dim = 16
blocks = 1
finetune_epochs = 1
batch_size = 16
max_tokens = 128
"""


def test_grid_writes_results_table_and_plot(tmp_path):
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID.replace("blocks = 1\n", ""))
    config = load_grid(grid)
    assert len(config.runs()) == 6  # aa once + bpe at two sizes, x 2 seeds
    frame = run_experiment(config, tmp_path / "out")
    assert len(frame) == 6 and set(frame["vocab"]) == {29, 40, 60}
    assert frame["accuracy"].between(0, 1).all()
    saved = pd.read_csv(tmp_path / "out" / "results.csv")
    assert len(saved) == 6
    table = (tmp_path / "out" / "table.md").read_text()
    assert table.count("\n") == 2 + 3 and "±" in table
    assert (tmp_path / "out" / "accuracy_vs_vocab.png").stat().st_size > 1000
    assert (tmp_path / "out" / "split" / "split.json").exists()


def test_summarise_gives_mean_and_std():
    frame = pd.DataFrame(
        {
            "tokenizer": ["aa"] * 2,
            "vocab": [29, 29],
            "model": ["lstm"] * 2,
            "seed": [0, 1],
            "accuracy": [0.5, 0.7],
        }
    )
    row = summarise(frame).iloc[0]
    assert row["accuracy"] == "0.600 ± 0.141" and row["seeds"] == 2


def test_unknown_settings_and_bad_toml_are_user_errors(tmp_path):
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID)  # 'blocks' is not a training setting
    with pytest.raises(CastlabError, match="unknown setting"):
        load_grid(grid)
    grid.write_text("[grid\n")
    with pytest.raises(CastlabError, match="not valid TOML"):
        load_grid(grid)
    assert ExperimentConfig().seeds == (0, 1, 2)


def test_a_source_without_families_and_a_setting_of_the_wrong_type_are_refused(tmp_path):
    from castlab.proteins.experiment import prepare_data
    from castlab.proteins.synthetic import synthetic_families

    records = synthetic_families(n_families=2, per_family=12, seed=0)
    plain = tmp_path / "plain.fasta"
    plain.write_text("".join(f">{r.name}|{r.family}\n{r.sequence}\n" for r in records))
    with pytest.raises(CastlabError, match="24 of 24 record.s. have no family") as caught:
        prepare_data(ExperimentConfig(source=str(plain), families=2, per_family=12))
    assert "label_field" in caught.value.fix  # else: one family 'None', every score 1.000
    parts, _ = prepare_data(
        ExperimentConfig(source=str(plain), families=2, per_family=12, label_field=1)
    )
    assert {r.family for r in parts["train"]} == {r.family for r in records}
    grid = tmp_path / "grid.toml"
    grid.write_text('[grid]\nmodel = ["cnn"]\n[train]\ndim = "x"\n')
    with pytest.raises(CastlabError, match=r"\[train\] dim = 'x': expected int"):
        load_grid(grid)
