"""What a visitor does on each page with the real files its CLI is tested on, in Chromium.

Shared by the browser test (``tests/ui/test_browser.py``) and the timing benchmark
(``benchmarks/ui.py``). Each step function fills a page's controls, presses its main button
and returns the time from that press until the page shows its first result.

The real files live in ``../shared/data`` (beside the clone); :data:`REAL_FILES` names them.
"""

from __future__ import annotations

import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = ROOT.parent / "shared" / "data"
OUTPUT = ROOT / "test-output" / "ui"

#: The real files each page is driven with (relative to ``../shared/data``).
REAL_FILES = {
    "imbalance": ["financial-inclusion-africa/Train.csv", "financial-inclusion-africa/Test.csv"],
    "sentiment": ["tweeteval-sentiment/val_text.txt"],
    "proteins": ["pfam-families/hmmer-examples/fn3.sto"],
    "lifelog": [
        "toggl_track_exports/floresfdev_Toggl_time_entries_2017-08-01_to_2017-08-31.csv",
        "daylio_exports/zhafen_moody_daylio_export.csv",
    ],
    "tunes": ["oneills1850-abc/0001-0050.abc"],
    "airquality": ["airq_whitaker_za_predictions/za_cities_predictions.csv"],
    "birds": ["bird_sounds/soundscapes/opensoundscape_birds_10s.wav"],
    "art": ["imagenette_ssl_subset/val/n01440764/n01440764_10592.JPEG"],
    "selfsup": ["imagenette_ssl_subset/val/n01440764/n01440764_10592.JPEG"],
}
#: Scores for the 10 custom moods of the real Daylio export (as in tests/lifelog/conftest.py).
REAL_MOODS = (
    "content=4, okay=3, anxious=2, tired=2.5, frustrated=2, distracted=2.5, exhausted=2, "
    "beyond anxious=1, angry=1.5, in pain=1.5"
)
#: Longest wait for one page's result, in milliseconds (a busy shared machine is slow).
WAIT_MS = 420_000
#: Seconds with nothing running, after a press, that mean the click was lost.
LOST_CLICK_S = 30


def real_file(page: str, index: int = 0) -> Path:
    return SHARED_DATA / REAL_FILES[page][index]


@contextmanager
def streamlit_server(port: int) -> Iterator[str]:
    """The castlab app on 127.0.0.1:``port`` (as ``castlab ui`` starts it), stopped afterwards.

    The server's output goes to ``test-output/ui/server-<port>.log``, for a failure's reader.
    """
    from castlab.ui.launch import streamlit_command

    OUTPUT.mkdir(parents=True, exist_ok=True)
    log = (OUTPUT / f"server-{port}.log").open("wb")
    process = subprocess.Popen(streamlit_command(port), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("the Streamlit server did not start")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a run still in progress can keep it busy
            process.kill()
            process.wait()
        log.close()


def open_page(browser: Any, url: str, path: str) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 1600})
    page.goto(f"{url}/{path}", wait_until="networkidle")
    page.get_by_role("heading").first.wait_for(timeout=60_000)
    idle(page)
    return page


def idle(page: Any) -> None:
    """Wait until the script has finished its rerun (Streamlit's running indicator is gone)."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=WAIT_MS)


def upload(page: Any, index: int, path: Path) -> None:
    """Put ``path`` into the page's ``index``-th file uploader and wait for the rerun.

    An uploader can still be disabled when the step before has not been redrawn yet (the
    imbalance page enables its second one only once EM is chosen), and files given to a
    disabled one are dropped: so wait until it is enabled, and give the file again if no
    chip shows.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    files = page.locator('[data-testid="stFileChip"]')
    before = files.count()
    dropzone = page.locator('[data-testid="stFileUploaderDropzoneInput"]').nth(index)
    for attempt in range(2):
        expect(dropzone).to_be_enabled(timeout=120_000)
        dropzone.set_input_files(str(path))
        try:
            files.nth(before).wait_for(timeout=60_000 if attempt == 0 else 120_000)
            break
        except PlaywrightTimeout:  # the file did not arrive
            if attempt:
                raise
    idle(page)


def choose(page: Any, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label``."""
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).first.click()
    idle(page)


def type_into(page: Any, label: str, text: str) -> None:
    field = page.get_by_role("textbox", name=label, exact=True)
    field.fill(text)
    field.press("Enter")
    idle(page)


def press(page: Any, button: str, proof: str | Callable[[], bool]) -> float:
    """Press ``button``; return seconds until ``proof`` (text, or a test of the page) shows.

    A click that reaches the page while Streamlit is still starting the rerun of the step
    before can be lost (the rerun draws the button afresh). So when nothing runs for
    :data:`LOST_CLICK_S` seconds and neither the proof nor an error has shown, the button
    is pressed again (twice at most); the pages keep a finished result, so a second press
    of a click that was not lost only shows it again. An error box ends the wait at once.
    """
    shown = proof if callable(proof) else lambda: page.get_by_text(proof).count() > 0
    running = page.locator('[data-testid="stStatusWidget"]')
    start = time.perf_counter()
    for _ in range(3):
        page.get_by_role("button", name=button, exact=True).click()
        quiet_since = time.perf_counter()
        while time.perf_counter() - start < WAIT_MS / 1000:
            if shown():
                return time.perf_counter() - start
            if errors := no_errors(page):
                raise AssertionError(f"{button!r} ended in an error: {errors}")
            if running.count() and running.first.is_visible():
                quiet_since = time.perf_counter()
            elif time.perf_counter() - quiet_since > LOST_CLICK_S:
                break  # nothing ran: press again
            page.wait_for_timeout(100)  # the benchmark times presses: a fine poll
        else:
            break
    raise AssertionError(f"{proof!r} did not show within {WAIT_MS / 1000:.0f} s of {button!r}")


def no_errors(page: Any) -> list[str]:
    """Messages of error boxes and exceptions on the page (empty when all is well)."""
    boxes = page.locator('[data-testid="stAlertContentError"], [data-testid="stException"]')
    return [boxes.nth(i).inner_text() for i in range(boxes.count())]


@dataclass
class Outcome:
    seconds: float  # from pressing the main button to the first result
    note: str  # what the result was


def imbalance(page: Any) -> Outcome:
    upload(page, 0, real_file("imbalance"))
    page.get_by_text("Detected identifier columns: uniqueid").wait_for(timeout=60_000)
    choose(page, "Target column", "bank_account")
    choose(page, "Positive label", "Yes")
    page.get_by_text("estimate from an unlabelled test file (EM)").click()
    idle(page)
    upload(page, 1, real_file("imbalance", 1))
    seconds = press(page, "Compare", "Estimated test balance")
    page.get_by_text("Reliability of the predicted probabilities").wait_for(timeout=WAIT_MS)
    return Outcome(seconds, "8 strategies x 3 folds (logistic), EM estimate of Test.csv shown")


def sentiment(page: Any) -> Outcome:
    upload(page, 0, real_file("sentiment"))
    page.get_by_text("vader", exact=True).click()
    idle(page)
    seconds = press(page, "Score", "Download scores (CSV)")
    return Outcome(seconds, "2,000 TweetEval validation tweets scored (VADER)")


def proteins(page: Any) -> Outcome:
    upload(page, 0, real_file("proteins"))
    seconds = press(page, "Predict", "Download predictions (CSV)")
    summary = page.get_by_text("most common family").first
    summary.wait_for(timeout=WAIT_MS)
    model = page.get_by_text("Model: ").first.inner_text().split("(")[0].removeprefix("Model: ")
    return Outcome(seconds, f"{summary.inner_text()} Model: {model.strip()}")


def lifelog(page: Any) -> Outcome:
    upload(page, 0, real_file("lifelog"))
    upload(page, 1, real_file("lifelog", 1))
    type_into(page, "Daylio custom moods", REAL_MOODS)
    frame = page.frame_locator("iframe").first
    seconds = press(page, "Build dashboard", lambda: frame.locator("text=lifelog").count() > 0)
    return Outcome(seconds, "dashboard from the real Toggl and Daylio exports")


def tunes(page: Any) -> Outcome:
    page.get_by_text("continue a tune from my ABC file (prompt)").click()
    idle(page)
    upload(page, 0, real_file("tunes"))
    page.get_by_text("50 tunes read from 0001-0050.abc").wait_for(timeout=60_000)
    seconds = press(page, "Generate", "Download ABC")
    page.get_by_text("Continued from").wait_for(timeout=WAIT_MS)
    return Outcome(seconds, "tune 1 of O'Neill's continued from its first two bars")


def airquality(page: Any) -> Outcome:
    upload(page, 0, real_file("airquality"))
    seconds = press(page, "Show dashboard", "Ranking and days over")
    return Outcome(seconds, "ZA predictions: series, map, ranking")


def birds(page: Any) -> Outcome:
    upload(page, 0, real_file("birds"))
    seconds = press(page, "Analyse", "Soundscape timeline")
    return Outcome(seconds, "10-s soundscape (includes training the demo CNN once)")


def art(page: Any) -> Outcome:
    choose(page, "Target image", "upload")
    upload(page, 0, real_file("art"))
    seconds = press(page, "Paint", "Download GIF")
    return Outcome(seconds, "an Imagenette photo copied with a Fourier image, 100 steps")


def selfsup(page: Any) -> Outcome:
    upload(page, 0, real_file("selfsup"))
    seconds = press(page, "Classify", "Predicted class")
    return Outcome(seconds, "an Imagenette photo classified (demo model trained once)")


#: page path -> its steps, in the order the test and the benchmark run them.
STEPS: dict[str, Callable[[Any], Outcome]] = {
    "imbalance": imbalance,
    "sentiment": sentiment,
    "proteins": proteins,
    "lifelog": lifelog,
    "tunes": tunes,
    "airquality": airquality,
    "birds": birds,
    "art": art,
    "selfsup": selfsup,
}
