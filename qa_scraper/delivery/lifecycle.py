"""One crawl run's life: open (lock, recover, resume), write and stage, close (commit, publish).

Output files are written under ``.part`` names. When the crawl *finishes*, the run is
closed in steps (:data:`qa_scraper.delivery.crash.CLOSE_STEPS`) around one commit point,
the state transaction that makes what the run staged the crawl state:

1. the ``.part`` files are flushed to disk, and the manifest is written as
   ``<run>.manifest.json.part`` (it needs the staged changes, still uncommitted);
2. **commit**: :meth:`CrawlState.commit_run`, one SQLite transaction;
3. the ``.part`` files are renamed to their final names, the manifest last.

Killed before the commit, the run is still ``running``: the next start resumes
it (same run id, same file, articles already written are not written again).
Killed after it, the next start only finishes the renames. Either way each
article is delivered once, and no ``.part`` outlives the run. The files themselves:
:mod:`~qa_scraper.delivery.files`; the manifest: :mod:`~qa_scraper.delivery.manifest`;
resuming: :mod:`~qa_scraper.delivery.resume`.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from qa_scraper.arguments import check_mode
from qa_scraper.delivery import archive as warc
from qa_scraper.delivery import files
from qa_scraper.delivery.crash import crash_point
from qa_scraper.delivery.folders import check_output_dir, check_writable_folder
from qa_scraper.delivery.lock import RunLock
from qa_scraper.delivery.manifest import build_manifest, describe_files, run_summary, stage_manifest
from qa_scraper.delivery.resume import keep_output, publish_run, recover_unfinished_runs
from qa_scraper.delivery.state import CrawlState, check_state_path, utc_now
from qa_scraper.delivery.writing import RunWriting
from qa_scraper.errors import ExitCode, SetupError, WriteFailed

logger = logging.getLogger(__name__)


class CrawlRun(RunWriting):
    """One run of a crawl (:class:`~qa_scraper.extensions.crawl_run.CrawlRunExtension`) or of a
    re-extraction (:mod:`qa_scraper.tools.reextract`): :meth:`open`, then write and stage each
    article's outcome (:class:`~qa_scraper.delivery.writing.RunWriting`), then :meth:`close`,
    which delivers it or leaves it resumable."""

    def __init__(
        self,
        *,
        spider_name: str,
        base_url: str,
        mode: str,
        output_dir: str,
        state_path: str = "",
        archive: bool = False,
        kind: str = "crawl",
        sources: list[str] | None = None,
    ) -> None:
        check_mode(mode)
        self.spider_name = spider_name
        self.base_url = base_url
        self.mode = mode
        self.folder = check_output_dir(output_dir, spider_name).absolute() if output_dir else None
        if state_path:
            self.state_path: Path | None = Path(state_path).absolute()
        elif self.folder is not None:
            self.state_path = self.folder / "state.sqlite3"
        else:
            self.state_path = None
        self.state: CrawlState | None = None
        self.lock = RunLock(self.state_path) if self.state_path else None
        self.run_id = files.new_run_id()
        self.started_at = utc_now()
        self.resumed = False
        self.written_ids: set[str] = set()
        self.rejected_ids: set[str] = set()  # rejected earlier in a resumed run
        self.dropped_on_resume = 0  # lines of the interrupted run that could not be kept
        self._items: IO[str] | None = None
        self._rejects: IO[str] | None = None
        self.kind = kind  # "crawl", or "reextract" (qa_scraper/tools/reextract.py: no network)
        self.sources = sources or []  # a re-extraction: the runs whose archives it read
        # How the state's runs table tells kinds apart (a crawl never resumes a re-extraction).
        self._state_mode = mode if kind == "crawl" else f"{kind}/{mode}"
        self.archive_enabled = archive  # QA_ARCHIVE: keep every article answer (WARC)
        # Set when the run could not write its files or its state (see :meth:`fail`).
        self.failure: str | None = None
        self.on_failure: Callable[[], None] | None = None  # the crawl stops (the extension)
        self.archive: warc.WarcArchive | None = None
        self.archive_kept: int | None = None  # records of its archive a resumed run kept

    # --- paths ------------------------------------------------------------------------------
    def _path(self, suffix: str) -> Path | None:
        return self.folder / f"{self.run_id}{suffix}" if self.folder else None

    @property
    def items_path(self) -> Path | None:
        return self._path(".jsonl")

    @property
    def rejects_path(self) -> Path | None:
        return self._path(".rejects.ndjson")

    @property
    def archive_path(self) -> Path | None:
        return self._path(".warc.gz")

    @property
    def manifest_path(self) -> Path | None:
        return self._path(".manifest.json")

    @property
    def incremental(self) -> bool:
        return self.mode == "incremental" and self.state is not None

    # --- opening ----------------------------------------------------------------------------
    def open(self) -> None:
        """Lock the state, recover or resume earlier runs, open this run's files.

        Refusals (:class:`SetupError`) happen before any file of the run exists.
        """
        if self.lock is not None and self.state_path is not None:
            check_state_path(self.state_path)
            self.lock.acquire()
            try:
                self.state = CrawlState(self.state_path)
            except BaseException:
                self.lock.release()
                raise
            try:
                resumed = recover_unfinished_runs(
                    self.state, kind=self.kind, base_url=self.base_url, mode=self._state_mode
                )
                if resumed is not None:
                    self.run_id, self.started_at = resumed["run_id"], resumed["started_at"]
                    self.resumed = True
            except SetupError:
                self._release()
                raise
            except (OSError, sqlite3.Error) as error:
                self._release()
                raise SetupError(
                    f"cannot finish an earlier run in {self.folder or self.state_path} ({error})",
                    "Free space or fix the rights of the output folder and the state, then"
                    " start again: the earlier run is completed first",
                ) from None
        try:
            self._open_files()
        except SetupError:
            self._release()
            raise
        except (OSError, sqlite3.Error) as error:  # disk full, rights: before any new file
            for handle in (self._items, self._rejects):
                if handle is not None:
                    handle.close()
            if not self.resumed:  # a refusal leaves no file behind
                files.remove_parts(self.items_path, only_empty=True)
            self._release()
            raise SetupError(
                f"cannot {'resume' if self.resumed else 'start'} run {self.run_id} in"
                f" {self.folder or self.state_path} ({error})",
                "Free space or fix the rights of the output folder and the state, then start again",
            ) from None
        if self.resumed:
            logger.warning(
                "Resuming interrupted run %s: %d articles already written",
                self.run_id,
                len(self.written_ids),
            )

    def _open_files(self) -> None:
        """This run's files (a resumed run's kept lines first) and its row in the state."""
        if self.folder is not None:
            check_writable_folder(self.folder, "QA_OUTPUT_DIR")
            while not self.resumed and (
                self.items_path.exists() or files.part(self.items_path).exists()
            ):
                time.sleep(0.002)  # another run started in the same millisecond
                self.run_id = files.new_run_id()
            if self.resumed:
                self._read_resumed_parts()
            self._items = files.part(self.items_path).open("a", encoding="utf-8", newline="\n")
            self._rejects = files.part(self.rejects_path).open("a", encoding="utf-8", newline="\n")
        if self.state is not None and not self.resumed:
            self.state.start_run(
                self.run_id,
                self.base_url,
                self._state_mode,
                str(self.items_path) if self.items_path else None,
            )

    def _read_resumed_parts(self) -> None:
        """What the interrupted run wrote and may keep; the rest is fetched again."""
        kept = keep_output(
            self.run_id, self.items_path, self.rejects_path, self.archive_path, self.manifest_path
        )
        self.written_ids, self.rejected_ids = kept.written_ids, kept.rejected_ids
        self.dropped_on_resume, self.archive_kept = kept.dropped, kept.archive_kept
        if self.state is not None:
            self.state.forget_unwritten(self.run_id, self.written_ids)

    # --- writing ----------------------------------------------------------------------------
    def done(self, article_id: str) -> bool:
        """Written or rejected earlier in this run (before an interruption)."""
        return article_id in self.written_ids or article_id in self.rejected_ids

    # --- closing ----------------------------------------------------------------------------
    def close(
        self, finish_reason: str, stats: dict[str, Any], fetched_anything: bool = True
    ) -> ExitCode:
        """Deliver the run if the crawl finished and fetched something; else keep it resumable.

        Returns the run's exit code (:class:`ExitCode`).
        """
        try:
            with contextlib.suppress(WriteFailed):  # (a failed run says so below)
                self.sync()
            try:
                self._flush_files()
            except OSError as error:
                self.fail("the run's files", error)
            crash_point("flushed")
            if self.failure is not None:
                return self._write_failed()
            if finish_reason != "finished":
                logger.warning(
                    "Run %s stopped (%s) before the end: its output stays under"
                    " .part names; start the crawl again to resume it.",
                    self.run_id,
                    finish_reason,
                )
                return ExitCode.INTERRUPTED
            if not fetched_anything:
                self._not_delivered()
                return ExitCode.NOTHING_FETCHED
            try:
                if self.folder is not None:
                    self._stage_manifest(finish_reason, stats)
                crash_point("manifest_staged")
                if self.state is not None:
                    self.state.commit_run(self.run_id)  # the commit point
            except (OSError, sqlite3.Error) as error:
                self.fail("the manifest or the commit", error)
                return self._write_failed()
            crash_point("committed")
            try:
                publish_run(self.state, self.run_id, self.items_path)
            except (OSError, sqlite3.Error) as error:
                logger.error(
                    "Run %s is committed, but its files could not get their final names (%s):"
                    " it is not published yet; the next start publishes it",
                    self.run_id,
                    error,
                )
                return ExitCode.WRITE_FAILED
            if self.folder is not None:
                logger.info(
                    "Wrote %s, %s and %s", self.items_path, self.rejects_path, self.manifest_path
                )
            if stats.get("qa/monitors/failed"):
                return ExitCode.MONITOR_FAILED  # delivered; the monitors' verdict is the code
            return ExitCode.OK
        finally:
            self._release()

    def _flush_files(self) -> None:
        """The run's files on disk (each closed even if flushing it failed)."""
        try:
            files.sync_and_close(self._items, self._rejects)
        finally:
            if self.archive is not None:
                self.archive.close()

    def _write_failed(self) -> ExitCode:
        logger.error(
            "Run %s is not delivered (%s): its output stays under .part names and the state"
            " as it was; start the crawl again (with space, with rights) to resume it",
            self.run_id,
            self.failure,
        )
        return ExitCode.WRITE_FAILED

    def _release(self) -> None:
        if self.state is not None:
            self.state.close()
        if self.lock is not None:
            self.lock.release()

    def _not_delivered(self) -> None:
        """Nothing usable was fetched: no delivery; an empty run leaves nothing behind."""
        empty = files.all_empty(self.items_path)
        logger.error(
            "Run %s fetched nothing usable from %s (robots.txt, sitemaps, home page and"
            " articles all failed): the run is not delivered.%s",
            self.run_id,
            self.base_url,
            "" if empty else " Its output stays resumable.",
        )
        if not empty:
            return
        files.remove_parts(self.items_path)
        if self.state is not None:
            self.state.abandon_run(self.run_id)

    def _stage_manifest(self, finish_reason: str, stats: dict[str, Any]) -> None:
        """Write ``<run>.manifest.json.part`` (describing the files by their final names)."""
        own_records = None
        if self.archive or self.archive_kept:  # this process wrote its archive (or kept it)
            own_records = (self.archive_kept or 0) + (self.archive.records if self.archive else 0)
        files = describe_files(self.items_path, self.rejects_path, self.archive_path, own_records)
        changes = self.state.changes(self.run_id) if self.state is not None else None
        manifest = build_manifest(
            run_id=self.run_id,
            spider=self.spider_name,
            started_at=self.started_at,
            finish_reason=finish_reason,
            base_url=self.base_url,
            kind=self.kind,
            sources=self.sources,
            mode=self.mode,
            resumed=self.resumed,
            files=files,
            summary=run_summary(changes, len(self.written_ids), stats),
            stats=stats,
        )
        stage_manifest(self.manifest_path, manifest)
