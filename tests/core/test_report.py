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


def test_training_curves_draw_accuracy_only_for_tasks_that_log_it(tmp_path):
    """An in-painting pretext task (pixel loss, no accuracy) got an empty accuracy panel
    and a loss axis labelled cross-entropy."""
    from PIL import Image

    from castlab.core.plots import plot_training_curves

    pixels = tmp_path / "pixels.csv"
    pixels.write_text("epoch,step,train_loss_step,val_loss\n0,1,0.5,\n0,2,0.4,0.45\n")
    accuracy = tmp_path / "accuracy.csv"
    accuracy.write_text(
        "epoch,step,train_loss_step,val_loss,val_accuracy\n0,1,0.5,,\n0,2,0.4,0.45,0.7\n"
    )
    one = Image.open(plot_training_curves([pixels], tmp_path / "a.png")).size[0]
    two = Image.open(plot_training_curves([accuracy], tmp_path / "b.png")).size[0]
    assert two > 1.5 * one  # a second panel only where there is an accuracy
