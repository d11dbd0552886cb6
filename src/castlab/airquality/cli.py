"""``castlab airquality ...``: thin commands over :mod:`castlab.airquality`.

pandas, LightGBM, CatBoost, xarray and plotly load inside the commands so ``castlab --help``
stays fast.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from castlab.core.errors import CastlabError, require_at_least

__all__ = ["app"]

app = typer.Typer(
    help="PM2.5 where there is no sensor: location-grouped models, baselines, an offline "
    "dashboard, Sentinel-5P features.\n\nExample: castlab airquality dashboard "
    "za_cities_predictions.csv --out runs/airquality/dashboard",
    no_args_is_help=True,
)

_TABLE = Annotated[
    Path,
    typer.Argument(
        help="CSV table (location, date, PM2.5, ...), a sensors.AFRICA export, or the "
        "Beijing multi-site folder."
    ),
]
_FORMAT = Annotated[str, typer.Option(help="auto | table | beijing | sensors-africa.")]
_FREQ = Annotated[
    str, typer.Option(help="Average to h (hourly) or D (daily); none keeps the file's rows.")
]
_DATE_FORMAT = Annotated[
    str | None, typer.Option(help="strptime format of the dates, e.g. %d/%m/%Y.")
]
# every command that reads a table takes the same column options (an error's fix names them)
_TARGET = Annotated[str | None, typer.Option(help="PM2.5 column (found by name if omitted).")]
_GROUP = Annotated[
    str | None, typer.Option(help="Location column, e.g. station or City (or a sensor name).")
]
_DATE = Annotated[str | None, typer.Option(help="Date column (found by name if omitted).")]


def _read(  # type: ignore[no-untyped-def]
    path: Path,
    fmt: str,
    freq: str,
    *,
    group=None,
    target=None,
    date=None,
    date_format=None,
    require_target=True,
):
    from castlab.airquality.readers import ReadConfig, load

    config = ReadConfig(
        format=fmt,
        location=group,
        target=target,
        date=date,
        date_format=date_format,
        freq=None if freq.lower() == "none" else freq,
        require_target=require_target,
    )
    readings = load(path, config)
    typer.echo(f"read {path}: {readings.summary()}")
    return readings


def _check_training(iterations: int, learning_rate: float, interval: float, folds: int) -> None:
    """Settings no model can be fitted with, refused before the table is read."""
    if iterations < 1:
        raise CastlabError(
            f"--iterations {iterations}: no tree would be grown", fix="use 1 or more"
        )
    if not (math.isfinite(learning_rate) and learning_rate > 0):
        raise CastlabError(
            f"--learning-rate {learning_rate}: not a learning rate", fix="use e.g. 0.05"
        )
    if not (math.isfinite(interval) and 0 <= interval < 1):
        raise CastlabError(
            f"--interval {interval}: a central interval covers a share below 1",
            fix="use e.g. 0.9 (90%), or 0 for none",
        )
    if folds < 0 or folds == 1:
        raise CastlabError(
            f"--folds {folds}: cross-validation needs 2 groups or more",
            fix="use 0 (leave one location out) or 2 or more",
        )


@app.command()
def train(
    table: _TABLE,
    target: _TARGET = None,
    group: _GROUP = None,
    date: _DATE = None,
    model: Annotated[str, typer.Option(help="lightgbm | catboost.")] = "lightgbm",
    iterations: Annotated[int, typer.Option(help="Boosting rounds.")] = 300,
    learning_rate: Annotated[float, typer.Option(help="Boosting learning rate.")] = 0.05,
    folds: Annotated[
        int, typer.Option(help="0: leave one location out; k: k location groups.")
    ] = 0,
    interval: Annotated[float, typer.Option(help="Central prediction interval (0: none).")] = 0.9,
    feature: Annotated[
        list[str] | None,
        typer.Option(metavar="COLUMN", help="Feature column (repeatable; default: all numeric)."),
    ] = None,
    drop: Annotated[
        list[str] | None,
        typer.Option(metavar="COLUMN", help="Column never used as a feature (repeatable)."),
    ] = None,
    baselines: Annotated[bool, typer.Option(help="Score the baselines too.")] = True,
    adversarial: Annotated[bool, typer.Option(help="Adversarial-validation AUC per fold.")] = True,
    neighbours: Annotated[
        bool, typer.Option(help="Add the other locations' same-time PM2.5 (IDW) as a feature.")
    ] = False,
    fmt: Annotated[
        str, typer.Option("--format", help="auto | table | beijing | sensors-africa.")
    ] = "auto",
    freq: _FREQ = "none",
    date_format: _DATE_FORMAT = None,
    threads: Annotated[int, typer.Option(help="CPU threads for the boosting library.")] = 2,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    out: Annotated[Path, typer.Option(help="Folder for the model, tables and figures.")] = Path(
        "runs/airquality/train"
    ),
) -> None:
    """Fit a PM2.5 model with location-grouped CV against baselines; save it with its scores.

    Example: castlab airquality train beijing_daily.csv --target pm25 --group location --drop pm10 --out runs/airquality/beijing
    """
    from castlab.airquality.model import ModelConfig
    from castlab.airquality.train import LocationModelConfig, notes
    from castlab.airquality.train import train as fit

    _check_training(iterations, learning_rate, interval, folds)
    readings = _read(
        table, fmt, freq, group=group, target=target, date=date, date_format=date_format
    )
    config = LocationModelConfig(
        model=ModelConfig(
            kind=model,
            iterations=iterations,
            learning_rate=learning_rate,
            interval=interval,
            threads=threads,
            seed=seed,
        ),
        features=tuple(feature or ()),
        drop=tuple(drop or ()),
        n_folds=folds,
        baselines=baselines,
        adversarial=adversarial,
        neighbours=neighbours,
        seed=seed,
    )
    evaluation, paths = fit(readings, config, out)
    typer.echo(evaluation.metrics.to_string(index=False, float_format="{:.3f}".format))
    for line in notes(evaluation, interval):
        typer.echo(line)
    if len(evaluation.adversarial):
        typer.echo(
            "adversarial AUC (held-out vs training locations; about 0.5: their features look "
            f"alike, near 1: they differ): mean {evaluation.adversarial['auc'].mean():.3f}"
        )
    typer.echo(f"model in {paths['model']}; tables and figures in {out}")


@app.command()
def predict(
    model_dir: Annotated[
        Path, typer.Argument(help="The model folder written by train (OUT/model).")
    ],
    table: _TABLE,
    group: _GROUP = None,
    target: Annotated[
        str | None,
        typer.Option(help="PM2.5 column, where some places have readings (may be absent)."),
    ] = None,
    date: _DATE = None,
    date_format: _DATE_FORMAT = None,
    fmt: Annotated[
        str, typer.Option("--format", help="auto | table | beijing | sensors-africa.")
    ] = "auto",
    freq: _FREQ = "none",
    out: Annotated[Path, typer.Option(help="CSV of predictions.")] = Path(
        "runs/airquality/predictions.csv"
    ),
) -> None:
    """Predict PM2.5 (with the interval) for every row of a table with the model's features.

    Example: castlab airquality predict runs/airquality/beijing/model new_sites.csv --out predictions.csv
    """
    from castlab.airquality.train import predict as apply_model
    from castlab.core.artifacts import output_file, write_text

    out = output_file(out, "predictions.csv")
    readings = _read(  # places without sensors: no PM2.5 column needed
        table,
        fmt,
        freq,
        group=group,
        target=target,
        date=date,
        date_format=date_format,
        require_target=False,
    )
    predictions = apply_model(model_dir, readings, report=typer.echo)
    write_text(out, predictions.to_csv(index=False))
    typer.echo(f"{len(predictions)} predictions written to {out}")


@app.command()
def dashboard(
    table: _TABLE,
    out: Annotated[Path, typer.Option(help="Folder for index.html, summary.csv and PNGs.")] = Path(
        "runs/airquality/dashboard"
    ),
    group: _GROUP = None,
    target: _TARGET = None,
    date: _DATE = None,
    date_format: _DATE_FORMAT = None,
    fmt: Annotated[
        str, typer.Option("--format", help="auto | table | beijing | sensors-africa.")
    ] = "auto",
    window: Annotated[int, typer.Option(help="Days of the rolling mean.")] = 7,
    title: Annotated[str, typer.Option(help="Page title.")] = "",
) -> None:
    """Write an offline HTML dashboard: time series with WHO lines, map of averages, ranking.

    Example: castlab airquality dashboard za_cities_predictions.csv --out runs/airquality/dashboard
    """
    from castlab.airquality.dashboard import write_dashboard

    require_at_least("--window", window, 1)
    readings = _read(
        table, fmt, "none", group=group, target=target, date=date, date_format=date_format
    )
    paths = write_dashboard(readings, out, title=title, window=window, report=typer.echo)
    typer.echo(f"dashboard written to {paths['html']} (opens offline)")


@app.command()
def prepare(
    source: _TABLE,
    out: Annotated[Path, typer.Option(help="Tidy CSV to write (a folder: tidy.csv inside it).")],
    fmt: Annotated[
        str, typer.Option("--format", help="auto | table | beijing | sensors-africa.")
    ] = "auto",
    freq: _FREQ = "D",
    group: _GROUP = None,
    target: _TARGET = None,
    date: _DATE = None,
    date_format: _DATE_FORMAT = None,
) -> None:
    """Read and check an export, average it per hour or day, write one tidy CSV.

    Example: castlab airquality prepare ../shared/data/beijing-multisite-air --freq D --out beijing_daily.csv
    """
    from castlab.core.artifacts import output_file, write_text

    readings = _read(
        source, fmt, freq, group=group, target=target, date=date, date_format=date_format
    )
    out = output_file(out, "tidy.csv")
    write_text(out, readings.frame.to_csv(index=False))
    typer.echo(f"tidy table written to {out}")


@app.command()
def satellite(
    table: _TABLE,
    netcdf: Annotated[
        list[Path],
        typer.Option("--netcdf", metavar="FILE", help="Sentinel-5P L2/L3 .nc file (repeatable)."),
    ],
    variable: Annotated[
        list[str] | None, typer.Option(metavar="NAME", help="Variable to sample (repeatable).")
    ] = None,
    radius_km: Annotated[
        float, typer.Option(help="L2: average good pixels within this radius.")
    ] = 10.0,
    min_qa: Annotated[float, typer.Option(help="L2: smallest qa_value kept.")] = 0.75,
    out: Annotated[
        Path,
        typer.Option(
            help="The table in castlab's columns (location, date, pm25, ...: what train reads) with "
            "the satellite columns added."
        ),
    ] = Path("runs/airquality/with_satellite.csv"),
    group: _GROUP = None,
    target: Annotated[
        str | None, typer.Option(help="PM2.5 column (may be absent: places to predict).")
    ] = None,
    date: _DATE = None,
    date_format: _DATE_FORMAT = None,
) -> None:
    """Sample Sentinel-5P NetCDF variables at each location and day; add them as features.

    Example: castlab airquality satellite cities.csv --netcdf S5P_L3_NO2.nc --variable nitrogendioxide_tropospheric_column --out cities_s5p.csv
    """
    from castlab.airquality.satellite import add_satellite_features, sample_netcdf
    from castlab.core.artifacts import output_file, write_text

    if not (math.isfinite(radius_km) and radius_km > 0):
        raise CastlabError(f"--radius-km {radius_km}: no pixel lies that close", fix="use e.g. 10")
    out = output_file(out, "with_satellite.csv")
    readings = _read(
        table,
        "auto",
        "none",
        group=group,
        target=target,
        date=date,
        date_format=date_format,
        require_target=False,  # features for places to predict as well as for training
    )
    points = readings.frame[["location", "latitude", "longitude"]]
    samples = sample_netcdf(
        netcdf,
        points,
        variables=tuple(variable or ("nitrogendioxide_tropospheric_column",)),
        radius_km=radius_km,
        min_qa=min_qa,
    )
    write_text(out, add_satellite_features(readings, samples).frame.to_csv(index=False))
    typer.echo(
        f"{len(samples)} location-days sampled; table (castlab's column names, as train reads "
        f"them) written to {out}"
    )


@app.command()
def generate(
    out: Annotated[
        Path,
        typer.Argument(help="CSV file to write (a folder: <kind>.csv inside it)."),
    ],
    kind: Annotated[
        str,
        typer.Option(
            help="locations (features + planted PM2.5) | predictions (the blog's format)."
        ),
    ] = "locations",
    locations: Annotated[int, typer.Option(help="Number of locations.")] = 12,
    days: Annotated[int, typer.Option(help="Days per location.")] = 365,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Write a generated table: locations with a planted feature-PM2.5 relation, or predictions.

    Example: castlab airquality generate runs/airquality/example.csv --kind locations --locations 12
    """
    from castlab.airquality.synthetic import generate_locations, generate_predictions
    from castlab.core.artifacts import output_file, write_text

    require_at_least("--locations", locations, 1)
    require_at_least("--days", days, 1)
    if kind == "locations":
        frame = generate_locations(locations, days, seed=seed).frame
    elif kind == "predictions":
        frame = generate_predictions(locations, days, seed=seed)
    else:
        raise CastlabError(f"unknown kind {kind!r}", fix="use locations or predictions")
    out = output_file(out, f"{kind}.csv")
    write_text(out, frame.to_csv(index=False))
    typer.echo(f"{len(frame)} rows written to {out}")
