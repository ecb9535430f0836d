"""The crawl's download handler when it may render: Scrapy's HTTP handler for every request,
scrapy-playwright's for the render requests (:mod:`qa_scraper.render` decides which pages).

Its own module: Scrapy's HTTP handler module costs ~0.3 s to import, which a crawl pays
anyway, but the command-line tools that read a run's render summary
(:func:`qa_scraper.render.summary`) do not need it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.http import Request


def _lazy_handler_class() -> type:
    from scrapy import signals
    from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

    class LazyPlaywrightHandler(ScrapyPlaywrightDownloadHandler):
        """scrapy-playwright's handler, whose driver and browser start at the first render
        instead of when the engine starts."""

        def __init__(self, crawler: Any) -> None:
            super().__init__(crawler)
            for receiver in (self._maybe_launch_in_thread, self._engine_started):
                crawler.signals.disconnect(receiver, signals.engine_started)
            self._start_lock = asyncio.Lock()

        async def _download_request(self, request: Request, spider: Any = None) -> Any:
            async with self._start_lock:
                if getattr(self, "browser_provider", None) is None:
                    await self._launch()
            return await super()._download_request(request, spider)

    return LazyPlaywrightHandler


class RenderingDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP handler for every request; render requests (``meta["playwright"]``) go to
    scrapy-playwright's, created (and Playwright imported) at the first one: a crawl that
    renders nothing pays nothing for the browser."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self._for_browser = crawler
        self._browser_handler: Any = None

    async def download_request(self, request: Request) -> Any:
        if not request.meta.get("playwright"):
            return await super().download_request(request)
        if self._browser_handler is None:
            self._browser_handler = _lazy_handler_class()(self._for_browser)
        return await self._browser_handler.download_request(request)

    async def close(self) -> None:
        await super().close()
        if self._browser_handler is not None:
            await self._browser_handler.close()
