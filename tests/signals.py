"""Children that a test stops with Ctrl-C (SIGINT) must not inherit an ignored SIGINT.

A shell starts a background job (``make test &``, a CI step run in the background) with
SIGINT ignored, and a child inherits that: Python then installs no KeyboardInterrupt handler
and the child never stops. Pass ``preexec_fn=default_sigint`` to ``subprocess.Popen`` so the
child starts with the default SIGINT, whatever the test runner's own was.

Shared by ``tests/art/test_cli.py``, ``tests/core/test_distributed.py`` and
``tests/reliability/faults.py`` (which ``benchmarks/reliability.py`` runs too).
"""

import signal


def default_sigint() -> None:
    """Reset SIGINT to its default in a forked child, before it starts its program."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
