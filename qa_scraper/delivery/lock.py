"""The run lock: one crawl at a time per state file.

An exclusive ``flock`` on ``<state>.lock``, beside the state file; it names the process that
holds it, and the kernel frees it if that process dies (``kill -9`` included).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from qa_scraper.delivery.folders import make_folder_of
from qa_scraper.delivery.state import utc_now
from qa_scraper.errors import RunLockedError


class RunLock:
    """An exclusive ``flock`` beside the state file; the kernel frees it if the process dies."""

    def __init__(self, state_path: Path) -> None:
        self.path = state_path.with_name(state_path.name + ".lock")
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        make_folder_of(self.path)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise RunLockedError(
                f"another doctorqna crawl is using {self.path.with_suffix('')} "
                f"(lock held by {holder}); this run refuses to start",
                "Wait for it to finish, or give this run its own QA_STATE_PATH",
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {utc_now()}\n")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
