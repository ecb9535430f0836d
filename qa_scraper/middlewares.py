"""Downloader middlewares: nothing leaves the base host; retries that honour
``Retry-After``; redirects that stay home."""

from __future__ import annotations

import email.utils
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.response import response_status_message
from twisted.internet import reactor
from twisted.internet.task import deferLater
from w3lib.url import canonicalize_url, safe_url_string

from qa_scraper.urls import same_host


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class SameHostGuardMiddleware:
    """Refuses any request to a host other than the spider's ``base_url`` host.

    Scrapy's OffsiteMiddleware lets ``dont_filter=True`` requests through (article
    and sitemap requests use it); this guard does not, so no request — robots.txt
    of another host included — ever leaves the crawled site. The spider already
    refuses such links itself; this is the backstop. Refusals go to the errback.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> SameHostGuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        spider = spider or self.crawler.spider
        base_url = getattr(spider, "base_url", None)
        if base_url and not same_host(request.url, base_url):
            self.crawler.stats.inc_value("qa/offsite_refused/guard")
            raise IgnoreRequest(f"request to another host refused: {request.url}")


class RetryAfterMiddleware(RetryMiddleware):
    """Retries like :class:`RetryMiddleware` but first waits what ``Retry-After`` asks.

    The wait is capped by ``RETRY_AFTER_MAX`` seconds (a server must not be able
    to stall the crawl); waits are counted in ``qa/retry_after/*`` stats.
    """

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.max_wait = settings.getfloat("RETRY_AFTER_MAX")

    async def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait:
            stats = self.crawler.stats
            stats.inc_value("qa/retry_after/waits")
            if wait > self.max_wait:
                stats.inc_value("qa/retry_after/capped")
                wait = self.max_wait
            await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
        return retry


class RedirectGuardMiddleware:
    """Refuses, before Scrapy's RedirectMiddleware follows them, redirects that would leave
    the crawled host (other hosts, private addresses) or loop back to a URL already visited.

    Scrapy would drop those redirected requests silently (offsite or duplicate filter);
    raising ``IgnoreRequest`` here sends them to the request's errback instead, so a live
    article behind such a redirect is rejected with a reason rather than lost.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> RedirectGuardMiddleware:
        return cls(crawler)

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Response:
        location = response.headers.get("Location")
        if (
            response.status not in (301, 302, 303, 307, 308)
            or not location
            or request.meta.get("dont_redirect")
        ):
            return response
        target = urljoin(request.url, safe_url_string(location.decode("latin-1")))
        stats = self.crawler.stats
        if urlsplit(target).hostname != urlsplit(request.url).hostname:
            stats.inc_value("qa/redirect_refused/offsite")
            stats.inc_value("offsite/filtered")
            raise IgnoreRequest(f"redirect to another host refused (offsite): {target}")
        visited = {canonicalize_url(url) for url in request.meta.get("redirect_urls", [])}
        visited.add(canonicalize_url(request.url))
        if canonicalize_url(target) in visited:
            stats.inc_value("qa/redirect_refused/loop")
            raise IgnoreRequest(f"redirect loop: {target} was already visited")
        return response


class ArchiveMiddleware:
    """Every article answer (200, 304) and its request into the run's WARC (QA_ARCHIVE),
    and every answer to a same-host request of a page rendered in the browser (its data,
    scripts, styles: qa_scraper/render.py), so that a rendered page can be replayed.

    The response's place in the archive (``{"file", "offset", "record_id"}``) travels in
    ``request.meta["qa_warc"]``: the item (or reject) made from it points there.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArchiveMiddleware:
        return cls(crawler)

    def _archive(self) -> Any:
        from qa_scraper.extensions.crawl_run import CrawlRunExtension

        if self.crawler.settings.get("QA_REDIS_URL"):  # (redis is imported only then)
            from qa_scraper.distributed.worker import Worker

            worker = self.crawler.get_extension(Worker)
            if worker is not None:
                return worker.worker_archive()
        extension = self.crawler.get_extension(CrawlRunExtension)
        return extension.run.archive_writer() if extension is not None else None

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Response:
        kind = request.meta.get("qa_kind")
        if not (
            (kind == "article" and response.status in (200, 304))
            or kind == "render-subrequest"  # what a rendered page's scripts asked for
        ):
            return response
        archive = self._archive()
        if archive is not None:
            try:
                request.meta["qa_warc"] = archive.write_exchange(
                    response.url,
                    request.method,
                    _header_pairs(request.headers, host=urlsplit(request.url).netloc),
                    response.status,
                    _header_pairs(response.headers),
                    response.body,
                    protocol=getattr(response, "protocol", None) or "HTTP/1.1",
                )
            except OSError as error:  # disk full: the run fails as a whole (exit code 8)
                run = self._run()
                if run is None:
                    raise
                raise IgnoreRequest(str(run.fail("the archive", error))) from None
            self.crawler.stats.inc_value("qa/archive/records")
        return response

    def _run(self) -> Any:
        from qa_scraper.extensions.crawl_run import CrawlRunExtension

        extension = self.crawler.get_extension(CrawlRunExtension)
        return extension.run if extension is not None else None


def _header_pairs(headers: Any, host: str | None = None) -> list[tuple[str, str]]:
    pairs = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]
    if host and not any(name.lower() == "host" for name, _ in pairs):
        pairs.insert(0, ("Host", host))
    return pairs
