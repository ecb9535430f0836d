"""The project's field-coverage counters are Spidermon's, key for key and value for value.

qa_scraper.extensions.coverage counts what Spidermon's ``item_scraped`` counts, faster; the
reference here is always Spidermon's own code (its extension's ``item_scraped`` and
``calculate_field_coverage``), run on the same items with the same settings.
"""

from __future__ import annotations

import itertools
import json
from types import SimpleNamespace
from typing import Any

import pytest
import scrapy
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector, StatsCollector
from scrapy.utils.project import get_project_settings
from spidermon.contrib.scrapy.extensions import Spidermon
from spidermon.utils.field_coverage import calculate_field_coverage

from qa_scraper.extensions.coverage import CoverageCounter, FieldCoverageSpidermon
from qa_scraper.pages.article import ArticlePage
from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE, load_expected, saved_page
from tests.crawl_helpers import CrawlResult, run_crawl

EXTENSION = "qa_scraper.extensions.coverage.FieldCoverageSpidermon"


class RecordingStats:
    """A stats collector that keeps every inc_value call, in order."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        assert (count, start) == (1, 0)
        self.calls.append(key)


def spidermon_keys(item: Any, settings: Settings) -> list[str]:
    """The counters Spidermon's own item_scraped increments for ``item``, in order."""
    stats = RecordingStats()
    crawler = SimpleNamespace(settings=settings, stats=stats)
    extension = Spidermon.__new__(Spidermon)
    extension.crawler = crawler
    extension.item_scraped(item, None, SimpleNamespace(crawler=crawler))
    return stats.calls


def spidermon_stats(items: list[Any], settings: Settings) -> dict[str, Any]:
    """What Spidermon's extension leaves in a fresh Scrapy stats collector for ``items``,
    with its coverage rates (``_add_field_coverage_to_stats``, as at spider_closed)."""
    crawler = SimpleNamespace(settings=settings, stats=None, spider=None)
    crawler.stats = MemoryStatsCollector(crawler)
    extension = Spidermon(crawler)
    for item in items:
        extension.item_scraped(item, None, SimpleNamespace(crawler=crawler))
    extension._add_field_coverage_to_stats()
    return crawler.stats.get_stats()


def ours(items: list[Any], settings: Settings, stats_class: type = MemoryStatsCollector) -> Any:
    crawler = SimpleNamespace(settings=settings, stats=None, spider=None)
    crawler.stats = stats_class(crawler)
    extension = FieldCoverageSpidermon(crawler)
    for item in items:
        extension.item_scraped(item, None, SimpleNamespace(crawler=crawler))
    extension._add_field_coverage_to_stats()
    return crawler.stats


def saved_items() -> list[dict[str, Any]]:
    warc = {"file": "x.warc.gz", "offset": 0, "record_id": "<urn:uuid:x>"}
    return [
        dict(page.to_item(), warc=warc if index % 2 else None)
        for index, page in enumerate(
            ArticlePage(item["url"], saved_page(f"/en/article/{item['article_id']}"))
            for item in load_expected()
        )
    ]


class Article(scrapy.Item):
    title = scrapy.Field()
    count = scrapy.Field()
    flag = scrapy.Field()
    nested = scrapy.Field()


def awkward_items() -> list[Any]:
    """Values each coverage setting treats differently: None, falsy (0, False, "", [], {}),
    Spidermon's default skip strings ("N/A", "-"), True next to 1, lists of lists, dicts in
    lists in dicts, a non-dict item type."""
    return [
        {
            "a": None,
            "b": 0,
            "c": False,
            "d": "",
            "e": [],
            "f": {},
            "g": "N/A",
            "h": "-",
            "i": True,
            "j": 1,
            "k": 0.0,
            "l": [[1, [2]], [], None, {"x": None, "y": [{"z": 0}, {"z": ""}]}],
            "m": {"n": {"o": {"p": 1, "q": None}, "r": []}, "s": [{"t": "N/A"}]},
            "u": [{"v": 1, "w": {"x": {"y": 2}}}, "text", 3],
        },
        {"a": "x", "l": [{"x": "filled", "y": []}], "m": {"n": None}, "u": []},
        Article(title="t", count=0, flag=False, nested={"k": [1, {"j": None}]}),
        Article(title=None, count=3),
    ]


GRID = {
    "SPIDERMON_FIELD_COVERAGE_SKIP_NONE": [True, False],
    "SPIDERMON_FIELD_COVERAGE_SKIP_FALSY": [True, False, None],  # None: the setting unset
    "SPIDERMON_FIELD_COVERAGE_SKIP_VALUES": [
        None,
        [],
        [0, "N/A", None, True, [], {"x": 1}, float("nan")],
        '["-", 1, false]',
        "N/A,-",
    ],
    "SPIDERMON_LIST_FIELDS_COVERAGE_LEVELS": [0, 1, 2, 3],
    "SPIDERMON_DICT_FIELDS_COVERAGE_LEVELS": [-1, 0, 1, 2, -2, {"m": 1, "*": 0}, {"m": 0}],
}


def grid_settings():
    project = get_project_settings()
    for values in itertools.product(*GRID.values()):
        settings = project.copy()
        for name, value in zip(GRID, values, strict=True):
            if value is None:
                settings.pop(name, None)  # Spidermon's default for it
            else:
                settings.set(name, value)
        yield dict(zip(GRID, values, strict=True)), settings


def test_every_coverage_setting_counts_as_spidermon_counts() -> None:
    items = awkward_items() + saved_items()[:3]
    configurations = 0
    for described, settings in grid_settings():
        counter = CoverageCounter.from_settings(settings)
        for item in items:
            assert counter.keys(item) == spidermon_keys(item, settings), (described, item)
        configurations += 1
    assert configurations == 2 * 3 * 5 * 4 * 7


def test_the_project_settings_on_the_saved_site() -> None:
    settings = get_project_settings()
    assert settings.getdict("EXTENSIONS")[EXTENSION] == 80
    items = saved_items()
    reference = spidermon_stats(items, settings)
    assert ours(items, settings).get_stats() == reference
    # The nested list paths are there, with their per-entry and per-item rates.
    assert reference["spidermon_item_scraped_count/dict/replies/_items"] == 24
    assert reference["spidermon_item_scraped_count/dict/replies/_items/clinic"] == 13
    assert reference["spidermon_field_coverage/dict/replies/_items/clinic"] == 13 / 24
    assert reference["spidermon_field_coverage/dict/replies/clinic"] == 13 / 25
    assert reference["spidermon_item_scraped_count/dict/asker/name"] == 21
    # 0 is filled, None is not (SPIDERMON_FIELD_COVERAGE_SKIP_NONE), "" / [] are not.
    assert reference["spidermon_item_scraped_count/dict/warc"] == 12


class ForwardingStats(StatsCollector):
    """A collector whose inc_value is its own (e.g. it forwards counters elsewhere)."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.forwarded = 0

    def inc_value(self, key: str, count: int = 1, start: int = 0, spider: Any = None) -> None:
        self.forwarded += 1
        super().inc_value(key, count, start)


def test_a_stats_collector_with_its_own_inc_value_gets_every_increment() -> None:
    settings = get_project_settings()
    items = saved_items()
    stats = ours(items, settings, ForwardingStats)
    assert stats.get_stats() == spidermon_stats(items, settings)
    assert stats.forwarded == sum(len(spidermon_keys(item, settings)) for item in items)


def test_settings_spidermon_fails_on_are_left_to_spidermon() -> None:
    settings = get_project_settings().copy()
    settings.set("SPIDERMON_DICT_FIELDS_COVERAGE_LEVELS", "deep")
    crawler = SimpleNamespace(settings=settings, stats=None, spider=None)
    crawler.stats = MemoryStatsCollector(crawler)
    extension = FieldCoverageSpidermon(crawler)
    assert extension.counter is None
    with pytest.raises(ValueError, match="deep"):  # as Spidermon's own item_scraped
        extension.item_scraped({"a": 1}, None, SimpleNamespace(crawler=crawler))


# --- real crawls of the saved site -----------------------------------------------------------
OTHER_SETTINGS = [
    "-s",
    "SPIDERMON_FIELD_COVERAGE_SKIP_NONE=False",
    "-s",
    "SPIDERMON_FIELD_COVERAGE_SKIP_FALSY=True",
    "-s",
    'SPIDERMON_FIELD_COVERAGE_SKIP_VALUES=["N/A", 0]',
    "-s",
    "SPIDERMON_LIST_FIELDS_COVERAGE_LEVELS=2",
    "-s",
    "SPIDERMON_DICT_FIELDS_COVERAGE_LEVELS=0",
    "-s",
    "QA_MONITOR_COVERAGE_MIN_ITEMS=1000",  # rates on other terms: no fill-rate verdict
]


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> list[CrawlResult]:
    tmp = tmp_path_factory.mktemp("coverage")
    with DevServer(SITE) as server:
        project = run_crawl(server.base_url, tmp, name="project")
        other = run_crawl(
            server.base_url, tmp, *OTHER_SETTINGS, name="other", output_dir=tmp / "other"
        )
    return [project, other]


def _settings_of(extra: list[str]) -> Settings:
    settings = get_project_settings().copy()
    for option in extra[1::2]:
        name, value = option.split("=", 1)
        settings.set(name, value, priority="cmdline")
    return settings


@pytest.mark.slow
@pytest.mark.parametrize(("index", "extra"), [(0, []), (1, OTHER_SETTINGS)])
def test_a_crawl_leaves_the_stats_spidermon_would_have(crawls, index, extra) -> None:
    crawl = crawls[index]
    assert crawl.returncode == 0, crawl.log[-2000:]
    assert EXTENSION in crawl.log  # "Enabled extensions"
    assert len(crawl.feed_items) == 25
    # Spidermon's own counting of the items the crawl delivered (its feed), same settings.
    reference = spidermon_stats(crawl.feed_items, _settings_of(extra))
    spidermon_keys_of = {key for key in reference if key.startswith("spidermon_")}
    crawled = {key: value for key, value in crawl.stats.items() if key.startswith("spidermon_")}
    assert crawled == {key: reference[key] for key in spidermon_keys_of}
    assert any("/_items/" in key for key in crawled)
    assert crawled == {
        **{k: v for k, v in crawled.items() if k.startswith("spidermon_item_scraped_count")},
        **calculate_field_coverage(crawled),
    }
    # The manifest's rates come from these counters.
    manifest = crawl.manifest()
    rate = reference["spidermon_field_coverage/dict/replies/_items/responder_name"]
    assert manifest["coverage"]["replies.responder_name"] == round(rate, 4)


@pytest.mark.slow
def test_the_two_crawls_count_differently(crawls) -> None:
    """The settings reached the crawl: without SKIP_NONE, null asker names are filled."""
    project, other = (crawl.stats for crawl in crawls)
    assert project["spidermon_item_scraped_count/dict/asker/name"] == 21
    assert "spidermon_item_scraped_count/dict/asker/name" not in other  # dict levels 0
    assert other["spidermon_item_scraped_count/dict/more_info"] == 25
    assert json.dumps(project) != json.dumps(other)
