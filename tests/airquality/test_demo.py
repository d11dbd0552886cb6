"""The demo section runs on generated data and says what it found."""

from __future__ import annotations

from castlab.airquality.demo import run_demo
from castlab.core.report import Section


def test_run_demo_fills_the_section(tmp_path):
    section = Section("airquality")
    run_demo(tmp_path / "airquality", section)
    text = "\n".join(section.parts)
    assert "monthly climatology" in text and "Middelburg (" in text
    assert text.count("<img") >= 4
    assert (tmp_path / "airquality" / "dashboard" / "index.html").exists()
