"""The schedulers of a distributed crawl (set as SCHEDULER by ``-a role``).

A coordinator navigates in memory and sends article requests to the run's shared queue
(scrapy-redis's FIFO queue); a worker pops its requests from that queue.
"""

from __future__ import annotations

from typing import Any

from scrapy.core.scheduler import Scheduler as MemoryScheduler
from scrapy.crawler import Crawler
from scrapy.http import Request
from scrapy_redis.queue import FifoQueue

from qa_scraper.distributed.coordinator import Coordinator
from qa_scraper.distributed.worker import Worker
from qa_scraper.urls import PageKind, article_id_from_url


class RunScheduler(MemoryScheduler):
    """The coordinator's scheduler: navigation stays in memory, articles go to Redis."""

    coordinator: Coordinator | None = None

    def open(self, spider: Any) -> Any:
        self.coordinator = self.crawler.get_extension(Coordinator) if self.crawler else None
        return super().open(spider)

    def enqueue_request(self, request: Request) -> bool:
        if self.coordinator is not None and request.meta.get("qa_kind") == PageKind.ARTICLE.value:
            self.coordinator.seed(request)
            return True
        return super().enqueue_request(request)

    def __len__(self) -> int:
        shared = self.coordinator.queued() if self.coordinator is not None else 0
        return super().__len__() + shared


class WorkerScheduler:
    """A worker's scheduler: pops the run's article requests from Redis (scrapy-redis's
    queue), recording each as held by this worker until its outcome is sent."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.worker: Worker | None = None
        self.spider: Any = None
        self._shared: FifoQueue | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerScheduler:
        return cls(crawler)

    def open(self, spider: Any) -> None:
        self.spider = spider
        self.worker = self.crawler.get_extension(Worker)

    def close(self, reason: str) -> None:
        return None

    def _queue(self) -> FifoQueue | None:
        """The queue of the run this worker serves (none until it has joined one)."""
        keys = self.worker.keys if self.worker is not None else None
        if keys is None:
            return None
        if self._shared is None or self._shared.key != keys.queue:
            self._shared = FifoQueue(self.worker.server, self.spider, keys.queue)
        return self._shared

    def has_pending_requests(self) -> bool:
        queue = self._queue()
        return bool(queue is not None and len(queue))

    def enqueue_request(self, request: Request) -> bool:
        queue = self._queue()
        if queue is None:
            return False
        queue.push(request)  # a retry: back to the shared queue
        return True

    def next_request(self) -> Request | None:
        queue = self._queue()
        if queue is None:
            return None
        request = queue.pop()
        if request is not None:
            article_id = article_id_from_url(request.url)
            if article_id and self.worker is not None:
                self.worker.hold(article_id)
        return request

    def __len__(self) -> int:
        queue = self._queue()
        return len(queue) if queue is not None else 0
