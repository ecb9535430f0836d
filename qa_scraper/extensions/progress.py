"""Progress of a long crawl: one log line every ``QA_PROGRESS_INTERVAL`` seconds.

Like Scrapy's LogStats, with what an operator of this crawl asks: pages per minute
(over the last interval), items written, rejects, the scheduler's queue size, and
an ETA once the sitemaps have given the number of articles (``qa/sitemap_articles``)::

    Progress: 1520 pages (212/min), 1310 items, 4 rejects, queue 388; articles 1318/9800, ETA 41 min
"""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

logger = logging.getLogger(__name__)


def queue_length(crawler: Crawler) -> int | None:
    """Requests waiting in the scheduler, the one way the project reads it (a distributed
    coordinator's scheduler counts the shared queue too); ``None`` before the engine runs or
    for a scheduler without a length."""
    try:
        scheduler = crawler.engine.scheduler
    except (AttributeError, RuntimeError):
        return None
    try:
        return len(scheduler)
    except TypeError:
        return None


def articles_done(stats: dict[str, Any]) -> int:
    """Articles the run is finished with: written, rejected, unchanged, gone or missing."""
    total = 0
    for key in ("qa/items_written", "qa/rejected", "qa/article_not_found", "qa/duplicates"):
        total += int(stats.get(key, 0) or 0)
    total += sum(
        int(value)
        for key, value in stats.items()
        if key.startswith("qa/unchanged/") and isinstance(value, int)
    )
    return total


def progress_line(
    stats: dict[str, Any], pages_per_min: float, queued: int | None, articles_per_min: float
) -> str:
    line = (
        f"Progress: {stats.get('response_received_count', 0)} pages ({pages_per_min:.0f}/min),"
        f" {stats.get('qa/items_written', 0)} items, {stats.get('qa/rejected', 0)} rejects,"
        f" queue {'?' if queued is None else queued}"
    )
    total = int(stats.get("qa/sitemap_articles", 0) or 0)
    if total:
        done = articles_done(stats)
        line += f"; articles {done}/{total}"
        if done >= total:
            line += ", ETA any moment"
        elif articles_per_min > 0:
            line += f", ETA {(total - done) / articles_per_min:.0f} min"
        else:
            line += ", ETA unknown"
    return line


class ProgressExtension:
    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.interval = interval
        self.task: task.LoopingCall | None = None
        self._last = (time.monotonic(), 0, 0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressExtension:
        interval = crawler.settings.getfloat("QA_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured("QA_PROGRESS_INTERVAL is 0")
        extension = cls(crawler, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Any) -> None:
        self._last = (time.monotonic(), 0, 0)
        self.task = task.LoopingCall(self.log)
        self.task.start(self.interval, now=False)

    def log(self) -> None:
        stats = self.stats.get_stats()
        now = time.monotonic()
        pages, done = int(stats.get("response_received_count", 0)), articles_done(stats)
        then, pages_then, done_then = self._last
        minutes = max(now - then, 1e-9) / 60
        self._last = (now, pages, done)
        logger.info(
            progress_line(
                stats,
                (pages - pages_then) / minutes,
                queue_length(self.crawler),
                (done - done_then) / minutes,
            )
        )

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
