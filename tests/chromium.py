"""Debian's Chromium for the browser tests: where it is and the flags that keep it offline.

Shared by the Streamlit end-to-end test (``tests/ui/test_browser.py``) and the map screenshot
test (``tests/sentiment/test_plots.py``). Both skip when ``CHROMIUM`` is ``None``.
"""

import shutil

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
OFFLINE_HEADLESS_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
