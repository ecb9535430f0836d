"""What a coordinator and a worker share: an extension with a Redis connection, the keys
of the run it serves, and a tick (every ``TICK_SECONDS``) that stops the process when
Redis stays unreachable.

:class:`DistributedRun` is the base of :class:`~qa_scraper.distributed.coordinator.Coordinator`
and :class:`~qa_scraper.distributed.worker.Worker`: ``crawler.get_extension(DistributedRun)``
finds whichever this process runs. Each is configured by ``QA_REDIS_URL`` and its ``-a role``.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import redis
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from twisted.internet import task
from twisted.python.failure import Failure

from qa_scraper.distributed.connection import connect, process_id
from qa_scraper.distributed.defaults import REDIS_LOST_SECONDS, TICK_SECONDS
from qa_scraper.distributed.keys import RunKeys

logger = logging.getLogger(__name__)


def wake(engine: Any) -> None:
    """Scrapy polls its scheduler on events and every 5 s; work and ends that come from
    Redis raise no event, so ask for a poll now (the engine's own wake-up call)."""
    slot = getattr(engine, "_slot", None)
    if slot is not None:
        slot.nextcall.schedule()


class DistributedRun:
    """The Redis side of a distributed crawl (an extension, configured by QA_REDIS_URL)."""

    role: ClassVar[str]  # the -a role this class serves

    def __init__(self, crawler: Crawler, server: redis.Redis) -> None:
        self.crawler = crawler
        self.server = server
        self.spider_name = crawler.spider.name
        self.worker = process_id()
        self.keys: RunKeys | None = None
        self.settings = crawler.settings
        self._loop: task.LoopingCall | None = None
        self._redis_failures = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DistributedRun:
        url = crawler.settings.get("QA_REDIS_URL")
        if not url or getattr(crawler.spider, "role", None) != cls.role:
            raise NotConfigured  # a single-process crawl, or the other role: nothing to log
        extension = cls(crawler, connect(url))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    # --- what each role does ----------------------------------------------------------------
    def opened(self) -> None:
        raise NotImplementedError

    def tick(self) -> None:
        raise NotImplementedError

    def idle(self) -> None:
        """Raise DontCloseSpider while the run still needs this process."""
        raise NotImplementedError

    def close(self, reason: str) -> None:
        raise NotImplementedError

    # --- lifecycle ------------------------------------------------------------------------
    def spider_opened(self, spider: Any) -> None:
        self.opened()
        self._loop = task.LoopingCall(self._tick)
        self._loop.start(TICK_SECONDS, now=True)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        try:
            self.close(reason)
        except redis.RedisError as error:
            logger.error("Redis error while closing: %s", error)

    def spider_idle(self, spider: Any) -> None:
        try:
            self.idle()
        except redis.RedisError as error:
            # Never "finished" for want of an answer: wait, the tick stops after 10 s.
            logger.error("Redis error while checking the end of the run: %s", error)
            raise DontCloseSpider from None

    def _tick(self) -> None:
        try:
            self.tick()
            self._redis_failures = 0
        except redis.RedisError as error:
            self._redis_failures += 1
            logger.error("Redis error: %s", error)
            if self._redis_failures * TICK_SECONDS >= REDIS_LOST_SECONDS:
                # Stopped, not finished: a coordinator's run stays resumable (exit code 6).
                logger.error("Redis unreachable for %d s: stopping", REDIS_LOST_SECONDS)
                self._loop.stop()
                self.crawler.engine.close_spider(self.crawler.spider, "redis_lost")

    def send_signal(self, signal: object, **kwargs: Any) -> None:
        """Send one of :mod:`qa_scraper.signals`. A Redis error in a handler (e.g. seeding
        the request it crawls) is raised here, as if this process had made the call."""
        for _, result in self.crawler.signals.send_catch_log(
            signal, dont_log=redis.RedisError, **kwargs
        ):
            if isinstance(result, Failure) and result.check(redis.RedisError):
                result.raiseException()
