"""One crawl run: its id, output files, manifest, and the shared crawl state.

Output files are written under ``.part`` names. When the crawl *finishes*, the
run is closed in steps (:data:`CLOSE_STEPS`) around one commit point, the state
transaction that makes what the run staged the crawl state:

1. the ``.part`` files are flushed to disk, and the manifest is written as
   ``<run>.manifest.json.part`` (it needs the staged changes, still uncommitted);
2. **commit**: :meth:`CrawlState.commit_run`, one SQLite transaction;
3. the ``.part`` files are renamed to their final names, the manifest last.

Killed before the commit, the run is still ``running``: the next start resumes
it (same run id, same file, articles already written are not written again).
Killed after it, the next start only finishes the renames. Either way each
article is delivered once, and no ``.part`` outlives the run.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import json
import logging
import os
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from qa_scraper.arguments import check_mode
from qa_scraper.delivery import archive as warc
from qa_scraper.delivery.folders import check_output_dir, check_writable_folder
from qa_scraper.delivery.lock import RunLock
from qa_scraper.delivery.state import CrawlState, check_state_path, utc_now
from qa_scraper.delivery.validation import item_errors
from qa_scraper.errors import ExitCode, SetupError, WriteFailed
from qa_scraper.items import SCHEMA_VERSION
from qa_scraper.render import summary as render_summary
from qa_scraper.urls import article_id_from_url
from qa_scraper.version import code_version

logger = logging.getLogger(__name__)
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
CRASH_ENV = "QA_CRASH_AT"  # tests only: SIGKILL this process at the named close step
# Crawl stats copied into the manifest: every counted outcome of the run.
_OUTCOME_STATS = (
    "qa/",
    "retry/",
    "offsite/",
    "robotstxt/",
    "downloader/response_status_count/",
    "downloader/exception_type_count/",
    "item_dropped",
    "log_count/ERROR",
    "log_count/WARNING",
    "elapsed_time_seconds",
)


def new_run_id() -> str:
    """UTC start time to the millisecond: fixed width, so names sort in run order."""
    now = dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z"


def _part(path: Path) -> Path:
    return path.with_name(path.name + ".part")


_OWN_FILES = (".jsonl", ".rejects.ndjson", ".warc.gz")  # renamed in this order, then manifest


def _is_archive(path: Path) -> bool:
    return path.name.endswith((".warc.gz", ".warc.gz.part"))


def _rename_step(part: Path) -> str:
    """The close step reached once ``part`` has its final name."""
    if part.name.endswith(".manifest.json.part"):
        return "manifest_renamed"
    if _is_archive(part):
        return "archive_renamed"
    if part.name.endswith(".rejects.ndjson.part"):
        return "rejects_renamed"
    return "items_renamed"


def sha256_and_lines(path: Path) -> tuple[str, int]:
    """One read of the file: its sha256 and its number of lines."""
    digest, lines = hashlib.sha256(), 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            lines += block.count(b"\n")
    return digest.hexdigest(), lines


def _crash_point(step: str) -> None:
    """Fault injection for the crash tests: die here, as ``kill -9`` would."""
    if os.environ.get(CRASH_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _keep_lines(path: Path, keep: Any) -> tuple[list[dict[str, Any]], int]:
    """The records of a ``.part`` file killed mid-write that ``keep(record)`` accepts.

    A trailing half line, a line that is not a JSON object (NUL bytes left by a
    crash, a torn write) and a record ``keep`` refuses are dropped; the file is
    rewritten (atomically) without them. Returns the kept records and the number
    of lines dropped.
    """
    if not path.exists():
        return [], 0
    data = path.read_bytes()
    kept: list[dict[str, Any]] = []
    kept_lines: list[bytes] = []
    dropped = 0
    for raw in data.split(b"\n"):
        if not raw:
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            record = None
        if isinstance(record, dict) and keep(record):
            kept.append(record)
            kept_lines.append(raw)
        else:
            dropped += 1
    clean = b"".join(line + b"\n" for line in kept_lines)
    if clean != data:
        atomic_write(path, clean)
    return kept, dropped


def atomic_write(path: Path, data: bytes | Callable[[IO[bytes]], object]) -> None:
    """Replace ``path`` with ``data`` all at once: written beside it, synced, renamed.
    ``data`` may be a function that writes to the open file (a stream too large to hold)."""
    temporary = path.with_name(path.name + ".tmp")
    try:
        with temporary.open("wb") as handle:
            if callable(data):
                data(handle)
            else:
                handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)  # a disk full must not leave half a copy
        raise


def _deliverable_item(record: dict[str, Any]) -> bool:
    """A line a resumed run may keep: this schema version, valid, with an article id."""
    return (
        record.get("schema_version") == SCHEMA_VERSION
        and isinstance(record.get("article_id"), str)
        and not item_errors(record)
    )


def _reject_record(record: dict[str, Any]) -> bool:
    return isinstance(record.get("url"), str)


class CrawlRun:
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
        self.run_id = new_run_id()
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
                self._recover_unfinished_runs()
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
                for part in self._part_paths(self.items_path):
                    if part.exists() and part.stat().st_size == 0:
                        part.unlink()
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
                self.items_path.exists() or _part(self.items_path).exists()
            ):
                time.sleep(0.002)  # another run started in the same millisecond
                self.run_id = new_run_id()
            items_part, rejects_part = _part(self.items_path), _part(self.rejects_path)
            if self.resumed:
                legacy = self.folder / f"{self.run_id}.rejects.jsonl.part"  # before 2.2
                if legacy.exists() and not rejects_part.exists():
                    os.replace(legacy, rejects_part)
                self._read_resumed_parts(items_part, rejects_part)
            self._items = items_part.open("a", encoding="utf-8", newline="\n")
            self._rejects = rejects_part.open("a", encoding="utf-8", newline="\n")
        if self.state is not None and not self.resumed:
            self.state.start_run(
                self.run_id,
                self.base_url,
                self._state_mode,
                str(self.items_path) if self.items_path else None,
            )

    def _read_resumed_parts(self, items_part: Path, rejects_part: Path) -> None:
        """What the interrupted run wrote and may keep; the rest is fetched again."""
        seen: set[str] = set()
        archived = self._repair_archive()

        def first_deliverable(record: dict[str, Any]) -> bool:
            if not _deliverable_item(record) or record["article_id"] in seen:
                return False  # a second line for one article is never kept
            if not archived(record):
                return False
            seen.add(record["article_id"])
            return True

        items, dropped = _keep_lines(items_part, first_deliverable)
        self.written_ids = {item["article_id"] for item in items}
        if self.state is not None:
            self.state.forget_unwritten(self.run_id, self.written_ids)
        if dropped:
            self.dropped_on_resume = dropped
            logger.warning(
                "Resumed run %s: dropped %d line(s) of %s that cannot be delivered"
                " (torn, not JSON, another schema version, invalid, or its archived record"
                " cut off); those"
                " articles are fetched again",
                self.run_id,
                dropped,
                items_part.name,
            )
        rejects, _ = _keep_lines(
            rejects_part, lambda record: _reject_record(record) and archived(record)
        )
        self.rejected_ids = {
            article_id for record in rejects if (article_id := article_id_from_url(record["url"]))
        }
        stale_manifest = _part(self.manifest_path)
        if stale_manifest.exists():
            stale_manifest.unlink()  # staged by a close that did not reach its commit

    def _repair_archive(self) -> Callable[[dict[str, Any]], bool]:
        """Cut the interrupted run's archive after its last complete record (a kill
        mid-write); returns whether a line's provenance still points into what was kept.

        A line whose record was cut off (damage before the end of the file, or the archive
        gone) is dropped and its article fetched again: the resumed run appends new records
        from the cut, so that offset would name another record."""
        archive_part = _part(self.archive_path)
        end = 0
        if archive_part.exists():
            self.archive_kept, damage = warc.repair(archive_part)
            end = archive_part.stat().st_size
            if damage is not None:
                logger.warning(
                    "Resumed run %s: archive cut after its last complete record (%s)",
                    self.run_id,
                    damage,
                )
        name = self.archive_path.name

        def archived(record: dict[str, Any]) -> bool:
            pointer = record.get("warc")
            if not isinstance(pointer, dict) or pointer.get("file") != name:
                return True  # not archived by this run's own file
            offset = pointer.get("offset")
            return isinstance(offset, int) and 0 <= offset < end

        return archived

    def _recover_unfinished_runs(self) -> None:
        assert self.state is not None
        for row in self.state.unfinished_runs():
            items = Path(row["items_path"]) if row["items_path"] else None
            if row["status"] == "committed":
                # Killed after its commit point: only the renames are left to do.
                logger.warning("Publishing the files of committed run %s", row["run_id"])
                self._publish(row["run_id"], items)
            elif items is not None and items.exists():
                # Delivered by an earlier version (rename before commit): finish it.
                logger.warning("Completing the state update of delivered run %s", row["run_id"])
                self.state.commit_run(row["run_id"])
                self._publish(row["run_id"], items)
            elif (
                self.kind != "crawl"
                and "/" not in row["mode"]
                and items is not None
                and _part(items).exists()
            ):
                raise SetupError(
                    f"crawl run {row['run_id']} was interrupted and waits to be resumed; a"
                    " re-extraction would abandon it",
                    "Start the crawl again to finish it, then re-extract",
                )
            elif (
                not self.resumed
                and items is not None
                and _part(items).exists()
                and row["base_url"] == self.base_url
                and row["mode"] == self._state_mode
            ):
                self.run_id, self.started_at, self.resumed = row["run_id"], row["started_at"], True
            else:
                self._abandon(row["run_id"], items)

    def _abandon(self, run_id: str, items: Path | None) -> None:
        """An interrupted run this start cannot resume (another mode or base URL): its
        state is dropped and its ``.part`` files become ``….abandoned`` (kept to look at,
        never taken for a run in progress). Its articles are fetched again."""
        for part in self._part_paths(items):
            if part.exists():
                os.replace(part, part.with_name(part.name.removesuffix(".part") + ".abandoned"))
        logger.warning(
            "Abandoning interrupted run %s (another base URL or mode); its partial output is"
            " kept as %s.abandoned",
            run_id,
            items.name if items else "nothing",
        )
        self.state.abandon_run(run_id)

    # --- writing ----------------------------------------------------------------------------
    def done(self, article_id: str) -> bool:
        """Written or rejected earlier in this run (before an interruption)."""
        return article_id in self.written_ids or article_id in self.rejected_ids

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

    @contextmanager
    def _writing(self, what: str) -> Iterator[None]:
        """A write to the run's files or state: refused once one failed, and any failure
        (``OSError``: ENOSPC, EACCES…; ``sqlite3.Error``: "database or disk is full") makes
        the whole run fail instead of losing one article's outcome."""
        if self.failure is not None:
            raise WriteFailed(self.failure)
        try:
            yield
        except (OSError, sqlite3.Error) as error:
            raise self.fail(what, error) from None

    def write_item(self, item: dict[str, Any]) -> None:
        with self._writing("the items file"):
            _write_line(self._items, item)
        self.written_ids.add(item["article_id"])  # only once the line is written

    def archive_writer(self) -> warc.WarcArchive | None:
        """The run's archive (QA_ARCHIVE), opened at its first record (appended to on resume)."""
        if self.archive is None and self.archive_enabled and self._items and not self._items.closed:
            self.archive = warc.WarcArchive(
                _part(self.archive_path),
                self.archive_path.name,
                {"run-id": self.run_id, "base-url": self.base_url},
            )
        return self.archive

    def write_reject(self, record: dict[str, Any]) -> None:
        with self._writing("the rejects file"):
            _write_line(self._rejects, record)

    def stage(self, article_id: str, seen_at: str | None = None, **values: Any) -> None:
        if self.state is not None:
            with self._writing(f"the crawl state {self.state.path}"):
                self.state.stage(self.run_id, article_id, seen_at, **values)

    @contextmanager
    def staging_batch(self) -> Iterator[None]:
        if self.state is None:
            yield
            return
        with self._writing(f"the crawl state {self.state.path}"), self.state.staging_batch():
            yield

    def flush(self) -> None:
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

    # --- closing ----------------------------------------------------------------------------
    def close(
        self, finish_reason: str, stats: dict[str, Any], fetched_anything: bool = True
    ) -> ExitCode:
        """Deliver the run if the crawl finished and fetched something; else keep it resumable.

        Returns the run's exit code (:class:`ExitCode`).
        """
        try:
            try:
                self._flush_files()
            except OSError as error:
                self.fail("the run's files", error)
            _crash_point("flushed")
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
                _crash_point("manifest_staged")
                if self.state is not None:
                    self.state.commit_run(self.run_id)  # the commit point
            except (OSError, sqlite3.Error) as error:
                self.fail("the manifest or the commit", error)
                return self._write_failed()
            _crash_point("committed")
            try:
                self._publish(self.run_id, self.items_path)
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
            for handle in (self._items, self._rejects):
                if handle is not None and not handle.closed:
                    try:
                        handle.flush()
                        os.fsync(handle.fileno())
                    finally:
                        handle.close()
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
        empty = all(
            not path.exists() or path.stat().st_size == 0
            for path in self._part_paths(self.items_path)
        )
        logger.error(
            "Run %s fetched nothing usable from %s (robots.txt, sitemaps, home page and"
            " articles all failed): the run is not delivered.%s",
            self.run_id,
            self.base_url,
            "" if empty else " Its output stays resumable.",
        )
        if not empty:
            return
        for path in self._part_paths(self.items_path):
            path.unlink(missing_ok=True)
        if self.state is not None:
            self.state.abandon_run(self.run_id)

    @staticmethod
    def _part_paths(items_path: Path | None) -> list[Path]:
        """The run's ``.part`` files in the order they are renamed, the manifest last; the
        archives of a distributed run's workers (``<run>.<worker>.warc.gz``) with its own."""
        if items_path is None:
            return []
        stem = items_path.name.removesuffix(".jsonl")
        workers = sorted(items_path.parent.glob(f"{glob.escape(stem)}.*.warc.gz.part"))
        return [
            *(_part(items_path.with_name(stem + suffix)) for suffix in _OWN_FILES),
            *workers,
            _part(items_path.with_name(stem + ".manifest.json")),
        ]

    @staticmethod
    def archive_parts(items_path: Path | None) -> list[Path]:
        return [path for path in CrawlRun._part_paths(items_path) if _is_archive(path)]

    def _publish(self, run_id: str, items_path: Path | None) -> None:
        """After the commit point: give the run's files their final names (idempotent)."""
        if items_path is not None and not items_path.parent.is_dir():
            logger.error(
                "Run %s was committed but its folder %s is gone: its files cannot be published",
                run_id,
                items_path.parent,
            )
            items_path = None
        for part in self._part_paths(items_path):
            if part.exists():
                os.replace(part, part.with_name(part.name.removesuffix(".part")))
            _crash_point(_rename_step(part))
        if items_path is not None:
            _fsync_dir(items_path.parent)
        if self.state is not None:
            self.state.finish_run(run_id)

    def summary(self, stats: dict[str, Any]) -> dict[str, Any]:
        changes = self.state.changes(self.run_id) if self.state is not None else []
        counts = dict.fromkeys(("new", "changed", "unchanged", "gone", "rejected"), 0)
        for row in changes:
            counts[row["change"]] = counts.get(row["change"], 0) + 1
        if self.state is None:
            counts["new"] = stats.get("qa/items_written", 0)
            counts["rejected"] = stats.get("qa/rejected", 0)
        counts.update(
            {
                "written": len(self.written_ids),
                "errors": stats.get("qa/rejected/fetch", 0) + stats.get("log_count/ERROR", 0),
                "not_found": stats.get("qa/article_not_found", 0),
                "duplicates": stats.get("qa/duplicates", 0),
                "skipped_by_lastmod": stats.get("qa/unchanged/skipped_by_lastmod", 0),
                "not_modified": stats.get("qa/unchanged/not_modified", 0),
            }
        )
        outcome_stats = {
            key: value
            for key, value in sorted(stats.items())
            if key.startswith(_OUTCOME_STATS) and isinstance(value, (int, float))
        }
        return {
            "counts": counts,
            "changes": [
                dict(row) for row in changes if row["change"] in ("new", "changed", "gone")
            ],
            "stats": outcome_stats,
        }

    def _stage_manifest(self, finish_reason: str, stats: dict[str, Any]) -> None:
        """Write ``<run>.manifest.json.part`` (describing the files by their final names)."""
        files = {}
        for role, path in (("items", self.items_path), ("rejects", self.rejects_path)):
            sha256, lines = sha256_and_lines(_part(path))
            files[role] = {"name": path.name, "sha256": sha256, "lines": lines}
        archives = []
        for part in self.archive_parts(self.items_path):
            if not part.exists():
                continue
            if part == _part(self.archive_path) and (self.archive or self.archive_kept):
                # this process wrote it (after a resume: appended to what it kept): whole
                records = (self.archive_kept or 0) + (self.archive.records if self.archive else 0)
            else:  # a worker's: one killed mid-write leaves half a record, cut off here
                records, _ = warc.repair(part)
            sha256, _ = sha256_and_lines(part)
            archives.append(
                {
                    "name": part.name.removesuffix(".part"),
                    "sha256": sha256,
                    "records": records,
                    "bytes": part.stat().st_size,
                }
            )
        if archives:
            files["archives"] = archives
        manifest = {
            "run_id": self.run_id,
            "spider": self.spider_name,
            "started_at": self.started_at,
            "finished_at": utc_now(),
            "finish_reason": finish_reason,
            "base_url": self.base_url,
            "kind": self.kind,
            **({"runs_read": self.sources} if self.kind != "crawl" else {}),
            "mode": self.mode,
            "resumed": self.resumed,
            "schema_version": SCHEMA_VERSION,
            "code_version": code_version(),
            "files": files,
            **self.summary(stats),
            # set by qa_scraper.extensions.monitoring.RunMonitorExtension, which runs first at close
            "coverage": stats.get("qa/coverage", {}),
            "monitors": stats.get("qa/monitors"),
            "render": render_summary(stats),  # pages rendered in Chromium (qa_scraper.render)
        }
        with _part(self.manifest_path).open("w", encoding="utf-8") as handle:
            handle.write(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


def run_manifests(folder: Path) -> list[tuple[str, dict[str, Any]]]:
    """(run id, manifest) of the delivered runs in ``folder``, oldest first (run ids sort in
    time order). Unreadable files, and manifests that are not a run's (a snapshot's), are
    skipped: for readers that look back (monitors, report); a snapshot is stricter."""
    manifests = []
    for path in sorted(folder.glob("*.manifest.json")) if folder.is_dir() else []:
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(manifest, dict) and "run_id" in manifest:
            manifests.append((path.name.removesuffix(".manifest.json"), manifest))
    return manifests


def _write_line(handle: IO[str] | None, record: Any) -> None:
    if handle is None:
        return
    handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    handle.flush()
