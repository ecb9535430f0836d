"""The run extension's answer to the spider's one question, without a crawl: should this
article be requested, and how (plain, conditional, deferred, skipped)?"""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.extension import ExtensionManager
from scrapy.utils.test import get_crawler

from qa_scraper import settings as project_settings
from qa_scraper.delivery.state import CrawlState, utc_now
from qa_scraper.extensions.crawl_run import Action, CrawlRunExtension
from qa_scraper.spiders.doctorqna import DoctorQnASpider

SETTINGS = {name: value for name, value in vars(project_settings).items() if name.isupper()}
BASE = "http://127.0.0.1:8123/"


def seed_state(path: Path, lastmod: str, last_seen: str) -> None:
    """A state that delivered article 1 (ETag "a", sitemap lastmod ``lastmod``)."""
    state = CrawlState(path)
    state.start_run("r0", BASE, "incremental", None)
    state.stage(
        "r0",
        "1",
        url=BASE + "en/article/1",
        status="200",
        etag='"a"',
        last_modified="Tue, 24 Nov 2026 10:00:00 GMT",
        content_hash="h",
        sitemap_lastmod=lastmod,
        change="new",
    )
    state.commit_run("r0")
    state.finish_run("r0")
    state.db.execute("UPDATE articles SET last_seen = ?", (last_seen,))
    state.close()


def extension(tmp_path: Path, mode: str = "incremental", **settings) -> CrawlRunExtension:
    crawler = get_crawler(DoctorQnASpider, {**SETTINGS, "QA_OUTPUT_DIR": str(tmp_path), **settings})
    crawler.spider = DoctorQnASpider.from_crawler(crawler, base_url=BASE, mode=mode)
    crawler.extensions = ExtensionManager.from_crawler(crawler)
    return crawler.get_extension(CrawlRunExtension)


@pytest.fixture()
def state_path(tmp_path: Path) -> Path:
    path = tmp_path / "doctorqna" / "state.sqlite3"
    path.parent.mkdir()
    seed_state(path, lastmod="2026-11-01", last_seen=utc_now())  # confirmed live just now
    return path


def test_an_unknown_article_is_fetched_plainly(tmp_path: Path, state_path: Path) -> None:
    plan = extension(tmp_path).plan_article("2", None, found_on_page=True)
    assert plan.action is Action.FETCH and plan.headers == {} and not plan.conditional


def test_a_known_article_met_on_a_page_waits_for_the_sitemaps(tmp_path, state_path) -> None:
    assert extension(tmp_path).plan_article("1", None, True).action is Action.DEFER


def test_an_unmoved_lastmod_skips_a_recently_confirmed_article(tmp_path, state_path) -> None:
    run = extension(tmp_path)
    assert run.plan_article("1", "2026-11-01", False).action is Action.SKIP
    assert run.stats.get_value("qa/unchanged/skipped_by_lastmod") == 1


def test_a_moved_lastmod_is_a_conditional_request(tmp_path, state_path) -> None:
    plan = extension(tmp_path).plan_article("1", "2026-11-24", False)
    assert plan.action is Action.FETCH and plan.conditional
    assert plan.headers == {
        "If-None-Match": '"a"',
        "If-Modified-Since": "Tue, 24 Nov 2026 10:00:00 GMT",
    }


def test_a_stale_article_is_re_checked_despite_its_lastmod(tmp_path, state_path) -> None:
    run = extension(tmp_path, QA_REVALIDATE_AFTER_DAYS=0)
    plan = run.plan_article("1", "2026-11-01", False)
    assert plan.action is Action.FETCH and plan.conditional


def test_full_mode_fetches_everything_plainly(tmp_path, state_path) -> None:
    plan = extension(tmp_path, mode="full").plan_article("1", "2026-11-01", True)
    assert plan.action is Action.FETCH and not plan.conditional


def test_no_run_files_no_extension(tmp_path: Path) -> None:
    crawler = get_crawler(DoctorQnASpider, {**SETTINGS, "QA_OUTPUT_DIR": ""})
    crawler.spider = DoctorQnASpider.from_crawler(crawler, base_url=BASE)
    crawler.extensions = ExtensionManager.from_crawler(crawler)
    assert crawler.get_extension(CrawlRunExtension) is None
    assert crawler.spider.run is None
