"""The selfsup part of ``castlab demo``."""

from __future__ import annotations

from castlab.core.report import Report
from castlab.selfsup.demo import run_demo


def test_demo_fills_section_and_writes_figures(tmp_path):
    report = Report("t")
    section = report.section("selfsup")
    run_demo(tmp_path / "selfsup", section)
    html = report.render()
    assert html.count("<img") == 3 and html.count("<table") == 1
    assert "linear probe" in html
    assert (tmp_path / "selfsup" / "pretrain" / "encoder" / "model.safetensors").exists()
