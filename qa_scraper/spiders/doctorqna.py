"""The doctorqna spider: navigation only (which URLs, in which order).

Discovery: robots.txt's Sitemap lines → sitemap index → article sitemaps; the
home page → department listings and their pagination; FAQ topic pages; the
"Similar Q&A" links of every article. Turning a page into an item is the page
object's job (:class:`qa_scraper.pages.article.ArticlePage`).
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from twisted.python.failure import Failure

from qa_scraper.pages.article import ArticlePage
from qa_scraper.rejects import Rejected
from qa_scraper.urls import PageKind, absolute, canonical_article_url, canonical_url, page_kind

DEFAULT_BASE_URL = "https://www.doctorqna.com/"


class DoctorQnASpider(scrapy.Spider):
    name = "doctorqna"

    def __init__(self, base_url: str = DEFAULT_BASE_URL, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        self.base_url = f"{parts.scheme}://{parts.netloc}/"
        # OffsiteMiddleware: never leave the base URL's host.
        self.allowed_domains = [parts.hostname]

    async def start(self) -> AsyncIterator[Request]:
        yield Request(urljoin(self.base_url, "/robots.txt"), callback=self.parse_robots,
                      errback=self.on_error, priority=10, meta={"qa_kind": "robots"})
        yield self._page_request(self.base_url, PageKind.HOME)

    # --- requests ----------------------------------------------------------------------
    def _page_request(self, url: str, kind: PageKind) -> Request:
        if kind is PageKind.ARTICLE:
            return Request(canonical_article_url(url), callback=self.parse_article,
                           errback=self.on_error, meta={"qa_kind": kind.value})
        callbacks = {PageKind.HOME: self.parse_navigation, PageKind.LISTING: self.parse_navigation,
                     PageKind.FAQ: self.parse_navigation}
        # Listings first: they are how articles are found.
        return Request(canonical_url(url), callback=callbacks[kind], errback=self.on_error,
                       priority=5, meta={"qa_kind": kind.value})

    def _follow(self, urls: Iterable[str | None],
                kinds: frozenset[PageKind]) -> Iterable[Request]:
        for url in urls:
            if not url:
                continue
            kind = page_kind(url)
            if kind in kinds:
                yield self._page_request(url, kind)

    # --- callbacks -----------------------------------------------------------------------
    def parse_robots(self, response: Response) -> Iterable[Request]:
        sitemaps = list(sitemap_urls_from_robots(response.body, base_url=response.url))
        if not sitemaps:
            sitemaps = [urljoin(self.base_url, "/sitemap.xml")]
        for url in sitemaps:
            yield self._sitemap_request(url)

    def _sitemap_request(self, url: str) -> Request:
        return Request(url, callback=self.parse_sitemap, errback=self.on_error, priority=8,
                       meta={"qa_kind": "sitemap",
                             "download_maxsize": self.settings.getint("SITEMAP_MAX_SIZE")})

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
                yield self._page_request(loc, PageKind.ARTICLE)

    def _sitemap_body(self, response: Response) -> bytes | None:
        if gzip_magic_number(response):
            max_size = self.settings.getint("SITEMAP_MAX_SIZE")
            try:
                return gunzip(response.body, max_size=max_size)
            except Exception:  # noqa: BLE001 (any gzip error: the sitemap is unusable)
                return None
        return response.body

    def parse_navigation(self, response: Response) -> Iterable[Request]:
        """Home, listings and FAQ topics: follow every article, listing and FAQ link."""
        hrefs = response.xpath("//a/@href | //link[@rel='next' or @rel='prev']/@href").getall()
        yield from self._follow((absolute(response.url, href) for href in hrefs),
                                frozenset({PageKind.ARTICLE, PageKind.LISTING, PageKind.FAQ}))

    def parse_article(self, response: Response) -> Iterable[Any]:
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        page = ArticlePage(response.url, response.body, content_type=content_type)
        if page.is_not_found_page():
            self.crawler.stats.inc_value("qa/article_not_found")
            self.crawler.stats.inc_value("qa/article_not_found/soft_404")
            self.logger.warning("Article not found (soft 404, HTTP %s): %s", response.status,
                                response.url)
            return
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

    def on_error(self, failure: Failure) -> Iterable[Rejected]:
        """Count every failed request; a live article that could not be fetched is rejected."""
        request = failure.request
        stats = self.crawler.stats
        kind = request.meta.get("qa_kind", "other")
        if failure.check(HttpError):
            status = failure.value.response.status
            if status == 404 and kind == PageKind.ARTICLE.value:
                stats.inc_value("qa/article_not_found")
                self.logger.warning("Article not found (404): %s (linked from %s)", request.url,
                                    request.headers.get("Referer", b"?").decode("latin-1"))
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
