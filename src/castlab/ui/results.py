"""Results that stay on a page: run an action with progress and a Cancel button, keep what it
returned per input, show it again after any control changes, offer every file for download.

A page computes a result (a plain dict of tables, bytes and text) in a function that takes a
``progress(fraction, text)`` callback, and draws it in another. :func:`run_action` runs the
first (or takes the result from the cache when the same inputs were run before) and
:func:`last_result` gives the result back on every later rerun.

Cancelling: pressing Cancel (or any control) makes Streamlit rerun the script; the running
action stops at its next progress update, because Streamlit raises its own stop signal inside
that call. Actions without progress updates stop when they return.

Examples
--------
>>> input_key("Train.csv", b"a,b", ["uniqueid"], 0.5) == input_key("Train.csv", b"a,b", ["uniqueid"], 0.5)
True
>>> input_key(b"a,b", 0.5) == input_key(b"a,b", 0.6)
False
>>> zip_bytes({"a.csv": b"x"})[:2]
b'PK'
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable, Mapping
from typing import Any

from castlab.ui.common import show_errors

__all__ = ["Progress", "input_key", "last_result", "run_action", "zip_bytes"]

#: ``progress(fraction in [0, 1], text)``: what an action calls as it goes.
Progress = Callable[[float, str], None]
#: Results kept per page (oldest dropped first).
KEEP = 4


def input_key(*parts: Any) -> str:
    """A short digest of an action's inputs: uploads (bytes or ``UploadedFile``) and settings."""
    digest = hashlib.sha256()
    for part in parts:
        if hasattr(part, "getvalue") and hasattr(part, "name"):  # a Streamlit UploadedFile
            digest.update(part.name.encode() + b"\0")
            part = part.getvalue()
        elif isinstance(part, (list, tuple)):  # e.g. several uploads
            part = input_key(*part).encode()
        digest.update(part if isinstance(part, bytes) else repr(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _store(page: str) -> dict[str, Any]:
    import streamlit as st

    return st.session_state.setdefault(f"castlab-results-{page}", {"cache": {}, "last": None})


def run_action(
    page: str,
    key: str,
    compute: Callable[[Progress], dict[str, Any]],
    *,
    controls: Mapping[str, str] | None = None,
    label: str = "Working...",
) -> None:
    """Run ``compute`` with a progress bar and a Cancel button; keep its result under ``key``.

    The same ``key`` run before is taken from the cache. Errors show as one line on the page
    (fixes phrased with ``controls``, see :func:`castlab.ui.common.user_message`).
    """
    import streamlit as st

    store = _store(page)
    if key in store["cache"]:
        store["last"] = key
        return
    store.pop("cancelled", None)
    bar = st.progress(0.0, text=label)
    cancel = st.empty()
    cancel.button(
        "Cancel",
        key=f"castlab-cancel-{page}",
        on_click=lambda: store.update(cancelled=True),
        help="Stops the run at its next progress step; results already shown stay.",
    )

    def progress(fraction: float, text: str) -> None:
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=text)

    def action() -> None:
        result = compute(progress)
        store["cache"][key] = result
        while len(store["cache"]) > KEEP:
            store["cache"].pop(next(iter(store["cache"])))
        store["last"] = key

    try:
        show_errors(action, controls)
    finally:
        bar.empty()
        cancel.empty()


def last_result(page: str, key: str) -> tuple[dict[str, Any], bool] | None:
    """The page's latest result and whether it was made from the current inputs (``key``).

    Shows a one-line note when the last run was cancelled.
    """
    import streamlit as st

    store = _store(page)
    if store.pop("cancelled", False):
        st.info("Cancelled. Press the button again to start over.")
    if key in store["cache"]:
        return store["cache"][key], True
    if store["last"] in store["cache"]:
        return store["cache"][store["last"]], False
    return None


def zip_bytes(files: Mapping[str, bytes | str]) -> bytes:
    """The files (name -> content) as one ZIP archive, for a single download button."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()
