"""Lifelog page: upload Toggl / Daylio / uLogMe exports (or use examples) and get the dashboard.

The controls are the options of ``castlab lifelog report``: custom Daylio mood scores, the
uLogMe timezone and the hour a day starts, bootstrap resamples, false-discovery rate, seed.
"""

from typing import Any

import streamlit as st

from castlab.ui.common import example_box, kept_uploader, save_upload, work_dir
from castlab.ui.results import Progress, input_key, last_result, run_action, zip_bytes

st.title("Lifelog")
st.caption("Your exports are read on this machine only; nothing is uploaded anywhere.")

#: Setting name (CLI option) -> the control that sets it on this page.
CONTROLS = {
    "mood_map": "Daylio custom moods",
    "timezone": "uLogMe timezone",
    "day_start_hour": "Hour a uLogMe day starts",
    "toggl": "Toggl Track detailed report (CSV)",
    "daylio": "Daylio export (CSV)",
    "ulogme": "uLogMe logs",
}

toggl = kept_uploader(CONTROLS["toggl"], key="lifelog-toggl", types=[".csv"])
daylio = kept_uploader(CONTROLS["daylio"], key="lifelog-daylio", types=[".csv"])
ulogme = kept_uploader(
    f"{CONTROLS['ulogme']} (keyfreq_\\*.txt and window_\\*.txt)",  # \\*: not Markdown italics
    key="lifelog-ulogme",
    types=[".txt"],
    multiple=True,
)
use_example = example_box(
    "Use generated example exports", key="lifelog-example", given=bool(toggl or daylio or ulogme)
)
moods = st.text_input(
    CONTROLS["mood_map"],
    value="",
    placeholder="e.g. okay=3, content=4",
    help="Scores 1-5 for moods you renamed or added in Daylio (the five defaults keep theirs).",
    key="lifelog-moods",
    persist_state="session",
)
left, middle, right = st.columns(3)
timezone = left.text_input(
    CONTROLS["timezone"],
    value="",
    placeholder="e.g. Europe/London (empty: this machine's)",
    help="uLogMe logs Unix times; this says which local day each belongs to.",
    key="lifelog-timezone",
    persist_state="session",
)
day_start_hour = middle.number_input(
    CONTROLS["day_start_hour"],
    min_value=0,
    max_value=23,
    value=7,
    key="lifelog-day-start-hour",
    persist_state="session",
)
n_boot = right.number_input(
    "Bootstrap resamples per activity",
    min_value=100,
    max_value=5000,
    value=500,
    step=100,
    key="lifelog-n-boot",
    persist_state="session",
)
alpha = left.number_input(
    "False-discovery rate",
    min_value=0.001,
    max_value=0.5,
    value=0.05,
    format="%.3f",
    key="lifelog-alpha",
    persist_state="session",
)
seed = middle.number_input(
    "Seed", min_value=0, value=0, key="lifelog-seed", persist_state="session"
)


def dashboard(progress: Progress) -> dict[str, Any]:
    import numpy as np

    from castlab.core.errors import CastlabError
    from castlab.lifelog.data import parse_mood_map
    from castlab.lifelog.report import ReportConfig, load_sources, write_report

    with work_dir() as folder:
        if use_example:
            from castlab.lifelog.synthetic import GeneratorConfig, write_exports

            paths = write_exports(
                folder / "exports",
                rng=np.random.default_rng(0),
                config=GeneratorConfig(days=120, ulogme_days=3),
            )
            given = {"toggl": paths.toggl, "daylio": paths.daylio, "ulogme": paths.ulogme}
        else:
            given = {}
            if toggl is not None:
                given["toggl"] = save_upload(toggl, folder, suffixes=(".csv",))
            if daylio is not None:
                given["daylio"] = save_upload(daylio, folder, suffixes=(".csv",))
            if ulogme:
                (folder / "ulogme").mkdir()
                for upload in ulogme:
                    save_upload(upload, folder / "ulogme", suffixes=(".txt",))
                given["ulogme"] = folder / "ulogme"
            if not given:
                raise CastlabError(
                    "no exports uploaded",
                    fix="upload a Toggl, Daylio or uLogMe export, or tick the example",
                )
        progress(0.1, "Reading the exports...")
        sources = load_sources(
            **given,
            moods=parse_mood_map(moods, files=False) if moods.strip() else None,
            timezone=timezone.strip() or None,
            day_start_hour=int(day_start_hour),
        )
        progress(0.4, "Running the analyses and drawing the dashboard...")
        config = ReportConfig(seed=int(seed), n_boot=int(n_boot), alpha=float(alpha))
        report = write_report(folder / "report", sources, config)
        files = {
            str(path.relative_to(report.parent)): path.read_bytes()
            for path in sorted(report.parent.rglob("*"))
            if path.is_file()
        }
    return {"html": files["index.html"].decode(), "files": files}


def show(result: dict[str, Any], current: bool) -> None:
    if not current:
        st.caption("This dashboard is for earlier exports or settings; press the button to update.")
    st.iframe(result["html"], height=2400)  # castlab's own HTML (values escaped)
    left, right = st.columns(2)
    left.download_button(
        "Download the dashboard (HTML)",
        result["html"],
        "lifelog.html",
        "text/html",
        on_click="ignore",
    )
    right.download_button(
        "Download the dashboard and its tables (ZIP)",
        zip_bytes(result["files"]),
        "lifelog-report.zip",
        "application/zip",
        on_click="ignore",
    )


key = input_key(
    "example" if use_example else (toggl, daylio, ulogme),
    moods,
    timezone,
    day_start_hour,
    n_boot,
    alpha,
    seed,
)
if st.button("Build dashboard", type="primary"):
    run_action("lifelog", key, dashboard, controls=CONTROLS, label="Building the dashboard...")
shown = last_result("lifelog", key)
if shown is not None:
    show(*shown)
