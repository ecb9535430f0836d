"""Scrapy's per-page and per-item DEBUG messages are not built unless shown (issue 21)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from qa_scraper.arguments import normalized_log_level
from qa_scraper.errors import ArgumentError
from qa_scraper.logformatter import QuietLogFormatter, shows_debug
from qa_scraper.spiders.doctorqna import DoctorQnASpider
from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE
from tests.crawl_helpers import run_crawl

REQUEST = Request("http://127.0.0.1:1/en/article/1")
RESPONSE = HtmlResponse(REQUEST.url, body=b"<html></html>", request=REQUEST)


@pytest.mark.parametrize(
    ("raw", "level"),
    [("debug", "DEBUG"), (" Info ", "INFO"), ("WARNING", "WARNING"), ("10", 10), (20, 20)],
)
def test_the_crawl_command_takes_a_level_in_any_case_or_as_a_number(
    raw: object, level: object
) -> None:
    assert normalized_log_level(raw) == level


@pytest.mark.parametrize("raw", ["", "chatty", "-5", "1.5", None, True])
def test_anything_else_is_refused(raw: object) -> None:
    with pytest.raises(ArgumentError, match="is not a log level"):
        normalized_log_level(raw)


@pytest.mark.parametrize(
    ("level", "shown"),
    [
        ("INFO", False),
        ("info ", False),
        ("WARNING", False),
        (logging.ERROR, False),
        ("DEBUG", True),
        (logging.DEBUG, True),
        (5, True),
        ("NOISY", True),  # not a level: Scrapy's own handler refuses it
    ],
)
def test_debug_is_shown_only_at_debug_or_below(level: object, shown: bool) -> None:
    assert shows_debug(level) is shown


def _formatter_and_spider(level: str) -> tuple[QuietLogFormatter, DoctorQnASpider]:
    crawler = get_crawler(DoctorQnASpider, {"LOG_LEVEL": level})
    spider = DoctorQnASpider.from_crawler(crawler, base_url="http://127.0.0.1:1/")
    return QuietLogFormatter.from_crawler(crawler), spider


def test_above_debug_crawled_and_scraped_are_not_built() -> None:
    formatter, spider = _formatter_and_spider("INFO")
    assert formatter.crawled(REQUEST, RESPONSE, spider) is None
    assert formatter.scraped({"a": 1}, RESPONSE, spider) is None
    dropped = formatter.dropped({"a": 1}, ValueError("no"), RESPONSE, spider)
    assert dropped is not None and dropped["level"] == logging.WARNING


def test_at_debug_they_are_scrapy_s_own() -> None:
    formatter, spider = _formatter_and_spider("DEBUG")
    crawled = formatter.crawled(REQUEST, RESPONSE, spider)
    assert crawled is not None and crawled["level"] == logging.DEBUG
    assert crawled["args"]["status"] == 200
    scraped = formatter.scraped({"a": 1}, RESPONSE, spider)
    assert scraped is not None and scraped["args"]["item"] == {"a": 1}


@pytest.mark.slow
def test_a_debug_crawl_still_logs_them_and_an_info_crawl_does_not(tmp_path: Path) -> None:
    with DevServer(SITE) as server:
        # (any case: Scrapy itself fails on "debug"; the crawl command normalizes it)
        debug = run_crawl(server.base_url, tmp_path, "-s", "LOG_LEVEL=debug", name="debug")
        info = run_crawl(server.base_url, tmp_path, "-s", "LOG_LEVEL=INFO", name="info")
    assert debug.returncode == 0 and info.returncode == 0, info.log[-2000:]
    assert "Crawled (200) <GET" in debug.log and "Scraped from <200" in debug.log
    assert "Crawled (200)" not in info.log and "Scraped from" not in info.log
    assert len(debug.feed_items) == len(info.feed_items) == 25
