"""End to end: the real Streamlit server driven by Debian's Chromium through Playwright.

Each page gets the real file its CLI is tested on (``../shared/data``; see
``tests/ui/browser_steps.py``), its main button is pressed and its result checked; a
screenshot of each page (and of its embedded frame, if any) is saved under
``test-output/ui/``. One server and one browser serve every page.
"""

import socket

import pytest

from tests.chromium import CHROMIUM, OFFLINE_HEADLESS_FLAGS
from tests.ui import browser_steps as steps

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
    with steps.streamlit_server(_free_port()) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=OFFLINE_HEADLESS_FLAGS)
        yield browser
        browser.close()


def _screenshot(page, name: str) -> None:
    steps.OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(steps.OUTPUT / f"{name}.png"), full_page=True)
    if page.locator("iframe").count():  # the page scrolls inside Streamlit's own container
        page.locator("iframe").first.screenshot(path=str(steps.OUTPUT / f"{name}-frame.png"))


def test_home_lists_the_pages_without_deploy_button_or_developer_menu(server, browser):
    page = steps.open_page(browser, server, "")
    page.get_by_text("Everything runs on this machine").wait_for()
    navigation = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Imbalance" in navigation and "Self-supervised" in navigation
    assert page.get_by_role("button", name="Deploy").count() == 0
    page.locator('[data-testid="stMainMenu"]').click()
    assert page.get_by_text("Clear cache").count() == 0  # a developer item of the menu
    _screenshot(page, "home")
    page.close()


def test_imbalance_run_can_be_cancelled(shared_data, server, browser):
    page = steps.open_page(browser, server, "imbalance")
    steps.upload(page, 0, steps.real_file("imbalance"))
    steps.choose(page, "Target column", "bank_account")
    page.get_by_role("button", name="Compare", exact=True).click()
    page.get_by_role("button", name="Cancel", exact=True).click(timeout=60_000)
    page.get_by_text("Cancelled.").wait_for(timeout=steps.WAIT_MS)
    assert page.get_by_text("Strategies on Train.csv").count() == 0
    page.close()


@pytest.mark.parametrize("name", list(steps.STEPS))
def test_page_on_its_real_file(shared_data, server, browser, name):
    for path in steps.REAL_FILES[name]:
        if not (shared_data / path).exists():
            pytest.skip(f"{path} is not in ../shared/data")
    page = steps.open_page(browser, server, name)
    outcome = steps.STEPS[name](page)
    assert steps.no_errors(page) == [], outcome
    if name == "proteins" and "default Pfam model" in outcome.note:  # fn3 is one of its families
        assert "most common family: PF00041" in outcome.note, outcome
    _screenshot(page, name)
    page.close()
