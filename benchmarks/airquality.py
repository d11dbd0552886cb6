"""Air-quality results: PM2.5 at unseen Beijing stations, training time, the ZA dashboard.

Writes ``docs/results/airquality.md`` plus figures, CSVs and one JSON per part under
``docs/results/airquality/`` (a part run alone keeps the others' saved results on the page).

Usage::

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/airquality.py            # every part
    python benchmarks/airquality.py --parts beijing --models lightgbm       # one part, quicker
    python benchmarks/airquality.py --quick                                 # 100 rounds, no CatBoost

Parts:

1. ``beijing``: the 12 stations averaged to days; each station predicted leave-one-station-out
   from the gases Sentinel-5P measures (NO2, CO, SO2, O3), weather and the date. Rows: every
   model and baseline with MAE / RMSE / R². Target (issue 16): model MAE >= 30% below the
   monthly climatology.
2. ``timing``: training plus leave-one-station-out CV on the full hourly table (420,768 rows).
   Target: within 2 minutes on 2 cores.
3. ``dashboard``: the blog's ZA predictions (41,688 rows, 71 city names): reading it and
   writing the offline dashboard, timed.
4. ``apptest``: the UI page in Streamlit's AppTest (load, then "Show dashboard" on the ZA
   file), timed. The <= 2 s render target is measured in a real browser by the browser test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, SHARED, command_line, markdown_table, write_page  # noqa: E402

from castlab.airquality.baselines import other_locations, scores  # noqa: E402
from castlab.airquality.dashboard import write_dashboard  # noqa: E402
from castlab.airquality.data import read_table  # noqa: E402
from castlab.airquality.model import ModelConfig  # noqa: E402
from castlab.airquality.plots import plot_metrics  # noqa: E402
from castlab.airquality.readers import read_beijing  # noqa: E402
from castlab.airquality.train import LocationModelConfig, evaluate, save_evaluation, train  # noqa: E402
from castlab.airquality.validation import location_folds  # noqa: E402

OUT = RESULTS / "airquality"
TMP = Path(tempfile.gettempdir()) / "castlab-airquality-bench"  # large outputs, not committed
BEIJING = SHARED / "beijing-multisite-air"
ZA = SHARED / "airq_whitaker_za_predictions" / "za_cities_predictions.csv"
#: Station coordinates are NOT in the files. These are approximate (to ~0.01 degree), from
#: memory of the published station list; only the distance-weighted baseline uses them.
BEIJING_COORDINATES = {
    "Aotizhongxin": (39.982, 116.397),
    "Changping": (40.217, 116.230),
    "Dingling": (40.292, 116.220),
    "Dongsi": (39.929, 116.417),
    "Guanyuan": (39.929, 116.339),
    "Gucheng": (39.914, 116.184),
    "Huairou": (40.328, 116.628),
    "Nongzhanguan": (39.937, 116.461),
    "Shunyi": (40.127, 116.655),
    "Tiantan": (39.886, 116.407),
    "Wanliu": (39.987, 116.287),
    "Wanshouxigong": (39.878, 116.352),
}
#: PM10 is nearly PM2.5 itself (no satellite measures it), coordinates are approximate
BEIJING_DROP = ("pm10", "latitude", "longitude")
#: the blog's held-out-city scores (other data: WAQI cities, Sentinel-5P + weather); orientation only
BLOG = {"mae": 19.20, "rmse": 26.57, "r2": 0.615}


def _load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def _save(name: str, data: dict) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    wait = os.environ.get("OMP_WAIT_POLICY")
    data["command"] = (f"OMP_WAIT_POLICY={wait} " if wait else "") + command_line()
    (OUT / f"{name}.json").write_text(json.dumps(data, indent=2, default=str) + "\n")


def _model_config(kind: str, iterations: int, threads: int) -> ModelConfig:
    return ModelConfig(kind=kind, iterations=iterations, learning_rate=0.05, threads=threads)


def part_beijing(models: list[str], iterations: int) -> None:
    readings = read_beijing(BEIJING, freq="D", coordinates=BEIJING_COORDINATES)
    rows, details = [], {}
    for k, name in enumerate(models):
        kind = name.split("+")[0]
        config = LocationModelConfig(
            model=_model_config(kind, iterations, 1),
            drop=BEIJING_DROP,
            baselines=k == 0,
            adversarial=k == 0,
            neighbours=name.endswith("+neighbours"),
        )
        print(f"beijing: {name} leave-one-station-out ...", flush=True)
        evaluation = evaluate(readings, config)
        folder = name.replace("+", "_")
        paths = save_evaluation(evaluation, OUT / f"beijing_{folder}", title=f"Beijing · {name}")
        paths.pop("predictions").unlink()  # 17,000 rows per model: kept out of the repository
        metrics = evaluation.metrics.assign(seconds=np.nan)
        metrics.loc[0, "seconds"] = evaluation.seconds
        rows.append(metrics)
        details[folder] = {
            "features": evaluation.features,
            "seconds": evaluation.seconds,
            "adversarial": evaluation.adversarial.to_dict(orient="records"),
            "importance": evaluation.importance.head(8).to_dict(orient="records"),
            "per_location": evaluation.per_location.to_dict(orient="records"),
            "figures": {
                k: str(v.relative_to(RESULTS)) for k, v in paths.items() if k.endswith("png")
            },
        }
    # the same-day mean of the other stations without distance weights
    frame = readings.frame.dropna(subset=["pm25"]).reset_index(drop=True)
    plain = np.full(len(frame), np.nan)
    unlocated = frame.drop(columns=["latitude", "longitude"])
    for train_rows, test_rows in location_folds(frame["location"].to_numpy()):
        plain[test_rows] = other_locations(unlocated.iloc[train_rows], unlocated.iloc[test_rows])
    rows.append(
        pd.DataFrame(
            [
                {
                    "method": "other stations, same day (unweighted)",
                    **scores(frame["pm25"].to_numpy(), plain),
                }
            ]
        )
    )
    table = pd.concat(rows, ignore_index=True)
    plot_metrics(table, OUT / "beijing_metrics.png", title="Beijing daily, leave one station out")
    table.to_csv(OUT / "beijing_metrics.csv", index=False)
    _save(
        "beijing",
        {
            "rows": len(readings.frame),
            "labelled_rows": len(frame),
            "stations": len(readings.locations),
            "issues": readings.issues,
            "iterations": iterations,
            "metrics": table.to_dict(orient="records"),
            "details": details,
            "load": _load_average(),
        },
    )


def part_timing(iterations: int, runs_spec: list[str]) -> None:
    start = time.perf_counter()
    readings = read_beijing(BEIJING, freq=None)
    read_seconds = time.perf_counter() - start
    runs = []
    for spec in runs_spec:
        threads, interval = int(spec.split(":")[0]), float(spec.split(":")[1])
        config = LocationModelConfig(
            model=ModelConfig(iterations=iterations, threads=threads, interval=interval),
            drop=("pm10",),
            baselines=False,
            adversarial=False,
        )
        load_before = _load_average()
        print(f"timing: hourly, {threads} threads, interval {interval} ...", flush=True)
        start, cpu_start = time.perf_counter(), time.process_time()
        evaluation, _ = train(readings, config, TMP / "timing_run", progress=True)
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu_start  # all threads; independent of the load
        metric = evaluation.metrics.iloc[0]
        runs.append(
            {
                "threads": threads,
                "models per fold": 3 if interval else 1,
                "seconds (12-fold CV + final fit)": seconds,
                "CPU seconds": cpu_seconds,
                "cv MAE (hourly)": float(metric["mae"]),
                "load before": load_before,
                "load after": _load_average(),
            }
        )
    previous = _section("timing") or {}
    kept = [  # earlier runs of other settings stay on the page
        r
        for r in previous.get("runs", [])
        if (r["threads"], r["models per fold"])
        not in {(n["threads"], n["models per fold"]) for n in runs}
    ]
    runs = sorted(kept + runs, key=lambda r: (-r["threads"], r["models per fold"]))
    _save(
        "timing",
        {
            "rows": len(readings.frame),
            "labelled_rows": int(readings.frame["pm25"].notna().sum()),
            "read_seconds": read_seconds,
            "iterations": iterations,
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(default)"),
            "runs": runs,
        },
    )


def part_dashboard() -> None:
    start = time.perf_counter()
    readings = read_table(ZA)
    read_seconds = time.perf_counter() - start
    start = time.perf_counter()
    paths = write_dashboard(readings, TMP / "za_dashboard", title="Predicted PM2.5, ZA cities")
    write_seconds = time.perf_counter() - start
    # the page shows the PNGs and the summary; the HTML (plotly.js inline) stays out of the repo
    (OUT / "za_dashboard").mkdir(parents=True, exist_ok=True)
    for key in ("summary", "map_png", "ranking_png", "timeseries_png"):
        shutil.copy(paths[key], OUT / "za_dashboard" / paths[key].name)
    summary = pd.read_csv(paths["summary"])
    _save(
        "dashboard",
        {
            "rows": len(readings.frame),
            "city_names": int(readings.frame["name"].nunique()),
            "locations": len(readings.locations),
            "issues": readings.issues,
            "read_seconds": read_seconds,
            "write_seconds": write_seconds,
            "html_megabytes": paths["html"].stat().st_size / 1e6,
            "top5": summary.head(5)[["location", "mean_pm25", "days_over_15", "days"]].to_dict(
                orient="records"
            ),
            "all_over_15_share": float(summary["days_over_15"].sum() / summary["days"].sum()),
            "load": _load_average(),
        },
    )


def part_apptest() -> None:
    from streamlit.testing.v1 import AppTest

    page = (
        Path(__file__).resolve().parents[1] / "src" / "castlab" / "ui" / "views" / "airquality.py"
    )
    start = time.perf_counter()
    app = AppTest.from_file(str(page), default_timeout=120)
    app.run()
    load_seconds = time.perf_counter() - start
    app.file_uploader[0].set_value((ZA.name, ZA.read_bytes(), "text/csv")).run()
    app.checkbox[0].uncheck().run()
    start = time.perf_counter()
    app.button[0].click().run()
    show_seconds = time.perf_counter() - start
    errors = [e.value for e in app.error] + [str(e.value) for e in app.exception]
    start = time.perf_counter()
    app.selectbox[0].select(app.selectbox[0].options[-1]).run()
    select_seconds = time.perf_counter() - start
    locations = len(app.selectbox[0].options)
    _save(
        "apptest",
        {
            "load_seconds": load_seconds,
            "show_seconds": show_seconds,
            "select_seconds": select_seconds,
            "locations": locations,
            "errors": errors,
            "load": _load_average(),
        },
    )


def part_browser(repeats: int = 3) -> None:
    """The real Streamlit server and Debian's Chromium: upload the ZA file, press the button,
    time until the summary line, both charts and the ranking table are drawn. Each repeat is
    a fresh browser (nothing cached), so every one pays for loading the chart scripts."""
    import socket
    import subprocess
    import urllib.request

    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.chromium import CHROMIUM, OFFLINE_HEADLESS_FLAGS

    from castlab.ui.launch import streamlit_command

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        streamlit_command(port), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    runs, errors = [], []
    load_before = _load_average()
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1):
                    break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as playwright:
            for repeat in range(repeats):
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=OFFLINE_HEADLESS_FLAGS
                )
                page = browser.new_page(viewport={"width": 1280, "height": 2000})
                page.goto(f"{url}/airquality", wait_until="networkidle")
                page.get_by_role("heading").first.wait_for(timeout=60_000)
                page.locator("input[type=file]").set_input_files(str(ZA))
                page.get_by_text("Use a generated example", exact=False).click()
                page.wait_for_timeout(1500)  # let the upload and the rerun settle
                start = time.perf_counter()
                page.get_by_role("button", name="Show dashboard").click()
                page.get_by_text("41688 rows").wait_for(timeout=120_000)
                summary_seconds = time.perf_counter() - start
                charts = page.locator('[data-testid="stVegaLiteChart"]')
                charts.nth(1).locator("canvas, svg").first.wait_for(timeout=120_000)
                charts.nth(0).locator("canvas, svg").first.wait_for(timeout=120_000)
                page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=120_000)
                render_seconds = time.perf_counter() - start
                runs.append(
                    {"repeat": repeat + 1, "summary_s": summary_seconds, "render_s": render_seconds}
                )
                errors += page.locator('[data-testid="stAlertContentError"]').all_inner_texts()
                if repeat == 0:
                    page.wait_for_timeout(1000)
                    page.screenshot(path=str(OUT / "ui.png"), full_page=True)
                browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
    _save(
        "browser",
        {
            "render_seconds": float(np.median([r["render_s"] for r in runs])),
            "runs": runs,
            "errors": errors,
            "load": f"before {load_before}; after {_load_average()}",
        },
    )


def _section(name: str) -> dict | None:
    path = OUT / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _ran(part: dict) -> str:
    return f"Ran: `{part.get('command', '(command not recorded)')}`\n"


def _page() -> None:
    sections, verdicts = [], []
    beijing = _section("beijing")
    if beijing:
        table = pd.DataFrame(beijing["metrics"])
        show = table[
            [
                c
                for c in ("method", "mae", "rmse", "r2", "n", "coverage", "width", "seconds")
                if c in table
            ]
        ]
        climatology = table.set_index("method").loc["monthly climatology", "mae"]
        # the "no sensor here" models: gases + weather only, no other station's PM2.5
        models = table[~table["method"].str.contains("mean|climatology|other|neighbours")]
        best = models.sort_values("mae").iloc[0]
        gain = 1 - best["mae"] / climatology
        verdicts.append(
            f"- MAE >= 30% below monthly climatology (Beijing daily, leave one station out, "
            f"gases + weather only): **{'met' if gain >= 0.3 else 'not met'}**: "
            f"{best['method']} MAE {best['mae']:.2f} vs climatology {climatology:.2f} µg/m³ "
            f"({gain:.0%} lower)."
        )
        idw = table[table["method"].str.startswith("other locations")]
        near = table[table["method"].str.contains("neighbours")]
        if len(idw) and idw["mae"].iloc[0] < best["mae"]:
            combined = (
                f" With that same-day estimate as one more feature, {near['method'].iloc[0]} "
                f"reaches MAE {near['mae'].iloc[0]:.2f}"
                + (" and beats it." if near["mae"].iloc[0] < idw["mae"].iloc[0] else ".")
                if len(near)
                else ""
            )
            verdicts.append(
                f"- Gases + weather alone do not beat the other stations' same-day PM2.5 (IDW, "
                f"MAE {idw['mae'].iloc[0]:.2f}), which needs sensors nearby, as the 'no sensor "
                f"here' case does not have.{combined}"
            )
        first_name = next(iter(beijing["details"]))
        first = beijing["details"][first_name]
        auc = pd.DataFrame(first["adversarial"])
        sections += [
            "## 1. Beijing, daily, leave one station out",
            "",
            _ran(beijing),
            f"{beijing['rows']:,} station-days ({beijing['labelled_rows']:,} with PM2.5), "
            f"{beijing['stations']} stations, hourly readings averaged per day. Features: "
            f"{', '.join(first['features'])} (PM10 left out: no satellite measures it and it "
            f"is nearly PM2.5 itself). {beijing['iterations']} boosting rounds, learning rate "
            "0.05; intervals: 5% and 95% quantile models (nominal 90%). Hours handled on "
            f"reading: {beijing['issues']}.",
            "",
            markdown_table(show, digits=3),
            "The IDW baseline uses approximate station coordinates written in the benchmark "
            "(the files have none); the unweighted row needs no coordinates. Both need the other "
            "stations' PM2.5 on the same day, which a place without any sensor nearby lacks. "
            f"The blog's CatBoost on held-out African cities scored MAE {BLOG['mae']}, RMSE "
            f"{BLOG['rmse']}, R² {BLOG['r2']} (other data; orientation only). "
            "'+ neighbours' adds that IDW same-day estimate, computed from the training "
            "stations only inside each fold, as one more feature. Coverage is that of the raw "
            "5%/95% quantile models on held-out stations; `castlab airquality train` also saves "
            "a conformal margin from these out-of-station residuals, which `predict` adds.",
            "",
            "![scores](airquality/beijing_metrics.png)",
            "",
            f"Adversarial validation ({first_name} features that vary in "
            f"time): mean ROC AUC {auc['auc'].mean():.3f} (min {auc['auc'].min():.3f}, max "
            f"{auc['auc'].max():.3f}; 0.5 = held-out station indistinguishable).",
            "",
            markdown_table(auc, digits=3),
        ]
        for kind, detail in beijing["details"].items():
            per = pd.DataFrame(detail["per_location"])
            sections += [
                f"Per-station MAE ({kind} and baselines):"
                if kind == first_name
                else f"Per-station MAE ({kind}):",
                "",
                markdown_table(per, digits=2),
                f"![importance](airquality/beijing_{kind}/importance.png) "
                f"![residuals](airquality/beijing_{kind}/residuals.png)",
                "",
            ]
    timing = _section("timing")
    if timing:
        runs = pd.DataFrame(timing["runs"])
        point = runs[runs["models per fold"] == 1]
        fastest = point.sort_values("seconds (12-fold CV + final fit)").iloc[0]
        wall = fastest["seconds (12-fold CV + final fit)"]
        loaded = float(str(fastest["load before"]).split()[0]) > 1.5
        single = point[(point["threads"] == 1) & point.get("CPU seconds", pd.Series()).notna()]
        cpu_note = (
            f"; the single-thread run took {single['seconds (12-fold CV + final fit)'].iloc[0]:.0f}"
            f" s wall and {single['CPU seconds'].iloc[0]:.0f} s of CPU"
            if len(single)
            else ""
        )
        verdicts.append(
            f"- Training + grouped CV on the full hourly table within 2 minutes on 2 cores: "
            f"**{'met' if wall <= 120 else 'not met as measured'}**: {wall:.0f} s wall for the "
            f"point model with {fastest['threads']} thread(s)"
            f" (1/5-minute load average before it started: {fastest['load before']}; "
            f"{'other jobs were running' if loaded else 'the machine was otherwise idle'})"
            f"{cpu_note}."
        )
        sections += [
            "## 2. Time: the full hourly table",
            "",
            _ran(timing),
            f"{timing['rows']:,} hourly rows ({timing['labelled_rows']:,} with PM2.5), read in "
            f"{timing['read_seconds']:.1f} s. LightGBM, {timing['iterations']} rounds, 12 "
            "leave-one-station-out folds plus the final fit on all rows, writing the model and "
            "figures. The machine is shared; the load average before and after each run says "
            f"how busy it was. OMP_WAIT_POLICY: {timing.get('omp_wait_policy')}.",
            "",
            markdown_table(runs, digits=1),
        ]
    board = _section("dashboard")
    if board:
        sections += [
            "## 3. The ZA dashboard",
            "",
            _ran(board),
            f"{board['rows']:,} rows, {board['city_names']} city names, {board['locations']} "
            f"locations (the two Middelburgs stay apart). Read in {board['read_seconds']:.2f} s; "
            f"the offline dashboard (HTML {board['html_megabytes']:.1f} MB with plotly.js inline, "
            f"plus summary CSV and 3 PNGs) written in {board['write_seconds']:.2f} s "
            f"(load {board['load']}). Share of city-days over the WHO 24-hour guideline: "
            f"{board['all_over_15_share']:.0%}.",
            "",
            markdown_table(pd.DataFrame(board["top5"]), digits=1),
            "![ZA map](airquality/za_dashboard/map.png) ![ranking](airquality/za_dashboard/ranking.png)",
            "",
        ]
    app = _section("apptest")
    if app:
        sections += [
            "## 4. UI page (Streamlit AppTest)",
            "",
            _ran(app),
            f"Page load {app['load_seconds']:.2f} s; 'Show dashboard' on the uploaded ZA file "
            f"({app['locations']} locations) {app['show_seconds']:.2f} s; choosing another "
            f"location {app['select_seconds']:.2f} s, in AppTest (server-side work only, no "
            f"browser drawing; load {app['load']}). "
            f"Errors: {app['errors'] or 'none'}. The <= 2 s render target is for the browser "
            "test, not measured here.",
            "",
        ]
    shown = _section("browser")
    if shown:
        verdicts.append(
            f"- ZA dashboard rendered in the UI within 2 s: "
            f"**{'met' if shown['render_seconds'] <= 2 else 'not met'}** in this run: median "
            f"{shown['render_seconds']:.2f} s over {len(shown.get('runs', [])) or 1} fresh "
            "browsers from pressing 'Show dashboard' (41,688 uploaded rows) to both charts and "
            f"the ranking drawn in Chromium (load {shown['load']})."
        )
        sections += [
            "## 5. UI page in Chromium",
            "",
            _ran(shown),
            "Each repeat is a fresh Chromium (empty cache) on the running server: upload the ZA "
            "file, press 'Show dashboard', time until the summary line (server work and "
            "transfer), then until both charts and the ranking table are drawn. The page draws "
            "its charts with Vega-Lite: Streamlit's plotly script is 4.7 MB against 0.8 MB, and "
            "with plotly this measure was 2.23 s on a quiet machine (2026-12-01, before the "
            "change). The page also imports its readers when it opens rather than on the first "
            "press (that import had cost the first press on a fresh server about 0.6 s). "
            f"Errors on the page: {shown['errors'] or 'none'}.",
            "",
            markdown_table(pd.DataFrame(shown.get("runs", [])), digits=2),
            "",
            "![UI page](airquality/ui.png)",
            "",
        ]
    header = [
        "Each part below names the command that produced its numbers (parts run at different "
        "times keep their saved results); the command above wrote this page. `--parts page` "
        "only rewrites the page.",
        "",
        "## Targets",
        "",
        *verdicts,
        "",
    ]
    write_page(
        RESULTS / "airquality.md", "Air quality: PM2.5 where there is no sensor", header + sections
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--parts",
        nargs="+",
        default=["beijing", "timing", "dashboard", "apptest", "browser"],
        help="beijing timing dashboard apptest browser, or page (rewrite the page only)",
    )
    parser.add_argument(
        "--models",
        nargs="+",
        default=["lightgbm", "lightgbm+neighbours", "catboost"],
        help="lightgbm | catboost, optionally +neighbours (other stations' PM2.5 as a feature)",
    )
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument(
        "--timing-runs",
        nargs="+",
        default=["2:0", "2:0.9", "1:0"],
        help="THREADS:INTERVAL per timed run (interval 0: point model only)",
    )
    parser.add_argument("--quick", action="store_true", help="100 rounds, LightGBM only")
    args = parser.parse_args()
    if args.quick:
        args.iterations, args.models = 100, ["lightgbm"]
    if "beijing" in args.parts:
        part_beijing(args.models, args.iterations)
    if "timing" in args.parts:
        part_timing(args.iterations, args.timing_runs)
    if "dashboard" in args.parts:
        part_dashboard()
    if "apptest" in args.parts:
        part_apptest()
    if "browser" in args.parts:
        part_browser()
    _page()
    print(f"written {RESULTS / 'airquality.md'}")


if __name__ == "__main__":
    main()
