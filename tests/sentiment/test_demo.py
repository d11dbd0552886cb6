"""The sentiment part of ``castlab demo`` runs on generated posts and fills its section."""

from __future__ import annotations

import pandas as pd

from castlab.core.report import Report
from castlab.sentiment.demo import run_demo


def test_demo_writes_tables_figures_and_map(tmp_path):
    report = Report("t")
    section = report.section("sentiment")
    run_demo(tmp_path / "sentiment", section)
    html = "".join(section.parts)
    assert html.count("<img") == 2 and "map.html" in html
    authors = pd.read_csv(tmp_path / "sentiment" / "authors.csv").set_index("author")
    # the generated tempers survive scoring: cheerful above neutral above grumpy
    assert (
        authors.loc["cheerful_chris", "mean"]
        > authors.loc["neutral_nat", "mean"]
        > authors.loc["grumpy_gus", "mean"]
    )
    capitals = pd.read_csv(tmp_path / "sentiment" / "capitals.csv")
    # 40 capitals x 6 posts; a post may land nearer a neighbouring capital (Rome / Vatican)
    assert capitals["posts"].sum() == 240 and 38 <= len(capitals) <= 42
