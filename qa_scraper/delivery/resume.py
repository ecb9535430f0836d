"""Starting again after an interruption: the runs earlier starts left unfinished, and what a
resumed run keeps of its files.

At its start a run first finishes or sets aside the state's unfinished runs
(:func:`recover_unfinished_runs`): a committed run is published, an interrupted one with the
same base URL and mode is resumed, any other is abandoned.

A run killed mid-crawl (``kill -9``, a power cut, a disk full) is resumed by the next start:
same run id, same files. What it had written is kept only when it can be delivered: a whole
JSON line, this schema version, a valid item, one line per article, and (``QA_ARCHIVE``) an
archived record that is still in the archive, which is first cut after its last complete
record. Everything else is dropped, and those articles are fetched again.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa_scraper.delivery import archive as warc
from qa_scraper.delivery.files import abandon_parts, keep_lines, part, publish_parts
from qa_scraper.delivery.state import CrawlState
from qa_scraper.delivery.validation import item_errors
from qa_scraper.errors import SetupError
from qa_scraper.items import SCHEMA_VERSION
from qa_scraper.urls import article_id_from_url

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeptOutput:
    written_ids: set[str]  # articles whose item line was kept
    rejected_ids: set[str]  # articles whose reject line was kept
    dropped: int  # item lines that could not be kept
    archive_kept: int | None  # records kept in the run's archive (None: it has none)


def deliverable_item(record: dict[str, Any]) -> bool:
    """A line a resumed run may keep: this schema version, valid, with an article id."""
    return (
        record.get("schema_version") == SCHEMA_VERSION
        and isinstance(record.get("article_id"), str)
        and not item_errors(record)
    )


def reject_record(record: dict[str, Any]) -> bool:
    return isinstance(record.get("url"), str)


def repair_archive(
    run_id: str, archive_part: Path, name: str
) -> tuple[int | None, Callable[[dict[str, Any]], bool]]:
    """Cut the interrupted run's archive after its last complete record (a kill
    mid-write); returns the records kept (None: no archive) and whether a line's provenance
    still points into what was kept.

    A line whose record was cut off (damage before the end of the file, or the archive
    gone) is dropped and its article fetched again: the resumed run appends new records
    from the cut, so that offset would name another record."""
    kept, end = None, 0
    if archive_part.exists():
        kept, damage = warc.repair(archive_part)
        end = archive_part.stat().st_size
        if damage is not None:
            logger.warning(
                "Resumed run %s: archive cut after its last complete record (%s)",
                run_id,
                damage,
            )

    def archived(record: dict[str, Any]) -> bool:
        pointer = record.get("warc")
        if not isinstance(pointer, dict) or pointer.get("file") != name:
            return True  # not archived by this run's own file
        offset = pointer.get("offset")
        return isinstance(offset, int) and 0 <= offset < end

    return kept, archived


def keep_output(
    run_id: str, items_path: Path, rejects_path: Path, archive_path: Path, manifest_path: Path
) -> KeptOutput:
    """What the interrupted run wrote and may keep (its ``.part`` files are rewritten without
    the rest, and a manifest staged by a close that did not reach its commit is removed)."""
    items_part, rejects_part = part(items_path), part(rejects_path)
    legacy = items_path.with_name(f"{run_id}.rejects.jsonl.part")  # before 2.2
    if legacy.exists() and not rejects_part.exists():
        os.replace(legacy, rejects_part)
    seen: set[str] = set()
    archive_kept, archived = repair_archive(run_id, part(archive_path), archive_path.name)

    def first_deliverable(record: dict[str, Any]) -> bool:
        if not deliverable_item(record) or record["article_id"] in seen:
            return False  # a second line for one article is never kept
        if not archived(record):
            return False
        seen.add(record["article_id"])
        return True

    items, dropped = keep_lines(items_part, first_deliverable)
    if dropped:
        logger.warning(
            "Resumed run %s: dropped %d line(s) of %s that cannot be delivered"
            " (torn, not JSON, another schema version, invalid, or its archived record"
            " cut off); those"
            " articles are fetched again",
            run_id,
            dropped,
            items_part.name,
        )
    rejects, _ = keep_lines(rejects_part, lambda record: reject_record(record) and archived(record))
    stale_manifest = part(manifest_path)
    if stale_manifest.exists():
        stale_manifest.unlink()  # staged by a close that did not reach its commit
    return KeptOutput(
        written_ids={item["article_id"] for item in items},
        rejected_ids={
            article_id for record in rejects if (article_id := article_id_from_url(record["url"]))
        },
        dropped=dropped,
        archive_kept=archive_kept,
    )


def recover_unfinished_runs(
    state: CrawlState, *, kind: str, base_url: str, mode: str
) -> sqlite3.Row | None:
    """Publish, complete or abandon the state's unfinished runs; returns the row of the one
    this start resumes (interrupted, same base URL and ``mode`` as the state records it).
    A re-extraction (``kind``) is refused while a crawl waits to be resumed."""
    resumed = None
    for row in state.unfinished_runs():
        items = Path(row["items_path"]) if row["items_path"] else None
        if row["status"] == "committed":
            # Killed after its commit point: only the renames are left to do.
            logger.warning("Publishing the files of committed run %s", row["run_id"])
            publish_run(state, row["run_id"], items)
        elif items is not None and items.exists():
            # Delivered by an earlier version (rename before commit): finish it.
            logger.warning("Completing the state update of delivered run %s", row["run_id"])
            state.commit_run(row["run_id"])
            publish_run(state, row["run_id"], items)
        elif (
            kind != "crawl"
            and "/" not in row["mode"]
            and items is not None
            and part(items).exists()
        ):
            raise SetupError(
                f"crawl run {row['run_id']} was interrupted and waits to be resumed; a"
                " re-extraction would abandon it",
                "Start the crawl again to finish it, then re-extract",
            )
        elif (
            resumed is None
            and items is not None
            and part(items).exists()
            and row["base_url"] == base_url
            and row["mode"] == mode
        ):
            resumed = row
        else:
            _abandon(state, row["run_id"], items)
    return resumed


def _abandon(state: CrawlState, run_id: str, items: Path | None) -> None:
    """An interrupted run this start cannot resume (another mode or base URL): its
    state is dropped and its ``.part`` files become ``….abandoned`` (kept to look at,
    never taken for a run in progress). Its articles are fetched again."""
    abandon_parts(items)
    logger.warning(
        "Abandoning interrupted run %s (another base URL or mode); its partial output is"
        " kept as %s.abandoned",
        run_id,
        items.name if items else "nothing",
    )
    state.abandon_run(run_id)


def publish_run(state: CrawlState | None, run_id: str, items_path: Path | None) -> None:
    """After the commit point: give the run's files their final names (idempotent)."""
    if items_path is not None and not items_path.parent.is_dir():
        logger.error(
            "Run %s was committed but its folder %s is gone: its files cannot be published",
            run_id,
            items_path.parent,
        )
        items_path = None
    if items_path is not None:
        publish_parts(items_path)
    if state is not None:
        state.finish_run(run_id)
