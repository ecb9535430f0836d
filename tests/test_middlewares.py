"""Retry-After parsing, the redirect guard and sitemap parsing safety."""

from __future__ import annotations

import email.utils

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.sitemap import Sitemap
from scrapy.utils.test import get_crawler

from qa_scraper.middlewares import RedirectGuardMiddleware, retry_after_seconds
from qa_scraper.spiders.doctorqna import DoctorQnASpider
from qa_scraper.testing.faults import _BILLION_LAUGHS


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"1", 1.0),
        ("120", 120.0),
        (b" 3 ", 3.0),
        (None, None),
        (b"", None),
        (b"soon", None),
        (b"-5", None),
    ],
)
def test_retry_after_seconds(value, expected) -> None:
    assert retry_after_seconds(value) == expected


def test_retry_after_http_date() -> None:
    now = 1_800_000_000.0
    header = email.utils.formatdate(now + 30, usegmt=True)
    assert retry_after_seconds(header, now=now) == pytest.approx(30, abs=1)
    past = email.utils.formatdate(now - 30, usegmt=True)
    assert retry_after_seconds(past, now=now) == 0.0


@pytest.fixture()
def guard() -> RedirectGuardMiddleware:
    crawler = get_crawler(DoctorQnASpider)
    crawler.stats.open_spider()
    return RedirectGuardMiddleware.from_crawler(crawler)


def _redirect(url: str, location: str, status: int = 302, **meta) -> tuple[Request, Response]:
    request = Request(url, meta=meta)
    return request, Response(url, status=status, headers={"Location": location}, request=request)


@pytest.mark.parametrize(
    "location",
    [
        "http://offsite.invalid/en/article/1",
        "http://10.0.0.1/en/article/1",
        "//evil.example/x",
        "http://127.0.0.2:8123/en/article/1",
    ],
)
def test_redirects_off_the_host_are_refused(guard, location) -> None:
    request, response = _redirect("http://127.0.0.1:8123/en/article/1", location)
    with pytest.raises(IgnoreRequest, match="offsite"):
        guard.process_response(request, response)
    assert guard.crawler.stats.get_value("qa/redirect_refused/offsite") == 1


def test_redirect_loops_are_refused(guard) -> None:
    url = "http://127.0.0.1:8123/en/article/1"
    request, response = _redirect(
        url, "/en/article/2", redirect_urls=["http://127.0.0.1:8123/en/article/2"]
    )
    with pytest.raises(IgnoreRequest, match="loop"):
        guard.process_response(request, response)
    request, response = _redirect(url, url)
    with pytest.raises(IgnoreRequest, match="loop"):
        guard.process_response(request, response)


def test_on_host_redirects_and_other_responses_pass(guard) -> None:
    request, response = _redirect("http://127.0.0.1:8123/article.php?id=1", "/en/article/1", 301)
    assert guard.process_response(request, response) is response
    request = Request("http://127.0.0.1:8123/x")
    ok = Response(request.url, status=200, request=request)
    assert guard.process_response(request, ok) is ok


def test_sitemap_entities_are_never_expanded() -> None:
    entries = list(Sitemap(_BILLION_LAUGHS))
    assert all(len(entry.get("loc") or "") < 100 for entry in entries)
