"""The Scrapy floor: what Scrapy itself costs to fetch every article of the site (issue 21).

    python benchmarks/floor_spider.py BASE_URL [--concurrency 16]

A plain ``scrapy.spiders.SitemapSpider`` run by ``CrawlerProcess`` with its own
minimal settings (no project settings, pipelines, extensions or middlewares):
robots.txt obeyed (Scrapy's RobotsTxtMiddleware), the sitemaps read from
robots.txt's ``Sitemap:`` line, and one request per article they list, whose
answer a no-op callback drops. No parsing, no items, no output: the least a
Scrapy crawl of the site can cost, the bar bench_crawl.py compares the
project's CPU per article with. It prints nothing but Scrapy's log; the
articles fetched are the ``response_received_count`` in the closing stats.
"""

from __future__ import annotations

import argparse

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.spiders import SitemapSpider


class FloorSpider(SitemapSpider):
    name = "floor"

    def __init__(self, base_url: str, **kwargs):
        self.sitemap_rules = [("/en/article/", "parse_article")]  # read by super().__init__
        super().__init__(**kwargs)
        self.sitemap_urls = [base_url.rstrip("/") + "/robots.txt"]

    def parse_article(self, response: scrapy.http.Response) -> None:
        """Fetched; nothing else."""


def plain_settings(concurrency: int, log_level: str, **overrides: object) -> dict[str, object]:
    """Scrapy's own defaults but for the benchmark's: the concurrency, no delay or throttle,
    no telnet console (the naive spider's too, with its ``overrides``)."""
    return {
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "ROBOTSTXT_OBEY": True,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": log_level,
        **overrides,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args()
    process = CrawlerProcess(
        plain_settings(args.concurrency, args.log_level), install_root_handler=True
    )
    process.crawl(FloorSpider, base_url=args.base_url)
    process.start()


if __name__ == "__main__":
    main()
