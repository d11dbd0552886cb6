"""Lifelog results: the real Toggl/Daylio exports, and how well planted effects are recovered.

Writes ``docs/results/lifelog.md`` (plus two figures under ``docs/results/lifelog/``) and a
full HTML report of the real exports under ``runs/lifelog/real/`` (not committed).

Usage::

    python benchmarks/lifelog.py                 # shared data beside the repository
    python benchmarks/lifelog.py --seeds 5       # quicker planted-effect check

Two parts:

1. Real exports (``../shared/data``): what the analyses find. The Daylio export uses 15
   custom mood names; the scores given to them below (:data:`REAL_MOODS`) are our choice.
2. Generated exports with a planted outdoors effect, over many seeds: the estimate, how often
   the 95% bootstrap interval covers the large-sample value, how often a null activity looks
   "significant" by its raw p-value / interval, and how often it survives the FDR correction.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import RESULTS, SHARED, markdown_table, write_page

from castlab.lifelog import analyses, plots
from castlab.lifelog.daily import daily_table
from castlab.lifelog.data import read_daylio, read_toggl
from castlab.lifelog.report import ReportConfig, load_sources, write_report
from castlab.lifelog.synthetic import NULL_ACTIVITIES, GeneratorConfig, write_exports

ROOT = Path(__file__).resolve().parents[1]
TOGGL = SHARED / "toggl_track_exports/floresfdev_Toggl_time_entries_2017-08-01_to_2017-08-31.csv"
DAYLIO = SHARED / "daylio_exports/zhafen_moody_daylio_export.csv"
#: our scores for the real export's custom moods (Daylio's five defaults keep 1-5)
REAL_MOODS = (
    "content=4, okay=3, anxious=2, tired=2.5, frustrated=2, distracted=2.5, exhausted=2, "
    "beyond anxious=1, angry=1.5, in pain=1.5"
)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def real_exports(out: list[str], figures: Path) -> None:
    if not (TOGGL.exists() and DAYLIO.exists()):
        out.append(f"Real exports not found under {SHARED}; skipped.\n")
        return
    toggl, daylio = read_toggl(TOGGL), read_daylio(DAYLIO, moods=REAL_MOODS)
    out.append("## Real exports\n")
    out.append(f"- Toggl: `{TOGGL.name}` (sha256 {_sha(TOGGL)}), from floresfdev/toggl-dashboard.")
    out.append(
        f"- Daylio: `{DAYLIO.name}` (sha256 {_sha(DAYLIO)}), from zhafen/moody. A personal "
        "diary: only aggregates are shown here, never notes."
    )
    out.append(
        f"- Daylio custom moods scored as: `{REAL_MOODS}` (our choice; rad 5, good 4, "
        "meh 3, bad 2, awful 1 as in Daylio).\n"
    )
    hours = daily_table(toggl=toggl)["hours_logged"]
    crossing = int((toggl["end"].dt.date != toggl["start"].dt.date).sum())
    out.append(
        f"### Toggl ({len(toggl)} entries, {toggl['hours'].sum():.1f} h, "
        f"{toggl['start'].min():%Y-%m-%d} to {toggl['end'].max():%Y-%m-%d})\n"
    )
    out.append(
        f"{crossing} entries cross midnight and are split between days. Hours per day: "
        f"median {hours.median():.1f}, mean {hours.mean():.1f}, max {hours.max():.1f}; "
        f"{int((hours == 0).sum())} of {len(hours)} days have nothing logged.\n"
    )
    out.append(markdown_table(analyses.time_per_month(toggl), 1))
    table = daily_table(daylio=daylio)
    mood = table["mood"].dropna()
    out.append(
        f"\n### Daylio ({len(daylio)} entries on {len(mood)} days, "
        f"{table.index[0]:%Y-%m-%d} to {table.index[-1]:%Y-%m-%d})\n"
    )
    out.append(
        f"Mean daily mood {mood.mean():.2f} (entries per day: mean "
        f"{table['mood_entries'].mean():.1f}). The Toggl and Daylio exports come from two "
        "different people and years, so mood against hours worked cannot be computed.\n"
    )
    weekday = analyses.mood_by_weekday(table)
    best, worst = weekday.loc[weekday["mood"].idxmax()], weekday.loc[weekday["mood"].idxmin()]
    out.append(
        f"Best weekday {best['weekday']} ({best['mood']:.2f} [{best['low']:.2f}, "
        f"{best['high']:.2f}]), worst {worst['weekday']} ({worst['mood']:.2f} "
        f"[{worst['low']:.2f}, {worst['high']:.2f}]).\n"
    )
    out.append(markdown_table(weekday, 2))
    plots.plot_mood_by_weekday(weekday, figures / "real_mood_by_weekday.png")
    out.append("\n![mood by weekday](lifelog/real_mood_by_weekday.png)\n")
    effects = analyses.activity_effects(table, rng=np.random.default_rng(0), n_boot=5000)
    plots.plot_activity_effects(effects, figures / "real_activity_effects.png")
    out.append(
        "Activity effects (mood with minus without; 95% bootstrap interval, 5,000 resamples):\n"
    )
    out.append(markdown_table(effects, 2))
    out.append("\n![activity effects](lifelog/real_activity_effects.png)\n")
    found = analyses.mood_associations(table)
    raw = int((found["p_value"] < 0.05).sum())
    out.append(
        f"Association scan: {len(found)} metric/lag tests; {raw} have p < 0.05, "
        f"{int(found['significant'].sum())} stay significant after Benjamini-Hochberg "
        "at FDR 0.05:\n"
    )
    out.append(markdown_table(found[found["p_value"] < 0.05], 3))
    report = write_report(
        ROOT / "runs/lifelog/real",
        load_sources(toggl=TOGGL, daylio=DAYLIO, moods=REAL_MOODS),
        ReportConfig(),
    )
    out.append(f"\nFull HTML report (not committed): `{report.relative_to(ROOT)}`.\n")


def planted(out: list[str], seeds: int) -> None:
    config = GeneratorConfig(ulogme_days=0)
    with tempfile.TemporaryDirectory() as folder:
        big = write_exports(
            Path(folder) / "big",
            rng=np.random.default_rng(10_000),
            config=GeneratorConfig(days=10_000, ulogme_days=0),
        )
        big_table = daily_table(daylio=read_daylio(big.daylio))
        flag = big_table["activity: outdoors"] > 0
        reference = big_table.loc[flag, "mood"].mean() - big_table.loc[~flag, "mood"].mean()
        rows, null_ci, null_raw, null_fdr, null_tests = [], 0, 0, 0, 0
        nulls = {f"activity: {name}" for name in NULL_ACTIVITIES}
        for seed in range(seeds):
            paths = write_exports(
                Path(folder) / str(seed), rng=np.random.default_rng(seed), config=config
            )
            table = daily_table(toggl=read_toggl(paths.toggl), daylio=read_daylio(paths.daylio))
            effects = analyses.activity_effects(table, rng=np.random.default_rng(seed), n_boot=2000)
            outdoors = effects.set_index("activity").loc["outdoors"]
            rank = int(effects.index[effects["activity"] == "outdoors"][0]) + 1
            null_effects = effects[effects["activity"].isin(NULL_ACTIVITIES)]
            null_ci += int(((null_effects["low"] > 0) | (null_effects["high"] < 0)).sum())
            found = analyses.mood_associations(table)
            is_null = found["metric"].isin(nulls)
            null_tests += int(is_null.sum())
            null_raw += int((is_null & (found["p_value"] < 0.05)).sum())
            null_fdr += int((is_null & found["significant"]).sum())
            rows.append(
                {
                    "seed": seed,
                    "effect": outdoors["effect"],
                    "low": outdoors["low"],
                    "high": outdoors["high"],
                    "rank": rank,
                }
            )
    frame = pd.DataFrame(rows)
    covered = int(((frame["low"] <= reference) & (reference <= frame["high"])).sum())
    out.append("## Planted effect, generated exports\n")
    out.append(
        f"`GeneratorConfig()` defaults, {seeds} seeds (0..{seeds - 1}), 365 days each. The mood "
        f"model adds {config.outdoors_effect:+.1f} for outdoors before rounding to whole points; "
        f"after rounding and clipping the large-sample difference (10,000 generated days) "
        f"is {reference:+.3f}.\n"
    )
    out.append(
        f"- Outdoors estimate: mean {frame['effect'].mean():+.3f} "
        f"(sd {frame['effect'].std():.3f}); "
        f"ranked first in {int((frame['rank'] == 1).sum())}/{seeds}; the 95% interval "
        f"excludes 0 in {int((frame['low'] > 0).sum())}/{seeds} and covers the "
        f"large-sample value in {covered}/{seeds}."
    )
    n_null = len(NULL_ACTIVITIES) * seeds
    out.append(
        f"- Null activities (no planted effect): the bootstrap interval excludes 0 in "
        f"{null_ci}/{n_null} ({null_ci / n_null:.1%}; about 5% expected by chance)."
    )
    out.append(
        f"- Association scan, null activities same and next day: {null_raw}/{null_tests} "
        f"tests have p < 0.05 ({null_raw / max(null_tests, 1):.1%}); {null_fdr} stay "
        "significant after Benjamini-Hochberg.\n"
    )
    out.append(markdown_table(frame.head(10), 3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--out", type=Path, default=RESULTS / "lifelog.md")
    args = parser.parse_args()
    figures = args.out.parent / "lifelog"
    figures.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    body: list[str] = []
    real_exports(body, figures)
    planted(body, args.seeds)
    run_time = f"- Run time: {time.perf_counter() - start:.0f} s\n"
    write_page(args.out, "lifelog results", [run_time, *body])
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
