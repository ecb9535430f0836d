"""One politeness budget for a whole distributed crawl.

``QA_REDIS_RATE`` (requests per second for the whole site; default ``1 / DOWNLOAD_DELAY``)
is shared by every process of the run: each request reserves the next free slot of a
schedule kept in Redis (an atomic Lua script) and waits for it. Adding workers adds
throughput only up to that rate.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request

from qa_scraper.distributed.run import DistributedRun

# Reserve the next request slot of the shared schedule; returns the wait in microseconds.
_RESERVE_SLOT = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
redis.call('SET', KEYS[1], slot + interval, 'PX', 600000)
return slot - now
"""


def interval_us(settings: Any) -> int:
    """Microseconds between two requests of the whole run (0: no shared budget)."""
    rate = settings.getfloat("QA_REDIS_RATE")
    if not rate:
        delay = settings.getfloat("DOWNLOAD_DELAY")
        rate = 1 / delay if delay > 0 else 0
    return int(1_000_000 / rate) if rate > 0 else 0


class SharedRateMiddleware:
    """Downloader middleware: every request of every worker takes a slot of one schedule."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.interval_us = interval_us(crawler.settings)
        self._reserve: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedRateMiddleware:
        if not crawler.settings.get("QA_REDIS_URL"):
            raise NotConfigured  # a single-process crawl: nothing to log
        return cls(crawler)

    async def process_request(self, request: Request, spider: Any = None) -> None:
        if request.meta.get("qa_kind") == "render":
            return  # the browser reads an answer already downloaded; its requests pay here
        run = self.crawler.get_extension(DistributedRun)
        if run is not None:
            await self.wait_for_slot(run)

    async def wait_for_slot(self, run: DistributedRun) -> None:
        """The shared politeness budget: wait for this request's slot."""
        if not self.interval_us or run.keys is None:
            return
        if self._reserve is None:
            self._reserve = run.server.register_script(_RESERVE_SLOT)
        now = int(time.time() * 1_000_000)
        wait = int(self._reserve(keys=[run.keys.rate], args=[now, self.interval_us]))
        if wait > 0:
            await asyncio.sleep(wait / 1_000_000)
