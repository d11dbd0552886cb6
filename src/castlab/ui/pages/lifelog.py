"""Lifelog page: upload Toggl / Daylio / uLogMe exports (or use examples) and get the dashboard."""

import streamlit as st
import streamlit.components.v1 as components

from castlab.ui.common import save_upload, show_errors, work_dir

st.title("Lifelog")
st.caption("Your exports are read on this machine only; nothing is uploaded anywhere.")

toggl = st.file_uploader("Toggl Track detailed report (CSV)", type=["csv"])
daylio = st.file_uploader("Daylio export (CSV)", type=["csv"])
ulogme = st.file_uploader(
    "uLogMe logs (keyfreq_*.txt and window_*.txt)", type=["txt"], accept_multiple_files=True
)
moods = st.text_input("Daylio custom moods (e.g. 'okay=3,content=4')", value="")
use_example = st.checkbox("Use generated example exports", value=not (toggl or daylio or ulogme))


def dashboard() -> None:
    import numpy as np

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
        with st.spinner("Reading exports and running the analyses..."):
            sources = load_sources(**given, moods=moods or None)
            report = write_report(folder / "report", sources, ReportConfig(n_boot=500))
            components.html(report.read_text(), height=2400, scrolling=True)


if st.button("Build dashboard", type="primary"):
    show_errors(dashboard)
