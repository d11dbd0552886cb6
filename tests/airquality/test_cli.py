"""The ``castlab airquality`` commands through the real entry point."""

from __future__ import annotations

import sys

import pandas as pd
import pytest

from castlab.airquality.cli import app
from castlab.airquality.satellite import write_example_l3
from castlab.cli import main


def _run(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["castlab", "airquality", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def test_every_command_has_help_with_example():
    for command in app.registered_commands:
        assert "Example: castlab airquality" in (command.callback.__doc__ or ""), command.name


def test_train_then_predict(monkeypatch, capsys, planted_csv, tmp_path):
    code, out, err = _run(
        monkeypatch,
        capsys,
        "train",
        str(planted_csv),
        "--target",
        "pm25",
        "--group",
        "station",
        "--iterations",
        "40",
        "--threads",
        "1",
        "--no-adversarial",
        "--out",
        str(tmp_path / "run"),
    )
    assert code in (0, None), err
    assert "monthly climatology" in out and "8 locations" in out
    assert (tmp_path / "run" / "model" / "point.txt").exists()
    code, out, err = _run(
        monkeypatch,
        capsys,
        "predict",
        str(tmp_path / "run" / "model"),
        str(planted_csv),
        "--group",
        "station",
        "--out",
        str(tmp_path / "pred.csv"),
    )
    assert code in (0, None), err
    assert len(pd.read_csv(tmp_path / "pred.csv")) == 1600
    # places without sensors: a table with no PM2.5 column at all gets the same predictions
    no_sensor = tmp_path / "no_sensor.csv"
    pd.read_csv(planted_csv).drop(columns="pm25").to_csv(no_sensor, index=False)
    code, out, err = _run(
        monkeypatch, capsys, "predict", str(tmp_path / "run" / "model"), str(no_sensor),
        "--group", "station", "--out", str(tmp_path / "unseen"),
    )  # fmt: skip
    assert code in (0, None), err
    unseen = pd.read_csv(tmp_path / "unseen" / "predictions.csv")  # --out a folder
    pd.testing.assert_series_equal(
        unseen["predicted_pm25"], pd.read_csv(tmp_path / "pred.csv")["predicted_pm25"]
    )


def test_bad_input_is_one_line_exit_2(monkeypatch, capsys, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("station,when,pm25\nA,2020-01-01,3\n")
    code, _, err = _run(monkeypatch, capsys, "train", str(bad), "--out", str(tmp_path / "r"))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "no date column" in err
    code, _, err = _run(
        monkeypatch, capsys, "train", str(bad), "--date", "when", "--out", str(tmp_path / "r")
    )
    assert code == 2 and "need 2 or more" in err


def test_generate_prepare_dashboard_satellite(monkeypatch, capsys, tmp_path):
    table = tmp_path / "pred.csv"
    assert _run(
        monkeypatch,
        capsys,
        "generate",
        str(table),
        "--kind",
        "predictions",
        "--locations",
        "4",
        "--days",
        "30",
    )[0] in (0, None)
    code, out, err = _run(
        monkeypatch, capsys, "dashboard", str(table), "--out", str(tmp_path / "d")
    )
    assert code in (0, None), err
    assert (tmp_path / "d" / "index.html").exists()
    code, out, err = _run(
        monkeypatch,
        capsys,
        "prepare",
        str(table),
        "--freq",
        "D",
        "--out",
        str(tmp_path / "tidy.csv"),
    )
    assert code in (0, None), err
    tidy = pd.read_csv(tmp_path / "tidy.csv")
    assert {"location", "date", "pm25", "n_readings"} <= set(tidy.columns)
    netcdf = write_example_l3(tmp_path / "l3.nc", days=40, start="2019-01-01")
    code, out, err = _run(
        monkeypatch,
        capsys,
        "satellite",
        str(table),
        "--netcdf",
        str(netcdf),
        "--out",
        str(tmp_path / "s.csv"),
    )
    assert code in (0, None), err
    joined = pd.read_csv(tmp_path / "s.csv")
    assert joined["nitrogendioxide_tropospheric_column"].notna().mean() > 0.9


def test_generate_into_a_folder_writes_the_kind_named_file(monkeypatch, capsys, tmp_path):
    args = ["--locations", "2", "--days", "5"]
    code, out, err = _run(monkeypatch, capsys, "generate", str(tmp_path), *args)
    assert code in (0, None), err
    assert len(pd.read_csv(tmp_path / "locations.csv")) == 10 and "locations.csv" in out


def test_generate_unknown_kind(monkeypatch, capsys, tmp_path):
    code, _, err = _run(monkeypatch, capsys, "generate", str(tmp_path / "x.csv"), "--kind", "x")
    assert code == 2 and "unknown kind" in err


@pytest.mark.parametrize(
    "args, said",
    [
        (["train", "T", "--iterations", "0"], "--iterations 0: no tree would be grown"),
        (["train", "T", "--learning-rate", "nan"], "--learning-rate nan: not a learning rate"),
        (["train", "T", "--interval", "1.5"], "--interval 1.5: a central interval"),
        (["train", "T", "--interval", "-0.2"], "--interval -0.2: a central interval"),
        (["train", "T", "--folds", "1"], "--folds 1: cross-validation needs 2 groups"),
        (["dashboard", "T", "--window", "0"], "--window 0: cannot be below 1"),
        (["satellite", "T", "--netcdf", "N", "--radius-km", "-5"], "--radius-km -5.0: no pixel"),
        (["generate", "G", "--days", "-1"], "--days -1: cannot be below 1"),
    ],
)
def test_settings_that_cannot_work_are_one_line_before_any_reading(
    monkeypatch, capsys, tmp_path, args, said
):
    args = [str(tmp_path / "missing.csv") if a == "T" else a for a in args]
    args = [
        str(tmp_path / "g.csv") if a == "G" else str(tmp_path / "x.nc") if a == "N" else a
        for a in args
    ]
    code, _, err = _run(monkeypatch, capsys, *args)
    assert code == 2 and f"error: {said}" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "g.csv").exists()
