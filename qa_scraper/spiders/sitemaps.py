"""Sitemaps: reading one (gzipped or not; invalid, or declaring XML entities: ignored), and
the frontier of the article URLs they list.

Article URLs from the sitemaps wait in a compact :class:`Frontier` and are handed to the
scheduler in batches (``QA_SCHEDULER_BATCH``), so memory does not grow with the site.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from scrapy.http import Request, Response
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap


class InvalidSitemap(ValueError):
    """A sitemap this crawl ignores (the message says why, for the log)."""


def read_sitemap(response: Response, max_size: int) -> Sitemap:
    """The sitemap (index or urlset) in ``response``, or :class:`InvalidSitemap`."""
    body = _sitemap_body(response, max_size)
    if body and b"<!ENTITY" in body:
        # A sitemap never declares entities; a bomb (or an XXE) does. Entities are never
        # expanded anyway, so it would read as an empty sitemap: say it is invalid.
        raise InvalidSitemap(f"Ignoring sitemap {response.url}: it declares XML entities")
    sitemap = Sitemap(body) if body else None
    if sitemap is None or sitemap.type not in ("sitemapindex", "urlset"):
        raise InvalidSitemap(f"Ignoring invalid sitemap {response.url}")
    return sitemap


def _sitemap_body(response: Response, max_size: int) -> bytes | None:
    if gzip_magic_number(response):
        try:
            return gunzip(response.body, max_size=max_size)
        except Exception:
            return None
    return response.body


class Frontier:
    """Sitemap entries not yet handed to the scheduler: article id -> (url, lastmod), in
    the order the sitemaps listed them."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[str, str | None]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._entries

    def add(self, article_id: str, url: str, lastmod: str | None) -> None:
        """An article a sitemap lists (the first listing of an article wins)."""
        self._entries.setdefault(article_id, (url, lastmod))

    def take(self, article_id: str) -> tuple[str, str | None]:
        """An article requested before its turn (linked from a page): its entry."""
        return self._entries.pop(article_id)

    def feed(
        self, room: int, request_for: Callable[[str, str | None], Request | None]
    ) -> Iterator[Request]:
        """Requests for the next entries, at most ``room`` (an entry that needs no request,
        skipped by ``request_for``, takes no room)."""
        while room > 0 and self._entries:
            url, lastmod = self._entries.pop(next(iter(self._entries)))
            request = request_for(url, lastmod)
            if request is not None:
                room -= 1
                yield request
