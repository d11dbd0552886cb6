"""Reading and checking tables: formats, bad values, duplicates, dates, places."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from castlab.airquality.data import clean_pm25, parse_dates, read_table, resample, tidy
from castlab.core.errors import CastlabError

from .conftest import ZA_PREDICTIONS

BLOG = (
    "City,Date,Lat,Long,Predicted_PM25,pop_density2010_5000_max\n"
    "Middelburg,2019-01-01,-25.775071,29.464821,30.5,100\n"
    "Middelburg,2019-01-01,-31.492849,25.00633,12.0,20\n"
    "Johannesburg,2019-01-01,-26.205171,28.049815,54.2,4153.3\n"
    "Johannesburg,2019-01-02,-26.205171,28.049815,48.0,4153.3\n"
)


def test_blog_format_keeps_two_middelburgs_apart():
    readings = read_table(io.StringIO(BLOG))
    assert readings.locations == [
        "Johannesburg",
        "Middelburg (-25.78, 29.46)",
        "Middelburg (-31.49, 25.01)",
    ]
    assert readings.issues["renamed_locations"] == 1
    frame = readings.frame.set_index("location")
    assert frame.loc["Middelburg (-31.49, 25.01)", "pm25"] == 12.0
    assert "pop_density2010_5000_max" in readings.features


def test_a_row_without_coordinates_stays_with_its_place():
    """One blank Lat/Long used to make a second place of the same name ("A (nan, nan)"), so
    leave-one-location-out scored A's rows with a model trained on A."""
    text = (
        BLOG.replace("Johannesburg,2019-01-02,-26.205171,28.049815,", "Johannesburg,2019-01-02,,,")
        + "Middelburg,2019-01-03,,,20.0,60\n"
    )
    readings = read_table(io.StringIO(text))
    assert readings.locations == [
        "Johannesburg",
        "Middelburg (-25.78, 29.46)",
        "Middelburg (-31.49, 25.01)",
        "Middelburg (no coordinates)",  # a name at two places: which one is not known
    ]
    assert readings.issues["filled_coordinates"] == 1
    joburg = readings.frame[readings.frame["location"] == "Johannesburg"]
    assert joburg["latitude"].tolist() == [-26.205171, -26.205171]


def test_a_stray_word_in_a_numeric_column_blanks_that_cell_not_the_column():
    text = BLOG.replace("48.0,4153.3", "48.0,--")
    readings = read_table(io.StringIO(text))
    assert "pop_density2010_5000_max" in readings.features  # it was dropped whole, silently
    assert readings.frame["pop_density2010_5000_max"].isna().sum() == 1
    assert readings.issues["non_numeric_pop_density2010_5000_max"] == 1
    assert "non_numeric_pop_density2010_5000_max 1" in readings.summary()


def test_bad_pm25_values_are_counted_and_blanked():
    text = "station,date,pm25\nA,2020-01-01,abc\nA,2020-01-02,-4\nA,2020-01-03,999\nA,2020-01-04,\nA,2020-01-05,8\n"
    readings = read_table(io.StringIO(text))
    issues = readings.issues
    assert (issues["non_numeric_pm25"], issues["negative_pm25"], issues["sentinel_pm25"]) == (
        1,
        1,
        1,
    )
    assert issues["missing_pm25"] == 1
    assert readings.frame["pm25"].notna().sum() == 1 and readings.frame["pm25"].max() == 8


def test_custom_sentinels():
    values, issues = clean_pm25(pd.Series(["-1", "5", "-99"]), sentinels=(-99.0,))
    assert issues["sentinel_pm25"] == 1 and issues["negative_pm25"] == 1
    assert values.tolist()[1] == 5.0


def test_duplicate_timestamps_are_averaged_and_counted():
    text = "site,time,PM2.5\nA,2020-01-01 10:00,10\nA,2020-01-01 10:00,20\nA,2020-01-01 11:00,5\n"
    readings = read_table(io.StringIO(text))
    assert readings.issues["duplicate_rows"] == 1
    assert readings.frame["pm25"].tolist() == [15.0, 5.0]


@pytest.mark.parametrize(
    "text,fix",
    [
        ("city,day,value\nA,2020-01-01,3\n", "--target"),
        ("city,pm25\nA,3\n", "--date"),
        ("date,pm25\n2020-01-01,3\n", "--group"),  # the CLI option for the location
    ],
)
def test_missing_columns_are_one_line_errors(text, fix):
    with pytest.raises(CastlabError) as info:
        read_table(io.StringIO(text))
    message = str(info.value)
    assert "\n" not in message and fix in message and ":1:" in message


def test_unknown_date_format_names_its_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("city,date,pm25\nA,2020-01-01,3\nA,31st of May,4\n")
    with pytest.raises(CastlabError, match=r"t.csv:3: unknown date format '31st of May'"):
        read_table(path)


def test_date_format_option_reads_day_first(tmp_path):
    frame = tidy(
        pd.DataFrame({"city": ["A"], "date": ["31/05/2020"], "pm25": [3]}), date_format="%d/%m/%Y"
    ).frame
    assert frame["date"].iloc[0] == pd.Timestamp("2020-05-31")


def test_a_date_format_that_does_not_match_says_so(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("city,date,pm25\nA,2020-01-01,3\n")
    with pytest.raises(CastlabError, match=r"t.csv:2: date '2020-01-01' does not match .*%d/%m/%Y"):
        read_table(path, date_format="%d/%m/%Y")


def test_a_pm25_column_without_one_number_is_an_error(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("city,date,pm25\nA,2020-01-01,Nairobi\nA,2020-01-02,NA\n")
    with pytest.raises(CastlabError, match="'pm25' holds no usable value .*1 non_numeric"):
        read_table(path)


def test_mixed_formats_and_timezones():
    parsed = parse_dates(pd.Series(["2020-01-01T02:00:00+02:00", "2020-01-01T00:00:00Z"]))
    assert parsed.tolist() == [pd.Timestamp("2020-01-01 00:00")] * 2


def test_missing_file_and_bad_csv(tmp_path):
    with pytest.raises(CastlabError, match="file not found"):
        read_table(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CastlabError, match="empty readings table"):
        read_table(empty)


def test_resample_daily_counts_readings_and_min_readings():
    frame = pd.DataFrame(
        {
            "station": ["S"] * 4,
            "date": [
                "2020-01-01 01:00",
                "2020-01-01 05:00",
                "2020-01-02 01:00",
                "2020-01-02 03:00",
            ],
            "pm25": [10, 30, 7, None],
            "no2": [1.0, 3.0, 5.0, 7.0],
        }
    )
    daily = resample(tidy(frame), "D", min_readings=2).frame
    assert daily["n_readings"].tolist() == [2, 1]
    assert daily["pm25"].tolist()[0] == 20.0 and pd.isna(daily["pm25"].iloc[1])
    assert daily["no2"].tolist() == [2.0, 6.0]
    with pytest.raises(CastlabError, match="unknown period"):
        resample(tidy(frame), "W")


@pytest.mark.skipif(not ZA_PREDICTIONS.exists(), reason="shared data absent")
def test_real_za_predictions():
    readings = read_table(ZA_PREDICTIONS)
    frame = readings.frame
    assert len(frame) == 41_688 and frame["name"].nunique() == 71
    assert frame["location"].nunique() == 72  # the two Middelburgs stay apart
    assert sum(loc.startswith("Middelburg (") for loc in readings.locations) == 2
