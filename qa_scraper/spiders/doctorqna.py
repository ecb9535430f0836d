"""The doctorqna spider: navigation only (which URLs, in which order).

Discovery (``-a discovery=``):

* ``sitemaps`` (default): robots.txt's Sitemap lines → sitemap index → article
  sitemaps → articles; then the newest-first listing (``/en/latest``), page by
  page only while a page still brings articles the sitemaps lacked; the
  "Similar Q&A" links of every article. If the sitemaps give no article at all
  (missing, failing, invalid), the crawl falls back to the full walk.
* ``full``: the above plus the home page → every department listing and its
  pagination, and every FAQ topic page (also those linked from articles).

Article URLs from the sitemaps wait in a compact frontier
(:mod:`qa_scraper.spiders.sitemaps`) and are handed to the scheduler in batches
(``QA_SCHEDULER_BATCH``), so memory does not grow with the site. How each request is
built — on the base URL's host only, an article once a run, as the run plans it (skipped,
deferred, conditional) — is :mod:`qa_scraper.spiders.requests`. What becomes of an
article's answer (item, reject, 304, 404, render) is :mod:`qa_scraper.spiders.outcomes`;
the spider decides where it leads. With a feed (``-o`` / ``-O``) and no ``-a mode``, the
run is a full one: the feed gets every article.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from functools import cached_property
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import sitemap_urls_from_robots
from twisted.python.failure import Failure

from qa_scraper import render
from qa_scraper import signals as qa_signals
from qa_scraper.arguments import (
    apply_role,
    check_base_url,
    check_browser,
    check_discovery,
    check_mode,
    check_render,
    check_role,
    check_settings,
    check_spider_arguments,
    list_components_turned_on,
    resolve_mode,
)
from qa_scraper.delivery.rejects import Rejected
from qa_scraper.extensions.crawl_run import CrawlRunExtension
from qa_scraper.extensions.progress import queue_length
from qa_scraper.spiders.outcomes import ArticleOutcomes
from qa_scraper.spiders.requests import CrawlRequests
from qa_scraper.spiders.sitemaps import Frontier, InvalidSitemap, read_sitemap
from qa_scraper.urls import PageKind, absolute, article_id_from_url, page_kind

DEFAULT_BASE_URL = "https://www.doctorqna.com/"


class DoctorQnASpider(scrapy.Spider):
    name = "doctorqna"

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        mode: str | None = None,
        discovery: str = "sitemaps",
        role: str | None = None,
        render: str = "auto",
        **kwargs: Any,
    ) -> None:
        check_spider_arguments(kwargs)
        super().__init__(**kwargs)
        self.base_url = check_base_url(base_url)
        check_mode(mode)
        self.mode = mode  # None: decided in from_crawler (full when a feed is written)
        check_discovery(discovery)
        self.discovery = discovery
        check_role(role)
        check_render(render)
        self.render = render  # auto | never | always (qa_scraper.render)
        self.browser: str | None = None  # the Chromium to render with, set in from_crawler
        self.role = role  # None: a single-process crawl; coordinator or worker with Redis
        self.frontier = Frontier()  # sitemap entries not yet handed to the scheduler
        self.requests = CrawlRequests(self)
        self._listing_walk_started = discovery == "full" or role == "worker"
        self._swept = role == "worker"  # a worker only fetches what it is handed
        # OffsiteMiddleware: never leave the base URL's host.
        self.allowed_domains = [urlsplit(self.base_url).hostname]

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> DoctorQnASpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        check_settings(crawler.settings)
        apply_role(crawler.settings, spider.role)
        list_components_turned_on(crawler.settings)
        spider.browser = check_browser(spider.render, crawler.settings)
        if crawler.settings.frozen:  # a crawler built by hand (unit tests): no download handler
            spider.browser = None
        if spider.browser is not None:
            for name, value in render.playwright_settings(
                crawler.settings, spider.browser, urlsplit(spider.base_url).scheme
            ).items():
                crawler.settings.set(name, value, priority="spider")
            render.use_crawler(crawler)
        spider.mode = resolve_mode(spider.mode, crawler.settings, spider.logger)
        crawler.signals.connect(spider._on_idle, signal=signals.spider_idle)
        # What a distributed coordinator needs navigated (qa_scraper.signals).
        crawler.signals.connect(spider._crawl_frontier, signal=qa_signals.articles_wanted)
        crawler.signals.connect(spider._crawl_links_of, signal=qa_signals.item_received)
        crawler.signals.connect(spider._crawl_again, signal=qa_signals.article_lost)
        return spider

    @cached_property
    def run(self) -> CrawlRunExtension | None:
        """The run to ask about articles: ``None`` when no run files are kept
        (QA_OUTPUT_DIR=""), as in a distributed worker (the coordinator asks its own)."""
        return self.crawler.get_extension(CrawlRunExtension)

    @cached_property
    def outcomes(self) -> ArticleOutcomes:
        """What becomes of this spider's article answers."""
        return ArticleOutcomes(self)

    # --- what a distributed coordinator needs navigated (qa_scraper.signals) -------------------
    def _crawl_frontier(self) -> None:
        """The next article requests of the frontier (the coordinator seeds them)."""
        for request in self._feed():
            self.crawler.engine.crawl(request)

    def _crawl_links_of(self, item: dict[str, Any]) -> None:
        """Where a worker's item leads."""
        for request in self.links_of(item):
            self.crawler.engine.crawl(request)

    def _crawl_again(self, url: str) -> None:
        """An article handed out that got no outcome: requested again, plainly."""
        self.crawler.engine.crawl(self.requests.plain_article(url))

    # --- the order of the crawl ---------------------------------------------------------------
    def links_of(self, item: dict[str, Any]) -> list[Request]:
        """What an article's item leads to: its Similar Q&A (and, in a full walk, FAQ) links."""
        similar = (entry["url"] for entry in item["similar_questions"])
        requests = list(self.requests.follow(similar, frozenset({PageKind.ARTICLE})))
        if self.discovery == "full":
            faqs = (faq["url"] for faq in item["related_faqs"])
            requests += self.requests.follow(faqs, frozenset({PageKind.FAQ}))
        return requests

    def _on_idle(self, spider: scrapy.Spider) -> None:
        """Nothing queued, nothing in flight: the next batch of work, or the end.

        In order: the frontier's next batch; the listing walk (once the sitemaps
        have all been read); the known articles deferred until the sitemaps spoke;
        once, the known articles nothing named this time (deleted, or only unlisted).
        """
        if self.crawler.settings.getbool("QA_SINGLE_PAGE"):
            return  # `scrapy parse <url>`: that page only
        engine = self.crawler.engine
        article = self.requests.article
        requests = list(self._feed())
        if not requests and not self._listing_walk_started:
            self._listing_walk_started = True
            requests = [self._listing_walk_request()]
        if not requests and self.requests.deferred:
            deferred, self.requests.deferred = self.requests.deferred, {}
            requests = [article(url, found_on_page=False) for url in deferred.values()]
        if not requests and not self._swept and self.run is not None:
            self._swept = True  # known articles no sitemap or listing named this time
            unseen = self.run.unseen_articles(self.requests.requested)
            self.crawler.stats.set_value("qa/discovery/unlisted_rechecked", len(unseen))
            requests = [article(url, found_on_page=False) for url in unseen]
        requests = [request for request in requests if request is not None]
        if not requests:
            return
        for request in requests:
            engine.crawl(request)
        raise DontCloseSpider

    def _feed(self) -> Iterable[Request]:
        """Article requests from the frontier, while the scheduler holds fewer than a batch."""
        room = self.settings.getint("QA_SCHEDULER_BATCH") - (queue_length(self.crawler) or 0)
        yield from self.frontier.feed(room, self._frontier_request)

    def _frontier_request(self, url: str, lastmod: str | None) -> Request | None:
        return self.requests.article(url, lastmod, found_on_page=False)

    def _listing_walk_request(self) -> Request | None:
        """After the sitemaps: the newest-first listing, or the full walk without them."""
        if self.crawler.stats.get_value("qa/sitemap_articles"):
            return self.requests.page(urljoin(self.base_url, "/en/latest"), PageKind.LISTING)
        self.logger.warning(
            "The sitemaps listed no article: discovering articles by walking the home page,"
            " the listings and the FAQ pages (as with -a discovery=full)"
        )
        self.crawler.stats.set_value("qa/discovery/fallback_full", 1)
        self.discovery = "full"
        return self.requests.page(self.base_url, PageKind.HOME)

    def _usable(self) -> None:
        """A response the crawl could use (a sitemap, a listing, an article, a 304)."""
        self.crawler.stats.inc_value("qa/usable_responses")

    async def start(self) -> AsyncIterator[Request]:
        if self.role == "worker":
            return  # a worker fetches the articles the coordinator hands out
        yield self.requests.robots()
        if self.discovery != "full":
            return
        yield self.requests.home()

    # --- navigation callbacks ----------------------------------------------------------------
    def parse_robots(self, response: Response) -> Iterable[Request]:
        sitemaps = list(sitemap_urls_from_robots(response.body, base_url=response.url))
        if not sitemaps:
            sitemaps = [urljoin(self.base_url, "/sitemap.xml")]
        self._usable()
        for url in sitemaps:
            if (request := self.requests.sitemap(url)) is not None:
                yield request

    def parse_sitemap(self, response: Response) -> Iterable[Request]:
        try:
            sitemap = read_sitemap(response, self.settings.getint("SITEMAP_MAX_SIZE"))
        except InvalidSitemap as invalid:
            self.crawler.stats.inc_value("qa/sitemap_invalid")
            self.logger.warning("%s", invalid)
            return
        self._usable()
        for entry in sitemap:
            loc = absolute(response.url, entry.get("loc"))
            if not loc:
                continue
            if sitemap.type == "sitemapindex":
                request = self.requests.sitemap(loc)
            elif page_kind(loc) is PageKind.ARTICLE:
                self.crawler.stats.inc_value("qa/sitemap_articles")  # ETA; none: full walk
                # The lastmod travels with the request: the state keeps it only with the
                # version of the article this run fetched and delivered.
                lastmod = (entry.get("lastmod") or "").strip() or None
                self.frontier.add(article_id_from_url(loc) or loc, loc, lastmod)
                request = None
            else:
                request = None
            if request is not None:
                yield request
        yield from self._feed()

    def parse_navigation(self, response: Response) -> Iterable[Request]:
        """Home, listings and FAQ topics.

        Full discovery follows every article, listing and FAQ link. Sitemap discovery
        reads the newest-first listing only: its articles, and its next page while this
        one still brought articles the sitemaps lacked.
        """
        self._usable()
        if self.discovery == "full":
            hrefs = response.xpath("//a/@href | //link[@rel='next' or @rel='prev']/@href")
            yield from self.requests.follow(
                (absolute(response.url, href) for href in hrefs.getall()),
                frozenset({PageKind.ARTICLE, PageKind.LISTING, PageKind.FAQ}),
            )
        else:
            before = len(self.requests.requested) + len(self.requests.deferred)
            links = (absolute(response.url, href) for href in response.xpath("//a/@href").getall())
            yield from self.requests.follow(links, frozenset({PageKind.ARTICLE}))
            found = len(self.requests.requested) + len(self.requests.deferred) - before
            self.crawler.stats.inc_value("qa/discovery/listing_new_articles", found)
            next_page = response.xpath("//link[@rel='next']/@href | //a[@rel='next']/@href").get()
            if found and next_page:
                next_url = absolute(response.url, next_page)
                if (request := self.requests.page(next_url, PageKind.LISTING)) is not None:
                    yield request
        yield from self._feed()

    # --- article answers (qa_scraper.spiders.outcomes) and where they lead ----------------
    def parse(self, response: Response, **kwargs: Any) -> Iterable[Any]:
        """``scrapy parse --spider doctorqna <article URL>``: that page's item (or reject) and
        the links it leads to, nothing else (see qa_scraper/commands/parse.py)."""
        yield from self._and_links(self.outcomes.answer(response))

    def parse_article(self, response: Response) -> Iterable[Any]:
        yield from self._and_links(self.outcomes.answer(response))
        self.outcomes.redirected(response)
        yield from self._feed()  # one answered, room for the next

    def parse_rendered(self, response: Response) -> Iterable[Any]:
        yield from self._and_links(self.outcomes.rendered(response))
        yield from self._feed()

    def on_render_error(self, failure: Failure, response: Response | None = None) -> Iterable[Any]:
        yield self.outcomes.render_failed(failure, response)
        yield from self._feed()

    def _and_links(self, outputs: Iterable[Any]) -> Iterable[Any]:
        """An article's outputs, each item (or reject of an item) followed by the links it
        leads to; a worker follows none (its items reach the coordinator, which follows)."""
        for output in outputs:
            yield output
            if isinstance(output, Request) or self.role == "worker":
                continue
            item = output.item if isinstance(output, Rejected) else output
            if item is not None:
                yield from self.links_of(item)

    def on_error(self, failure: Failure) -> Iterable[Any]:
        """Count every failed request; a live article that could not be fetched is rejected."""
        request = failure.request
        stats = self.crawler.stats
        kind = request.meta.get("qa_kind", "other")
        if failure.check(HttpError):
            status = failure.value.response.status
            if status in (404, 410) and kind == PageKind.ARTICLE.value:
                self.outcomes.not_found(request, f"HTTP {status}", status=status)
                return
            reason = f"HTTP {status}"
        else:
            reason = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        stats.inc_value(f"qa/fetch_failed/{kind}")
        log = self.logger.error if kind == PageKind.ARTICLE.value else self.logger.warning
        log("Could not fetch %s %s: %s", kind, request.url, reason)
        # No robots.txt to read the Sitemap lines from: try the usual place.
        if kind == "robots" and (
            sitemap := self.requests.sitemap(urljoin(self.base_url, "/sitemap.xml"))
        ):
            yield sitemap
        if kind == PageKind.ARTICLE.value:
            yield self.outcomes.fetch_failed(request, reason)
        yield from self._feed()
