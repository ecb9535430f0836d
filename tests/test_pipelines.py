"""Pipelines: invalid items go to the rejects file with reasons, duplicates are dropped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import DropItem
from scrapy.extension import ExtensionManager
from scrapy.utils.test import get_crawler

from qa_scraper import settings as project_settings
from qa_scraper.delivery.rejects import Rejected
from qa_scraper.extensions.crawl_run import CrawlRunExtension
from qa_scraper.pages.article import ArticlePage
from qa_scraper.pipelines import (
    ChangeDetectionPipeline,
    DeduplicationPipeline,
    RunOutputPipeline,
    ValidationPipeline,
)
from qa_scraper.spiders.doctorqna import DoctorQnASpider
from tests.conftest import load_expected, saved_page


def _item(index: int = 0) -> dict[str, Any]:
    expected = load_expected()[index]
    return ArticlePage(
        expected["url"], saved_page(f"/en/article/{expected['article_id']}")
    ).to_item()


PROJECT_SETTINGS = {name: value for name, value in vars(project_settings).items() if name.isupper()}


def _crawler(settings: dict[str, Any]):
    crawler = get_crawler(DoctorQnASpider, {**PROJECT_SETTINGS, **settings})
    crawler.spider = DoctorQnASpider.from_crawler(crawler, base_url="http://127.0.0.1:8123/")
    crawler.extensions = ExtensionManager.from_crawler(crawler)  # opens the run
    crawler.stats.open_spider()
    return crawler


@pytest.fixture()
def crawler(tmp_path: Path):
    return _crawler({"QA_OUTPUT_DIR": str(tmp_path)})


PIPELINES = (ValidationPipeline, DeduplicationPipeline, ChangeDetectionPipeline, RunOutputPipeline)


def _run(crawler, items: list[Any]) -> tuple[list[Any], list[str]]:
    """Every item through the pipelines in settings order, then the run is closed."""
    chain = [pipeline.from_crawler(crawler) for pipeline in PIPELINES]
    passed, dropped = [], []
    for item in items:
        try:
            for pipeline in chain:
                item = pipeline.process_item(item)
            passed.append(item)
        except DropItem as drop:
            dropped.append(str(drop))
    extension = crawler.get_extension(CrawlRunExtension)
    if extension is not None:
        extension.run.close("finished", crawler.stats.get_stats())
    return passed, dropped


def test_valid_items_are_written_and_invalid_ones_rejected_with_reasons(crawler, tmp_path):
    good, bad = _item(0), _item(1)
    bad["question"]["asked_on"] = "18/06/2020"
    bad["asker"]["gender"] = "unknown"
    passed, dropped = _run(crawler, [good, bad])

    assert passed == [good]
    assert len(dropped) == 1 and "validation rejected" in dropped[0]
    [items_file] = (tmp_path / "doctorqna").glob("*Z.jsonl")
    [rejects_file] = (tmp_path / "doctorqna").glob("*.rejects.ndjson")
    assert [json.loads(line) for line in items_file.read_text().splitlines()] == [good]
    [reject] = [json.loads(line) for line in rejects_file.read_text().splitlines()]
    assert reject["url"] == bad["url"]
    assert reject["stage"] == "validation"
    assert reject["item"] == bad
    assert {error["path"] for error in reject["errors"]} == {"asker/gender", "question/asked_on"}
    assert crawler.stats.get_value("qa/rejected/validation") == 1
    assert crawler.stats.get_value("qa/items_written") == 1
    assert list((tmp_path / "doctorqna").glob("*.part")) == []


def test_duplicate_article_ids_are_dropped_and_counted(crawler, tmp_path):
    item = _item(0)
    passed, dropped = _run(crawler, [item, dict(item, scraped_at="2026-01-01T00:00:00Z")])
    assert passed == [item]
    assert dropped == [f"duplicate article_id {item['article_id']} ({item['url']})"]
    assert crawler.stats.get_value("qa/duplicates") == 1


def test_extraction_and_fetch_rejects_are_written_not_lost(crawler, tmp_path):
    rejected = [
        Rejected(
            "http://h/en/article/1",
            "extraction",
            [{"path": "question/asked_on", "message": "no 'Ask Date:' label on the page"}],
            {"article_id": "1"},
        ),
        Rejected("http://h/en/article/2", "fetch", [{"path": "(page)", "message": "HTTP 500"}]),
    ]
    passed, dropped = _run(crawler, rejected)
    assert passed == []
    assert len(dropped) == 2
    [rejects_file] = (tmp_path / "doctorqna").glob("*.rejects.ndjson")
    records = [json.loads(line) for line in rejects_file.read_text().splitlines()]
    assert records == [reject.as_record() for reject in rejected]
    assert crawler.stats.get_value("qa/rejected") == 2
    assert crawler.stats.get_value("qa/rejected/fetch") == 1


def test_no_default_output_when_disabled(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    crawler = _crawler({"QA_OUTPUT_DIR": ""})
    assert crawler.get_extension(CrawlRunExtension) is None  # NotConfigured: no run files
    passed, _ = _run(crawler, [_item(0)])
    assert len(passed) == 1
    assert list(tmp_path.iterdir()) == []
