"""The air-quality page in Streamlit's AppTest: loads, shows the example, bad uploads say why."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGE = Path(__file__).resolve().parents[2] / "src" / "castlab" / "ui" / "views" / "airquality.py"


def _page() -> AppTest:
    app = AppTest.from_file(str(PAGE), default_timeout=120)
    app.run()
    assert not app.exception, app.exception
    return app


def _dashboard_of(name: str, data: bytes) -> AppTest:
    """The page after uploading ``data`` as ``name`` (the example unticked) and pressing Show."""
    app = _page()
    app.file_uploader[0].set_value((name, data, "text/csv")).run()
    app.checkbox[0].uncheck().run()
    app.button[0].click().run()
    return app


def test_example_dashboard_shows_series_map_and_ranking():
    app = _page()
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    ranking = app.dataframe[0].value
    assert len(ranking) == 8 and ranking["mean_pm25"].is_monotonic_decreasing
    locations = app.selectbox[1].options
    assert sum(name.startswith("Middelburg (") for name in locations) == 2
    app.selectbox[1].select(locations[-1]).run()  # another location, no reload needed
    assert not app.exception
    assert any("Ranking" in header.value for header in app.subheader)


def test_without_a_file_is_one_message():
    app = _page()
    app.checkbox[0].uncheck().run()
    app.button[0].click().run()
    assert not app.exception
    assert app.error[0].value.startswith("no file uploaded")
    assert "\n" not in app.error[0].value


def test_unknown_column_is_one_message():
    app = _page()
    app.text_input[1].input("PM10").run()
    app.button[0].click().run()
    assert not app.exception
    assert "no column 'PM10'" in app.error[0].value


def test_uploaded_table_with_a_bad_date_is_one_message():
    app = _dashboard_of(
        "bad.csv", b"City,Date,Lat,Long,Predicted_PM25\nA,2020-01-01,1,2,3\nA,someday,1,2,4\n"
    )
    assert not app.exception
    message = app.error[0].value
    assert message.startswith("bad.csv:3: unknown date format 'someday'") and "\n" not in message


def test_uploaded_table_is_shown():
    app = _dashboard_of(
        "ok.csv", b"station,date,pm25\nA,2020-01-01,30\nA,2020-01-02,10\nB,2020-01-01,4\n"
    )
    assert not app.exception and not app.error, app.error
    ranking = app.dataframe[0].value
    assert ranking["location"].tolist() == ["A", "B"] and ranking["days_over_15"].tolist() == [1, 0]


def test_a_missing_pm25_column_names_the_page_control():
    app = _page()
    data = b"station,day,value\nA,2020-01-01,30\n"
    app.file_uploader[0].set_value(("ok.csv", data, "text/csv")).run()
    app.button[0].click().run()
    message = app.error[0].value
    assert message.startswith("ok.csv:1: no pm25 column")
    assert message.endswith("(fix: type its name in PM2.5 column)") and "--" not in message
    app.text_input[1].input("value").run()  # the PM2.5 column
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    labels = [button.label for button in app.get("download_button")]
    assert labels == ["Download the ranking (CSV)", "Download daily means (CSV)"]


def test_a_place_without_valid_pm25_is_named_under_the_map():
    app = _dashboard_of(
        "two.csv", b"city,date,lat,lon,pm25\nA,2020-01-01,1,30,12\nB,2020-01-01,2,31,NA\n"
    )
    assert not app.exception and not app.error, (app.exception, app.error)
    assert (
        app.info[0].value
        == "1 of 2 locations are not on the map: 1 without a valid PM2.5 value: B."
    )
    app.text_input[1].input("lat").run()  # another PM2.5 column: the dashboard is from before
    assert any("for an earlier file or settings" in c.value for c in app.caption)
