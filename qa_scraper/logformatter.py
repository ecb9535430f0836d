"""Scrapy's log messages, without the two it builds for nothing on every page (issue 21).

For every page Scrapy builds "Crawled (200) <GET …>", and for every item "Scraped from <200 …>"
(with the whole item), both at DEBUG. Its log handler then drops them when ``LOG_LEVEL`` is
above DEBUG (the default here is INFO), but only after a log record has been made for each: two
records an article for nothing. A log formatter method that returns None is Scrapy's documented
way to log nothing, so those two return None unless ``LOG_LEVEL`` lets DEBUG through; every
other message (dropped items, errors, and both of these at DEBUG) is Scrapy's own.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.logformatter import LogFormatter, LogFormatterResult

from qa_scraper.arguments import normalized_log_level
from qa_scraper.errors import ArgumentError


class QuietLogFormatter(LogFormatter):
    def __init__(self, debug_shown: bool = True) -> None:
        self.debug_shown = debug_shown

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> QuietLogFormatter:
        return cls(debug_shown=shows_debug(crawler.settings.get("LOG_LEVEL")))

    def crawled(self, *args: Any, **kwargs: Any) -> LogFormatterResult | None:
        return super().crawled(*args, **kwargs) if self.debug_shown else None

    def scraped(self, *args: Any, **kwargs: Any) -> LogFormatterResult | None:
        return super().scraped(*args, **kwargs) if self.debug_shown else None


def shows_debug(log_level: Any) -> bool:
    """Whether Scrapy's handler, set to ``log_level`` (read as the crawl command reads it:
    :func:`~qa_scraper.arguments.normalized_log_level`), writes DEBUG messages (a level it does
    not know: yes, as Scrapy itself would then fail loudly)."""
    try:
        level = normalized_log_level(log_level)
    except ArgumentError:
        return True
    if isinstance(level, str):
        level = logging.getLevelName(level)  # (a name normalized_log_level knows: its number)
    return level <= logging.DEBUG
