"""Readers of real exports (generated look-alikes; the real files when present)."""

from __future__ import annotations

import pandas as pd
import pytest

from castlab.airquality.readers import (
    ReadConfig,
    detect_format,
    load,
    read_beijing,
    read_sensors_africa,
)
from castlab.core.errors import CastlabError

from .conftest import BEIJING, NAIROBI

HEADER = '"No","year","month","day","hour","PM2.5","PM10","SO2","NO2","CO","O3","TEMP","PRES","DEWP","RAIN","wd","WSPM","station"'


def _beijing_file(folder, station, values):
    lines = [HEADER]
    for k, pm in enumerate(values):
        day, hour = 1 + k // 24, k % 24
        lines.append(
            f'{k + 1},2013,3,{day},{hour},{pm},10,4,7,300,77,-0.7,1023,-18.8,0,"E",4.4,"{station}"'
        )
    path = folder / f"PRSA_Data_{station}_20130301-20170228.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_beijing_hours_to_days(tmp_path):
    _beijing_file(tmp_path, "Dongsi", [10] * 24 + ["NA"] * 12 + [40] * 12)
    _beijing_file(tmp_path, "Huairou", [5] * 48)
    daily = read_beijing(tmp_path, coordinates={"Dongsi": (39.93, 116.42)})
    frame = daily.frame.set_index(["location", "date"])
    assert frame.loc[("Dongsi", pd.Timestamp("2013-03-02")), "pm25"] == 40.0
    assert frame.loc[("Dongsi", pd.Timestamp("2013-03-02")), "n_readings"] == 12
    assert frame.loc[("Dongsi", pd.Timestamp("2013-03-01")), "latitude"] == 39.93
    assert frame["wind_east"].round(6).eq(1.0).all()  # "E" points east
    assert daily.issues["missing_pm25"] == 12
    hourly = read_beijing(tmp_path, freq=None)
    assert len(hourly.frame) == 96 and detect_format(tmp_path) == "beijing"


def test_beijing_wrong_file_is_one_line(tmp_path):
    (tmp_path / "PRSA_Data_X.csv").write_text("a,b\n1,2\n")
    with pytest.raises(CastlabError, match="not a Beijing multi-site file"):
        read_beijing(tmp_path)
    with pytest.raises(CastlabError, match="no PRSA_Data"):
        read_beijing(tmp_path / "empty_dir_that_is_missing")


def test_sensors_africa_bom_mixed_formats_hourly_and_daily(tmp_path):
    path = tmp_path / "nairobi.csv"
    rows = [
        "timestamp,P2",
        "09/01/2018 00:00,34.43",
        "09/01/2018 00:05,30.53",
        "9/1/2018 0:40:31,5.04",
        "9/1/2018 1:09:31,8.5",
        "09/02/2018 00:00,oops",
        "09/02/2018 00:05,-3",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    assert detect_format(path) == "sensors-africa"
    hourly = read_sensors_africa(path)
    assert hourly.frame["pm25"].round(2).tolist()[:2] == [23.33, 8.5]
    assert hourly.issues["non_numeric_pm25"] == 1 and hourly.issues["negative_pm25"] == 1
    assert hourly.frame["location"].iloc[0] == "nairobi"
    daily = load(path, ReadConfig(freq="D", location="Nairobi sensor"))
    assert daily.frame["n_readings"].tolist() == [4, 0]
    assert daily.locations == ["Nairobi sensor"]


def test_sensors_africa_bad_timestamp(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("timestamp,P2\n09/01/2018 00:00,3\n2018-13-45 99:00,4\n", encoding="utf-8-sig")
    with pytest.raises(CastlabError, match=r"s.csv:3: unknown date format"):
        read_sensors_africa(path)


def test_unknown_format_option(tmp_path):
    with pytest.raises(CastlabError, match="unknown format"):
        load(tmp_path, ReadConfig(format="excel"))


@pytest.mark.skipif(not NAIROBI.exists(), reason="shared data absent")
def test_real_nairobi_export():
    hourly = read_sensors_africa(NAIROBI)
    assert hourly.frame["date"].min() == pd.Timestamp("2018-09-01")
    assert hourly.frame["n_readings"].sum() == 32_907


@pytest.mark.skipif(not BEIJING.exists(), reason="shared data absent")
def test_real_beijing_daily():
    daily = read_beijing(BEIJING)
    assert len(daily.frame) == 12 * 1461 and len(daily.locations) == 12
