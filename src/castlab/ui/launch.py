"""Start the Streamlit server for ``castlab ui`` (on 127.0.0.1 only)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from castlab.ui.common import MAX_UPLOAD_MB

__all__ = ["APP", "streamlit_command", "run"]

APP = Path(__file__).with_name("app.py")


def streamlit_command(port: int = 8501, *, address: str = "127.0.0.1") -> list[str]:
    """The ``streamlit run`` command line for the app.

    Examples
    --------
    >>> streamlit_command(8600)[-1]
    'false'
    """
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.maxUploadSize",
        str(MAX_UPLOAD_MB),
        "--server.fileWatcherType",
        "none",
        # a local tool, not a hosted app: no Deploy button, no developer menu
        "--client.toolbarMode",
        "viewer",
        "--browser.gatherUsageStats",
        "false",
    ]


def run(port: int = 8501) -> None:
    """Replace this process with the Streamlit server (Ctrl-C stops it)."""
    command = streamlit_command(port)
    os.execv(command[0], command)
