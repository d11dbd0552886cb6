"""A pytest plugin: with ``CASTLAB_REQUIRE_DATA=1`` a skip for missing data or tools fails.

On a developer's laptop a test that needs ``../shared/data`` or a Debian tool (abcmidi,
chromium, blastp, ...) skips with its reason (``make test`` shows the reasons: ``-rs``). CI
sets ``CASTLAB_REQUIRE_DATA=1`` (``.ci/run``), where such a skip would hide a test that never
ran, so there it is reported as a failure. A skip is of that kind when its reason names the
shared data or a missing program (:data:`NEEDS`).
"""

from __future__ import annotations

import os
import re

import pytest

#: skip reasons that mean "data or a tool is missing here"
NEEDS = re.compile(
    r"shared[ /_-]?data|not installed|debian|chromium|abc2midi|ffmpeg|blast|mmseqs|"
    r"is absent|is not here|not present|not found",
    re.IGNORECASE,
)


def skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CASTLAB_REQUIRE_DATA") != "1" or not report.skipped:
        return
    if hasattr(report, "wasxfail"):
        return
    reason = skip_reason(report)
    if NEEDS.search(reason):
        report.outcome = "failed"
        report.longrepr = f"skipped where CASTLAB_REQUIRE_DATA=1 (CI): {reason}"
