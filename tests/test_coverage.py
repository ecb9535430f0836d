"""The project's field-coverage counters are Spidermon's, key for key and value for value.

qa_scraper.extensions.coverage counts what Spidermon's ``item_scraped`` counts, faster; the
reference here is always Spidermon's own code (its extension's ``item_scraped`` and
``calculate_field_coverage``), run on the same items with the same settings.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
import scrapy
from scrapy import signals
from scrapy.settings import Settings
from scrapy.signalmanager import SignalManager
from scrapy.statscollectors import MemoryStatsCollector, StatsCollector
from scrapy.utils.project import get_project_settings
from spidermon import Monitor, MonitorSuite
from spidermon.contrib.scrapy.extensions import Spidermon
from spidermon.utils.field_coverage import calculate_field_coverage

from qa_scraper.extensions.coverage import CoverageCounter, FieldCoverageSpidermon, skip_values
from qa_scraper.pages.article import ArticlePage
from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE, load_expected, saved_page
from tests.crawl_helpers import PROJECT, CrawlResult, run_crawl

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
    extension.spider_closed(None)
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


@pytest.mark.slow  # seconds: every combination of the coverage settings
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


class CloseSuite(MonitorSuite):
    """A Spidermon suite of Spidermon's own extension (SPIDERMON_SPIDER_CLOSE_MONITORS)."""

    seen: ClassVar[list[int]] = []

    class Seen(Monitor):
        def test_seen(self) -> None:
            CloseSuite.seen.append(self.data.stats["spidermon_item_scraped_count"])

    monitors: ClassVar[list[type]] = [Seen]


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


def crawler_for(settings: Settings) -> Any:
    """What an extension reads of a crawler: settings, stats, signals (no reactor)."""
    crawler = SimpleNamespace(settings=settings, stats=None, spider=None)
    crawler.stats = MemoryStatsCollector(crawler)
    crawler.signals = SignalManager(crawler)
    crawler.spider = scrapy.Spider(name="doctorqna")
    crawler.spider.crawler = crawler
    return crawler


def scrape(crawler: Any, items: list[Any]) -> dict[str, Any]:
    for item in items:
        crawler.signals.send_catch_log(
            signals.item_scraped, item=item, response=None, spider=crawler.spider
        )
    crawler.signals.send_catch_log(signals.spider_closed, spider=crawler.spider, reason="x")
    return crawler.stats.get_stats()


def test_settings_spidermon_fails_on_are_left_to_spidermon() -> None:
    settings = get_project_settings().copy()
    settings.set("SPIDERMON_DICT_FIELDS_COVERAGE_LEVELS", "deep")
    crawler = crawler_for(settings)
    extension = FieldCoverageSpidermon.from_crawler(crawler)
    assert extension.counter is None and isinstance(extension.spidermon, Spidermon)
    with pytest.raises(ValueError, match="deep"):  # as Spidermon's own item_scraped
        extension.spidermon.item_scraped({"a": 1}, None, crawler.spider)
    assert scrape(crawler, saved_items()[:2]).get("spidermon_item_scraped_count") is None


def test_spidermons_own_suites_load_its_extension_and_items_are_counted_once() -> None:
    settings = get_project_settings().copy()
    settings.set("SPIDERMON_SPIDER_CLOSE_MONITORS", ["tests.test_coverage.CloseSuite"])
    crawler = crawler_for(settings)
    extension = FieldCoverageSpidermon.from_crawler(crawler)
    assert isinstance(extension.spidermon, Spidermon) and extension.counter is not None
    items = saved_items()
    CloseSuite.seen.clear()
    stats = scrape(crawler, items)
    assert {k: v for k, v in stats.items() if k.startswith("spidermon_")} == {
        k: v for k, v in spidermon_stats(items, settings).items() if k.startswith("spidermon_")
    }
    # Spidermon's suite ran at close, on the counters and rates.
    assert CloseSuite.seen == [25]


@pytest.mark.slow
def test_the_project_settings_do_not_load_spidermons_extension_nor_its_email_action() -> None:
    """Spidermon's extension module imports jsonschema (≈ 0.15 s at every start): only
    Spidermon's own monitor suites need it, and the project runs its monitors itself. Its
    e-mail action (premailer, requests: ≈ 0.1 s) is for a configured e-mail alert only."""
    code = (
        "import sys\n"
        "from scrapy.utils.project import get_project_settings\n"
        "from scrapy.signalmanager import SignalManager\n"
        "from scrapy.statscollectors import MemoryStatsCollector\n"
        "from types import SimpleNamespace\n"
        "from qa_scraper.extensions.coverage import FieldCoverageSpidermon\n"
        "from qa_scraper.extensions.monitoring import RunMonitorExtension\n"
        "from qa_scraper.extensions.alerts import alert_actions\n"
        "crawler = SimpleNamespace(settings=get_project_settings())\n"
        "crawler.stats = MemoryStatsCollector(crawler)\n"
        "crawler.signals = SignalManager(crawler)\n"
        "assert FieldCoverageSpidermon.from_crawler(crawler).spidermon is None\n"
        "assert alert_actions(crawler.settings) == []\n"
        "print(sorted(m for m in sys.modules if m.startswith(('jsonschema.', 'spidermon.python',"
        " 'spidermon.contrib.scrapy.extensions', 'spidermon.contrib.actions.email',"
        " 'premailer'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_skip_values_are_read_as_spidermon_reads_them() -> None:
    extension = Spidermon.__new__(Spidermon)
    for value in [*GRID["SPIDERMON_FIELD_COVERAGE_SKIP_VALUES"], "", "[1, 2", '{"a": 1}', ("x",)]:
        settings = Settings({"SPIDERMON_FIELD_COVERAGE_SKIP_VALUES": value})
        if value is None:
            settings = Settings()
        assert repr(skip_values(settings)) == repr(extension._get_skip_values_list(settings))


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
