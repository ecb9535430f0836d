"""A run's manifest, ``<run>.manifest.json``: what the run delivered and how it went.

Written last (:class:`qa_scraper.delivery.lifecycle.CrawlRun` stages it as ``.part`` before
the commit point and renames it last), it names the run's files with their sha256 and line or
record counts, the counts of new / changed / unchanged / gone / rejected articles and the
changes themselves, the crawl's outcome stats, and the monitors' verdicts. :func:`run_manifests`
reads back the delivered runs of a folder.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from qa_scraper.delivery import archive as warc
from qa_scraper.delivery.files import archive_parts, part, sha256_and_lines
from qa_scraper.delivery.state import utc_now
from qa_scraper.items import SCHEMA_VERSION
from qa_scraper.render import summary as render_summary
from qa_scraper.version import code_version

# Crawl stats copied into the manifest: every counted outcome of the run.
OUTCOME_STATS = (
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


def run_summary(
    changes: Iterable[sqlite3.Row] | None, written: int, stats: dict[str, Any]
) -> dict[str, Any]:
    """The manifest's ``counts``, ``changes`` and ``stats``. ``changes``: the run's staged
    changes (:meth:`~qa_scraper.delivery.state.CrawlState.changes`), read once; None without
    a state."""
    counts = dict.fromkeys(("new", "changed", "unchanged", "gone", "rejected"), 0)
    delivered = []  # the manifest's changes: only those downstream acts on
    for row in changes or ():
        change = row["change"]
        counts[change] = counts.get(change, 0) + 1
        if change in ("new", "changed", "gone"):
            delivered.append(dict(row))
    if changes is None:
        counts["new"] = stats.get("qa/items_written", 0)
        counts["rejected"] = stats.get("qa/rejected", 0)
    counts.update(
        {
            "written": written,
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
        if key.startswith(OUTCOME_STATS) and isinstance(value, (int, float))
    }
    return {
        "counts": counts,
        "changes": delivered,
        "stats": outcome_stats,
    }


def describe_files(
    items_path: Path, rejects_path: Path, archive_path: Path, own_records: int | None
) -> dict[str, Any]:
    """The manifest's ``files``: each ``.part`` file by its final name. ``own_records``: the
    records of the run's own archive when this process wrote it (None: counted by reading)."""
    files: dict[str, Any] = {}
    for role, path in (("items", items_path), ("rejects", rejects_path)):
        sha256, lines = sha256_and_lines(part(path))
        files[role] = {"name": path.name, "sha256": sha256, "lines": lines}
    archives = []
    for part_path in archive_parts(items_path):
        if not part_path.exists():
            continue
        if part_path == part(archive_path) and own_records is not None:
            records = own_records  # this process wrote it (after a resume: appended): whole
        else:  # a worker's: one killed mid-write leaves half a record, cut off here
            records, _ = warc.repair(part_path)
        sha256, _ = sha256_and_lines(part_path)
        archives.append(
            {
                "name": part_path.name.removesuffix(".part"),
                "sha256": sha256,
                "records": records,
                "bytes": part_path.stat().st_size,
            }
        )
    if archives:
        files["archives"] = archives
    return files


def build_manifest(
    *,
    run_id: str,
    spider: str,
    started_at: str,
    finish_reason: str,
    base_url: str,
    kind: str,
    sources: list[str],
    mode: str,
    resumed: bool,
    files: dict[str, Any],
    summary: dict[str, Any],
    stats: dict[str, Any],
) -> dict[str, Any]:
    """The manifest, its keys in the published order."""
    return {
        "run_id": run_id,
        "spider": spider,
        "started_at": started_at,
        "finished_at": utc_now(),
        "finish_reason": finish_reason,
        "base_url": base_url,
        "kind": kind,
        **({"runs_read": sources} if kind != "crawl" else {}),
        "mode": mode,
        "resumed": resumed,
        "schema_version": SCHEMA_VERSION,
        "code_version": code_version(),
        "files": files,
        **summary,
        # set by qa_scraper.extensions.monitoring.RunMonitorExtension, which runs first at close
        "coverage": stats.get("qa/coverage", {}),
        "monitors": stats.get("qa/monitors"),
        "render": render_summary(stats),  # pages rendered in Chromium (qa_scraper.render)
    }


def stage_manifest(manifest_path: Path, manifest: dict[str, Any]) -> None:
    """Write ``<run>.manifest.json.part``, synced (renamed after the commit point)."""
    with part(manifest_path).open("w", encoding="utf-8") as handle:
        # (json.dump writes the encoder's pieces as they come: json.dumps would first hold
        # them all, and then the whole text: ~10 MB more at the end of a 15,000-article run)
        json.dump(manifest, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_manifest(path: Path) -> Any:
    """The manifest at ``path`` for the readers that look back (monitors, report, re-extraction),
    without its ``changes``: they hold one entry per article the run delivered or found gone
    (15,000 on a first crawl of 15,000 articles), and none of those readers uses them. Each entry
    is dropped as soon as it is parsed, so the entries are never all held at once."""
    manifest = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_drop_change)
    if isinstance(manifest, dict):
        manifest.pop("changes", None)
    return manifest


_CHANGE_KEYS = ("article_id", "url", "change")  # a ``changes`` entry, as run_summary writes it


def _drop_change(pairs: list[tuple[str, Any]]) -> dict[str, Any] | None:
    if len(pairs) == 3 and tuple(key for key, _ in pairs) == _CHANGE_KEYS:
        return None
    return dict(pairs)


def run_manifests(folder: Path) -> list[tuple[str, dict[str, Any]]]:
    """(run id, manifest) of the delivered runs in ``folder``, oldest first (run ids sort in
    time order). Unreadable files, and manifests that are not a run's (a snapshot's), are
    skipped: for readers that look back (monitors, report); a snapshot is stricter. Each is
    read without its ``changes`` (:func:`read_manifest`)."""
    manifests = []
    for path in sorted(folder.glob("*.manifest.json")) if folder.is_dir() else []:
        try:
            manifest = read_manifest(path)
        except (OSError, ValueError, RecursionError):  # (nested too deeply to read)
            continue
        if isinstance(manifest, dict) and "run_id" in manifest:
            manifests.append((path.name.removesuffix(".manifest.json"), manifest))
    return manifests
