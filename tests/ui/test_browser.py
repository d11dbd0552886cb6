"""End to end: the real Streamlit server driven by Debian's Chromium through Playwright.

Every page loads without an exception, its main action succeeds, and a screenshot of each
page (and of its embedded frame, if any: the lifelog dashboard, the sentiment map) is saved
under ``test-output/ui/``.
"""

import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from castlab.ui.launch import streamlit_command
from tests.chromium import CHROMIUM, OFFLINE_HEADLESS_FLAGS

OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "ui"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    process = subprocess.Popen(
        streamlit_command(port), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as reply:
                if reply.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("the Streamlit server did not start")
    yield url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:  # a run still in progress can keep it busy
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=OFFLINE_HEADLESS_FLAGS)
        yield browser
        browser.close()


# page path, option to pick first (None: keep the defaults), button to press (None: just load),
# text that proves the action worked, element inside the page's embedded frame that proves it
PAGES = [
    ("", None, None, "Everything runs on this machine", None),
    ("tunes", None, "Generate", "Download ABC", None),
    ("proteins", None, "Predict", "Download predictions (CSV)", None),
    # vader: the fast scorer; the example has authors and capitals, so every view shows
    (
        "sentiment",
        "vader",
        "Score the generated example (every view)",
        "countries with posts",
        ".choroplethlocation",
    ),
    ("imbalance", None, "Compare", "Reliability of the predicted probabilities", None),
    ("lifelog", None, "Build dashboard", None, "text=lifelog"),
    ("airquality", None, "Show dashboard", "Ranking and days over", None),
    ("birds", None, "Analyse", "Soundscape timeline", None),
    ("art", None, "Paint", "Download GIF", None),
    ("selfsup", None, "Classify", "Predicted class", None),
]


@pytest.mark.parametrize("path,choose,button,proof,in_frame", PAGES)
def test_page_loads_and_main_action_works(server, browser, path, choose, button, proof, in_frame):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 1600})
    page.goto(f"{server}/{path}", wait_until="networkidle")
    page.get_by_role("heading").first.wait_for(timeout=60_000)
    if choose:
        page.get_by_text(choose, exact=True).click(timeout=60_000)
    if button:
        page.get_by_role("button", name=button).click(timeout=180_000)
    if proof:
        page.get_by_text(proof).first.wait_for(timeout=240_000)
    if in_frame:  # the lifelog dashboard and the sentiment map are embedded frames
        page.frame_locator("iframe").first.locator(in_frame).first.wait_for(timeout=240_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    page.screenshot(path=str(OUTPUT / f"{path or 'home'}.png"), full_page=True)
    if in_frame:  # the page scrolls inside Streamlit's own container: save the frame too
        page.locator("iframe").first.screenshot(path=str(OUTPUT / f"{path}-frame.png"))
    page.close()
