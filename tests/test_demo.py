"""`castlab demo` writes one report; the tunes part has sheet music, audio and checks."""

import shutil

import pytest

from castlab.demo import DOMAIN_DEMOS, run_demo


@pytest.mark.slow
def test_tunes_demo_report(tmp_path):
    path = run_demo(tmp_path, ["tunes"])
    html = path.read_text()
    assert "<h2" in html and "tunes" in html
    assert "This part failed" not in html
    assert "held-out tunes next-token accuracy" in html
    assert html.count("<audio") == 3
    assert (tmp_path / "tunes" / "jig-D.mid").exists()
    assert (tmp_path / "tunes" / "tiny-run" / "loss.png").exists()
    if shutil.which("abcm2ps"):
        assert html.count("<svg") >= 3


def test_every_domain_is_registered_with_a_module():
    for name, (module, description) in DOMAIN_DEMOS.items():
        assert module == f"castlab.{name}.demo" and description


def test_a_stopped_demo_says_which_parts_did_not_run(tmp_path, monkeypatch):
    """Ctrl-C in the second part: the report on disk has the first part's results and says
    the parts after it have not run (a rerun into an earlier demo's folder included)."""
    import sys
    import types

    def first(out_dir, section):
        section.paragraph("first part's results")

    def stop(out_dir, section):
        raise KeyboardInterrupt

    monkeypatch.setitem(sys.modules, "first_demo", types.SimpleNamespace(run_demo=first))
    monkeypatch.setitem(sys.modules, "stop_demo", types.SimpleNamespace(run_demo=stop))
    monkeypatch.setitem(DOMAIN_DEMOS, "first", ("first_demo", "Runs."))
    monkeypatch.setitem(DOMAIN_DEMOS, "stop", ("stop_demo", "Stopped by the user."))
    (tmp_path / "index.html").write_text("an earlier demo's full report")
    with pytest.raises(KeyboardInterrupt):
        run_demo(tmp_path, ["first", "stop", "tunes"])
    html = (tmp_path / "index.html").read_text()
    assert "first part&#x27;s results" in html or "first part's results" in html
    assert html.count("Not run yet") == 2  # stop and tunes
    assert "earlier demo" not in html


def test_a_demo_stopped_in_its_first_part_leaves_no_earlier_report(tmp_path, monkeypatch):
    import sys
    import types

    def stop(out_dir, section):
        raise KeyboardInterrupt

    monkeypatch.setitem(sys.modules, "stop_demo", types.SimpleNamespace(run_demo=stop))
    monkeypatch.setitem(DOMAIN_DEMOS, "stop", ("stop_demo", "Stopped by the user."))
    (tmp_path / "index.html").write_text("an earlier demo's full report")
    with pytest.raises(KeyboardInterrupt):
        run_demo(tmp_path, ["stop"])
    html = (tmp_path / "index.html").read_text()
    assert "earlier demo" not in html and html.count("Not run yet") == 1
