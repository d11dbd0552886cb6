"""Sentinel-5P NetCDF sampling on generated L2 (PRODUCT group) and L3 (grid) files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from castlab.airquality.data import Readings
from castlab.airquality.satellite import (
    add_satellite_features,
    sample_netcdf,
    write_example_l2,
    write_example_l3,
)
from castlab.core.errors import CastlabError

VARIABLE = "nitrogendioxide_tropospheric_column"
POINTS = pd.DataFrame(
    {
        "location": ["Johannesburg", "Upington", "Far away"],
        "latitude": [-26.2, -28.4, 10.0],
        "longitude": [28.0, 21.2, 0.0],
    }
)


def test_l2_swath_mean_of_good_pixels_near_each_point(tmp_path):
    path = write_example_l2(tmp_path / "S5P_OFFL_L2__NO2____x.nc")
    table = sample_netcdf([path], POINTS, radius_km=15)
    assert table["location"].tolist() == ["Johannesburg"]  # the swath covers only Gauteng
    assert table["date"].iloc[0] == pd.Timestamp("2020-01-01")
    assert 2.9e-5 < table[VARIABLE].iloc[0] < 3.1e-5  # 2e-5 + the plume peak 1e-5


def test_l3_grid_nearest_cell_per_day(tmp_path):
    path = write_example_l3(tmp_path / "l3.nc", days=4)
    table = sample_netcdf([path], POINTS)
    assert sorted(table["location"].unique()) == ["Johannesburg", "Upington"]
    joburg = table[table["location"] == "Johannesburg"][VARIABLE]
    upington = table[table["location"] == "Upington"][VARIABLE]
    assert len(joburg) == 4 and joburg.mean() > 10 * upington.mean()


def test_join_onto_readings(tmp_path):
    path = write_example_l3(tmp_path / "l3.nc", days=2)
    frame = pd.DataFrame(
        {
            "location": ["Johannesburg"] * 3,
            "name": "Johannesburg",
            "date": pd.to_datetime(["2020-01-01 10:00", "2020-01-02 00:00", "2020-01-05 00:00"]),
            "latitude": -26.2,
            "longitude": 28.0,
            "pm25": [1.0, 2.0, 3.0],
        }
    )
    joined = add_satellite_features(Readings(frame), sample_netcdf([path], frame)).frame
    assert np.isfinite(joined[VARIABLE].iloc[:2]).all() and np.isnan(joined[VARIABLE].iloc[2])
    assert len(joined) == 3


def test_errors_are_one_line(tmp_path):
    path = write_example_l3(tmp_path / "l3.nc", days=1)
    with pytest.raises(CastlabError, match="no variable carbonmonoxide_total_column"):
        sample_netcdf([path], POINTS, variables=["carbonmonoxide_total_column"])
    with pytest.raises(CastlabError, match="need columns|locations need"):
        sample_netcdf([path], POINTS.drop(columns="latitude"))
    (tmp_path / "junk.nc").write_text("not netcdf")
    with pytest.raises(CastlabError, match="not a readable NetCDF"):
        sample_netcdf([tmp_path / "junk.nc"], POINTS)
