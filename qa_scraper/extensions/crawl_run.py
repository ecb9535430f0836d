"""The crawl run as a Scrapy extension, and the one question the spider asks it.

:class:`CrawlRunExtension` owns the run (:class:`qa_scraper.delivery.lifecycle.CrawlRun`: lock,
crawl state, output files, manifest): it opens it when the crawler is built
(refusals happen before anything starts), and delivers it — or leaves it
resumable — when the spider closes, recording the exit code in the stats.
It is not configured when there is nothing to keep (``QA_OUTPUT_DIR`` and
``QA_STATE_PATH`` both empty: only ``-o``/``-O`` feeds are written).

The spider, which only navigates, asks :meth:`CrawlRunExtension.plan_article`
"should I request this article, and how?" and reports what it saw as signals
(:mod:`qa_scraper.signals`), which :meth:`fetched`, :meth:`not_modified` and
:meth:`not_found` record (a distributed coordinator calls them with its workers' reports);
pipelines reach the run's files through :attr:`CrawlRunExtension.run`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from qa_scraper import signals as qa_signals
from qa_scraper.delivery.lifecycle import CrawlRun
from qa_scraper.errors import ExitCode, WriteFailed


class Action(str, Enum):
    FETCH = "fetch"  # request it now (with the plan's headers)
    DEFER = "defer"  # known and delivered: wait until the sitemaps have given its lastmod
    SKIP = "skip"  # no request: done earlier in this run, or unchanged by its lastmod


@dataclass(frozen=True)
class ArticlePlan:
    action: Action
    headers: dict[str, str] = field(default_factory=dict)  # If-None-Match / If-Modified-Since
    conditional: bool = False  # a 304 is an answer, not an error


FETCH_PLAIN = ArticlePlan(Action.FETCH)
_LOOP_SECONDS = 0.05  # the sync loop's shortest interval


class CrawlRunExtension:
    clock: Any = None  # what times the sync loop (None: the reactor; a test's task.Clock)

    def __init__(self, crawler: Crawler, run: CrawlRun) -> None:
        self.crawler = crawler
        self.run = run
        self.stats = crawler.stats
        self.revalidate_after_days = crawler.settings.getfloat("QA_REVALIDATE_AFTER_DAYS")
        self.sync_seconds = crawler.settings.getfloat("QA_SYNC_SECONDS")
        self._syncing: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRunExtension:
        settings, spider = crawler.settings, crawler.spider
        output_dir = settings.get("QA_OUTPUT_DIR") or ""
        state_path = settings.get("QA_STATE_PATH") or ""
        if settings.getbool("QA_SINGLE_PAGE"):
            raise NotConfigured  # `scrapy parse`: one page, no run
        if not output_dir and not state_path:
            raise NotConfigured("QA_OUTPUT_DIR and QA_STATE_PATH are empty: no run files")
        if not getattr(spider, "base_url", None):
            raise NotConfigured("the spider has no base_url")
        run = CrawlRun(
            spider_name=spider.name,
            base_url=spider.base_url,
            mode=spider.mode,
            output_dir=output_dir,
            state_path=state_path,
            archive=settings.getbool("QA_ARCHIVE"),
        )
        run.open()  # refuses (SetupError) before any file of the run exists
        extension = cls(crawler, run)
        run.on_failure = extension._stop_on_write_failure
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.fetched, signal=qa_signals.article_fetched)
        crawler.signals.connect(extension.not_modified, signal=qa_signals.article_not_modified)
        crawler.signals.connect(extension.not_found, signal=qa_signals.article_not_found)
        return extension

    # --- lifecycle ------------------------------------------------------------------------
    def spider_opened(self, spider: Any) -> None:
        run = self.run
        self.stats.set_value("qa/run_id", run.run_id)
        self.stats.set_value("qa/mode", run.mode)
        if run.resumed:
            self.stats.set_value("qa/resumed_written", len(run.written_ids))
        if run.dropped_on_resume:
            self.stats.set_value("qa/resume_dropped_lines", run.dropped_on_resume)
        if self.sync_seconds > 0:
            # Staged rows and lines are written in groups (CrawlRun.defer_writes); the loop
            # writes a group that waits while no article comes (a slow or idle crawl).
            run.defer_writes(self.sync_seconds)
            self._syncing = task.LoopingCall(self._sync)
            if self.clock is not None:
                self._syncing.clock = self.clock
            # (at most 20 a second: a tiny QA_SYNC_SECONDS must not make the loop a busy one)
            self._syncing.start(max(self.sync_seconds, _LOOP_SECONDS), now=False)

    def _sync(self) -> None:
        with contextlib.suppress(WriteFailed):  # the run failed: it stops and says so
            self.run.sync()

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Deliver the run (or keep it resumable) and record the exit code."""
        fetched = bool(self.stats.get_value("qa/usable_responses"))
        if self._syncing is not None and self._syncing.running:
            self._syncing.stop()  # (the close writes what waits)
        try:
            code = self.run.close(reason, self.stats.get_stats(), fetched_anything=fetched)
        except BaseException:
            self.stats.set_value("qa/exit_code", int(ExitCode.ERROR))  # a bug: never a 0
            raise
        self.stats.set_value("qa/exit_code", int(code))

    def _stop_on_write_failure(self) -> None:
        """The run cannot write its files or state: stop the crawl (exit code 8)."""
        self.stats.set_value("qa/write_failed", 1)
        try:
            engine = self.crawler.engine
        except (AttributeError, RuntimeError):  # not crawling (yet): nothing to stop
            return
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason="write_failed"))

    # --- the spider's question -----------------------------------------------------------
    def plan_article(
        self, article_id: str, lastmod: str | None, found_on_page: bool
    ) -> ArticlePlan:
        """Should the spider request this article now, and with which headers?

        A known article met on a page (not in a sitemap) is deferred until the
        sitemaps have spoken, since its lastmod may spare the request.
        """
        run = self.run
        known = run.state.known(article_id) if run.incremental else None
        delivered = known is not None and known.delivered
        if delivered and found_on_page:
            return ArticlePlan(Action.DEFER)
        if run.done(article_id):
            return ArticlePlan(Action.SKIP)  # written or rejected earlier in this run
        if not delivered:
            return FETCH_PLAIN
        if (
            lastmod
            and known.sitemap_lastmod == lastmod
            and known.seen_within(self.revalidate_after_days)
        ):
            self.stats.inc_value("qa/unchanged/skipped_by_lastmod")
            self._stage(article_id, change="unchanged", status="skipped")
            return ArticlePlan(Action.SKIP)
        headers = {}
        if known.etag:
            headers["If-None-Match"] = known.etag
        if known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
        return ArticlePlan(Action.FETCH, headers, conditional=True)

    def unseen_articles(self, requested: set[str]) -> list[str]:
        """URLs of the known articles this run has not requested (incremental mode), whatever
        their last status (live, rejected, failed, gone): named by no sitemap or listing read,
        they are re-checked once, so that one deleted is reported gone, one merely unlisted
        is confirmed, and one that failed or was gone and is back is delivered. The URL is
        rebuilt on this run's base URL (the site may have moved since it was stored)."""
        if not self.run.incremental:
            return []
        site = urlsplit(self.run.base_url)
        return [
            urlunsplit((site.scheme, site.netloc, f"/en/article/{article_id}", "", ""))
            for article_id, _ in self.run.state.known_articles()
            if article_id not in requested and not self.run.done(article_id)
        ]

    # --- what the spider saw -------------------------------------------------------------
    def _stage(self, article_id: str, **values: Any) -> None:
        """Stage what the spider saw; once the run failed to write, nothing is (the run is
        not delivered, and the next start resumes it)."""
        with contextlib.suppress(WriteFailed):
            self.run.stage(article_id, **values)

    def fetched(
        self,
        article_id: str,
        url: str,
        status: int,
        etag: str | None,
        last_modified: str | None,
        lastmod: str | None,
    ) -> None:
        self._stage(
            article_id,
            url=url,
            status=str(status),
            etag=etag,
            last_modified=last_modified,
            sitemap_lastmod=lastmod,
        )

    def not_modified(self, article_id: str, url: str, lastmod: str | None) -> None:
        self.stats.inc_value("qa/unchanged/not_modified")
        self._stage(article_id, url=url, status="304", change="unchanged", sitemap_lastmod=lastmod)

    def answered(self, article_id: str, url: str) -> None:
        """A worker's request for this article was answered by another article's page (a
        same-site redirect): its outcome is that article's."""
        self.stats.inc_value("qa/distributed/redirected_to_other_article")

    def not_found(self, article_id: str, url: str, status: str = "404") -> None:
        """Gone (404 or 410) when it was delivered before — reported once, by the run that
        finds it."""
        known = self.run.state.known(article_id) if self.run.state else None
        if known is not None and known.content_hash is not None and not known.gone:
            self.stats.inc_value("qa/gone")
            self._stage(article_id, url=url, status=status, change="gone")
