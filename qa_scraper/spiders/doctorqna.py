"""The doctorqna spider: navigation only (which URLs, in which order).

Discovery (``-a discovery=``):

* ``sitemaps`` (default): robots.txt's Sitemap lines → sitemap index → article
  sitemaps → articles; then the newest-first listing (``/en/latest``), page by
  page only while a page still brings articles the sitemaps lacked; the
  "Similar Q&A" links of every article. If the sitemaps give no article at all
  (missing, failing, invalid), the crawl falls back to the full walk.
* ``full``: the above plus the home page → every department listing and its
  pagination, and every FAQ topic page (also those linked from articles).

Article URLs from the sitemaps wait in a compact frontier and are handed to the
scheduler in batches (``QA_SCHEDULER_BATCH``), so memory does not grow with
the site. Turning a page into an item is the page
object's job (:class:`qa_scraper.pages.article.ArticlePage`).

Before each article request the spider asks the run
(:class:`qa_scraper.extensions.crawl_run.CrawlRunExtension`) whether and how to request it:
in incremental mode (the default) an article whose sitemap ``<lastmod>`` has not
moved since it was delivered is skipped, any other known article is requested
conditionally (If-None-Match / If-Modified-Since). With a feed (``-o`` / ``-O``)
and no ``-a mode``, the run is a full one: the feed gets every article.

Nothing is requested outside the base URL's host, sitemaps included (requests
made with ``dont_filter=True`` would pass Scrapy's offsite check).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from functools import cached_property
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
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
    resolve_mode,
)
from qa_scraper.delivery.rejects import Rejected
from qa_scraper.extensions.crawl_run import Action, CrawlRunExtension
from qa_scraper.pages.article import ArticlePage
from qa_scraper.pages.problems import Problem
from qa_scraper.urls import (
    PageKind,
    absolute,
    article_id_from_url,
    canonical_article_url,
    canonical_url,
    page_kind,
    same_host,
)

DEFAULT_BASE_URL = "https://www.doctorqna.com/"
NOT_MODIFIED = 304


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
        # Sitemap entries not yet handed to the scheduler: article id -> (url, lastmod).
        self._frontier: dict[str, tuple[str, str | None]] = {}
        self._listing_walk_started = discovery == "full" or role == "worker"
        self._swept = role == "worker"  # a worker only fetches what it is handed
        # OffsiteMiddleware: never leave the base URL's host.
        self.allowed_domains = [urlsplit(self.base_url).hostname]
        # Article requests bypass Scrapy's dupefilter (so a resumed JOBDIR crawl can
        # re-request what was in flight); this set keeps them to one per run.
        self._requested_articles: set[str] = set()
        # Known articles met on listings before the sitemaps said whether they moved:
        # requested (conditionally) only once the crawl is otherwise idle.
        self._deferred_articles: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> DoctorQnASpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        check_settings(crawler.settings)
        apply_role(crawler.settings, spider.role)
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

    def _report(self, signal: object, **kwargs: Any) -> None:
        """What the spider saw of an article (qa_scraper.signals), for whoever records it."""
        self.crawler.signals.send_catch_log(signal, **kwargs)

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
        self.crawler.engine.crawl(self.plain_article_request(url))

    def links_of(self, item: dict[str, Any]) -> list[Request]:
        """What an article's item leads to: its Similar Q&A (and, in a full walk, FAQ) links."""
        similar = (entry["url"] for entry in item["similar_questions"])
        requests = list(self._follow(similar, frozenset({PageKind.ARTICLE})))
        if self.discovery == "full":
            faqs = (faq["url"] for faq in item["related_faqs"])
            requests += self._follow(faqs, frozenset({PageKind.FAQ}))
        return requests

    def plain_article_request(self, url: str) -> Request:
        """An article request handed out again (no conditional headers)."""
        return Request(
            url,
            callback=self.parse_article,
            errback=self.on_error,
            meta={"qa_kind": PageKind.ARTICLE.value, "qa_lastmod": None},
            dont_filter=True,
        )

    def _on_idle(self, spider: scrapy.Spider) -> None:
        """Nothing queued, nothing in flight: the next batch of work, or the end.

        In order: the frontier's next batch; the listing walk (once the sitemaps
        have all been read); the known articles deferred until the sitemaps spoke;
        once, the known articles nothing named this time (deleted, or only unlisted).
        """
        if self.crawler.settings.getbool("QA_SINGLE_PAGE"):
            return  # `scrapy parse <url>`: that page only
        engine = self.crawler.engine
        requests = list(self._feed())
        if not requests and not self._listing_walk_started:
            self._listing_walk_started = True
            requests = [self._listing_walk_request()]
        if not requests and self._deferred_articles:
            deferred, self._deferred_articles = self._deferred_articles, {}
            requests = [
                self._article_request(url, found_on_page=False) for url in deferred.values()
            ]
        if not requests and not self._swept and self.run is not None:
            self._swept = True  # known articles no sitemap or listing named this time
            unseen = self.run.unseen_articles(self._requested_articles)
            self.crawler.stats.set_value("qa/discovery/unlisted_rechecked", len(unseen))
            requests = [self._article_request(url, found_on_page=False) for url in unseen]
        requests = [request for request in requests if request is not None]
        if not requests:
            return
        for request in requests:
            engine.crawl(request)
        raise DontCloseSpider

    def _feed(self) -> Iterable[Request]:
        """Article requests from the frontier, while the scheduler holds fewer than a batch."""
        room = self.settings.getint("QA_SCHEDULER_BATCH") - self._queued()
        while room > 0 and self._frontier:
            url, lastmod = self._frontier.pop(next(iter(self._frontier)))
            request = self._article_request(url, lastmod, found_on_page=False)
            if request is not None:
                room -= 1
                yield request

    def _queued(self) -> int:
        """Requests waiting in the scheduler (0 before the engine runs)."""
        try:
            scheduler = self.crawler.engine.scheduler
        except (AttributeError, RuntimeError):
            return 0
        return len(scheduler) if scheduler is not None else 0

    def _listing_walk_request(self) -> Request | None:
        """After the sitemaps: the newest-first listing, or the full walk without them."""
        if self.crawler.stats.get_value("qa/sitemap_articles"):
            return self._page_request(urljoin(self.base_url, "/en/latest"), PageKind.LISTING)
        self.logger.warning(
            "The sitemaps listed no article: discovering articles by walking the home page,"
            " the listings and the FAQ pages (as with -a discovery=full)"
        )
        self.crawler.stats.set_value("qa/discovery/fallback_full", 1)
        self.discovery = "full"
        return self._page_request(self.base_url, PageKind.HOME)

    def _usable(self) -> None:
        """A response the crawl could use (a sitemap, a listing, an article, a 304)."""
        self.crawler.stats.inc_value("qa/usable_responses")

    def _on_base_host(self, url: str, kind: str) -> bool:
        """Every request stays on the base URL's host; what would leave it is counted."""
        if same_host(url, self.base_url):
            return True
        self.crawler.stats.inc_value(f"qa/offsite_refused/{kind}")
        self.crawler.stats.inc_value("offsite/filtered")
        log = self.logger.warning if kind == "sitemap" else self.logger.debug
        log("Not following a %s link to another host: %s", kind, url)
        return False

    async def start(self) -> AsyncIterator[Request]:
        if self.role == "worker":
            return  # a worker fetches the articles the coordinator hands out
        yield Request(
            urljoin(self.base_url, "/robots.txt"),
            callback=self.parse_robots,
            errback=self.on_error,
            priority=10,
            dont_filter=True,
            meta={"qa_kind": "robots"},
        )
        if self.discovery != "full":
            return
        yield Request(
            self.base_url,
            callback=self.parse_navigation,
            errback=self.on_error,
            priority=5,
            dont_filter=True,
            meta={"qa_kind": PageKind.HOME.value},
        )

    # --- requests ----------------------------------------------------------------------
    def _article_request(
        self, url: str, lastmod: str | None = None, found_on_page: bool = True
    ) -> Request | None:
        """The request for an article, or ``None`` when none is needed (yet)."""
        canonical = canonical_article_url(url)
        article_id = article_id_from_url(canonical)
        if article_id in self._requested_articles:
            # A lastmod learnt after the request is not recorded: it may name a newer
            # version than the one fetched (the state keeps only what it delivered).
            return None
        if lastmod is None and article_id in self._frontier:
            # Linked from a page while still waiting in the frontier: its sitemap lastmod.
            _, lastmod = self._frontier.pop(article_id)
            found_on_page = False
        if not self._on_base_host(canonical, PageKind.ARTICLE.value):
            return None
        meta: dict[str, Any] = {"qa_kind": PageKind.ARTICLE.value, "qa_lastmod": lastmod}
        headers: dict[str, str] = {}
        if self.run is not None:
            plan = self.run.plan_article(article_id, lastmod, found_on_page)
            if plan.action is Action.DEFER:
                self._deferred_articles.setdefault(article_id, canonical)
                return None
            self._requested_articles.add(article_id)
            if plan.action is Action.SKIP:
                return None
            headers = plan.headers
            if plan.conditional:
                meta["handle_httpstatus_list"] = [NOT_MODIFIED]
        self._requested_articles.add(article_id)
        self._deferred_articles.pop(article_id, None)
        return Request(
            canonical,
            callback=self.parse_article,
            errback=self.on_error,
            headers=headers,
            meta=meta,
            dont_filter=True,
        )

    def _page_request(self, url: str, kind: PageKind) -> Request | None:
        # Listings, FAQ topics and the home page: re-read every run (that is how
        # new articles are found); before articles, since they lead to them.
        if not self._on_base_host(url, kind.value):
            return None
        return Request(
            canonical_url(url),
            callback=self.parse_navigation,
            errback=self.on_error,
            priority=5,
            meta={"qa_kind": kind.value},
        )

    def _sitemap_request(self, url: str) -> Request | None:
        if not self._on_base_host(url, "sitemap"):
            return None
        return Request(
            url,
            callback=self.parse_sitemap,
            errback=self.on_error,
            priority=8,
            dont_filter=True,
            meta={
                "qa_kind": "sitemap",
                "download_maxsize": self.settings.getint("SITEMAP_MAX_SIZE"),
            },
        )

    def _follow(self, urls: Iterable[str | None], kinds: frozenset[PageKind]) -> Iterable[Request]:
        for url in urls:
            kind = page_kind(url) if url else None
            if kind not in kinds:
                continue
            request = (
                self._article_request(url)
                if kind is PageKind.ARTICLE
                else self._page_request(url, kind)
            )
            if request is not None:
                yield request

    # --- callbacks -----------------------------------------------------------------------
    def parse_robots(self, response: Response) -> Iterable[Request]:
        sitemaps = list(sitemap_urls_from_robots(response.body, base_url=response.url))
        if not sitemaps:
            sitemaps = [urljoin(self.base_url, "/sitemap.xml")]
        self._usable()
        for url in sitemaps:
            if (request := self._sitemap_request(url)) is not None:
                yield request

    def parse_sitemap(self, response: Response) -> Iterable[Request]:
        body = self._sitemap_body(response)
        if body and b"<!ENTITY" in body:
            # A sitemap never declares entities; a bomb (or an XXE) does. Entities are never
            # expanded anyway, so it would read as an empty sitemap: say it is invalid.
            self.crawler.stats.inc_value("qa/sitemap_invalid")
            self.logger.warning("Ignoring sitemap %s: it declares XML entities", response.url)
            return
        sitemap = Sitemap(body) if body else None
        if sitemap is None or sitemap.type not in ("sitemapindex", "urlset"):
            self.crawler.stats.inc_value("qa/sitemap_invalid")
            self.logger.warning("Ignoring invalid sitemap %s", response.url)
            return
        self._usable()
        for entry in sitemap:
            loc = absolute(response.url, entry.get("loc"))
            if not loc:
                continue
            if sitemap.type == "sitemapindex":
                request = self._sitemap_request(loc)
            elif page_kind(loc) is PageKind.ARTICLE:
                self.crawler.stats.inc_value("qa/sitemap_articles")  # ETA; none: full walk
                # The lastmod travels with the request: the state keeps it only with the
                # version of the article this run fetched and delivered.
                lastmod = (entry.get("lastmod") or "").strip() or None
                self._frontier.setdefault(article_id_from_url(loc) or loc, (loc, lastmod))
                request = None
            else:
                request = None
            if request is not None:
                yield request
        yield from self._feed()

    def _sitemap_body(self, response: Response) -> bytes | None:
        if gzip_magic_number(response):
            try:
                return gunzip(response.body, max_size=self.settings.getint("SITEMAP_MAX_SIZE"))
            except Exception:
                return None
        return response.body

    def parse_navigation(self, response: Response) -> Iterable[Request]:
        """Home, listings and FAQ topics.

        Full discovery follows every article, listing and FAQ link. Sitemap discovery
        reads the newest-first listing only: its articles, and its next page while this
        one still brought articles the sitemaps lacked.
        """
        self._usable()
        if self.discovery == "full":
            hrefs = response.xpath("//a/@href | //link[@rel='next' or @rel='prev']/@href")
            yield from self._follow(
                (absolute(response.url, href) for href in hrefs.getall()),
                frozenset({PageKind.ARTICLE, PageKind.LISTING, PageKind.FAQ}),
            )
        else:
            before = len(self._requested_articles) + len(self._deferred_articles)
            links = (absolute(response.url, href) for href in response.xpath("//a/@href").getall())
            yield from self._follow(links, frozenset({PageKind.ARTICLE}))
            found = len(self._requested_articles) + len(self._deferred_articles) - before
            self.crawler.stats.inc_value("qa/discovery/listing_new_articles", found)
            next_page = response.xpath("//link[@rel='next']/@href | //a[@rel='next']/@href").get()
            if found and next_page:
                request = self._page_request(absolute(response.url, next_page), PageKind.LISTING)
                if request is not None:
                    yield request
        yield from self._feed()

    def parse(self, response: Response, **kwargs: Any) -> Iterable[Any]:
        """``scrapy parse --spider doctorqna <article URL>``: that page's item (or reject) and
        the links it leads to, nothing else (see qa_scraper/commands/parse.py)."""
        yield from self._article_outcome(response)

    def parse_article(self, response: Response) -> Iterable[Any]:
        yield from self._article_outcome(response)
        requested = article_id_from_url((response.meta.get("redirect_urls") or [response.url])[0])
        if requested and requested != article_id_from_url(response.url):
            # Redirected to another article: the request was answered under the other's id.
            self._report(qa_signals.article_redirected, article_id=requested, url=response.url)
        yield from self._feed()  # one answered, room for the next

    def _article_outcome(self, response: Response) -> Iterable[Any]:
        article_id = article_id_from_url(response.url)
        lastmod = response.meta.get("qa_lastmod")
        self._usable()
        if response.status == NOT_MODIFIED:
            self._report(
                qa_signals.article_not_modified,
                article_id=article_id,
                url=response.url,
                lastmod=lastmod,
            )
            return
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        page = ArticlePage(response.url, response.body, content_type=content_type)
        if page.is_not_found_page():
            self._not_found(response.request, f"soft 404, HTTP {response.status}", soft=True)
            return
        if (cut := page.truncation()) is not None:
            # A 200 page cut short is a transient fault: retried like a 503 (RETRY_TIMES).
            retry = get_retry_request(response.request, spider=self, reason="truncated page")
            if retry is not None:
                self.crawler.stats.inc_value("qa/retry/truncated")
                self.logger.info("Retrying %s: truncated page (%s)", response.url, cut)
                yield retry
                return
        if page.replaced_bytes:
            self.crawler.stats.inc_value("qa/decode/replaced_bytes", page.replaced_bytes)
        if page.canonical_conflict:
            # The page is the article at the URL requested, whatever its canonical link says.
            self.crawler.stats.inc_value("qa/canonical_ignored")
            self.logger.warning(
                "Ignoring the canonical link of %s: it names another article (%s); the item"
                " keeps the requested URL and its id",
                response.url,
                page.canonical_conflict,
            )
        item = page.to_item()
        reason = self._render_reason(page, item)
        if reason is not None:
            yield from self._render(response, reason)
            return
        yield from self._deliver(page, item, response, response.meta)

    def _render_reason(self, page: ArticlePage, item: dict[str, Any]) -> str | None:
        """Why this answer is rendered in Chromium (None: the fast read is the item)."""
        if self.render == "never":
            return None
        if self.render == "always":
            return "always"
        return render.render_reason(page, item)

    def _render(self, response: Response, reason: str) -> Iterable[Any]:
        stats = self.crawler.stats
        kind = reason.split(":", 1)[0]
        if self.browser is None:  # render=auto without a browser: a reject that says why
            stats.inc_value("qa/render/needs_browser")
            article_id = article_id_from_url(response.url)
            if article_id:
                self._report(
                    qa_signals.article_fetched,
                    article_id=article_id,
                    url=response.url,
                    status=response.status,
                    etag=_header(response, "ETag"),
                    last_modified=_header(response, "Last-Modified"),
                    lastmod=response.meta.get("qa_lastmod"),
                )
            self.logger.warning("Not rendered (no browser): %s needs it (%s)", response.url, reason)
            yield Rejected(
                response.url,
                "extraction",
                [{"path": "(page)", "message": f"needs-browser: {reason}"}],
                None,
                response.meta.get("qa_warc"),
            )
            return
        stats.inc_value(f"qa/render/reason/{kind}")
        yield render.render_request(response, reason, self.parse_rendered, self.on_render_error)

    def parse_rendered(self, response: Response) -> Iterable[Any]:
        """A page rendered in Chromium: read like any answer, with the page request's state."""
        stats = self.crawler.stats
        stats.inc_value("qa/render/pages")
        # scrapy-playwright's download latency: from the page's load to the page read.
        latency = response.meta.get("download_latency")
        if latency is not None:
            stats.inc_value("qa/render/browser_seconds", round(latency, 3))
        methods = response.meta.get("playwright_page_methods") or []
        html = methods[0].result if methods and isinstance(methods[0].result, str) else None
        if html is None:
            yield from self.on_render_error(Failure(RuntimeError("no rendered page")), response)
            return
        page = ArticlePage(response.url, html)
        meta = dict(response.meta["qa_page"], qa_rendered=response.meta["qa_render_reason"])
        item = page.to_item()
        still = render.incomplete_reason(page)
        if still is not None:  # the script did not fill it (its data failed): not an item
            stats.inc_value("qa/render/incomplete")
            page.problems.append(Problem("(page)", f"rendered page still incomplete: {still}"))
        yield from self._deliver(page, item, response, meta)
        yield from self._feed()

    def on_render_error(self, failure: Failure, response: Response | None = None) -> Iterable[Any]:
        request = failure.request if response is None else response.request
        self.crawler.stats.inc_value("qa/render/failed")
        reason = f"render failed: {failure.type.__name__}: {failure.getErrorMessage()}"[:300]
        self.logger.error("Could not render %s: %s", request.url, reason)
        yield Rejected(request.url, "extraction", [{"path": "(page)", "message": reason}])
        yield from self._feed()

    def _deliver(
        self, page: ArticlePage, item: dict[str, Any], response: Response, meta: dict[str, Any]
    ) -> Iterable[Any]:
        """The item (or reject) of an article page, and where it leads; ``meta`` holds the
        page request's state (lastmod, validators, archive record)."""
        article_id = article_id_from_url(response.url)
        if "qa_rendered" in meta:  # a rendered page: the validators of the page request
            status, etag, last_modified = meta["status"], meta["etag"], meta["last_modified"]
            warc = meta.get("warc")
        else:
            status = response.status
            etag, last_modified = _header(response, "ETag"), _header(response, "Last-Modified")
            warc = meta.get("qa_warc")
        if article_id:
            self._report(
                qa_signals.article_fetched,
                article_id=article_id,
                url=response.url,
                status=status,
                etag=etag,
                last_modified=last_modified,
                lastmod=meta.get("qa_lastmod", meta.get("lastmod")),
            )
        item["warc"] = warc  # where the answer is archived (provenance)
        if page.problems:
            yield Rejected(
                item["url"] or response.url,
                "extraction",
                [problem.as_dict() for problem in page.problems],
                item,
                item["warc"],
            )
        else:
            yield item
        if self.role != "worker":  # a worker's items reach the coordinator, which follows
            yield from self.links_of(item)

    def on_error(self, failure: Failure) -> Iterable[Any]:
        """Count every failed request; a live article that could not be fetched is rejected."""
        request = failure.request
        stats = self.crawler.stats
        kind = request.meta.get("qa_kind", "other")
        if failure.check(HttpError):
            status = failure.value.response.status
            if status in (404, 410) and kind == PageKind.ARTICLE.value:
                self._not_found(request, f"HTTP {status}", status=status)
                return
            reason = f"HTTP {status}"
        else:
            reason = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        stats.inc_value(f"qa/fetch_failed/{kind}")
        log = self.logger.error if kind == PageKind.ARTICLE.value else self.logger.warning
        log("Could not fetch %s %s: %s", kind, request.url, reason)
        # No robots.txt to read the Sitemap lines from: try the usual place.
        if kind == "robots" and (
            sitemap := self._sitemap_request(urljoin(self.base_url, "/sitemap.xml"))
        ):
            yield sitemap
        if kind == PageKind.ARTICLE.value:
            # Under the URL the crawl asked for, not the last hop of a redirect chain that
            # failed (which may name no article): the reject keeps the article's identity.
            requested = (request.meta.get("redirect_urls") or [request.url])[0]
            if requested != request.url:
                reason += (
                    f" (after {len(request.meta['redirect_urls'])} redirects, at {request.url})"
                )
            yield Rejected(requested, "fetch", [{"path": "(page)", "message": reason}])
        yield from self._feed()

    def _not_found(self, request: Request, why: str, soft: bool = False, status: int = 404) -> None:
        """A missing article (404, 410, soft 404): counted and logged; "gone" when it was
        delivered before."""
        stats = self.crawler.stats
        stats.inc_value("qa/article_not_found")
        if soft:
            stats.inc_value("qa/article_not_found/soft_404")
        article_id = article_id_from_url(request.url)
        if article_id:
            self._report(
                qa_signals.article_not_found,
                article_id=article_id,
                url=request.url,
                status=str(status),
            )
        self.logger.warning(
            "Article not found (%s): %s (linked from %s)",
            why,
            request.url,
            request.headers.get("Referer", b"?").decode("latin-1"),
        )


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
