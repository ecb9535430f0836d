"""The doctorqna spider: navigation only (which URLs, in which order).

Discovery: robots.txt's Sitemap lines → sitemap index → article sitemaps; the
home page → department listings and their pagination; FAQ topic pages; the
"Similar Q&A" links of every article. Turning a page into an item is the page
object's job (:class:`qa_scraper.pages.article.ArticlePage`).

Incremental mode (the default) asks the crawl state (:mod:`qa_scraper.runs`)
before each article request: an article whose sitemap ``<lastmod>`` has not
moved since it was delivered is not requested at all, any other known article
is requested conditionally (If-None-Match / If-Modified-Since).
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from twisted.python.failure import Failure

from qa_scraper.pages.article import ArticlePage
from qa_scraper.rejects import Rejected
from qa_scraper.runs import CrawlRun
from qa_scraper.urls import (
    PageKind,
    absolute,
    article_id_from_url,
    canonical_article_url,
    canonical_url,
    page_kind,
)

DEFAULT_BASE_URL = "https://www.doctorqna.com/"
NOT_MODIFIED = 304


class DoctorQnASpider(scrapy.Spider):
    name = "doctorqna"
    run: CrawlRun | None = None

    def __init__(self, base_url: str = DEFAULT_BASE_URL, mode: str = "incremental",
                 *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        self.base_url = f"{parts.scheme}://{parts.netloc}/"
        self.mode = mode
        # OffsiteMiddleware: never leave the base URL's host.
        self.allowed_domains = [parts.hostname]
        # Article requests bypass Scrapy's dupefilter (so a resumed JOBDIR crawl can
        # re-request what was in flight); this set keeps them to one per run.
        self._requested_articles: set[str] = set()
        # Known articles met on listings before the sitemaps said whether they moved:
        # requested (conditionally) only once the crawl is otherwise idle.
        self._deferred_articles: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> "DoctorQnASpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.run = CrawlRun(spider_name=spider.name, base_url=spider.base_url,
                              mode=spider.mode, output_dir=settings.get("QA_OUTPUT_DIR") or "",
                              state_path=settings.get("QA_STATE_PATH") or "")
        spider.run.open()  # refuses (RunLockedError) if another run holds the state
        crawler.signals.connect(spider._open_run, signal=signals.spider_opened)
        crawler.signals.connect(spider._close_run, signal=signals.spider_closed)
        crawler.signals.connect(spider._request_deferred, signal=signals.spider_idle)
        return spider

    def _request_deferred(self, spider: scrapy.Spider) -> None:
        """At idle, every sitemap has been read: request the deferred known articles."""
        if not self._deferred_articles:
            return
        deferred, self._deferred_articles = self._deferred_articles, {}
        for url in deferred.values():
            request = self._article_request(url, defer_if_known=False)
            if request is not None:
                self.crawler.engine.crawl(request)
        raise DontCloseSpider

    def _open_run(self, spider: scrapy.Spider) -> None:
        if self.run is not None:
            stats = self.crawler.stats
            stats.set_value("qa/run_id", self.run.run_id)
            stats.set_value("qa/mode", self.run.mode)
            if self.run.resumed:
                stats.set_value("qa/resumed_written", len(self.run.written_ids))

    def _close_run(self, spider: scrapy.Spider, reason: str) -> None:
        if self.run is not None:
            self.run.close(reason, self.crawler.stats.get_stats())

    async def start(self) -> AsyncIterator[Request]:
        yield Request(urljoin(self.base_url, "/robots.txt"), callback=self.parse_robots,
                      errback=self.on_error, priority=10, dont_filter=True,
                      meta={"qa_kind": "robots"})
        yield Request(self.base_url, callback=self.parse_navigation, errback=self.on_error,
                      priority=5, dont_filter=True, meta={"qa_kind": PageKind.HOME.value})

    # --- requests ----------------------------------------------------------------------
    def _article_request(self, url: str, lastmod: str | None = None,
                         defer_if_known: bool = True) -> Request | None:
        """The request for an article, or ``None`` when none is needed (yet).

        A known article met on a page waits (``defer_if_known``) until the sitemaps
        have given their ``lastmod``, which may spare the request altogether.
        """
        canonical = canonical_article_url(url)
        article_id = article_id_from_url(canonical)
        if article_id in self._requested_articles:
            return None
        run = self.run
        known = run.state.known(article_id) if run is not None and run.incremental else None
        if known is not None and known.delivered and defer_if_known:
            self._deferred_articles.setdefault(article_id, canonical)
            return None
        self._requested_articles.add(article_id)
        self._deferred_articles.pop(article_id, None)
        if run is not None and run.done(article_id):
            return None  # written or rejected earlier in this (resumed) run
        meta: dict[str, Any] = {"qa_kind": PageKind.ARTICLE.value, "qa_lastmod": lastmod}
        headers: dict[str, str] = {}
        if known is not None and known.delivered:
            if lastmod and known.sitemap_lastmod == lastmod:
                self.crawler.stats.inc_value("qa/unchanged/skipped_by_lastmod")
                run.stage(article_id, change="unchanged")
                return None
            if known.etag:
                headers["If-None-Match"] = known.etag
            if known.last_modified:
                headers["If-Modified-Since"] = known.last_modified
            meta["handle_httpstatus_list"] = [NOT_MODIFIED]
        return Request(canonical, callback=self.parse_article, errback=self.on_error,
                       headers=headers, meta=meta, dont_filter=True)

    def _page_request(self, url: str, kind: PageKind) -> Request:
        # Listings, FAQ topics and the home page: re-read every run (that is how
        # new articles are found); before articles, since they lead to them.
        return Request(canonical_url(url), callback=self.parse_navigation,
                       errback=self.on_error, priority=5, meta={"qa_kind": kind.value})

    def _sitemap_request(self, url: str) -> Request:
        return Request(url, callback=self.parse_sitemap, errback=self.on_error, priority=8,
                       dont_filter=True,
                       meta={"qa_kind": "sitemap",
                             "download_maxsize": self.settings.getint("SITEMAP_MAX_SIZE")})

    def _follow(self, urls: Iterable[str | None],
                kinds: frozenset[PageKind]) -> Iterable[Request]:
        for url in urls:
            kind = page_kind(url) if url else None
            if kind not in kinds:
                continue
            request = self._article_request(url) if kind is PageKind.ARTICLE \
                else self._page_request(url, kind)
            if request is not None:
                yield request

    # --- callbacks -----------------------------------------------------------------------
    def parse_robots(self, response: Response) -> Iterable[Request]:
        sitemaps = list(sitemap_urls_from_robots(response.body, base_url=response.url))
        if not sitemaps:
            sitemaps = [urljoin(self.base_url, "/sitemap.xml")]
        for url in sitemaps:
            yield self._sitemap_request(url)

    def parse_sitemap(self, response: Response) -> Iterable[Request]:
        body = self._sitemap_body(response)
        sitemap = Sitemap(body) if body else None
        if sitemap is None or sitemap.type not in ("sitemapindex", "urlset"):
            self.crawler.stats.inc_value("qa/sitemap_invalid")
            self.logger.warning("Ignoring invalid sitemap %s", response.url)
            return
        for entry in sitemap:
            loc = absolute(response.url, entry.get("loc"))
            if not loc:
                continue
            if sitemap.type == "sitemapindex":
                yield self._sitemap_request(loc)
            elif page_kind(loc) is PageKind.ARTICLE:
                lastmod = (entry.get("lastmod") or "").strip() or None
                if lastmod:
                    # Kept with the article's state if this run delivers or confirms it.
                    self._stage(article_id_from_url(loc), sitemap_lastmod=lastmod)
                request = self._article_request(loc, lastmod, defer_if_known=False)
                if request is not None:
                    yield request

    def _sitemap_body(self, response: Response) -> bytes | None:
        if gzip_magic_number(response):
            try:
                return gunzip(response.body, max_size=self.settings.getint("SITEMAP_MAX_SIZE"))
            except Exception:  # noqa: BLE001 (any gzip error: the sitemap is unusable)
                return None
        return response.body

    def parse_navigation(self, response: Response) -> Iterable[Request]:
        """Home, listings and FAQ topics: follow every article, listing and FAQ link."""
        hrefs = response.xpath("//a/@href | //link[@rel='next' or @rel='prev']/@href").getall()
        yield from self._follow((absolute(response.url, href) for href in hrefs),
                                frozenset({PageKind.ARTICLE, PageKind.LISTING, PageKind.FAQ}))

    def parse_article(self, response: Response) -> Iterable[Any]:
        article_id = article_id_from_url(response.url)
        lastmod = response.meta.get("qa_lastmod")
        if response.status == NOT_MODIFIED:
            self.crawler.stats.inc_value("qa/unchanged/not_modified")
            self._stage(article_id, url=response.url, status="304", change="unchanged",
                        sitemap_lastmod=lastmod)
            return
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        page = ArticlePage(response.url, response.body, content_type=content_type)
        if page.is_not_found_page():
            self._not_found(response.request, f"soft 404, HTTP {response.status}", soft=True)
            return
        self._stage(article_id, url=response.url, status=str(response.status),
                    etag=_header(response, "ETag"),
                    last_modified=_header(response, "Last-Modified"), sitemap_lastmod=lastmod)
        item = page.to_item()
        if page.problems:
            yield Rejected(item["url"] or response.url, "extraction",
                           [problem.as_dict() for problem in page.problems], item)
        else:
            yield item
        similar = (entry["url"] for entry in item["similar_questions"])
        faqs = (faq["url"] for faq in item["related_faqs"])
        yield from self._follow(similar, frozenset({PageKind.ARTICLE}))
        yield from self._follow(faqs, frozenset({PageKind.FAQ}))

    def on_error(self, failure: Failure) -> Iterable[Any]:
        """Count every failed request; a live article that could not be fetched is rejected."""
        request = failure.request
        stats = self.crawler.stats
        kind = request.meta.get("qa_kind", "other")
        if failure.check(HttpError):
            status = failure.value.response.status
            if status == 404 and kind == PageKind.ARTICLE.value:
                self._not_found(request, "HTTP 404")
                return
            reason = f"HTTP {status}"
        else:
            reason = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        stats.inc_value(f"qa/fetch_failed/{kind}")
        log = self.logger.error if kind == PageKind.ARTICLE.value else self.logger.warning
        log("Could not fetch %s %s: %s", kind, request.url, reason)
        if kind == "robots":
            # No robots.txt to read the Sitemap lines from: try the usual place.
            yield self._sitemap_request(urljoin(self.base_url, "/sitemap.xml"))
        if kind == PageKind.ARTICLE.value:
            yield Rejected(request.url, "fetch", [{"path": "(page)", "message": reason}])

    def _not_found(self, request: Request, why: str, soft: bool = False) -> None:
        """A missing article: counted and logged; "gone" when it was delivered before."""
        stats = self.crawler.stats
        stats.inc_value("qa/article_not_found")
        if soft:
            stats.inc_value("qa/article_not_found/soft_404")
        article_id = article_id_from_url(request.url)
        known = self.run.state.known(article_id) if self.run and self.run.state else None
        if known is not None and known.content_hash is not None:
            stats.inc_value("qa/gone")
            self._stage(article_id, url=request.url, status="404", change="gone")
        self.logger.warning("Article not found (%s): %s (linked from %s)", why, request.url,
                            request.headers.get("Referer", b"?").decode("latin-1"))

    def _stage(self, article_id: str | None, **values: Any) -> None:
        if self.run is not None and article_id:
            self.run.stage(article_id, **values)


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
