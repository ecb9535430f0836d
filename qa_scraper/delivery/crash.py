"""The delivery's one test seam: :func:`crash_point`.

The kill -9 tests (tests/test_run_lifecycle.py, test_reliability*.py, test_reextract.py) start a
crawl with ``QA_CRASH_AT=<step>``; the process then kills itself with SIGKILL when it reaches
that step of closing a run (:data:`CLOSE_STEPS`, :mod:`qa_scraper.delivery.lifecycle`), or
between a group's staged rows and its lines (:data:`GROUP_STAGED`), as ``kill -9`` would, so
that each step's recovery is tested. Without the variable it does nothing;
no other code branches for tests.
"""

from __future__ import annotations

import os
import signal

CRASH_ENV = "QA_CRASH_AT"
# The steps of closing a finished run, in order; "committed" is the commit point.
CLOSE_STEPS = (
    "flushed",
    "manifest_staged",
    "committed",
    "items_renamed",
    "rejects_renamed",
    "archive_renamed",
    "manifest_renamed",
)
# A group of outcomes (CrawlRun.sync) between its state transaction and its lines.
GROUP_STAGED = "group_staged"


def crash_point(step: str) -> None:
    """Die here, as ``kill -9`` would, if ``QA_CRASH_AT`` names ``step``."""
    if os.environ.get(CRASH_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)
