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
