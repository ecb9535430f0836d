"""End to end: the spider crawls the saved site served on 127.0.0.1 by the dev server."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from qa_scraper.delivery.validation import item_errors
from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE, assert_items_equal, load_expected, without_run_fields
from tests.crawl_helpers import PROJECT, CrawlResult, run_crawl

pytestmark = pytest.mark.slow  # the tests here read crawls run as subprocesses

DISALLOWED_PREFIXES = ("/en/search", "/en/member/")


@pytest.fixture(scope="module", params=["sitemaps", "full"])
def crawl(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[CrawlResult, DevServer]:
    """A first crawl of the saved site, with each discovery mode."""
    with DevServer(SITE) as server:
        result = run_crawl(
            server.base_url, tmp_path_factory.mktemp("crawl"), "-a", f"discovery={request.param}"
        )
        result.discovery = request.param
    return result, server


def test_crawl_finishes_cleanly(crawl: tuple[CrawlResult, DevServer]) -> None:
    result, _ = crawl
    assert result.returncode == 0, result.log[-3000:]
    assert "Traceback" not in result.log
    assert result.stats["finish_reason"] == "finished"
    assert "log_count/ERROR" not in result.stats


def test_every_live_article_is_emitted_once_and_equals_its_expected_item(
    crawl: tuple[CrawlResult, DevServer],
) -> None:
    result, server = crawl
    expected = {item["article_id"]: item for item in load_expected(server.base_url)}
    counts = Counter(item["article_id"] for item in result.feed_items)
    assert counts == Counter(dict.fromkeys(expected, 1))
    for item in result.feed_items:
        assert_items_equal(
            without_run_fields(item),
            expected[item["article_id"]],
            f"crawled article {item['article_id']}",
        )


def test_every_emitted_item_validates(crawl: tuple[CrawlResult, DevServer]) -> None:
    result, _ = crawl
    assert result.feed_items
    assert all(item_errors(item) == [] for item in result.feed_items)


def test_robots_txt_is_obeyed_and_the_crawl_stays_on_the_site(
    crawl: tuple[CrawlResult, DevServer],
) -> None:
    result, server = crawl
    fetched = server.site.paths_fetched()
    assert "/robots.txt" in fetched
    assert [path for path in fetched if path.startswith(DISALLOWED_PREFIXES)] == []
    # Every request Scrapy downloaded reached this server: none went anywhere else.
    assert result.stats["downloader/request_count"] == len(fetched)


def test_each_article_is_requested_once_by_its_canonical_url(
    crawl: tuple[CrawlResult, DevServer],
) -> None:
    _, server = crawl
    article_gets = Counter(
        path for path in server.site.paths_fetched() if path.startswith("/en/article/")
    )
    assert all("?" not in path for path in article_gets)
    flaky = "/en/article/174589"
    assert article_gets.pop(flaky) == 2  # 503 once, retried once
    assert set(article_gets.values()) == {1}
    assert not [path for path in server.site.paths_fetched() if path.startswith("/article.php")]


def test_404_links_are_counted_not_errors(crawl: tuple[CrawlResult, DevServer]) -> None:
    result, server = crawl
    # 174532 is a dead "Similar Q&A" link; 174584 a dead link on a department listing, which
    # only the full walk reads.
    assert result.stats["qa/article_not_found"] == {"sitemaps": 1, "full": 2}[result.discovery]
    assert "Article not found (HTTP 404): " + server.base_url + "en/article/174532" in result.log
    assert result.stats["retry/reason_count/503 Service Unavailable"] == 1
    assert result.stats["qa/retry_after/waits"] == 1  # the 503 said "Retry-After: 1"
    flaky = [seen.time for seen in server.site.requests if seen.path == "/en/article/174589"]
    assert flaky[1] - flaky[0] >= 1.0


def test_sitemap_discovery_reads_no_department_listing_and_no_faq_page(
    crawl: tuple[CrawlResult, DevServer],
) -> None:
    result, server = crawl
    paths = server.site.paths_fetched()
    navigation = [p for p in paths if p.startswith(("/en/department", "/en/faq"))]
    if result.discovery == "full":
        assert navigation
        return
    assert navigation == []
    articles = [p for p in paths if p.startswith("/en/article/")]
    # Every article once (+ the flaky one's retry, + the dead Similar Q&A link); robots.txt
    # (read by the spider for its Sitemap lines and by Scrapy's RobotsTxtMiddleware), the
    # sitemap index and its two sitemaps, the first page of /en/latest.
    assert len(articles) == 25 + 1 + 1
    assert sorted(set(paths) - set(articles)) == [
        "/en/latest",
        "/robots.txt",
        "/sitemap-articles-1.xml",
        "/sitemap-articles-2.xml",
        "/sitemap.xml",
    ]
    assert len(paths) - len(articles) == 2 + 3 + 1


def test_run_output_files_are_complete_and_renamed(crawl: tuple[CrawlResult, DevServer]) -> None:
    result, _ = crawl
    assert result.run_files("*.part") == []
    [items_file] = result.run_files("*.jsonl")  # the items' glob takes no other file
    [rejects_file] = result.run_files("*.rejects.ndjson")
    lines = items_file.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 25
    run_id = result.stats["qa/run_id"]
    assert {json.loads(line)["run_id"] for line in lines} == {run_id}  # on every row
    assert {item["run_id"] for item in result.feed_items} == {run_id}
    head = subprocess.run(
        ["git", "-C", str(PROJECT), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    code = result.manifest()["code_version"]
    assert code["package"] == "0.1.0"
    assert code["git_commit"].startswith(head) if head else code["git_commit"] is None
    assert {json.loads(line)["article_id"] for line in lines} == {
        item["article_id"] for item in result.feed_items
    }
    assert rejects_file.read_text(encoding="utf-8") == ""
    assert result.stats["qa/items_written"] == 25
    assert "qa/rejected" not in result.stats


def test_legacy_and_tracking_start_links_reach_the_canonical_article(tmp_path: Path) -> None:
    """A /article.php?id=N link is followed through the site's 301 when met as is."""
    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    from qa_scraper.spiders.doctorqna import DoctorQnASpider

    crawler = get_crawler(DoctorQnASpider, {"QA_OUTPUT_DIR": ""})
    spider = DoctorQnASpider.from_crawler(crawler, base_url="http://127.0.0.1:9/", discovery="full")
    body = (
        b"<a href='/article.php?id=174507'>x</a>"
        b"<a href='/en/article/174501?utm_source=a&utm_medium=b#c'>y</a>"
        b"<a href='https://evil.example/en/article/9'>z</a>"
        b"<a href='/en/search?q=x'>s</a><a href='/en/department/neurology?page=2'>n</a>"
    )
    response = HtmlResponse(
        "http://127.0.0.1:9/en/latest", body=body, request=Request("http://127.0.0.1:9/en/latest")
    )
    urls = [request.url for request in spider.parse_navigation(response)]
    assert urls == [
        "http://127.0.0.1:9/en/article/174507",
        "http://127.0.0.1:9/en/article/174501",
        "http://127.0.0.1:9/en/department/neurology?page=2",
    ]
    assert spider.allowed_domains == ["127.0.0.1"]
    assert crawler.stats.get_value("qa/offsite_refused/article") == 1  # evil.example


def test_a_site_that_reads_fine_is_never_rendered(crawl: tuple[CrawlResult, DevServer]) -> None:
    """render=auto (the default): no page of the saved site needs Chromium, none starts."""
    result, _ = crawl
    assert not [key for key in result.stats if key.startswith(("qa/render/", "playwright/"))]
    assert result.manifest()["render"]["pages"] == 0
