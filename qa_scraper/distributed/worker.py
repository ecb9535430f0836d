"""A worker of a distributed crawl (``-a role=worker``): it joins the run the coordinator
announces, fetches the articles handed out, and reports back through the run's results
list — its items and rejects (:mod:`qa_scraper.distributed.pipelines`) and what the spider
saw of each article (the spider's signals, :mod:`qa_scraper.signals`, forwarded here)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import redis
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider

from qa_scraper import signals as qa_signals
from qa_scraper.delivery.archive import WarcArchive
from qa_scraper.distributed.defaults import HEARTBEAT_MS
from qa_scraper.distributed.keys import RunKeys
from qa_scraper.distributed.run import DistributedRun, wake
from qa_scraper.errors import ExitCode

logger = logging.getLogger(__name__)


def _numeric_stats(stats: dict[str, Any]) -> dict[str, float]:
    return {
        key: value
        for key, value in stats.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool)
    }


class Worker(DistributedRun):
    role = "worker"

    def __init__(self, crawler: Crawler, server: redis.Redis) -> None:
        super().__init__(crawler, server)
        self._refused = False
        self._archive: WarcArchive | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Worker:
        worker = super().from_crawler(crawler)
        connect = crawler.signals.connect
        connect(worker.article_fetched, signal=qa_signals.article_fetched)
        connect(worker.article_not_modified, signal=qa_signals.article_not_modified)
        connect(worker.article_not_found, signal=qa_signals.article_not_found)
        connect(worker.article_redirected, signal=qa_signals.article_redirected)
        return worker

    # --- lifecycle ------------------------------------------------------------------------
    def opened(self) -> None:
        self.crawler.stats.set_value("qa/distributed/role", "worker")
        self.crawler.stats.set_value("qa/distributed/worker", self.worker)

    def close(self, reason: str) -> None:
        self._close_archive()
        self.server.delete(RunKeys.heartbeat(self.spider_name, self.worker))
        if not self._refused:
            # A worker has no run of its own: it did its part if the run it served is over.
            code = ExitCode.OK if reason == "finished" else ExitCode.INTERRUPTED
            self.crawler.stats.set_value("qa/exit_code", int(code))

    def idle(self) -> None:
        if not self._run_over():
            raise DontCloseSpider

    def _run_over(self) -> bool:
        return self.keys is not None and bool(self.server.exists(self.keys.done))

    def tick(self) -> None:
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
        wake(self.crawler.engine)

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

    # --- this worker's archive ------------------------------------------------------------
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

    # --- what goes to the coordinator -----------------------------------------------------
    def hold(self, article_id: str) -> None:
        """An article popped from the queue: held by this worker until its outcome is sent."""
        assert self.keys is not None
        self.server.hset(self.keys.inflight, article_id, self.worker)

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

    def _call(self, method: str, final: bool, *args: Any) -> None:
        """What the spider saw, for the coordinator's run (``CrawlRunExtension.<method>``)."""
        self.send(
            {
                "type": "call",
                "method": method,
                "args": list(args),
                "article_id": args[0],
                "final": final,
            }
        )

    def article_fetched(
        self,
        article_id: str,
        url: str,
        status: int,
        etag: str | None,
        last_modified: str | None,
        lastmod: str | None,
    ) -> None:
        self._call("fetched", False, article_id, url, status, etag, last_modified, lastmod)

    def article_not_modified(self, article_id: str, url: str, lastmod: str | None) -> None:
        self._call("not_modified", True, article_id, url, lastmod)

    def article_not_found(self, article_id: str, url: str, status: str) -> None:
        self._call("not_found", True, article_id, url, status)

    def article_redirected(self, article_id: str, url: str) -> None:
        # The coordinator must know the article it handed out was answered (under the
        # other's id), or it would wait for it.
        self._call("answered", True, article_id, url)
