"""Rendering an article page in Chromium when its HTML alone cannot give a complete item.

``-a render=auto`` (default): an article page is rendered only when the fast read is not
enough (:func:`render_reason`): the page has scripts (or stylesheets the reader does not
fetch) and either its item would be rejected, or a section holds only a placeholder
("Loading…", ``aria-busy``) or nothing at all. ``always`` renders every article page;
``never`` none.

The browser (scrapy-playwright's download handler, the system Chromium) never fetches the page
again: the answer Scrapy already downloaded is handed to it (:func:`init_page`). Whatever the
page's scripts ask for goes through Scrapy's own downloader (``engine.download_async``), so
it obeys robots.txt, takes the host's download slot and delay (and the shared Redis budget
of a distributed crawl), stays on the base host; images, fonts and media are not fetched;
everything refused is counted. Conditional requests and the crawl state stay with the page
request: the rendered page only replaces the HTML that is read.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from lxml import etree
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request

from qa_scraper.pages import labels
from qa_scraper.reading.browser import CHROMIUM_ARGS, rendered_html
from qa_scraper.urls import same_host

RENDER_MODES = ("auto", "never", "always")
RENDER_SLOT = "qa-render"  # the render requests' own download slot (they make no request)
BLOCKED_TYPES = frozenset({"image", "font", "media", "imageset", "texttrack", "beacon"})
_LOADING = re.compile(
    r"^(?:loading|please\s+wait|fetching|one\s+moment)\b[\s.…]*(?:\w+[\s.…]*){0,3}$",
    re.IGNORECASE,
)

_ARIA_BUSY = etree.XPath("//*[@aria-busy]")
# What any spelling of an aria-busy attribute holds (HTML attribute names are read in any
# case): a page without it has none, and the XPath above (a walk of the whole tree, most of
# this check's cost) is spared. A NUL, removed before parsing, could join one: then no shortcut.
_MAY_HOLD_ARIA_BUSY = re.compile(r"-[Bb][Uu][Ss][Yy]")
# Elements whose own text starts like a section label (regex in C, over text nodes only).
_LOWER = "translate(., 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
_LABEL_HOLDERS = etree.XPath(
    "//text()[string-length(.) < 80 and ("
    + " or ".join(f"contains({_LOWER}, '{word}')" for word in ("more", "similar", "related"))
    + ")]/parent::*"
)
_SECTION_FIELDS = {
    labels.MORE_INFO: "more_info",
    labels.SIMILAR_QA: "similar_questions",
    labels.RELATED_FAQ: "related_faqs",
}
_SECTION_NAMES = {
    labels.MORE_INFO: "More Info",
    labels.SIMILAR_QA: "Similar Q&A",
    labels.RELATED_FAQ: "Related FAQ",
}
_CONTAINERS = frozenset({"div", "ul", "ol", "section", "table", "tbody", "dl", "p", "article"})

# The crawler of this process (one crawl, one browser per process): what the page's route
# handler asks Scrapy's downloader through.
_crawler: Any = None


def use_crawler(crawler: Any) -> None:
    global _crawler  # noqa: PLW0603 (one crawl per process)
    _crawler = crawler


def render_reason(page: Any, item: dict[str, Any] | None = None) -> str | None:
    """Why the fast read of ``page`` (an :class:`ArticlePage` whose item was built: ``item``)
    may not be what a reader sees, or None. Generic signs only: no site's class names."""
    if not _has_scripts(page.selector.root):
        return None  # nothing can change the page after it loads
    incomplete = incomplete_reason(page, item)
    if incomplete is not None:
        return incomplete
    # A reject a script could explain (a label or section missing), not a damaged answer
    # (cut short, mis-decoded: a browser would paper over those, hiding a transport fault).
    fixable = [
        problem
        for problem in page.problems
        if problem.field != "(page)" and "mis-decoded" not in problem.reason
    ]
    if fixable and len(fixable) == len(page.problems):
        return f"rejected: {fixable[0].reason[:80]}"
    return None


def incomplete_reason(page: Any, item: dict[str, Any] | None = None) -> str | None:
    """A section announced but not there yet: a placeholder ("Loading…", ``aria-busy``) or
    a section label with nothing under it. None if the page shows none. (This runs on every
    article page of an ``auto`` crawl: the DOM is searched for an empty box only when
    ``item`` lacks a section, or no item is given.)"""
    root = page.selector.root
    html = page.html
    if "\x00" in html or _MAY_HOLD_ARIA_BUSY.search(html):
        for element in _ARIA_BUSY(root):
            if (element.get("aria-busy") or "").strip().lower() == "true":
                return "placeholder: aria-busy"
    texts = [line.text for line in page.lines]
    for text in texts:
        if text[:1] in "LlPpFfOo" and _LOADING.match(text):
            return f"placeholder: {text[:40]}"
    for label, lines in page.sections.items():  # (read once by the item)
        if not lines and label in _SECTION_NAMES:
            return f"empty section: {_SECTION_NAMES[label]}"
    if item is not None and not any(
        not item[field] for label, field in _SECTION_FIELDS.items() if label in page.sections
    ):
        return None  # every section the page announces was read
    return _empty_container(root)


def _is_section_label(text: str) -> bool:
    return any(label.match(text) for label in labels.SECTION_LABELS)


def _empty_container(root: Any) -> str | None:
    """A section heading whose next element is a container with no text at all (the box a
    script fills), e.g. ``<h2>Similar Q&A</h2><div id="similar"></div>``."""
    for element in _LABEL_HOLDERS(root):
        if not isinstance(element.tag, str):
            continue
        text = " ".join("".join(element.itertext()).split())
        if not text or len(text) > 40 or not _is_section_label(text):
            continue
        box = element.getnext()
        while box is not None and not isinstance(box.tag, str):
            box = box.getnext()  # comments
        if (
            box is not None
            and box.tag in _CONTAINERS
            and not "".join(box.itertext()).strip()
            and next(box.iter("img", "svg", "canvas", "iframe"), None) is None
        ):
            return f"empty section: {text}"
    return None


def _has_scripts(root: Any) -> bool:
    if next(root.iter("script"), None) is not None:
        return True
    return any(
        "stylesheet" in (link.get("rel") or "").lower() and link.get("href")
        for link in root.iter("link")
    )


def playwright_settings(settings: Any, executable: str, scheme: str) -> dict[str, Any]:
    """scrapy-playwright's settings for this crawl (set before the crawl starts). The handler
    serves only the base URL's scheme: one handler instance, so one browser per process,
    launched at the first render (no startup context)."""
    timeout_ms = int(settings.getfloat("QA_RENDER_TIMEOUT") * 1000)
    pages = settings.getint("QA_RENDER_PAGES")
    slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
    slots[RENDER_SLOT] = {"concurrency": pages, "delay": 0, "randomize_delay": False}
    handler = "qa_scraper.render_handler.RenderingDownloadHandler"
    return {
        "DOWNLOAD_HANDLERS": {**settings.getdict("DOWNLOAD_HANDLERS"), scheme: handler},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": executable,
            "headless": True,
            "args": list(CHROMIUM_ARGS),
            "timeout": timeout_ms,
        },
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": pages,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": timeout_ms,
        "DOWNLOAD_SLOTS": slots,
    }


def render_request(response: Any, reason: str, callback: Any, errback: Any) -> Request:
    """The request that renders an article answer already downloaded (no new page fetch)."""
    from scrapy_playwright.page import PageMethod

    meta = {
        "qa_kind": "render",
        "qa_render_reason": reason,
        "qa_render_body": response.body,
        "qa_render_content_type": response.headers.get("Content-Type", b"text/html").decode(
            "latin-1"
        ),
        "qa_page": {
            "status": response.status,
            "etag": _header(response, "ETag"),
            "last_modified": _header(response, "Last-Modified"),
            "lastmod": response.meta.get("qa_lastmod"),
            "warc": response.meta.get("qa_warc"),
        },
        "playwright": True,
        "playwright_context": "default",
        "playwright_context_kwargs": {"service_workers": "block", "accept_downloads": False},
        "playwright_page_init_callback": init_page,
        "playwright_page_methods": [PageMethod(settle_and_read)],
        "download_slot": RENDER_SLOT,
        "dont_retry": True,
        "dont_redirect": True,
    }
    return Request(
        response.url, callback=callback, errback=errback, meta=meta, dont_filter=True, priority=3
    )


def _header(response: Any, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


async def init_page(page: Any, request: Request) -> None:
    """Answer the page's own request with the downloaded body; send every other request of
    the page through Scrapy's downloader (or refuse it). Registered after scrapy-playwright's
    own route, so it takes every request first."""
    body = request.meta["qa_render_body"]
    content_type = request.meta["qa_render_content_type"]
    served = asyncio.Event()

    async def answer(route: Any, browser_request: Any) -> None:
        url = browser_request.url
        if not served.is_set() and browser_request.is_navigation_request() and url == request.url:
            served.set()
            await route.fulfill(status=200, body=body, headers={"Content-Type": content_type})
            return
        await _sub_request(route, browser_request, request.url)

    await page.route("**/*", answer)


async def _sub_request(route: Any, browser_request: Any, page_url: str) -> None:
    crawler = _crawler
    stats = crawler.stats
    url = browser_request.url
    if not url.startswith(("http://", "https://")):
        await route.abort()
        return
    if browser_request.resource_type in BLOCKED_TYPES:
        stats.inc_value("qa/render/subrequests/blocked_type")
        await route.abort()
        return
    if not same_host(url, page_url) or browser_request.is_navigation_request():
        stats.inc_value(
            "qa/render/subrequests/offsite"
            if not same_host(url, page_url)
            else "qa/render/subrequests/navigation"
        )
        await route.abort()
        return
    headers = {
        name: value
        for name, value in (await browser_request.all_headers()).items()
        if name.lower() in ("accept", "content-type", "x-requested-with")
    }
    scrapy_request = Request(
        url,
        method=browser_request.method,
        headers=headers,
        body=browser_request.post_data_buffer or b"",
        meta={"qa_kind": "render-subrequest", "dont_redirect": False},
        dont_filter=True,
    )
    try:
        response = await crawler.engine.download_async(scrapy_request)
    except IgnoreRequest as refused:
        kind = (
            "robots"
            if "robots" in str(refused).lower() or "Forbidden by robots" in repr(refused)
            else "refused"
        )
        stats.inc_value(f"qa/render/subrequests/{kind}")
        await route.abort()
        return
    except Exception:
        stats.inc_value("qa/render/subrequests/failed")
        await route.abort()
        return
    if not same_host(response.url, page_url):
        stats.inc_value("qa/render/subrequests/offsite")
        await route.abort()
        return
    stats.inc_value("qa/render/subrequests/fetched")
    headers = {
        key.decode("latin-1"): value.decode("latin-1")
        for key, value in response.headers.items()
        if key.lower() not in (b"content-encoding", b"content-length", b"transfer-encoding")
        for value in value[-1:]
    }
    await route.fulfill(status=response.status, headers=headers, body=response.body)


async def settle_and_read(page: Any) -> str:
    """After the load: wait (bounded) until the network is idle, then read the page."""
    timeout = _crawler.settings.getfloat("QA_RENDER_TIMEOUT") * 1000 if _crawler else 10000
    try:
        await page.wait_for_load_state("networkidle", timeout=timeout)
    except Exception:
        if _crawler is not None:
            _crawler.stats.inc_value("qa/render/network_not_idle")
    return await rendered_html(page)


def summary(stats: dict[str, Any]) -> dict[str, Any]:
    """The run's rendering, for the manifest and the report: pages rendered and why, pages
    that needed a browser the run did not have, failures, the browser's sub-requests by
    outcome, and the time spent in the browser."""

    def under(prefix: str) -> dict[str, Any]:
        return {
            key[len(prefix) :]: value
            for key, value in sorted(stats.items())
            if key.startswith(prefix)
        }

    return {
        "pages": stats.get("qa/render/pages", 0),
        "reasons": under("qa/render/reason/"),
        "needs_browser": stats.get("qa/render/needs_browser", 0),
        "failed": stats.get("qa/render/failed", 0),
        "subrequests": under("qa/render/subrequests/"),
        "browser_seconds": round(stats.get("qa/render/browser_seconds", 0.0), 3),
    }
