"""Static pictures (PNG, matplotlib) of air quality and of the model's scores.

* :func:`plot_timeseries`: PM2.5 of a few locations with a rolling mean (:func:`rolling_mean`:
  over days, not rows) and the WHO lines;
* :func:`plot_average_map`: each location's mean as a coloured dot over country outlines;
* :func:`plot_ranking`: locations by mean PM2.5 with the annual guideline;
* :func:`plot_metrics`, :func:`plot_importance`, :func:`plot_residuals`: model scores.

matplotlib loads with the Agg backend through :func:`castlab.core.plots.pyplot`.

Examples
--------
>>> import tempfile, pathlib
>>> from castlab.airquality.synthetic import generate_locations
>>> frame = generate_locations(n_locations=3, n_days=40).frame
>>> path = plot_timeseries(frame, pathlib.Path(tempfile.mkdtemp()) / "ts.png")
>>> path.stat().st_size > 10_000
True
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from castlab.core.plots import pyplot, save_figure

__all__ = [
    "WHO_ANNUAL",
    "WHO_DAILY",
    "plot_average_map",
    "plot_importance",
    "plot_metrics",
    "plot_ranking",
    "plot_residuals",
    "plot_timeseries",
    "rolling_mean",
]

WHO_DAILY = 15.0  # WHO 2021 24-hour PM2.5 guideline, µg/m³
WHO_ANNUAL = 5.0  # WHO 2021 annual PM2.5 guideline, µg/m³


def _guidelines(ax) -> None:  # type: ignore[no-untyped-def]
    ax.axhline(WHO_DAILY, color="C3", ls="--", lw=1, label="WHO 24-h guideline (15)")
    ax.axhline(WHO_ANNUAL, color="C1", ls=":", lw=1, label="WHO annual guideline (5)")


def plot_timeseries(
    frame: pd.DataFrame,
    out_png: str | Path,
    *,
    locations: list[str] | None = None,
    window: int = 7,
    value: str = "pm25",
) -> Path:
    """Daily PM2.5 (thin) and its ``window``-day rolling mean (thick) for up to 4 locations."""
    plt = pyplot()
    chosen = locations or list(frame.groupby("location")[value].mean().nlargest(4).index)
    fig, ax = plt.subplots(figsize=(10, 4))
    for k, location in enumerate(chosen):
        part = frame[frame["location"] == location].sort_values("date")
        ax.plot(part["date"], part[value], color=f"C{k}", lw=0.5, alpha=0.5)
        rolling = rolling_mean(part, window, value=value)
        ax.plot(part["date"], rolling.to_numpy(), color=f"C{k}", lw=2, label=location)
    _guidelines(ax)
    ax.set(ylabel="PM2.5 (µg/m³)", title=f"PM2.5 with a {window}-day rolling mean")
    ax.legend(fontsize=8, ncol=2)
    fig.autofmt_xdate()
    return save_figure(fig, Path(out_png))


def rolling_mean(part: pd.DataFrame, days: int, *, value: str = "pm25") -> pd.Series:
    """The mean of ``value`` over each row's last ``days`` days (by date, not by row: a gap in
    the readings leaves earlier readings out); ``part`` is one location's rows, by date.

    Examples
    --------
    >>> part = pd.DataFrame({"date": pd.to_datetime(["2020-01-01", "2020-01-02",
    ...                      "2020-03-01", "2020-03-02"]), "pm25": [100.0, 100.0, 10.0, 10.0]})
    >>> rolling_mean(part, 7).tolist()
    [100.0, 100.0, 10.0, 10.0]
    """
    series = part.set_index("date")[value].astype(float)
    return pd.Series(
        series.rolling(f"{int(days)}D", min_periods=1).mean().to_numpy(), index=part.index
    )


def plot_average_map(
    averages: pd.DataFrame, out_png: str | Path, *, title: str = "Mean PM2.5 by location"
) -> Path:
    """Dots at ``latitude``/``longitude`` coloured by ``mean_pm25`` over country outlines."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Polygon

    from castlab.airquality.maps import country_outlines

    plt = pyplot()
    located = averages.dropna(subset=["latitude", "longitude"])
    fig, ax = plt.subplots(figsize=(7, 6))
    if len(located):
        box = _box(located)
        patches = [Polygon(np.asarray(ring)[:, :2], closed=True) for ring in country_outlines(box)]
        ax.add_collection(
            PatchCollection(patches, facecolor="#eeeeee", edgecolor="#999999", lw=0.5)
        )
        points = ax.scatter(
            located["longitude"],
            located["latitude"],
            c=located["mean_pm25"],
            cmap="YlOrRd",
            s=40,
            edgecolors="black",
            linewidths=0.4,
            zorder=3,
        )
        fig.colorbar(points, ax=ax, shrink=0.7, label="mean PM2.5 (µg/m³)")
        ax.set(xlim=(box[0], box[2]), ylim=(box[1], box[3]), aspect="equal")
    ax.set(title=title, xlabel="longitude", ylabel="latitude")
    return save_figure(fig, Path(out_png))


def _box(located: pd.DataFrame, margin: float = 1.5) -> tuple[float, float, float, float]:
    return (
        float(located["longitude"].min() - margin),
        float(located["latitude"].min() - margin),
        float(located["longitude"].max() + margin),
        float(located["latitude"].max() + margin),
    )


def plot_ranking(ranking: pd.DataFrame, out_png: str | Path, *, top: int = 25) -> Path:
    """Horizontal bars of mean PM2.5 for the ``top`` locations, with the WHO lines."""
    plt = pyplot()
    part = ranking.head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.25 * len(part) + 1.2))
    ax.barh(part["location"], part["mean_pm25"], color="C3")
    ax.axvline(WHO_DAILY, color="C3", ls="--", lw=1, label="WHO 24-h (15)")
    ax.axvline(WHO_ANNUAL, color="C1", ls=":", lw=1, label="WHO annual (5)")
    ax.set(xlabel="mean PM2.5 (µg/m³)", title=f"Highest mean PM2.5 (top {len(part)})")
    ax.tick_params(axis="y", labelsize=7)
    ax.legend(fontsize=8)
    return save_figure(fig, Path(out_png))


def plot_metrics(metrics: pd.DataFrame, out_png: str | Path, *, title: str = "") -> Path:
    """MAE and RMSE per method (model and baselines) on held-out locations."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(metrics) + 1.3))
    y = np.arange(len(metrics))
    ax.barh(y - 0.2, metrics["mae"], height=0.4, label="MAE")
    ax.barh(y + 0.2, metrics["rmse"], height=0.4, label="RMSE")
    ax.set_yticks(y, metrics["method"])
    ax.invert_yaxis()
    ax.set(xlabel="µg/m³ (held-out locations)", title=title or "Scores on unseen locations")
    ax.legend()
    return save_figure(fig, Path(out_png))


def plot_importance(importance: pd.DataFrame, out_png: str | Path, *, top: int = 15) -> Path:
    """Share of total gain per feature (mean over folds)."""
    plt = pyplot()
    part = importance.head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(6, 0.3 * len(part) + 1.2))
    ax.barh(part["feature"], part["importance"], color="C2")
    ax.set(xlabel="share of gain", title="Feature importance")
    return save_figure(fig, Path(out_png))


def plot_residuals(
    predictions: pd.DataFrame, method: str, out_png: str | Path, *, max_locations: int = 16
) -> Path:
    """Residual (predicted - measured) over time, one small panel per held-out location."""
    plt = pyplot()
    locations = sorted(predictions["location"].unique())[:max_locations]
    cols = min(4, len(locations))
    rows = int(np.ceil(len(locations) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.2 * rows), squeeze=False)
    for ax, location in zip(axes.flat, locations):
        part = predictions[predictions["location"] == location].sort_values("date")
        residual = part[method] - part["pm25"]
        ax.plot(part["date"], residual, lw=0.4, color="C0")
        ax.axhline(0, color="black", lw=0.6)
        ax.set_title(f"{location} (MAE {np.nanmean(np.abs(residual)):.1f})", fontsize=8)
        ax.tick_params(labelsize=6)
        ax.tick_params(axis="x", labelrotation=30)
    for ax in list(axes.flat)[len(locations) :]:
        ax.set_axis_off()
    fig.suptitle(f"{method}: predicted - measured PM2.5 per held-out location (µg/m³)")
    fig.tight_layout()
    return save_figure(fig, Path(out_png))
