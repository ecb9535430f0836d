"""The garbage collector during a crawl (qa_scraper/extensions/gc_tuning.py, issue 21)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydispatch.dispatcher import getAllReceivers, liveReceivers
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from qa_scraper.extensions import gc_tuning
from qa_scraper.extensions.gc_tuning import GcTuningExtension
from qa_scraper.spiders.doctorqna import DoctorQnASpider
from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE
from tests.crawl_helpers import run_crawl


@pytest.fixture
def untouched_gc() -> Iterator[None]:
    """The test process's collector as it was, whatever the test leaves."""
    thresholds = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    gc_tuning._running.clear()


def _extension(settings: dict) -> GcTuningExtension:
    crawler = get_crawler(DoctorQnASpider, {"QA_OUTPUT_DIR": "", **settings})
    return GcTuningExtension.from_crawler(crawler)


def test_the_start_up_objects_are_frozen_and_the_threshold_raised_while_the_engine_runs(
    untouched_gc: None,
) -> None:
    before = gc.get_threshold()
    extension = _extension({"QA_GC_THRESHOLD": 12345})
    extension.engine_started()
    assert gc.get_freeze_count() > 10_000  # (the test process's modules, at least)
    assert gc.get_threshold() == (12345, *before[1:])
    # (as many as were frozen; some have been freed since, by reference counting)
    assert extension.stats.get_value("gc/frozen_objects") >= gc.get_freeze_count()
    gc.collect()
    extension.spider_closed()
    assert extension.stats.get_value("gc/collections") >= 1  # (the collect() above)
    extension.engine_stopped()
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


def test_it_listens_to_the_engine_and_the_spider() -> None:
    crawler = get_crawler(DoctorQnASpider, {"QA_OUTPUT_DIR": ""})
    extension = GcTuningExtension.from_crawler(crawler)
    for signal, handler in (
        (signals.engine_started, extension.engine_started),
        (signals.spider_closed, extension.spider_closed),
        (signals.engine_stopped, extension.engine_stopped),
    ):
        receivers = liveReceivers(getAllReceivers(crawler.signals.sender, signal))
        assert handler in list(receivers)  # (bound methods compare equal)


def test_a_threshold_below_python_s_own_is_not_applied(untouched_gc: None) -> None:
    before = gc.get_threshold()
    extension = _extension({"QA_GC_THRESHOLD": 10})
    extension.engine_started()
    assert gc.get_threshold() == before
    extension.engine_stopped()


def test_a_threshold_beyond_what_gc_accepts_is_its_largest(untouched_gc: None) -> None:
    before = gc.get_threshold()
    extension = _extension({"QA_GC_THRESHOLD": 10**15})
    extension.engine_started()
    assert gc.get_threshold() == (2**31 - 1, *before[1:])
    extension.engine_stopped()
    assert gc.get_threshold() == before


def test_crawls_running_at_once_the_first_tunes_and_the_last_restores(untouched_gc: None) -> None:
    before = gc.get_threshold()
    first, second = _extension({"QA_GC_THRESHOLD": 5000}), _extension({"QA_GC_THRESHOLD": 9000})
    first.engine_started()
    second.engine_started()
    assert gc.get_threshold() == (5000, *before[1:])  # the first one's
    first.engine_stopped()
    assert gc.get_threshold() == (5000, *before[1:]) and gc.get_freeze_count() > 0  # still on
    second.engine_stopped()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    first.engine_started()  # a later crawl of the same process starts from Python's own
    assert gc.get_threshold() == (5000, *before[1:])
    first.engine_stopped()
    assert gc.get_threshold() == before


def test_turned_off_it_is_not_configured_and_an_engine_stop_alone_changes_nothing(
    untouched_gc: None,
) -> None:
    crawler = get_crawler(DoctorQnASpider, {"QA_GC_TUNING": False})
    with pytest.raises(NotConfigured):
        GcTuningExtension.from_crawler(crawler)
    before = gc.get_threshold()
    _extension({}).engine_stopped()  # never started
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


@pytest.mark.slow
def test_a_real_crawl_runs_with_the_collector_tuned(tmp_path: Path) -> None:
    with DevServer(SITE) as server:
        result = run_crawl(server.base_url, tmp_path)
    assert result.returncode == 0, result.log[-3000:]
    assert len(result.feed_items) == 25
    assert result.stats["gc/frozen_objects"] > 50_000  # Scrapy, Twisted, lxml...
    assert 0 <= result.stats["gc/collections"] < 10  # (one every 20,000 new objects)
