"""The daily table: one row per calendar day, sources joined, midnight split."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from castlab.core.errors import CastlabError
from castlab.lifelog.daily import daily_table, metric_columns, split_at_midnight


def _entries(*spans: tuple[datetime, datetime, str, tuple[str, ...]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "start": [s for s, _, _, _ in spans],
            "end": [e for _, e, _, _ in spans],
            "hours": [(e - s).total_seconds() / 3600 for s, e, _, _ in spans],
            "project": [p for _, _, p, _ in spans],
            "client": ["C"] * len(spans),
            "tags": [t for _, _, _, t in spans],
        }
    )


def test_split_at_midnight_keeps_total_and_spans_days():
    entries = _entries(
        (datetime(2024, 1, 1, 22), datetime(2024, 1, 3, 2), "A", ("x",)),
        (datetime(2024, 1, 5, 9), datetime(2024, 1, 5, 10, 30), "B", ()),
    )
    pieces = split_at_midnight(entries)
    assert pieces["hours"].tolist() == [2.0, 24.0, 2.0, 1.5]
    assert pieces["date"].dt.day.tolist() == [1, 2, 3, 5]
    assert pieces["hours"].sum() == pytest.approx(entries["hours"].sum())


def test_toggl_columns_fill_unlogged_days_with_zero():
    entries = _entries(
        (datetime(2024, 1, 1, 9), datetime(2024, 1, 1, 11), "A", ("deep", "billable")),
        (datetime(2024, 1, 4, 23), datetime(2024, 1, 5, 1), "B", ()),
    )
    table = daily_table(toggl=entries)
    assert list(table.index.day) == [1, 2, 3, 4, 5]
    assert table["hours_logged"].tolist() == [2.0, 0.0, 0.0, 1.0, 1.0]
    assert table["project: B"].tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert table["tag: deep"].tolist() == [2.0, 0.0, 0.0, 0.0, 0.0]
    assert table["weekday"].iloc[0] == "Monday" and table["month"].iloc[0] == "2024-01"


def test_daylio_columns_mean_mood_and_activity_flags():
    entries = pd.DataFrame(
        {
            "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-03"]),
            "mood": [2.0, 5.0, 3.0],
            "activities": [("walk",), ("walk", "tea"), ()],
        }
    )
    table = daily_table(daylio=entries)
    assert len(table) == 3  # 2024-01-02 has no entry but still has a row
    assert table["mood"].tolist()[0] == 3.5 and pd.isna(table["mood"].iloc[1])
    assert table["mood_entries"].iloc[0] == 2
    assert table["activity: walk"].iloc[0] == 1.0  # a flag, not a count
    assert table["activity: tea"].iloc[2] == 0.0
    assert pd.isna(table["activity: tea"].iloc[1])  # no entry: unknown, not "not done"


def test_full_table_from_generated_exports(sources, table):
    days = pd.date_range(table.index[0], table.index[-1], freq="D")
    assert table.index.equals(pd.DatetimeIndex(days, name="date"))
    assert table["hours_logged"].sum() == pytest.approx(sources.toggl["hours"].sum())
    project_columns = [c for c in table.columns if c.startswith("project: ")]
    assert table[project_columns].sum(axis=1, min_count=1).to_numpy() == pytest.approx(
        table["hours_logged"].to_numpy(), nan_ok=True
    )
    logged = table["keystrokes"].dropna()
    assert logged.sum() == sources.ulogme.keys["keystrokes"].sum()
    assert table.loc[logged.index, "top_application"].notna().all()
    assert (table.loc[logged.index, "active_minutes"] <= 24 * 60).all()
    assert table["mood"].dropna().between(1, 5).all()


def test_metric_columns_and_no_sources(table):
    metrics = metric_columns(table)
    assert "hours_logged" in metrics and "activity: outdoors" in metrics
    assert "keystrokes" in metrics
    assert not {"mood", "mood_entries", "weekday", "top_application"} & set(metrics)
    with pytest.raises(CastlabError, match="no data: pass at least one export"):
        daily_table()
    with pytest.raises(CastlabError, match="the Daylio export.s. given hold no entries"):
        daily_table(daylio=pd.DataFrame(columns=["date", "mood"]))
