"""The coordinator of a distributed crawl (``-a role=coordinator``): it owns the run,
seeds article requests into the shared queue, takes the workers' results and decides
when the run is over.

What it needs navigated it asks of the spider through signals
(:mod:`qa_scraper.signals`); the run's bookkeeping it reaches through
:class:`~qa_scraper.extensions.crawl_run.CrawlRunExtension`; the workers' items and rejects
go through the item pipelines Scrapy built for this crawl (``Crawler.get_item_pipeline``,
in ``ITEM_PIPELINES`` order).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import redis
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider, DropItem
from scrapy.http import Request
from scrapy.utils.misc import load_object
from scrapy_redis.queue import FifoQueue

from qa_scraper import signals as qa_signals
from qa_scraper.delivery.rejects import Rejected
from qa_scraper.distributed.defaults import LEASE_MS
from qa_scraper.distributed.keys import RunKeys
from qa_scraper.distributed.run import DistributedRun, wake
from qa_scraper.errors import RunLockedError, WriteFailed
from qa_scraper.extensions.crawl_run import CrawlRunExtension
from qa_scraper.urls import article_id_from_url

logger = logging.getLogger(__name__)
# A worker's own verdicts, not counts of the run's work.
NOT_MERGED = ("qa/exit_code", "qa/usable_responses", "qa/monitors", "qa/coverage")
# What a worker reports of an article, as the run's methods that record it.
RUN_CALLS = frozenset({"fetched", "not_modified", "not_found", "answered"})


class Coordinator(DistributedRun):
    role = "coordinator"

    def __init__(self, crawler: Crawler, server: redis.Redis) -> None:
        super().__init__(crawler, server)
        self._reseeds = 0
        # The coordinator's own record, which survives Redis losing its data: every article
        # it handed out (id -> url) and every one whose outcome it processed.
        self._handed_out: dict[str, str] = {}
        self._answered: set[str] = set()
        self._again: set[str] = set()  # articles the spider is asked to request once more
        self._pipelines: list[Any] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Coordinator:
        coordinator = super().from_crawler(crawler)
        coordinator._acquire_lease()
        return coordinator

    @property
    def _run(self) -> CrawlRunExtension | None:
        return self.crawler.get_extension(CrawlRunExtension)

    @property
    def _run_id(self) -> str:
        run = self._run
        return run.run.run_id if run is not None else "norun"

    # --- the lease ------------------------------------------------------------------------
    def _acquire_lease(self) -> None:
        key = RunKeys.current(self.spider_name)
        holder = self.server.get(key)
        if not self.server.set(key, f"pending {self.worker}", nx=True, px=LEASE_MS):
            raise RunLockedError(
                f"another doctorqna coordinator holds the Redis lease {key} ({holder!r});"
                f" a coordinator killed less than {LEASE_MS // 1000} s ago still holds it",
                "Wait for its run to finish (or a few seconds after a crash), or start this"
                " process as -a role=worker",
            )

    def _renew_lease(self) -> None:
        assert self.keys is not None
        self.server.set(RunKeys.current(self.spider_name), self._run_id, px=LEASE_MS)

    # --- lifecycle ------------------------------------------------------------------------
    def opened(self) -> None:
        self.keys = RunKeys(self.spider_name, self._run_id)
        self._mark_run()
        self._renew_lease()
        self.crawler.stats.set_value("qa/distributed/role", "coordinator")

    def close(self, reason: str) -> None:
        self._drain_results()
        if reason == "finished" and self.keys is not None:
            self.server.set(self.keys.done, "1", ex=3600)
            self._merge_worker_stats()
        self.server.delete(RunKeys.current(self.spider_name))

    def tick(self) -> None:
        self._check_marker()
        self._renew_lease()
        self._drain_results()
        self._requeue_from_dead_workers()
        self.send_signal(qa_signals.articles_wanted)
        wake(self.crawler.engine)

    def _mark_run(self) -> None:
        assert self.keys is not None
        self.server.set(self.keys.base_url, self.crawler.spider.base_url)
        self.server.set(self.keys.marker, self._run_id, ex=7 * 86400)

    def _check_marker(self) -> None:
        """Redis answers, but the run's marker is gone: Redis lost the run's keys (restarted
        empty, flushed), its queue and its record of outcomes with them. The run goes on:
        every article this coordinator handed out and got no outcome for is handed out again
        (from its own record), so the run is never declared complete without them."""
        assert self.keys is not None
        if self.server.exists(self.keys.marker):
            return
        unanswered = self._unanswered()
        self.crawler.stats.inc_value("qa/distributed/redis_lost_keys")
        logger.error(
            "Redis lost the keys of run %s (restarted empty?): handing out again the %d"
            " article(s) without an outcome recorded by this coordinator",
            self._run_id,
            len(unanswered),
        )
        self._mark_run()
        for article_id in sorted(unanswered):
            self._hand_out_again(article_id)

    def _unanswered(self, completed: set[str] = frozenset()) -> set[str]:
        """Articles this coordinator handed out with no outcome it recorded (here, in the
        run's files before a restart, or in Redis's ``completed`` set while it is intact)."""
        run = self._run
        done = run.run.done if run is not None else (lambda article_id: False)
        return {
            article_id
            for article_id in self._handed_out
            if article_id not in self._answered
            and article_id not in completed
            and not done(article_id)
        }

    # --- the workers' results -------------------------------------------------------------
    def _drain_results(self, limit: int = 1000) -> None:
        """Hand the workers' messages to the run: items and rejects through the pipelines,
        what they saw to the run's bookkeeping."""
        keys = self.keys
        if keys is None:
            return
        run = self._run
        answered: list[str] = []
        try:
            for _ in range(limit):
                if not self._take_result(keys, run, answered):
                    return
        finally:
            self._mark_completed(keys, run, answered)

    def _take_result(
        self, keys: RunKeys, run: CrawlRunExtension | None, answered: list[str]
    ) -> bool:
        """One worker message through the run (False: none waits); a final one's article
        joins ``answered``."""
        raw = self.server.lpop(keys.results)
        if raw is None:
            return False
        message = json.loads(raw)
        kind = message["type"]
        article_id = message.get("article_id")
        if kind == "call" and run is not None and message["method"] in RUN_CALLS:
            getattr(run, message["method"])(*message["args"])
        elif kind == "item":
            self._process(message["item"])
            self.send_signal(qa_signals.item_received, item=message["item"])
        elif kind == "reject":
            record = message["record"]
            self._process(
                Rejected(
                    record["url"],
                    record["stage"],
                    record["errors"],
                    record["item"],
                    record.get("warc"),
                )
            )
        if message.get("final") and article_id:
            answered.append(article_id)
        return True

    def _mark_completed(
        self, keys: RunKeys, run: CrawlRunExtension | None, answered: list[str]
    ) -> None:
        """Record outcomes as ``completed`` (Redis) only once their lines and rows are written
        (the run's group, QA_SYNC_SECONDS, is synced first): a coordinator killed with them
        still in memory must hand those articles out again when restarted, not count them
        as done."""
        if not answered:
            return
        if run is not None:
            try:
                run.run.sync()
            except WriteFailed:
                return  # the run failed (exit code 8): nothing more is recorded
        self._answered.update(answered)
        self.server.sadd(keys.completed, *answered)

    def _item_pipelines(self) -> list[Any]:
        """The item pipelines Scrapy built for this crawl, in ``ITEM_PIPELINES`` order."""
        if self._pipelines is None:
            order = self.settings.getwithbase("ITEM_PIPELINES")
            found: list[Any] = []
            for path, priority in sorted(order.items(), key=lambda entry: entry[1]):
                if priority is None:
                    continue
                pipeline = self.crawler.get_item_pipeline(load_object(path))
                if pipeline is not None and all(pipeline is not other for other in found):
                    found.append(pipeline)
            self._pipelines = found
        return self._pipelines

    def _process(self, item: Any) -> None:
        """An item (or reject) from a worker through this process's pipelines."""
        for pipeline in self._item_pipelines():
            try:
                item = pipeline.process_item(item)
            except DropItem:
                return
        self.crawler.signals.send_catch_log(
            signal=signals.item_scraped, item=item, response=None, spider=self.crawler.spider
        )

    # --- handing articles out -------------------------------------------------------------
    def _alive(self, worker: bytes) -> bool:
        return bool(self.server.exists(RunKeys.heartbeat(self.spider_name, worker.decode())))

    def _hand_out_again(self, article_id: bytes | str) -> None:
        """Queue a seeded article once more (plainly): its outcome never came back."""
        assert self.keys is not None
        if isinstance(article_id, bytes):
            article_id = article_id.decode()
        url = self._handed_out.get(article_id)
        if url is None and (stored := self.server.hget(self.keys.seeded, article_id)):
            url = stored.decode()
        if url is not None:
            self.crawler.stats.inc_value("qa/distributed/requeued")
            self._again.add(article_id)  # the spider's request comes back through seed()
            try:
                self.send_signal(qa_signals.article_lost, url=url)
            finally:
                self._again.discard(article_id)

    def _requeue_from_dead_workers(self) -> None:
        keys = self.keys
        assert keys is not None
        for article_id, worker in self.server.hgetall(keys.inflight).items():
            if not self._alive(worker):
                self.server.hdel(keys.inflight, article_id)
                logger.warning(
                    "Worker %s is gone: article %s handed out again",
                    worker.decode(),
                    article_id.decode(),
                )
                self._hand_out_again(article_id)

    def seed(self, request: Request) -> None:
        """Put an article request in the shared queue (and remember it was handed out).

        An article already handed out in this run (say, by a coordinator before its
        restart) is not queued twice, unless handed out again: its outcome never came back.
        """
        keys = self.keys
        assert keys is not None
        article_id = article_id_from_url(request.url) or request.url
        self._handed_out.setdefault(article_id, request.url)  # before Redis may fail
        again = article_id in self._again
        if not self.server.hsetnx(keys.seeded, article_id, request.url) and not again:
            self.crawler.stats.inc_value("qa/distributed/already_seeded")
            return
        FifoQueue(self.server, self.crawler.spider, keys.queue).push(request)
        self.crawler.stats.inc_value("qa/distributed/seeded")

    def queued(self) -> int:
        if self.keys is None:
            return 0
        try:
            return int(self.server.llen(self.keys.queue))
        except redis.RedisError:
            return 1  # unknown while Redis is away: not idle (the tick decides to stop)

    # --- the end of the run ---------------------------------------------------------------
    def idle(self) -> None:
        keys = self.keys
        assert keys is not None
        self._check_marker()
        self._drain_results()
        live_inflight = any(map(self._alive, self.server.hvals(keys.inflight)))
        if self.queued() or live_inflight or self.server.llen(keys.results):
            raise DontCloseSpider
        completed = {member.decode() for member in self.server.smembers(keys.completed)}
        missing = {member.decode() for member in self.server.hkeys(keys.seeded)} - completed
        missing |= self._unanswered(completed)
        if not missing:
            return  # every article handed out has an outcome: the run may be delivered
        if self._reseeds < 3:
            # Handed out, yet no outcome came back (a worker killed before it answered,
            # an answer lost with Redis).
            self._reseeds += 1
            logger.warning("Handing out %d article(s) again that got no outcome", len(missing))
            for article_id in sorted(missing):
                self._hand_out_again(article_id)
            raise DontCloseSpider
        logger.error(
            "%d article(s) still have no outcome after %d hand-outs (e.g. %s): the run is"
            " not delivered; start the coordinator again to resume it",
            len(missing),
            self._reseeds,
            ", ".join(sorted(missing)[:5]),
        )
        self.crawler.stats.set_value("qa/distributed/no_outcome", len(missing))
        raise CloseSpider("outcomes_missing")  # not "finished": exit code 6, resumable

    def _merge_worker_stats(self) -> None:
        """Add the workers' counters (requests, retries, 404s…) to this run's stats."""
        stats = self.crawler.stats
        keys = self.keys
        assert keys is not None
        for snapshot in self.server.hvals(keys.workers):
            for name, value in json.loads(snapshot).items():
                if name.startswith(
                    ("qa/", "retry/", "downloader/", "offsite/", "robotstxt/", "log_count/")
                ) and not name.startswith(NOT_MERGED):
                    stats.inc_value(name, value)
