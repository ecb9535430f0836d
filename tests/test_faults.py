"""A crawl of the saved site with every trap switched on at once: the crawl finishes, every
outcome is counted, and live articles = emitted + rejected (with reasons)."""

from __future__ import annotations

import json
import re
from collections import Counter
from urllib.parse import urlsplit

import pytest

from qa_scraper.testing.devserver import FAULTS, DevServer
from qa_scraper.urls import article_id_from_url
from tests.conftest import SITE, load_expected
from tests.crawl_helpers import CrawlResult, run_crawl

pytestmark = pytest.mark.slow  # the tests here read crawls run as subprocesses

EMITTED_DESPITE_FAULT = {"174501": "slow", "174506": "429-once"}
REJECTED_FETCH = {
    "174507": "timeout",
    "174512": "reset",
    "174518": "truncated",
    "174525": "500",
    "174531": "502",
    "174534": "503",
    "174541": "429",
    "174544": "redirect-loop",
    "174549": "redirect-offsite",
    "174571": "redirect-private",
    "174552": "huge",
    "174555": "gzip-bomb",
}
REJECTED_EXTRACTION = {"174560": "bad-html", "174564": "not-html"}
OTHER_TRAPS = {
    "/robots.txt": "500",
    "/sitemap-articles-1.xml": "huge",
    "/sitemap-articles-2.xml": "xml-bomb",
    "/en/article/174532": "soft404",  # a dead "Similar Q&A" link answering 200
}
LIMITS = [
    "-s",
    "QA_MONITOR_MAX_REJECT_SHARE=1",  # most articles are trapped on purpose: no exit 7
    "-s",
    "LOG_LEVEL=DEBUG",
    "-s",
    "DOWNLOAD_TIMEOUT=2",
    "-s",
    "RETRY_TIMES=1",
    "-s",
    "RETRY_AFTER_MAX=1",
    "-s",
    f"DOWNLOAD_MAXSIZE={1024 * 1024}",
    "-s",
    f"DOWNLOAD_WARNSIZE={256 * 1024}",
    "-s",
    f"SITEMAP_MAX_SIZE={64 * 1024}",
]


@pytest.fixture(scope="module")
def trapped_crawl(tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlResult, DevServer]:
    with DevServer(SITE) as server:
        faults = {**EMITTED_DESPITE_FAULT, **REJECTED_FETCH, **REJECTED_EXTRACTION}
        server.site.faults.update({f"/en/article/{key}": value for key, value in faults.items()})
        server.site.faults.update(OTHER_TRAPS)
        assert set(server.site.faults.values()) <= set(FAULTS)
        result = run_crawl(server.base_url, tmp_path_factory.mktemp("faults"), *LIMITS)
    return result, server


def _rejects(result: CrawlResult) -> list[dict]:
    [rejects_file] = result.run_files("*.rejects.ndjson")
    return [json.loads(line) for line in rejects_file.read_text(encoding="utf-8").splitlines()]


def test_the_crawl_finishes(trapped_crawl) -> None:
    result, _ = trapped_crawl
    assert result.returncode == 0, result.log[-3000:]
    assert result.stats["finish_reason"] == "finished"
    assert "Traceback" not in result.log
    assert result.run_files("*.part") == []


def test_live_articles_equal_emitted_plus_rejected(trapped_crawl) -> None:
    result, _ = trapped_crawl
    live = {item["article_id"] for item in load_expected()}
    emitted = Counter(item["article_id"] for item in result.feed_items)
    rejected = Counter(article_id_from_url(record["url"]) for record in _rejects(result))
    assert max(emitted.values()) == 1 and max(rejected.values()) == 1
    assert not set(emitted) & set(rejected)
    assert set(emitted) | set(rejected) == live
    assert set(rejected) == set(REJECTED_FETCH) | set(REJECTED_EXTRACTION)
    assert set(EMITTED_DESPITE_FAULT) <= set(emitted)
    assert result.stats["qa/items_written"] == len(emitted)
    assert result.stats["qa/rejected"] == len(rejected)
    # The run summary (manifest) tells the same story.
    manifest = result.manifest()
    assert manifest["counts"]["new"] == len(emitted)
    assert manifest["counts"]["rejected"] == len(rejected)
    assert manifest["files"]["rejects"]["lines"] == len(rejected)
    assert manifest["stats"]["qa/article_not_found/soft_404"] == 1
    assert manifest["stats"]["qa/redirect_refused/loop"] >= 1


def test_every_rejection_names_its_stage_and_reason(trapped_crawl) -> None:
    result, _ = trapped_crawl
    records = {article_id_from_url(record["url"]): record for record in _rejects(result)}
    for article_id in REJECTED_FETCH:
        assert records[article_id]["stage"] == "fetch"
    for article_id in REJECTED_EXTRACTION:
        assert records[article_id]["stage"] == "extraction"
        assert records[article_id]["item"]["article_id"] == article_id
    assert all(error["message"] for record in records.values() for error in record["errors"])

    def reason(article_id: str) -> str:
        return " ".join(error["message"] for error in records[article_id]["errors"])

    assert "TimeoutError" in reason("174507") or "timed out" in reason("174507").lower()
    assert reason("174525") == "HTTP 500"
    assert reason("174534") == "HTTP 503"
    assert reason("174541") == "HTTP 429"
    assert "offsite" in reason("174549").lower()
    assert "offsite" in reason("174571").lower()
    assert "max" in reason("174552").lower() or "size" in reason("174552").lower()
    assert "Ask Date" in reason("174560")


def test_outcomes_are_counted_in_the_stats(trapped_crawl) -> None:
    result, _ = trapped_crawl
    stats = result.stats
    assert stats["qa/rejected/fetch"] == len(REJECTED_FETCH)
    assert stats["qa/rejected/extraction"] == len(REJECTED_EXTRACTION)
    assert stats["qa/article_not_found/soft_404"] == 1
    assert stats["qa/article_not_found"] == 2  # the soft 404 and the listing's real 404
    assert stats["qa/retry_after/waits"] >= 2  # 429-once, and the 503/429 that never recover
    assert stats["offsite/filtered"] >= 2
    assert stats["qa/fetch_failed/robots"] == 1
    assert stats["qa/fetch_failed/sitemap"] >= 1  # the oversized sitemap


def test_no_request_left_the_host_and_robots_rules_held(trapped_crawl) -> None:
    result, server = trapped_crawl
    fetched = server.site.paths_fetched()
    # Every download Scrapy logged (crawled, retried, failed) was for this server.
    downloads = re.findall(
        r"(?:Crawled \(\d+\)|Retrying|Gave up retrying|Error downloading)"
        r" <GET ([^ >]+)>",
        result.log,
    )
    assert len(downloads) >= len(set(fetched))
    assert {urlsplit(url).netloc for url in downloads} == {urlsplit(server.base_url).netloc}
    # ... and the server saw at least as many requests as Scrapy sent (none went elsewhere).
    assert result.stats["downloader/request_count"] <= len(fetched)
    assert not [path for path in fetched if path.startswith(("/en/search", "/en/member/"))]


def test_retry_after_was_honoured(trapped_crawl) -> None:
    _, server = trapped_crawl
    times = [seen.time for seen in server.site.requests if seen.path == "/en/article/174506"]
    assert len(times) == 2 and times[1] - times[0] >= 1.0
