import pandas as pd

from castlab.core.plots import plot_lr_find
from castlab.core.report import Report


def test_report_has_sections_tables_figures_and_audio_links(tmp_path):
    png = plot_lr_find([1e-4, 1e-3, 1e-2], [3.0, 2.0, 4.0], 1e-3, tmp_path / "lr.png")
    report = Report("demo")
    section = report.section("tunes", "intro <b>")
    section.paragraph("a & b")
    section.table(pd.DataFrame({"x": [1.23456]}), "numbers")
    section.figure(png, "lr")
    (tmp_path / "out").mkdir()
    section.audio(tmp_path / "out" / "t.wav", "listen", relative_to=tmp_path)
    html = report.write(tmp_path).read_text()
    assert "intro &lt;b&gt;" in html and "a &amp; b" in html
    assert "1.235" in html and "data:image/png;base64," in html
    assert 'src="out/t.wav"' in html


def test_training_curves_with_nothing_logged_still_draw(tmp_path):
    import warnings

    from castlab.core.plots import plot_training_curves

    csv = tmp_path / "metrics.csv"
    csv.write_text("epoch,step,lr\n0,1,0.01\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "No artists with labels" legend warning
        png = plot_training_curves([csv], tmp_path / "loss.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
