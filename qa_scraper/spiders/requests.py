"""The requests of a doctorqna crawl, each kind built one way.

* Every request stays on the base URL's host; what would leave it is counted
  (``qa/offsite_refused/<kind>``) and not requested — sitemaps included, since requests
  made with ``dont_filter=True`` would pass Scrapy's offsite check.
* An article is requested at most once a run: article requests bypass Scrapy's dupefilter
  (so a resumed JOBDIR crawl can re-request what was in flight), :attr:`CrawlRequests.requested`
  keeps them to one. Before each, the run
  (:class:`qa_scraper.extensions.crawl_run.CrawlRunExtension`) says whether and how: skipped
  (unchanged by its sitemap ``<lastmod>``, or done earlier in the run), deferred (known, met
  on a page before the sitemaps said whether it moved), or conditional (If-None-Match /
  If-Modified-Since, a 304 being an answer).
* Listings, FAQ topics and the home page are re-read every run (that is how new articles
  are found), before articles since they lead to them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urljoin

import scrapy
from scrapy.http import Request

from qa_scraper.extensions.crawl_run import Action
from qa_scraper.spiders.outcomes import NOT_MODIFIED
from qa_scraper.urls import (
    PageKind,
    article_id_from_url,
    canonical_article_url,
    canonical_url,
    page_kind,
    same_host,
)


class CrawlRequests:
    """The requests of one spider (its base URL, frontier, run and callbacks)."""

    def __init__(self, spider: scrapy.Spider) -> None:
        self.spider = spider
        self.requested: set[str] = set()  # article ids requested (or skipped) this run
        # Known articles met on listings before the sitemaps said whether they moved:
        # requested (conditionally) only once the crawl is otherwise idle.
        self.deferred: dict[str, str] = {}

    def on_base_host(self, url: str, kind: str) -> bool:
        """Every request stays on the base URL's host; what would leave it is counted."""
        spider = self.spider
        if same_host(url, spider.base_url):
            return True
        spider.crawler.stats.inc_value(f"qa/offsite_refused/{kind}")
        spider.crawler.stats.inc_value("offsite/filtered")
        log = spider.logger.warning if kind == "sitemap" else spider.logger.debug
        log("Not following a %s link to another host: %s", kind, url)
        return False

    def robots(self) -> Request:
        spider = self.spider
        return Request(
            urljoin(spider.base_url, "/robots.txt"),
            callback=spider.parse_robots,
            errback=spider.on_error,
            priority=10,
            dont_filter=True,
            meta={"qa_kind": "robots"},
        )

    def home(self) -> Request:
        spider = self.spider
        return Request(
            spider.base_url,
            callback=spider.parse_navigation,
            errback=spider.on_error,
            priority=5,
            dont_filter=True,
            meta={"qa_kind": PageKind.HOME.value},
        )

    def article(
        self, url: str, lastmod: str | None = None, found_on_page: bool = True
    ) -> Request | None:
        """The request for an article, or ``None`` when none is needed (yet)."""
        spider = self.spider
        canonical = canonical_article_url(url)
        article_id = article_id_from_url(canonical)
        if article_id in self.requested:
            # A lastmod learnt after the request is not recorded: it may name a newer
            # version than the one fetched (the state keeps only what it delivered).
            return None
        if lastmod is None and article_id in spider.frontier:
            # Linked from a page while still waiting in the frontier: its sitemap lastmod.
            _, lastmod = spider.frontier.take(article_id)
            found_on_page = False
        if not self.on_base_host(canonical, PageKind.ARTICLE.value):
            return None
        meta: dict[str, Any] = {"qa_kind": PageKind.ARTICLE.value, "qa_lastmod": lastmod}
        headers: dict[str, str] = {}
        run = spider.run
        if run is not None:
            plan = run.plan_article(article_id, lastmod, found_on_page)
            if plan.action is Action.DEFER:
                self.deferred.setdefault(article_id, canonical)
                return None
            self.requested.add(article_id)
            if plan.action is Action.SKIP:
                return None
            headers = plan.headers
            if plan.conditional:
                meta["handle_httpstatus_list"] = [NOT_MODIFIED]
        self.requested.add(article_id)
        self.deferred.pop(article_id, None)
        return Request(
            canonical,
            callback=spider.parse_article,
            errback=spider.on_error,
            headers=headers,
            meta=meta,
            dont_filter=True,
        )

    def plain_article(self, url: str) -> Request:
        """An article request handed out again (no conditional headers)."""
        spider = self.spider
        return Request(
            url,
            callback=spider.parse_article,
            errback=spider.on_error,
            meta={"qa_kind": PageKind.ARTICLE.value, "qa_lastmod": None},
            dont_filter=True,
        )

    def page(self, url: str, kind: PageKind) -> Request | None:
        """A listing, a FAQ topic or the home page."""
        if not self.on_base_host(url, kind.value):
            return None
        spider = self.spider
        return Request(
            canonical_url(url),
            callback=spider.parse_navigation,
            errback=spider.on_error,
            priority=5,
            meta={"qa_kind": kind.value},
        )

    def sitemap(self, url: str) -> Request | None:
        if not self.on_base_host(url, "sitemap"):
            return None
        spider = self.spider
        return Request(
            url,
            callback=spider.parse_sitemap,
            errback=spider.on_error,
            priority=8,
            dont_filter=True,
            meta={
                "qa_kind": "sitemap",
                "download_maxsize": spider.settings.getint("SITEMAP_MAX_SIZE"),
            },
        )

    def follow(self, urls: Iterable[str | None], kinds: frozenset[PageKind]) -> Iterable[Request]:
        """Requests for the links among ``urls`` to pages of ``kinds``."""
        for url in urls:
            kind = page_kind(url) if url else None
            if kind not in kinds:
                continue
            request = self.article(url) if kind is PageKind.ARTICLE else self.page(url, kind)
            if request is not None:
                yield request
