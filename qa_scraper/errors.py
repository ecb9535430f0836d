"""Exit codes of ``scrapy crawl doctorqna`` and the errors that refuse a run before it starts.

A scheduled job (cron, systemd, Airflow) only sees the exit status, so every way a
run can end has its own. A refusal is one line on stderr: what is wrong, why, and
what to do; it leaves no file behind.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # the run finished and was delivered (manifest written)
    ERROR = 1  # unexpected error (a bug, or Scrapy itself failed to start)
    USAGE = 2  # bad arguments or settings: nothing was done
    LOCKED = 3  # another crawl holds the crawl state: nothing was done
    SETUP = 4  # output folder or state file unusable (not a folder, corrupt, read-only)
    NOTHING_FETCHED = 5  # the site gave nothing usable (down, not HTTP): run not delivered
    INTERRUPTED = 6  # stopped before the end (Ctrl-C, CLOSESPIDER_*): not delivered, resumable
    MONITOR_FAILED = 7  # delivered, but a monitor failed (qa_scraper/extensions/monitoring.py)
    # The run could not write its output or its state (disk full, permissions): not
    # delivered and resumed by the next start; or committed, and published by the next start.
    WRITE_FAILED = 8


class WriteFailed(Exception):
    """The run can no longer write its output or its state: nothing more is written."""


class SetupError(Exception):
    """The run cannot start. ``str()`` is the one line an operator reads."""

    exit_code = ExitCode.SETUP

    def __init__(self, what: str, todo: str) -> None:
        super().__init__(f"{what}. {todo}")


class ArgumentError(SetupError):
    """A bad ``-a`` argument or ``-s`` setting."""

    exit_code = ExitCode.USAGE


class RunLockedError(SetupError):
    """Another crawl holds the state file."""

    exit_code = ExitCode.LOCKED


def exit_code_for(finish_reason: str | None, fetched_anything: bool) -> ExitCode:
    """The exit code of a crawl that ran (refusals have their own)."""
    if finish_reason != "finished":
        return ExitCode.INTERRUPTED
    return ExitCode.OK if fetched_anything else ExitCode.NOTHING_FETCHED
