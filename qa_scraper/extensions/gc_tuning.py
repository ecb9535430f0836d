"""Python's cyclic garbage collector, tuned for a crawl (issue 21).

A crawl starts by importing Scrapy, Twisted, lxml, jsonschema and Spidermon: a few hundred
thousand objects that live as long as the process. Python's collector walks all of them on
every full collection, and its default first-generation threshold (700 allocations) makes it
run hundreds of times in a 1,500-article crawl (measured: ~0.5 s CPU, 5 % of the crawl).

So, once the engine has started:

- ``gc.freeze()`` moves everything alive then into the permanent generation, which the
  collector never walks (what CPython's documentation advises for long-lived processes);
  their memory is still freed by reference counting;
- the first-generation threshold is raised to ``QA_GC_THRESHOLD`` (a few thousand extra young
  objects wait for a collection: a few hundred kB at most).

Both are undone when the engine stops (``gc.unfreeze()``, the thresholds as they were), so a
process that runs several crawls, or a test process, is left as it was found (crawls running
at once in one process: the first to start tunes, the last to stop restores). A threshold
below Python's own (700) is not applied.
``QA_GC_TUNING = False`` turns it off. Stats: ``gc/frozen_objects`` (how many were frozen) and
``gc/collections`` (collections during the crawl, all generations).
"""

from __future__ import annotations

import gc

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector


class GcTuningExtension:
    def __init__(self, threshold: int, stats: StatsCollector) -> None:
        self.threshold = threshold
        self.stats = stats
        self._collections_before = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GcTuningExtension:
        if not crawler.settings.getbool("QA_GC_TUNING", True):
            raise NotConfigured("QA_GC_TUNING is off")
        extension = cls(crawler.settings.getint("QA_GC_THRESHOLD", 20_000), crawler.stats)
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_started(self) -> None:
        global _thresholds_before  # noqa: PLW0603 (the collector is the process's: one state)
        _running.append(self)
        if len(_running) == 1:  # the first crawl of the process to start tunes it
            _thresholds_before = gc.get_threshold()
            gc.collect()  # what start-up left as garbage is not frozen with the rest
            gc.freeze()
            first, *older = _thresholds_before
            # (at most what gc accepts, a C int: a bigger QA_GC_THRESHOLD means "never", as that)
            gc.set_threshold(min(max(first, self.threshold), _MOST), *older)
        self.stats.set_value("gc/frozen_objects", gc.get_freeze_count())
        self._collections_before = _collections()

    def spider_closed(self) -> None:
        if self in _running:  # (before the stats are logged and kept)
            self.stats.set_value("gc/collections", _collections() - self._collections_before)

    def engine_stopped(self) -> None:
        if self not in _running:
            return
        _running.remove(self)
        if not _running and _thresholds_before is not None:  # the last one restores it
            gc.set_threshold(*_thresholds_before)
            gc.unfreeze()


# The crawls of this process whose engine runs (a CrawlerProcess may run several at once), and
# the collector's thresholds before the first of them started.
_running: list[GcTuningExtension] = []
_thresholds_before: tuple[int, int, int] | None = None
_MOST = 2**31 - 1


def _collections() -> int:
    return sum(generation["collections"] for generation in gc.get_stats())
