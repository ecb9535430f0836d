"""Item pipelines: validate → deduplicate → write the run's JSONL and rejects files.

Nothing is silently dropped: an invalid item becomes a :class:`Rejected`
record in the rejects file, counted in the stats under ``qa/rejected/*``.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
from pathlib import Path
from typing import IO, Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from qa_scraper.rejects import Rejected
from qa_scraper.validation import SCHEMA_PATH, item_errors

logger = logging.getLogger(__name__)


class _CrawlerPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "_CrawlerPipeline":
        return cls(crawler)


class ValidationPipeline(_CrawlerPipeline):
    """Checks every item against the JSON Schema; a failing one becomes a ``Rejected``."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.schema_path = crawler.settings.get("QA_SCHEMA_PATH") or str(SCHEMA_PATH)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, Rejected):
            return item
        errors = item_errors(item, self.schema_path)
        if not errors:
            return item
        url = item.get("url") if isinstance(item, dict) else None
        return Rejected(url or "(unknown)", "validation", errors, item)


class DeduplicationPipeline(_CrawlerPipeline):
    """One item per article_id per run (the first one wins)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.seen: set[str] = set()

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, Rejected):
            return item
        article_id = item["article_id"]
        if article_id in self.seen:
            self.stats.inc_value("qa/duplicates")
            raise DropItem(f"duplicate article_id {article_id} ({item['url']})")
        self.seen.add(article_id)
        return item


def run_id_now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


class RunOutputPipeline(_CrawlerPipeline):
    """Writes ``<dir>/<spider>/<run id>.jsonl`` and ``<run id>.rejects.jsonl``.

    Both are written under a ``.part`` name and renamed when the spider closes,
    so a reader never sees half a file under the final name. Rejected pages go
    to the rejects file and are then dropped (so ``-O`` feeds get valid items only).
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.output_dir = crawler.settings.get("QA_OUTPUT_DIR") or ""
        self.items_path: Path | None = None
        self.rejects_path: Path | None = None
        self._items: IO[str] | None = None
        self._rejects: IO[str] | None = None

    def open_spider(self, spider: Any = None) -> None:
        spider = spider or self.crawler.spider
        if not self.output_dir:
            return
        folder = Path(self.output_dir) / spider.name
        folder.mkdir(parents=True, exist_ok=True)
        run_id = run_id_now()
        stem, suffix = run_id, 1
        while any((folder / f"{stem}{ext}").exists() for ext in
                  (".jsonl", ".jsonl.part", ".rejects.jsonl", ".rejects.jsonl.part")):
            suffix += 1
            stem = f"{run_id}-{suffix}"
        self.items_path = folder / f"{stem}.jsonl"
        self.rejects_path = folder / f"{stem}.rejects.jsonl"
        self._items = _open_part(self.items_path)
        self._rejects = _open_part(self.rejects_path)
        self.stats.set_value("qa/output_file", str(self.items_path))
        self.stats.set_value("qa/rejects_file", str(self.rejects_path))

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, Rejected):
            self.stats.inc_value("qa/rejected")
            self.stats.inc_value(f"qa/rejected/{item.stage}")
            _write_line(self._rejects, item.as_record())
            raise DropItem(str(item))
        _write_line(self._items, item)
        self.stats.inc_value("qa/items_written")
        return item

    def close_spider(self, spider: Any = None) -> None:
        for handle, path in ((self._items, self.items_path), (self._rejects, self.rejects_path)):
            if handle is None or path is None:
                continue
            handle.close()
            os.replace(_part(path), path)
            logger.info("Wrote %s", path)


def _part(path: Path) -> Path:
    return path.with_name(path.name + ".part")


def _open_part(path: Path) -> IO[str]:
    return open(_part(path), "x", encoding="utf-8", newline="\n")  # noqa: SIM115


def _write_line(handle: IO[str] | None, record: Any) -> None:
    if handle is None:
        return
    handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    handle.flush()
