"""One crawl shared by several processes through Redis (``-s QA_REDIS_URL=redis://…``).

Built on scrapy-redis: its request serialisation and FIFO queue carry the article
requests from the coordinator to the workers. What it lacks for a correct run is
this thin layer:

* **Roles.** ``-a role=coordinator`` (one per run) reads robots.txt, the sitemaps and
  the listings, owns the run (output files, manifest, SQLite state, run lock) and
  seeds article requests into the shared queue; ``-a role=worker`` (any number)
  fetches and extracts articles and hands items, rejects and what it saw
  (validators, 304s, 404s) back through a Redis list.
* **Run boundaries.** Every key is scoped by the run id (``qa:<spider>:<run>:…``). The
  run ends when the coordinator has nothing left to navigate, the queue is empty,
  no live worker holds an article, every result has been written and every seeded
  article has an outcome — not on an idle timer. Workers stop when the run is done.
* **Nothing lost to a kill.** A worker records each article it pops (``inflight``) and
  keeps a heartbeat; the coordinator hands the articles of a worker whose heartbeat
  expired back to the queue, and at the end re-seeds any seeded article without an
  outcome. Duplicates that this may cause are dropped by the coordinator's
  deduplication (one line per article).
* **One politeness budget.** ``QA_REDIS_RATE`` (requests per second for the whole
  site; default ``1 / DOWNLOAD_DELAY``) is shared by all workers: each request
  reserves the next free slot of a schedule kept in Redis (an atomic Lua script)
  and waits for it. Adding workers adds throughput only up to that rate.
* **Lease.** The coordinator holds a Redis lease (``SET NX PX``, renewed); a second
  coordinator refuses to start (exit code 3).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import socket
import time
import uuid
from pathlib import Path
from typing import Any

import redis
from scrapy import signals
from scrapy.core.scheduler import Scheduler as MemoryScheduler
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider, DropItem, NotConfigured
from scrapy.http import Request
from scrapy_redis.queue import FifoQueue
from twisted.internet import task

from qa_scraper.delivery.archive import WarcArchive
from qa_scraper.delivery.rejects import Rejected
from qa_scraper.errors import ExitCode, RunLockedError, SetupError
from qa_scraper.urls import PageKind, article_id_from_url

logger = logging.getLogger(__name__)
LEASE_MS = 5_000
HEARTBEAT_MS = 5_000
TICK_SECONDS = 0.2
REDIS_LOST_SECONDS = 10
# A worker's own verdicts, not counts of the run's work.
NOT_MERGED = ("qa/exit_code", "qa/usable_responses", "qa/monitors", "qa/coverage")
# Reserve the next request slot of the shared schedule; returns the wait in microseconds.
_RESERVE_SLOT = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
redis.call('SET', KEYS[1], slot + interval, 'PX', 600000)
return slot - now
"""


def connect(url: str) -> redis.Redis:
    try:
        server = redis.Redis.from_url(url)
        server.ping()
    except (redis.RedisError, ValueError) as error:
        raise SetupError(
            f"QA_REDIS_URL {url!r}: cannot reach Redis ({error})",
            "Start Redis or fix QA_REDIS_URL (e.g. redis://127.0.0.1:6379/0)",
        ) from None
    return server


class RunKeys:
    """The Redis keys of one run of one spider."""

    def __init__(self, spider_name: str, run_id: str) -> None:
        self.run_id = run_id
        base = f"qa:{spider_name}:{run_id}"
        self.queue = f"{base}:queue"  # scrapy-redis FIFO queue of article requests
        self.seeded = f"{base}:seeded"  # hash article id -> url: every article handed out
        self.completed = f"{base}:completed"  # set: article ids with an outcome written
        self.results = f"{base}:results"  # list of JSON messages from the workers
        self.inflight = f"{base}:inflight"  # hash article id -> worker id
        self.workers = f"{base}:workers"  # hash worker id -> JSON stats snapshot
        self.done = f"{base}:done"  # set once the run is over: workers stop
        self.rate = f"{base}:rate"  # the next free request slot (microseconds)
        self.base_url = f"{base}:base_url"  # the site this run crawls: workers must match
        # Set by the coordinator for the run's life: gone means Redis lost the run's keys
        # (restarted empty, flushed), queue and outcomes included.
        self.marker = f"{base}:marker"

    @staticmethod
    def current(spider_name: str) -> str:
        return f"qa:{spider_name}:current"  # the coordinator's run id (the lease)

    @staticmethod
    def heartbeat(spider_name: str, worker: str) -> str:
        return f"qa:{spider_name}:heartbeat:{worker}"


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _wake(engine: Any) -> None:
    """Scrapy polls its scheduler on events and every 5 s; work and ends that come from
    Redis raise no event, so ask for a poll now (the engine's own wake-up call)."""
    slot = getattr(engine, "_slot", None)
    if slot is not None:
        slot.nextcall.schedule()


def _numeric_stats(stats: dict[str, Any]) -> dict[str, float]:
    return {
        key: value
        for key, value in stats.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool)
    }


class DistributedRun:
    """The Redis side of a distributed crawl (an extension, configured by QA_REDIS_URL)."""

    def __init__(self, crawler: Crawler, server: redis.Redis, role: str) -> None:
        self.crawler = crawler
        self.server = server
        self.role = role
        self.spider_name = crawler.spider.name
        self.worker = _worker_id()
        self.keys: RunKeys | None = None
        self.settings = crawler.settings
        rate = self.settings.getfloat("QA_REDIS_RATE")
        if not rate:
            delay = self.settings.getfloat("DOWNLOAD_DELAY")
            rate = 1 / delay if delay > 0 else 0
        self.interval_us = int(1_000_000 / rate) if rate > 0 else 0
        self._reserve = server.register_script(_RESERVE_SLOT)
        self._loop: task.LoopingCall | None = None
        self._reseeds = 0
        # The coordinator's own record, which survives Redis losing its data: every article
        # it handed out (id -> url) and every one whose outcome it processed.
        self._handed_out: dict[str, str] = {}
        self._answered: set[str] = set()
        self._refused = False
        self._redis_failures = 0
        self._archive: WarcArchive | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DistributedRun:
        url = crawler.settings.get("QA_REDIS_URL")
        role = getattr(crawler.spider, "role", None)
        if not url or role is None:
            raise NotConfigured  # a single-process crawl: the normal case, nothing to log
        extension = cls(crawler, connect(url), role)
        if role == "coordinator":
            extension._acquire_lease()
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    # --- the coordinator's lease ---------------------------------------------------------
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

    @property
    def _run_id(self) -> str:
        run = self.crawler.spider.run
        return run.run.run_id if run is not None else "norun"

    # --- lifecycle -------------------------------------------------------------------------
    def spider_opened(self, spider: Any) -> None:
        if self.role == "coordinator":
            self.keys = RunKeys(self.spider_name, self._run_id)
            self._mark_run()
            self._renew_lease()
            self.crawler.stats.set_value("qa/distributed/role", "coordinator")
        else:
            self.crawler.stats.set_value("qa/distributed/role", "worker")
            self.crawler.stats.set_value("qa/distributed/worker", self.worker)
        self._loop = task.LoopingCall(self._tick)
        self._loop.start(TICK_SECONDS, now=True)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        try:
            self._close(reason)
        except redis.RedisError as error:
            logger.error("Redis error while closing: %s", error)

    def _close(self, reason: str) -> None:
        if self.role == "coordinator":
            self._drain_results()
            if reason == "finished" and self.keys is not None:
                self.server.set(self.keys.done, "1", ex=3600)
                self._merge_worker_stats()
            self.server.delete(RunKeys.current(self.spider_name))
        else:
            self._close_archive()
            self.server.delete(RunKeys.heartbeat(self.spider_name, self.worker))
            if not self._refused:
                # A worker has no run of its own: it did its part if the run it served is over.
                code = ExitCode.OK if reason == "finished" else ExitCode.INTERRUPTED
                self.crawler.stats.set_value("qa/exit_code", int(code))

    def _tick(self) -> None:
        try:
            if self.role == "coordinator":
                self._coordinator_tick()
            else:
                self._worker_tick()
            self._redis_failures = 0
        except redis.RedisError as error:
            self._redis_failures += 1
            logger.error("Redis error: %s", error)
            if self._redis_failures * TICK_SECONDS >= REDIS_LOST_SECONDS:
                # Stopped, not finished: a coordinator's run stays resumable (exit code 6).
                logger.error("Redis unreachable for %d s: stopping", REDIS_LOST_SECONDS)
                self._loop.stop()
                self.crawler.engine.close_spider(self.crawler.spider, "redis_lost")

    # --- coordinator -------------------------------------------------------------------------
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
        run = self.crawler.spider.run
        done = run.run.done if run is not None else (lambda article_id: False)
        return {
            article_id
            for article_id in self._handed_out
            if article_id not in self._answered
            and article_id not in completed
            and not done(article_id)
        }

    def _coordinator_tick(self) -> None:
        self._check_marker()
        self._renew_lease()
        self._drain_results()
        self._requeue_from_dead_workers()
        engine = self.crawler.engine
        for request in self.crawler.spider.frontier_batch():
            engine.crawl(request)
        _wake(engine)

    def _drain_results(self, limit: int = 1000) -> None:
        """Hand the workers' messages to the run: items and rejects through the pipelines,
        what they saw to the run's bookkeeping."""
        keys = self.keys
        if keys is None:
            return
        spider = self.crawler.spider
        for _ in range(limit):
            raw = self.server.lpop(keys.results)
            if raw is None:
                return
            message = json.loads(raw)
            kind = message["type"]
            article_id = message.get("article_id")
            if kind == "call" and spider.run is not None:
                getattr(spider.run, message["method"])(*message["args"])
            elif kind == "item":
                self._process(message["item"])
                for request in spider.links_of(message["item"]):
                    self.crawler.engine.crawl(request)
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
                self._answered.add(article_id)
                self.server.sadd(keys.completed, article_id)

    def _process(self, item: Any) -> None:
        """An item (or reject) from a worker through this process's pipelines."""
        scraper = self.crawler.engine.scraper
        for pipeline in scraper.itemproc.middlewares:
            try:
                item = pipeline.process_item(item)
            except DropItem:
                return
        self.crawler.signals.send_catch_log(
            signal=signals.item_scraped, item=item, response=None, spider=self.crawler.spider
        )

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
            self.seed(self.crawler.spider.plain_article_request(url), again=True)

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

    def seed(self, request: Request, again: bool = False) -> None:
        """Put an article request in the shared queue (and remember it was handed out).

        An article already handed out in this run (say, by a coordinator before its
        restart) is not queued twice, unless ``again``: its outcome never came back.
        """
        keys = self.keys
        assert keys is not None
        article_id = article_id_from_url(request.url) or request.url
        self._handed_out.setdefault(article_id, request.url)  # before Redis may fail
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

    def spider_idle(self, spider: Any) -> None:
        try:
            self._idle()
        except redis.RedisError as error:
            # Never "finished" for want of an answer: wait, the tick stops after 10 s.
            logger.error("Redis error while checking the end of the run: %s", error)
            raise DontCloseSpider from None

    def _idle(self) -> None:
        if self.role == "worker":
            if not self._run_over():
                raise DontCloseSpider
            return
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

    # --- worker ---------------------------------------------------------------------------
    def _run_over(self) -> bool:
        return self.keys is not None and bool(self.server.exists(self.keys.done))

    def worker_archive(self) -> WarcArchive | None:
        """This worker's archive for the run it serves, ``<run>.<worker>.warc.gz`` (``.part``)
        in the run folder (QA_OUTPUT_DIR as given to the worker: the coordinator's, shared);
        the coordinator lists it in the manifest and renames it at the run's commit point."""
        folder = self.settings.get("QA_WORKER_ARCHIVE_DIR")
        if not folder or not self.settings.getbool("QA_ARCHIVE") or self.keys is None:
            return None
        run_id = self.keys.queue.split(":")[2]
        if self._archive is None or not self._archive.final_name.startswith(run_id + "."):
            self._close_archive()
            tag = re.sub(r"[^A-Za-z0-9]+", "-", self.worker)
            name = f"{run_id}.worker-{tag}.warc.gz"
            path = Path(folder) / self.spider_name / (name + ".part")
            path.parent.mkdir(parents=True, exist_ok=True)
            base_url = self.crawler.spider.base_url
            info = {"run-id": run_id, "base-url": base_url, "worker": self.worker}
            self._archive = WarcArchive(path, name, info)
        return self._archive

    def _close_archive(self) -> None:
        if self._archive is not None:
            self._archive.close()
            self._archive = None

    def _worker_tick(self) -> None:
        name = self.spider_name
        if self.keys is not None and self._run_over():
            self._close_archive()  # the run is over: its archive is complete
        if self.keys is None or self._run_over():
            current = self.server.get(RunKeys.current(name))
            if current and not current.startswith(b"pending"):
                run_id = current.decode()
                if self.keys is None or f":{run_id}:" not in self.keys.queue:
                    keys = RunKeys(name, run_id)
                    site = (self.server.get(keys.base_url) or b"").decode()
                    mine = self.crawler.spider.base_url
                    if site and site != mine:
                        self._refuse_run(run_id, site, mine)
                        return
                    self.keys = keys
                    logger.info("Joined run %s", run_id)
        self.server.set(RunKeys.heartbeat(name, self.worker), "1", px=HEARTBEAT_MS)
        if self.keys is not None:
            self.server.hset(self.keys.workers, self.worker, self._stats_snapshot())
        _wake(self.crawler.engine)

    def _refuse_run(self, run_id: str, site: str, mine: str) -> None:
        """A worker never serves a run of another site: it stops with exit code 2."""
        logger.error(
            "Not joining run %s: it crawls %s, this worker was started for %s. Start workers"
            " with the coordinator's -a base_url.",
            run_id,
            site,
            mine,
        )
        self.crawler.stats.set_value("qa/exit_code", int(ExitCode.USAGE))
        self._refused = True
        self.crawler.engine.close_spider(self.crawler.spider, "base_url_mismatch")

    def _stats_snapshot(self) -> str:
        """This worker's counters, which the coordinator adds to the run's stats at the end."""
        return json.dumps(_numeric_stats(self.crawler.stats.get_stats()))

    def send(self, message: dict[str, Any]) -> None:
        """A message for the coordinator (an item, a reject, a call on the run)."""
        assert self.keys is not None
        with self.server.pipeline() as batch:  # the stats first: counted once the outcome is
            batch.hset(self.keys.workers, self.worker, self._stats_snapshot())
            batch.rpush(self.keys.results, json.dumps(message, ensure_ascii=False))
            if message.get("final") and message.get("article_id"):
                # Answered: no longer held by this worker (whoever reads the answer).
                batch.hdel(self.keys.inflight, message["article_id"])
            batch.execute()

    async def wait_for_slot(self) -> None:
        """The shared politeness budget: wait for this request's slot."""
        if not self.interval_us or self.keys is None:
            return
        now = int(time.time() * 1_000_000)
        wait = int(self._reserve(keys=[self.keys.rate], args=[now, self.interval_us]))
        if wait > 0:
            await asyncio.sleep(wait / 1_000_000)


class WorkerRunProxy:
    """What a worker's spider reports about an article, sent to the coordinator's run."""

    def __init__(self, distributed: DistributedRun) -> None:
        self.distributed = distributed

    def _call(self, method: str, final: bool, *args: Any) -> None:
        self.distributed.send(
            {
                "type": "call",
                "method": method,
                "args": list(args),
                "article_id": args[0],
                "final": final,
            }
        )

    def fetched(self, article_id: str, *args: Any) -> None:
        self._call("fetched", False, article_id, *args)

    def not_modified(self, article_id: str, *args: Any) -> None:
        self._call("not_modified", True, article_id, *args)

    def not_found(self, article_id: str, *args: Any) -> None:
        self._call("not_found", True, article_id, *args)

    def answered(self, article_id: str, *args: Any) -> None:
        self._call("answered", True, article_id, *args)


class WorkerResultPipeline:
    """In a worker: items and rejects go to the coordinator instead of local files."""

    def __init__(self, distributed: DistributedRun) -> None:
        self.distributed = distributed

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerResultPipeline:
        distributed = crawler.get_extension(DistributedRun)
        if distributed is None or distributed.role != "worker":
            raise NotConfigured  # not a worker: nothing to log
        return cls(distributed)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, Rejected):
            article_id = article_id_from_url(item.url)
            message = {"type": "reject", "record": item.as_record()}
        else:
            article_id = item["article_id"]
            message = {"type": "item", "item": dict(item)}
        self.distributed.send({**message, "article_id": article_id, "final": True})
        raise DropItem("handed to the coordinator", log_level="DEBUG")


class RunScheduler(MemoryScheduler):
    """The coordinator's scheduler: navigation stays in memory, articles go to Redis."""

    distributed: DistributedRun | None = None

    def open(self, spider: Any) -> Any:
        self.distributed = self.crawler.get_extension(DistributedRun) if self.crawler else None
        return super().open(spider)

    def enqueue_request(self, request: Request) -> bool:
        if self.distributed is not None and request.meta.get("qa_kind") == PageKind.ARTICLE.value:
            self.distributed.seed(request)
            return True
        return super().enqueue_request(request)

    def __len__(self) -> int:
        shared = self.distributed.queued() if self.distributed is not None else 0
        return super().__len__() + shared


class WorkerScheduler:
    """A worker's scheduler: pops the run's article requests from Redis (scrapy-redis's
    queue), recording each as held by this worker until its outcome is sent."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.distributed: DistributedRun | None = None
        self.spider: Any = None
        self._shared: FifoQueue | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerScheduler:
        return cls(crawler)

    def open(self, spider: Any) -> None:
        self.spider = spider
        self.distributed = self.crawler.get_extension(DistributedRun)

    def close(self, reason: str) -> None:
        return None

    def _queue(self) -> FifoQueue | None:
        """The queue of the run this worker serves (none until it has joined one)."""
        keys = self.distributed.keys if self.distributed is not None else None
        if keys is None:
            return None
        if self._shared is None or self._shared.key != keys.queue:
            self._shared = FifoQueue(self.distributed.server, self.spider, keys.queue)
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
            if article_id and self.distributed is not None:
                assert self.distributed.keys is not None
                self.distributed.server.hset(
                    self.distributed.keys.inflight, article_id, self.distributed.worker
                )
        return request

    def __len__(self) -> int:
        queue = self._queue()
        return len(queue) if queue is not None else 0


class SharedRateMiddleware:
    """Downloader middleware: every request of every worker takes a slot of one schedule."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedRateMiddleware:
        if not crawler.settings.get("QA_REDIS_URL"):
            raise NotConfigured  # a single-process crawl: nothing to log
        return cls(crawler)

    async def process_request(self, request: Request, spider: Any = None) -> None:
        if request.meta.get("qa_kind") == "render":
            return  # the browser reads an answer already downloaded; its requests pay here
        distributed = self.crawler.get_extension(DistributedRun)
        if distributed is not None:
            await distributed.wait_for_slot()
