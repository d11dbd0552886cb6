"""Air-quality page: upload PM2.5 predictions or measurements (or use a generated example),
then a time series for a chosen location, a map of averages and a ranking."""

import streamlit as st

# imported when the page opens, not when the button is pressed (pandas and the readers take
# about a second to import on a fresh server: that second counted towards the first dashboard)
from castlab.airquality.charts import map_spec, mapped, timeseries_spec
from castlab.airquality.dashboard import daily, location_summary
from castlab.airquality.readers import ReadConfig
from castlab.airquality.readers import load as load_readings
from castlab.ui.common import example_box, kept_uploader, save_upload, show_errors, work_dir
from castlab.ui.results import input_key

st.title("Air quality")
st.caption(
    "PM2.5 per place and day: the blog's City,Date,Lat,Long,Predicted_PM25 format, any table "
    "with location, date and PM2.5 columns, or a sensors.AFRICA export. Lines: WHO 2021 "
    "guidelines (24-hour 15 µg/m³, annual 5 µg/m³)."
)

upload = kept_uploader("CSV table", key="airquality-upload", types=[".csv"])
use_example = example_box(
    "Use a generated example (8 towns, two named Middelburg)",
    key="airquality-example",
    given=upload is not None,
)
#: Setting name (CLI option) -> the control that sets it on this page.
CONTROLS = {
    "location": "Location column",
    "target": "PM2.5 column",
    "date": "Date column",
    "date_format": "Date format",
    "format": "File format",
}
# every setting keeps its value when the visitor leaves the page and comes back
location_column = st.text_input(
    f"{CONTROLS['location']} (empty: found by name)",
    key="airquality-location",
    persist_state="session",
)
target_column = st.text_input(
    f"{CONTROLS['target']} (empty: found by name)", key="airquality-target", persist_state="session"
)
left, middle, right = st.columns(3)
date_column = left.text_input(
    f"{CONTROLS['date']} (empty: found by name)", key="airquality-date", persist_state="session"
)
date_format = middle.text_input(
    f"{CONTROLS['date_format']} (empty: automatic)",
    placeholder="e.g. %d/%m/%Y %H:%M",
    help="A strptime format, for dates the automatic formats do not read.",
    key="airquality-date-format",
    persist_state="session",
)
file_format = right.selectbox(
    CONTROLS["format"],
    ["auto", "table", "beijing", "sensors-africa"],
    help="auto: a PRSA_Data file is Beijing's, a timestamp,P2 export is sensors.AFRICA's.",
    key="airquality-format",
    persist_state="session",
)


def load() -> None:
    from castlab.core.errors import CastlabError

    with work_dir() as folder:
        if use_example:
            from castlab.airquality.synthetic import generate_predictions

            path = folder / "example.csv"
            generate_predictions(n_cities=8, n_days=365).to_csv(path, index=False)
        else:
            if upload is None:
                raise CastlabError("no file uploaded", fix="upload a CSV or tick the example")
            path = save_upload(upload, folder, suffixes=(".csv",))
        config = ReadConfig(
            format=file_format,
            location=location_column or None,
            target=target_column or None,
            date=date_column or None,
            date_format=date_format or None,
        )
        readings = load_readings(path, config)
        frame = daily(readings)
        summary = location_summary(frame)
    st.session_state["airquality"] = {
        "frame": frame,
        "summary": summary,
        "note": readings.summary(),
        "key": inputs,
    }


inputs = input_key(
    "example" if use_example else upload,
    location_column,
    target_column,
    date_column,
    date_format,
    file_format,
)
if st.button("Show dashboard", type="primary"):
    show_errors(load, CONTROLS)

state = st.session_state.get("airquality")
if state is not None:
    summary = state["summary"]
    if state.get("key") != inputs:  # e.g. a new file that gave an error above
        st.caption("This dashboard is for an earlier file or settings; press Show dashboard.")
    st.caption(state["note"])
    chosen = st.selectbox(
        "Location (highest mean first)",
        list(summary["location"]),
        key="airquality-shown-location",
        persist_state="session",
    )
    window = st.slider(
        "Rolling mean (days)", 1, 60, 7, key="airquality-window", persist_state="session"
    )
    # Vega-Lite rather than plotly: Streamlit's plotly script is 4.7 MB, which alone cost
    # over a second before the first chart (benchmarks/airquality.py --parts browser)
    st.vega_lite_chart(spec=timeseries_spec(state["frame"], chosen, window=window), width="stretch")
    st.subheader("Map of averages")
    on_map = mapped(summary)
    if len(on_map):
        st.vega_lite_chart(spec=map_spec(summary, width=620), width="content")
    if len(on_map) < len(summary):
        no_place = summary[summary[["latitude", "longitude"]].isna().any(axis=1)]
        no_data = summary[summary["mean_pm25"].isna()]

        def named(rows) -> str:  # type: ignore[no-untyped-def]
            names = ", ".join(map(str, rows["location"].head(5)))
            return names + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")

        reasons = [
            f"{len(no_place)} without latitude and longitude (columns found by name): "
            f"{named(no_place)}"
            if len(no_place)
            else "",
            f"{len(no_data)} without a valid PM2.5 value: {named(no_data)}" if len(no_data) else "",
        ]
        st.info(
            f"{len(summary) - len(on_map)} of {len(summary)} locations are not on the map: "
            + "; ".join(r for r in reasons if r)
            + "."
        )
    st.subheader("Ranking and days over the WHO 24-hour guideline")
    shown = ["rank", "location", "days", "mean_pm25", "days_over_15", "share_over_15"]
    st.dataframe(summary[shown].round(2), hide_index=True)
    left, right = st.columns(2)
    left.download_button(
        "Download the ranking (CSV)",
        summary.to_csv(index=False),
        "ranking.csv",
        "text/csv",
        on_click="ignore",
    )
    right.download_button(
        "Download daily means (CSV)",
        state["frame"].to_csv(index=False),
        "daily.csv",
        "text/csv",
        on_click="ignore",
    )
