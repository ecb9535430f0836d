"""The spider's parts on their own: the sitemap reader and frontier, the one queue-length
reader (the crawls in test_crawl.py and test_distributed.py exercise them in place)."""

from __future__ import annotations

import gzip

import pytest
from scrapy import Spider
from scrapy.http import Request, XmlResponse
from scrapy.utils.test import get_crawler

from qa_scraper.extensions.progress import queue_length
from qa_scraper.spiders.sitemaps import Frontier, InvalidSitemap, read_sitemap

URLSET = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    b"<url><loc>http://127.0.0.1:9/en/article/1</loc><lastmod>2026-11-01</lastmod></url>"
    b"</urlset>"
)


def sitemap_response(body: bytes, url: str = "http://127.0.0.1:9/sitemap.xml") -> XmlResponse:
    return XmlResponse(url, body=body, request=Request(url))


def test_a_sitemap_is_read_plain_or_gzipped() -> None:
    for body in (URLSET, gzip.compress(URLSET, mtime=0)):
        sitemap = read_sitemap(sitemap_response(body), max_size=1 << 20)
        assert sitemap.type == "urlset"
        assert [entry["loc"] for entry in sitemap] == ["http://127.0.0.1:9/en/article/1"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY a "x">]>' + URLSET[38:],
            "Ignoring sitemap http://127.0.0.1:9/sitemap.xml: it declares XML entities",
        ),
        (
            b"<html><body>not a sitemap</body></html>",
            "Ignoring invalid sitemap http://127.0.0.1:9/sitemap.xml",
        ),
        (
            gzip.compress(URLSET, mtime=0)[:20],
            "Ignoring invalid sitemap http://127.0.0.1:9/sitemap.xml",
        ),
    ],
    ids=["entities", "not-a-sitemap", "broken-gzip"],
)
def test_a_sitemap_the_crawl_ignores_says_why(body: bytes, message: str) -> None:
    with pytest.raises(InvalidSitemap) as invalid:
        read_sitemap(sitemap_response(body), max_size=1 << 20)
    assert str(invalid.value) == message


def test_the_frontier_hands_out_entries_in_order_up_to_the_room_given() -> None:
    frontier = Frontier()
    for n in range(1, 6):
        frontier.add(str(n), f"http://x/en/article/{n}", f"2026-11-0{n}")
    frontier.add("1", "http://x/en/article/1?again", None)  # the first listing wins
    assert frontier.take("3") == ("http://x/en/article/3", "2026-11-03")
    assert "3" not in frontier and len(frontier) == 4

    def request_for(url: str, lastmod: str | None) -> Request | None:
        # an entry that needs no request (article 2) takes no room
        return None if url.endswith("/2") else Request(url, meta={"lastmod": lastmod})

    fed = [(r.url, r.meta["lastmod"]) for r in frontier.feed(2, request_for)]
    assert fed == [("http://x/en/article/1", "2026-11-01"), ("http://x/en/article/4", "2026-11-04")]
    assert len(frontier) == 1 and "5" in frontier


def test_the_queue_length_is_unknown_before_the_engine_runs() -> None:
    assert queue_length(get_crawler(Spider)) is None
