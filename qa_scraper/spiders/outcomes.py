"""What becomes of an article's answer: its item or reject, a 304, a missing article, a
retry of a truncated page, a render in Chromium — and what the spider saw of it, sent as
signals (:mod:`qa_scraper.signals`) for whoever records it (the run, or a distributed
worker that forwards it to the coordinator).

:class:`ArticleOutcomes` reads answers and yields what Scrapy should do with them; which
links an item leads to, and what to request next, stay the spider's decision. Turning a
page into an item is the page object's job (:class:`qa_scraper.pages.article.ArticlePage`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import scrapy
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from qa_scraper import render
from qa_scraper import signals as qa_signals
from qa_scraper.delivery.rejects import Rejected
from qa_scraper.pages.article import ArticlePage
from qa_scraper.pages.problems import Problem
from qa_scraper.urls import article_id_from_url

NOT_MODIFIED = 304


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class ArticleOutcomes:
    """The article answers of one spider (its ``render`` mode and ``browser``; rendered pages
    come back to its ``parse_rendered`` and ``on_render_error``)."""

    def __init__(self, spider: scrapy.Spider) -> None:
        self.spider = spider
        self.crawler = spider.crawler
        self.stats = spider.crawler.stats
        self.logger = spider.logger

    def _report(self, signal: object, **kwargs: Any) -> None:
        """What the spider saw of an article, for whoever records it."""
        self.crawler.signals.send_catch_log(signal, **kwargs)

    def redirected(self, response: Response) -> None:
        """An article request answered by another article's page (a same-site redirect)."""
        requested = article_id_from_url((response.meta.get("redirect_urls") or [response.url])[0])
        if requested and requested != article_id_from_url(response.url):
            self._report(qa_signals.article_redirected, article_id=requested, url=response.url)

    def answer(self, response: Response) -> Iterable[Any]:
        """An article's answer: its item or reject, a retry, or the request to render it."""
        article_id = article_id_from_url(response.url)
        lastmod = response.meta.get("qa_lastmod")
        self.stats.inc_value("qa/usable_responses")
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
            self.not_found(response.request, f"soft 404, HTTP {response.status}", soft=True)
            return
        if (cut := page.truncation()) is not None:
            # A 200 page cut short is a transient fault: retried like a 503 (RETRY_TIMES).
            retry = get_retry_request(response.request, spider=self.spider, reason="truncated page")
            if retry is not None:
                self.stats.inc_value("qa/retry/truncated")
                self.logger.info("Retrying %s: truncated page (%s)", response.url, cut)
                yield retry
                return
        if page.replaced_bytes:
            self.stats.inc_value("qa/decode/replaced_bytes", page.replaced_bytes)
        if page.canonical_conflict:
            # The page is the article at the URL requested, whatever its canonical link says.
            self.stats.inc_value("qa/canonical_ignored")
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
        if self.spider.render == "never":
            return None
        if self.spider.render == "always":
            return "always"
        return render.render_reason(page, item)

    def _render(self, response: Response, reason: str) -> Iterable[Any]:
        stats = self.stats
        kind = reason.split(":", 1)[0]
        if self.spider.browser is None:  # render=auto without a browser: a reject that says why
            stats.inc_value("qa/render/needs_browser")
            self._report_fetched(response, response.meta)
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
        spider = self.spider
        yield render.render_request(response, reason, spider.parse_rendered, spider.on_render_error)

    def rendered(self, response: Response) -> Iterable[Any]:
        """A page rendered in Chromium: read like any answer, with the page request's state."""
        stats = self.stats
        stats.inc_value("qa/render/pages")
        # scrapy-playwright's download latency: from the page's load to the page read.
        latency = response.meta.get("download_latency")
        if latency is not None:
            stats.inc_value("qa/render/browser_seconds", round(latency, 3))
        methods = response.meta.get("playwright_page_methods") or []
        html = methods[0].result if methods and isinstance(methods[0].result, str) else None
        if html is None:
            yield self.render_failed(Failure(RuntimeError("no rendered page")), response)
            return
        page = ArticlePage(response.url, html)
        meta = dict(response.meta["qa_page"], qa_rendered=response.meta["qa_render_reason"])
        item = page.to_item()
        still = render.incomplete_reason(page)
        if still is not None:  # the script did not fill it (its data failed): not an item
            stats.inc_value("qa/render/incomplete")
            page.problems.append(Problem("(page)", f"rendered page still incomplete: {still}"))
        yield from self._deliver(page, item, response, meta)

    def render_failed(self, failure: Failure, response: Response | None = None) -> Rejected:
        request = failure.request if response is None else response.request
        self.stats.inc_value("qa/render/failed")
        reason = f"render failed: {failure.type.__name__}: {failure.getErrorMessage()}"[:300]
        self.logger.error("Could not render %s: %s", request.url, reason)
        return Rejected(request.url, "extraction", [{"path": "(page)", "message": reason}])

    def _report_fetched(self, response: Response, meta: dict[str, Any]) -> None:
        """An article page was read (``meta``: the page request's state). A rendered page
        reports the validators of the page request; any other, its answer's own."""
        article_id = article_id_from_url(response.url)
        if not article_id:
            return
        if "qa_rendered" in meta:
            status, etag, last_modified = meta["status"], meta["etag"], meta["last_modified"]
        else:
            status = response.status
            etag, last_modified = _header(response, "ETag"), _header(response, "Last-Modified")
        self._report(
            qa_signals.article_fetched,
            article_id=article_id,
            url=response.url,
            status=status,
            etag=etag,
            last_modified=last_modified,
            lastmod=meta.get("qa_lastmod", meta.get("lastmod")),
        )

    def _deliver(
        self, page: ArticlePage, item: dict[str, Any], response: Response, meta: dict[str, Any]
    ) -> Iterable[Any]:
        """The item (or reject) of an article page; ``meta`` holds the page request's state
        (lastmod, validators, archive record)."""
        self._report_fetched(response, meta)
        # where the answer is archived (provenance)
        item["warc"] = meta.get("warc") if "qa_rendered" in meta else meta.get("qa_warc")
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

    def fetch_failed(self, request: Request, reason: str) -> Rejected:
        """A live article that could not be fetched: a reject under the URL the crawl asked
        for, not the last hop of a redirect chain that failed (which may name no article)."""
        requested = (request.meta.get("redirect_urls") or [request.url])[0]
        if requested != request.url:
            reason += f" (after {len(request.meta['redirect_urls'])} redirects, at {request.url})"
        return Rejected(requested, "fetch", [{"path": "(page)", "message": reason}])

    def not_found(self, request: Request, why: str, soft: bool = False, status: int = 404) -> None:
        """A missing article (404, 410, soft 404): counted and logged; "gone" when it was
        delivered before."""
        stats = self.stats
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
