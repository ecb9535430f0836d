"""One crawl run: its id, output files, manifest, and the shared crawl state.

Output files are written under ``.part`` names and renamed only when the crawl
*finishes*; then the manifest is written and the state updated. A run that is
killed (or stopped early) stays resumable: starting the crawl again with the
same base URL and mode continues the same run, appending to the same file and
skipping the articles already written, so the final file holds exactly the
articles an uninterrupted run would have written, once each.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import IO, Any

from qa_scraper.items import SCHEMA_VERSION
from qa_scraper.state import CrawlState, RunLock, utc_now
from qa_scraper.urls import article_id_from_url

logger = logging.getLogger(__name__)
MODES = ("incremental", "full")
# Crawl stats copied into the manifest: every counted outcome of the run.
_OUTCOME_STATS = ("qa/", "retry/", "offsite/", "robotstxt/", "downloader/response_status_count/",
                  "downloader/exception_type_count/", "item_dropped", "log_count/ERROR",
                  "log_count/WARNING", "elapsed_time_seconds")


def _new_run_id() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _part(path: Path) -> Path:
    return path.with_name(path.name + ".part")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _complete_lines(path: Path) -> list[str]:
    """The complete lines of a file killed mid-write; a trailing half line is cut off."""
    data = path.read_bytes()
    keep = data[: data.rfind(b"\n") + 1]
    if len(keep) != len(data):
        with path.open("r+b") as handle:
            handle.truncate(len(keep))
    return keep.decode("utf-8").splitlines()


class CrawlRun:
    def __init__(self, *, spider_name: str, base_url: str, mode: str, output_dir: str,
                 state_path: str = "") -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.spider_name = spider_name
        self.base_url = base_url
        self.mode = mode
        self.folder = Path(output_dir) / spider_name if output_dir else None
        if state_path:
            self.state_path: Path | None = Path(state_path)
        elif self.folder is not None:
            self.state_path = self.folder / "state.sqlite3"
        else:
            self.state_path = None
        self.state: CrawlState | None = None
        self.lock = RunLock(self.state_path) if self.state_path else None
        self.run_id = _new_run_id()
        self.started_at = utc_now()
        self.resumed = False
        self.written_ids: set[str] = set()
        self.rejected_ids: set[str] = set()  # rejected earlier in a resumed run
        self._items: IO[str] | None = None
        self._rejects: IO[str] | None = None

    # --- paths ------------------------------------------------------------------------------
    def _path(self, suffix: str) -> Path | None:
        return self.folder / f"{self.run_id}{suffix}" if self.folder else None

    @property
    def items_path(self) -> Path | None:
        return self._path(".jsonl")

    @property
    def rejects_path(self) -> Path | None:
        return self._path(".rejects.jsonl")

    @property
    def manifest_path(self) -> Path | None:
        return self._path(".manifest.json")

    @property
    def incremental(self) -> bool:
        return self.mode == "incremental" and self.state is not None

    # --- opening ----------------------------------------------------------------------------
    def open(self) -> None:
        """Lock the state, recover or resume earlier runs, open this run's files."""
        if self.lock is not None and self.state_path is not None:
            self.lock.acquire()
            self.state = CrawlState(self.state_path)
            self._recover_unfinished_runs()
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            if not self.resumed:
                base_id, suffix = self.run_id, 1
                while self.items_path.exists() or _part(self.items_path).exists():
                    suffix += 1
                    self.run_id = f"{base_id}-{suffix}"  # two runs in the same second
            items_part, rejects_part = _part(self.items_path), _part(self.rejects_path)
            if self.resumed:
                for line in _complete_lines(items_part):
                    self.written_ids.add(json.loads(line)["article_id"])
                if rejects_part.exists():
                    for line in _complete_lines(rejects_part):
                        article_id = article_id_from_url(json.loads(line)["url"])
                        if article_id:
                            self.rejected_ids.add(article_id)
            self._items = items_part.open("a", encoding="utf-8", newline="\n")
            self._rejects = rejects_part.open("a", encoding="utf-8", newline="\n")
        if self.state is not None and not self.resumed:
            self.state.start_run(self.run_id, self.base_url, self.mode,
                                 str(self.items_path) if self.items_path else None)
        if self.resumed:
            logger.warning("Resuming interrupted run %s: %d articles already written",
                           self.run_id, len(self.written_ids))

    def _recover_unfinished_runs(self) -> None:
        assert self.state is not None
        for row in self.state.unfinished_runs():
            items = Path(row["items_path"]) if row["items_path"] else None
            if items is not None and items.exists():
                # Delivered (renamed) but killed before the state was updated: finish it.
                logger.warning("Completing the state update of delivered run %s", row["run_id"])
                self.state.apply_run(row["run_id"])
            elif (not self.resumed and items is not None and _part(items).exists()
                  and row["base_url"] == self.base_url and row["mode"] == self.mode):
                self.run_id, self.started_at, self.resumed = row["run_id"], row["started_at"], True
            else:
                logger.warning("Abandoning interrupted run %s (its partial output stays as %s)",
                               row["run_id"], _part(items) if items else "nothing")
                self.state.abandon_run(row["run_id"])

    # --- writing ----------------------------------------------------------------------------
    def done(self, article_id: str) -> bool:
        """Written or rejected earlier in this run (before an interruption)."""
        return article_id in self.written_ids or article_id in self.rejected_ids

    def write_item(self, item: dict[str, Any]) -> None:
        self.written_ids.add(item["article_id"])
        _write_line(self._items, item)

    def write_reject(self, record: dict[str, Any]) -> None:
        _write_line(self._rejects, record)

    def stage(self, article_id: str, **values: Any) -> None:
        if self.state is not None:
            self.state.stage(self.run_id, article_id, **values)

    # --- closing ----------------------------------------------------------------------------
    def close(self, finish_reason: str, stats: dict[str, Any]) -> None:
        """Deliver the run if the crawl finished; otherwise leave it resumable."""
        try:
            for handle in (self._items, self._rejects):
                if handle is not None:
                    handle.flush()
                    os.fsync(handle.fileno())
                    handle.close()
            if finish_reason != "finished":
                logger.warning("Run %s stopped (%s) before the end: its output stays under"
                               " .part names; start the crawl again to resume it.",
                               self.run_id, finish_reason)
                return
            if self.folder is not None:
                os.replace(_part(self.items_path), self.items_path)
                os.replace(_part(self.rejects_path), self.rejects_path)
                self._write_manifest(finish_reason, stats)
                logger.info("Wrote %s, %s and %s", self.items_path, self.rejects_path,
                            self.manifest_path)
            if self.state is not None:
                self.state.apply_run(self.run_id)
        finally:
            if self.state is not None:
                self.state.close()
            if self.lock is not None:
                self.lock.release()

    def summary(self, stats: dict[str, Any]) -> dict[str, Any]:
        changes = self.state.changes(self.run_id) if self.state is not None else []
        counts = {change: 0 for change in ("new", "changed", "unchanged", "gone", "rejected")}
        for row in changes:
            counts[row["change"]] = counts.get(row["change"], 0) + 1
        if self.state is None:
            counts["new"] = stats.get("qa/items_written", 0)
            counts["rejected"] = stats.get("qa/rejected", 0)
        counts.update({
            "written": len(self.written_ids),
            "errors": stats.get("qa/rejected/fetch", 0) + stats.get("log_count/ERROR", 0),
            "not_found": stats.get("qa/article_not_found", 0),
            "duplicates": stats.get("qa/duplicates", 0),
            "skipped_by_lastmod": stats.get("qa/unchanged/skipped_by_lastmod", 0),
            "not_modified": stats.get("qa/unchanged/not_modified", 0),
        })
        outcome_stats = {key: value for key, value in sorted(stats.items())
                         if key.startswith(_OUTCOME_STATS) and isinstance(value, (int, float))}
        return {"counts": counts,
                "changes": [dict(row) for row in changes
                            if row["change"] in ("new", "changed", "gone")],
                "stats": outcome_stats}

    def _write_manifest(self, finish_reason: str, stats: dict[str, Any]) -> None:
        files = {}
        for role, path in (("items", self.items_path), ("rejects", self.rejects_path)):
            with path.open("rb") as handle:
                lines = sum(1 for _ in handle)
            files[role] = {"name": path.name, "sha256": _sha256(path), "lines": lines}
        manifest = {
            "run_id": self.run_id,
            "spider": self.spider_name,
            "started_at": self.started_at,
            "finished_at": utc_now(),
            "finish_reason": finish_reason,
            "base_url": self.base_url,
            "mode": self.mode,
            "resumed": self.resumed,
            "schema_version": SCHEMA_VERSION,
            "files": files,
            **self.summary(stats),
        }
        part = _part(self.manifest_path)
        part.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
        os.replace(part, self.manifest_path)


def _write_line(handle: IO[str] | None, record: Any) -> None:
    if handle is None:
        return
    handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    handle.flush()
