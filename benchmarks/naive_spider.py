"""The baseline: a naive class-name spider, as anyone would first write it.

    python benchmarks/naive_spider.py BASE_URL OUT.jsonl [--concurrency 16]

A plain ``scrapy.Spider`` run by ``CrawlerProcess`` with its own minimal settings
(no project settings, pipelines, extensions or middlewares; no validation, no
state, no accounting): robots.txt → sitemaps → articles, plus the home page →
listings (``rel=next``) → articles, Scrapy's dupefilter keeping each URL to one
request. Fields are read by the saved markup's CSS class names; items go to
JSONL through Scrapy's feed exporter.
"""

from __future__ import annotations

import argparse
import re
from urllib.parse import urljoin

import scrapy
from floor_spider import plain_settings  # (benchmarks/, this script's folder)
from scrapy.crawler import CrawlerProcess
from scrapy.utils.sitemap import Sitemap

_WS = re.compile(r"\s+")


def text(sel: scrapy.Selector | scrapy.selector.SelectorList) -> str:
    """All text under the selection, white space collapsed."""
    return _WS.sub(" ", " ".join(sel.css("::text").getall())).strip()


def lines(sel: scrapy.Selector | scrapy.selector.SelectorList) -> str:
    """Text with <br>/<p> as line breaks."""
    parts = [
        _WS.sub(" ", t).strip()
        for t in sel.xpath(".//text()[not(ancestor::script or ancestor::style)]").getall()
    ]
    return "\n".join(p for p in parts if p)


def ymd(value: str) -> str | None:
    m = re.search(r"(\d{4})/(\d{1,2})/(\d{1,2})", value or "")
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else None


class NaiveSpider(scrapy.Spider):
    name = "naive"

    def __init__(self, base_url: str, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        self.allowed_domains = [re.sub(r"^https?://([^/:]+).*$", r"\1", base_url)]

    async def start(self):
        yield scrapy.Request(self.base_url + "/robots.txt", callback=self.parse_robots)
        yield scrapy.Request(self.base_url + "/en/", callback=self.parse_listing)

    def parse_robots(self, response):
        for line in response.text.splitlines():
            if line.lower().startswith("sitemap:"):
                yield scrapy.Request(line.split(":", 1)[1].strip(), callback=self.parse_sitemap)

    def parse_sitemap(self, response):
        sitemap = Sitemap(response.body)
        for entry in sitemap:
            if sitemap.type == "sitemapindex":
                yield scrapy.Request(entry["loc"], callback=self.parse_sitemap)
            elif "/en/article/" in entry["loc"]:
                yield scrapy.Request(entry["loc"], callback=self.parse_article)

    def parse_listing(self, response):
        for href in response.css(".link-list a::attr(href)").getall():
            yield response.follow(href, callback=self.parse_listing)
        for href in response.css("a.question-link::attr(href)").getall():
            yield response.follow(href.split("?")[0], callback=self.parse_article)
        for href in response.css("a[rel=next]::attr(href)").getall():
            yield response.follow(href, callback=self.parse_listing)

    def parse_article(self, response):
        url = response.css("link[rel=canonical]::attr(href)").get() or response.url
        asker = text(response.css(".asker-info"))
        who = re.match(r"\s*(.*?),\s*(\d+)~(\d+) year old (\w+)", asker)
        replies = []
        for box in response.css(".reply-box"):
            body = box.css(".reply-text")
            replies.append(
                {
                    "responder_title": text(box.css(".reply-header .doctor-title")),
                    "responder_name": text(box.css(".reply-header .doctor-name")),
                    "department": text(box.css(".reply-header .reply-dept")),
                    "text": lines(body),
                    "replied_on": ymd(text(box.css(".reply-date"))),
                }
            )
        similar = []
        for entry in response.css(".similar-qa .similar-item"):
            href = entry.css("h3 a::attr(href)").get()
            similar.append(
                {
                    "article_id": (re.findall(r"\d+", href or "") or [None])[-1],
                    "url": urljoin(response.url, href) if href else None,
                    "title": text(entry.css("h3")),
                    "question_excerpt": text(entry.css(".similar-question")),
                    "answer_excerpt": text(entry.css(".similar-answer")) or None,
                    "responder_title": text(entry.css(".doctor-title")) or None,
                    "responder_name": text(entry.css(".doctor-name")) or None,
                    "department": text(entry.css(".reply-dept")) or None,
                }
            )
        faqs = [
            {
                "topic": text(li.css("a")),
                "department": text(li.css(".faq-dept")).strip("()"),
                "url": urljoin(response.url, li.css("a::attr(href)").get()),
            }
            for li in response.css(".related-faq li")
        ]
        breadcrumb = response.css(".breadcrumb a::text").getall()
        yield {
            "source": "doctorqna",
            "url": url,
            "article_id": url.rstrip("/").rsplit("/", 1)[-1],
            "language": "en",
            "title": text(response.css(".article-header h1")).rsplit(" - ", 1)[0],
            "department": breadcrumb[-1] if breadcrumb else None,
            "question": {
                "title": text(response.css(".question-title")),
                "text": lines(response.css(".question-text")),
                "asked_on": ymd(text(response.css(".ask-date"))),
            },
            "asker": {
                "name": who.group(1) if who else None,
                "age_min": int(who.group(2)) if who else None,
                "age_max": int(who.group(3)) if who else None,
                "gender": who.group(4) if who else None,
            },
            "replies": replies,
            "more_info": lines(response.css(".more-info p")) or None,
            "similar_questions": similar,
            "related_faqs": faqs,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url")
    parser.add_argument("out", help="JSONL file to write")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args()
    feed = {args.out: {"format": "jsonlines", "encoding": "utf-8", "overwrite": True}}
    process = CrawlerProcess(
        plain_settings(args.concurrency, args.log_level, ROBOTSTXT_OBEY=False, FEEDS=feed),
        install_root_handler=True,
    )
    process.crawl(NaiveSpider, base_url=args.base_url)
    process.start()


if __name__ == "__main__":
    main()
