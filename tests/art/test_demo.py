"""The art part of ``castlab demo`` fills its section and writes its files."""

from __future__ import annotations

from castlab.art.demo import run_demo
from castlab.core.report import Report


def test_demo_fills_section_and_writes_files(tmp_path):
    report = Report("t")
    section = report.section("art")
    run_demo(tmp_path / "art", section)
    html = report.render()
    assert html.count("<img") == 2 and html.count("<table") == 1
    assert "copy china.jpg with fourier" in html and "style transfer" in html
    for name in ("results.png", "race.png", "strokes/frames.gif", "pixel-art/image.png"):
        assert (tmp_path / "art" / name).exists(), name
