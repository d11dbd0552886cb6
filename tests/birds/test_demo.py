from castlab.birds import demo
from castlab.core.report import Report


def test_demo_section_has_figures_scores_and_players(demo_model, tmp_path, monkeypatch):
    monkeypatch.setattr(
        demo, "build_demo_model", lambda work: demo_model
    )  # trained once per session
    section = Report("t").section("birds")
    demo.run_demo(tmp_path / "birds", section)
    html = "\n".join(section.parts)
    assert html.count("<figure>") >= 5 and "micro F1" in html and html.count("<audio") >= 1
    assert (tmp_path / "birds" / "test" / "submission.csv").exists()
