"""Test of the imbalance part of ``castlab demo``."""

from __future__ import annotations

from castlab.core.report import Report
from castlab.imbalance.demo import run_demo


def test_demo_fills_section_and_writes_figures(tmp_path):
    report = Report("t")
    section = report.section("imbalance")
    run_demo(tmp_path / "imbalance", section)
    html = report.render()
    assert html.count("<img") == 2 and html.count("<table") == 2
    assert "EM estimate" in html
    assert (tmp_path / "imbalance" / "summary.csv").exists()
