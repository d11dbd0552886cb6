"""Every figure is written as a PNG, including awkward inputs (two years, one weekday)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from castlab.lifelog import analyses, plots

PNG = b"\x89PNG\r\n\x1a\n"


def _is_png(path) -> bool:
    return path.read_bytes()[:8] == PNG and path.stat().st_size > 2000


def test_all_figures(tmp_path, sources, table):
    log = sources.ulogme
    day = log.keys["day"].iloc[0]
    effects = analyses.activity_effects(table, rng=np.random.default_rng(0), n_boot=100)
    written = [
        plots.plot_time_per_month(
            analyses.time_per_month(sources.toggl), tmp_path / "m.png", top=2
        ),
        plots.plot_mood_by_weekday(analyses.mood_by_weekday(table), tmp_path / "w.png"),
        plots.plot_mood_by_hours(analyses.mood_by_hours(table), tmp_path / "h.png"),
        plots.plot_activity_effects(effects, tmp_path / "a.png"),
        plots.plot_associations(analyses.mood_associations(table), tmp_path / "s.png"),
        plots.plot_year_in_pixels(table, tmp_path / "y.png"),
        plots.plot_keystroke_intensity(analyses.keystroke_intensity(log, day), tmp_path / "k.png"),
        plots.plot_keystrokes_per_application(
            analyses.keystrokes_per_application(log), tmp_path / "sub" / "p.png"
        ),
    ]
    assert all(_is_png(path) for path in written)


def test_year_in_pixels_spanning_years_and_sparse_weekdays(tmp_path):
    days = pd.date_range("2023-12-20", "2024-01-10", freq="D", name="date")
    mood = pd.Series(np.where(np.arange(len(days)) % 3 == 0, np.nan, 4.0), index=days)
    table = pd.DataFrame({"weekday": days.day_name(), "mood": mood})
    assert _is_png(plots.plot_year_in_pixels(table, tmp_path / "y.png"))
    only_mondays = table[table["weekday"] == "Monday"]
    weekday = analyses.mood_by_weekday(only_mondays)  # six weekdays with no days at all
    assert _is_png(plots.plot_mood_by_weekday(weekday, tmp_path / "w.png"))
