"""A run's outcomes as it writes them: item and reject lines, staged state rows, the archive.

:class:`RunWriting` is the writing half of :class:`~qa_scraper.delivery.lifecycle.CrawlRun`
(opening and closing are there). Every write goes through the run's ``_writing`` guard: a
failed write fails the whole run (exit code 8), never one article's outcome.

**Groups** (:meth:`RunWriting.defer_writes`, a crawl's ``QA_SYNC_SECONDS``): one SQLite
transaction and one flush an article cost more CPU than its rows and line themselves, so a
crawl keeps what it stages and writes in memory and writes it in groups (:meth:`sync`), at
most that many seconds apart. Kill-safe as one at a time was: a sync stages its rows (one
transaction) before it writes their lines, so a kill leaves either neither (the articles are
fetched again by the resumed run) or rows without their lines, which the resumed run drops
(:meth:`~qa_scraper.delivery.state.CrawlState.forget_unwritten`): never a line whose row is
not staged. A kill loses at most the last group, which is fetched again. A re-extraction
stages its own batches (:meth:`staging_batch`).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from qa_scraper.delivery import archive as warc
from qa_scraper.delivery import files
from qa_scraper.delivery.crash import GROUP_STAGED, crash_point
from qa_scraper.delivery.state import CrawlState, staged_row
from qa_scraper.errors import WriteFailed
from qa_scraper.items import item_line

logger = logging.getLogger(__name__)
# Staged rows and reject lines that make a sync due whatever the time (bound the memory a group
# holds; an item's line comes with its rows, a reject's may not).
_MOST_UNSYNCED = 512


class RunWriting:
    """The writes of a run (what :class:`~qa_scraper.delivery.lifecycle.CrawlRun` sets up)."""

    run_id: str
    base_url: str
    state: CrawlState | None
    failure: str | None  # set when the run could not write its files or state (:meth:`fail`)
    on_failure: Callable[[], None] | None  # the crawl stops (the extension)
    written_ids: set[str]
    archive: warc.WarcArchive | None
    archive_enabled: bool
    archive_path: Path | None
    _items: IO[str] | None
    _rejects: IO[str] | None
    # A group (:meth:`defer_writes`): what waits for the next :meth:`sync`.
    _sync_seconds = 0.0  # 0: every stage and line is written at once
    _last_sync = 0.0
    _unsynced_rows: list[tuple[Any, ...]]
    _unsynced_items: list[str]
    _unsynced_rejects: list[str]

    def fail(self, what: str, error: BaseException) -> WriteFailed:
        """The run could not write ``what`` (disk full, permissions…): from here on it writes
        nothing more, so what it wrote stays consistent with what it staged; it is not
        delivered and the next start resumes it (exit code 8). The crawl is stopped
        (:attr:`on_failure`). Returns the exception for the caller to raise."""
        if self.failure is None:
            self.failure = f"cannot write {what}: {error}"
            logger.error(
                "Run %s %s. It stops here and is not delivered; once the cause is fixed,"
                " start the crawl again: it resumes the run",
                self.run_id,
                self.failure,
            )
            if self.on_failure is not None:
                self.on_failure()
        return WriteFailed(self.failure)

    def _refuse_once_failed(self) -> None:
        """Nothing more is written once a write failed (:meth:`fail`)."""
        if self.failure is not None:
            raise WriteFailed(self.failure)

    @contextmanager
    def _writing(self, what: str) -> Iterator[None]:
        """A write to the run's files or state: refused once one failed, and any failure
        (``OSError``: ENOSPC, EACCES…; ``sqlite3.Error``: "database or disk is full") makes
        the whole run fail instead of losing one article's outcome."""
        self._refuse_once_failed()
        try:
            yield
        except (OSError, sqlite3.Error) as error:
            raise self.fail(what, error) from None

    def write_item(self, item: dict[str, Any]) -> None:
        if self._sync_seconds:
            self._refuse_once_failed()
            if self._items is not None:
                self._unsynced_items.append(item_line(item) + "\n")
            self.written_ids.add(item["article_id"])  # written at the next sync, or never
            self._sync_if_due()
            return
        with self._writing("the items file"):
            files.write_json_line(self._items, item_line(item))
        self.written_ids.add(item["article_id"])  # only once the line is written

    def archive_writer(self) -> warc.WarcArchive | None:
        """The run's archive (QA_ARCHIVE), opened at its first record (appended to on resume)."""
        if self.archive is None and self.archive_enabled and self._items and not self._items.closed:
            self.archive = warc.WarcArchive(
                files.part(self.archive_path),
                self.archive_path.name,
                {"run-id": self.run_id, "base-url": self.base_url},
            )
        return self.archive

    def write_reject(self, record: dict[str, Any]) -> None:
        if self._sync_seconds:
            self._refuse_once_failed()
            if self._rejects is not None:
                self._unsynced_rejects.append(files.record_line(record) + "\n")
            self._sync_if_due()
            return
        with self._writing("the rejects file"):
            files.write_line(self._rejects, record)

    def stage(self, article_id: str, seen_at: str | None = None, **values: Any) -> None:
        if self.state is None:
            return
        if self._sync_seconds:
            self._refuse_once_failed()
            self._unsynced_rows.append(staged_row(self.run_id, article_id, seen_at, values))
            self._sync_if_due()
            return
        with self._writing(f"the crawl state {self.state.path}"):
            self.state.stage(self.run_id, article_id, seen_at, **values)

    # --- groups -----------------------------------------------------------------------------
    def defer_writes(self, seconds: float) -> None:
        """From now on write what is staged and written in groups (module docstring), at
        most ``seconds`` apart; 0: each at once."""
        self._sync_seconds = max(0.0, float(seconds))
        self._last_sync = time.monotonic()
        self._unsynced_rows, self._unsynced_items, self._unsynced_rejects = [], [], []

    def _sync_if_due(self) -> None:
        if (
            len(self._unsynced_rows) + len(self._unsynced_rejects) >= _MOST_UNSYNCED
            or time.monotonic() - self._last_sync >= self._sync_seconds
        ):
            self.sync()

    def sync(self) -> None:
        """Write what waits (:meth:`defer_writes`): the staged rows first (one transaction),
        then the items' and the rejects' lines, flushed. A failure fails the run
        (:meth:`fail`, :class:`WriteFailed`) as a failed write of one line does."""
        if not self._sync_seconds:
            return  # nothing waits: every write was made at once
        self._last_sync = time.monotonic()
        rows, items, rejects = self._unsynced_rows, self._unsynced_items, self._unsynced_rejects
        if not (rows or items or rejects):
            return
        self._unsynced_rows, self._unsynced_items, self._unsynced_rejects = [], [], []
        if rows and self.state is not None:
            with self._writing(f"the crawl state {self.state.path}"):
                self.state.stage_many(rows)
            crash_point(GROUP_STAGED)
        for handle, lines, what in (
            (self._items, items, "the items file"),
            (self._rejects, rejects, "the rejects file"),
        ):
            if lines and handle is not None:
                with self._writing(what):
                    handle.write("".join(lines))
                    handle.flush()

    @contextmanager
    def staging_batch(self) -> Iterator[None]:
        if self.state is None:
            yield
            return
        with self._writing(f"the crawl state {self.state.path}"), self.state.staging_batch():
            yield

    def flush(self) -> None:
        self.sync()
        with self._writing("the run's files"):
            for handle in (self._items, self._rejects):
                if handle is not None:
                    handle.flush()

    def write_line(self, article_id: str, line: str) -> None:
        """An item already serialised (one JSON object, no newline): a re-extraction's."""
        if self._items is not None:
            with self._writing("the items file"):
                self._items.write(line + "\n")
        self.written_ids.add(article_id)
