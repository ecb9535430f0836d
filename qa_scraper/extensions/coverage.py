"""Spidermon's field-coverage counters, at a fraction of their cost (issue 21).

Spidermon's extension (``SPIDERMON_ADD_FIELD_COVERAGE``) counts, for every scraped
item, which fields are filled: the stats ``spidermon_item_scraped_count/<type>/<path>``
that its field-coverage monitors and :func:`calculate_field_coverage` read. Its
``item_scraped`` reads five settings, wraps every nested dict in an ``ItemAdapter``,
compares every value with each skip value in a generator and calls
``stats.inc_value`` (a wrapped method) once per counter: ≈ 0.2 ms an article here.

:class:`CoverageCounter` makes the same walk with the settings read once, the skip
values sorted by type (one dict lookup and, for ``str``/``int``/..., one set lookup
a value) and the counters added to the stats dict directly. It honours every
Spidermon coverage setting (``SPIDERMON_FIELD_COVERAGE_SKIP_NONE`` / ``_SKIP_FALSY`` /
``_SKIP_VALUES``, ``SPIDERMON_LIST_FIELDS_COVERAGE_LEVELS``,
``SPIDERMON_DICT_FIELDS_COVERAGE_LEVELS`` as a number or per field) the way
``Spidermon._count_item`` does; a test compares both on the saved site, key for key.
:class:`FieldCoverageSpidermon` takes the place of Spidermon's extension in ``EXTENSIONS``:
it counts with that counter and adds Spidermon's coverage rates to the stats at close
(``calculate_field_coverage``). Spidermon's extension itself (whose module imports
``jsonschema``, ≈ 0.15 s at start-up, through its expression monitors) is loaded only when
one of its own monitor suites is configured (``SPIDERMON_SPIDER_OPEN_MONITORS`` ...; the
project runs its monitors itself, :mod:`qa_scraper.extensions.monitoring`) or when the
coverage settings are ones Spidermon's counting fails on; it then runs them as before.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector
from spidermon.utils.field_coverage import calculate_field_coverage

ITEM_COUNT = "spidermon_item_scraped_count"
# Types whose skip values can go in a set: hashing and == mean the same as Spidermon's
# ``type(value) is type(skip) and value == skip`` (NaN, never equal, stays in a tuple).
_ATOMIC = (str, int, float, bool, bytes, type(None))


class CoverageCounter:
    """Spidermon's ``_count_item`` for one set of coverage settings, without its overhead."""

    def __init__(
        self,
        skip_none: bool,
        skip_falsy: bool,
        skip_values: list[Any],
        list_levels: int,
        dict_levels: int | dict[str, Any],
    ) -> None:
        self.skip_none = skip_none
        self.skip_falsy = skip_falsy
        by_type: dict[type, list[Any]] = {}
        for value in skip_values:
            by_type.setdefault(type(value), []).append(value)
        self.skips: dict[type, frozenset[Any] | tuple[Any, ...]] = {
            kind: frozenset(values)
            if kind in _ATOMIC and not any(isinstance(v, float) and math.isnan(v) for v in values)
            else tuple(values)
            for kind, values in by_type.items()
        }
        self.list_levels = list_levels
        if isinstance(dict_levels, dict):
            self.per_field: dict[str, Any] | None = dict_levels
            self.dict_levels = -1
        else:
            self.per_field = None
            self.dict_levels = int(dict_levels)

    @classmethod
    def from_settings(cls, settings: Any) -> CoverageCounter:
        """The counter for these settings, read as Spidermon's ``item_scraped`` reads them."""
        return cls(
            skip_none=settings.getbool("SPIDERMON_FIELD_COVERAGE_SKIP_NONE", False),
            skip_falsy=settings.getbool("SPIDERMON_FIELD_COVERAGE_SKIP_FALSY", True),
            skip_values=skip_values(settings),
            list_levels=settings.getint("SPIDERMON_LIST_FIELDS_COVERAGE_LEVELS", 0),
            dict_levels=settings.get("SPIDERMON_DICT_FIELDS_COVERAGE_LEVELS", -1),
        )

    def count(self, item: Any, add: Callable[[str], None]) -> None:
        """Call ``add(key)`` once for every counter Spidermon increments for ``item``
        (``spidermon_item_scraped_count`` first), in Spidermon's order."""
        top = f"{ITEM_COUNT}/{type(item).__name__}"
        add(ITEM_COUNT)
        add(top)
        fields = item.items() if type(item) is dict else ItemAdapter(item).items()
        self._walk(fields, top, add, self.dict_levels, 0, self.per_field)

    def keys(self, item: Any) -> list[str]:
        """The counters of one item, as a list (a key once per increment)."""
        out: list[str] = []
        self.count(item, out.append)
        return out

    def _walk(  # Spidermon's _count_item, its settings read once
        self,
        fields: Any,
        prefix: str,
        add: Callable[[str], None],
        max_dict: int,
        level: int,
        per_field: dict[str, Any] | None,
    ) -> None:
        skip_none, skip_falsy, skips = self.skip_none, self.skip_falsy, self.skips
        max_list = self.list_levels
        for name, value in fields:
            if value is None and skip_none:
                continue
            if skip_falsy and value is not None and not value:
                continue
            kind = type(value)
            if kind in skips:
                candidates = skips[kind]
                if type(candidates) is frozenset:
                    if value in candidates:
                        continue
                elif any(value == candidate for candidate in candidates):
                    continue
            key = f"{prefix}/{name}"
            add(key)
            if per_field is not None and level == 0:
                dict_levels = int(per_field.get(name, per_field.get("*", -1)))
            else:
                dict_levels = max_dict
            if isinstance(value, dict):
                if dict_levels == -1 or level < dict_levels:
                    self._walk(_fields(value), key, add, dict_levels, level + 1, None)
                continue
            if isinstance(value, list) and max_list > 0 and level < max_list:
                entries = key + "/_items"
                for entry in value:
                    add(entries)
                    if isinstance(entry, dict):
                        self._walk(_fields(entry), entries, add, dict_levels, level + 1, None)


def _fields(value: dict[str, Any]) -> Any:
    return value.items() if type(value) is dict else ItemAdapter(value).items()


def _adds_to_dict(stats: Any) -> bool:
    """Whether adding to ``stats.get_stats()`` is what ``stats.inc_value`` does (Scrapy's
    own collectors; another may keep its stats elsewhere: it gets ``inc_value``)."""
    kind = type(stats)
    return (
        isinstance(stats, StatsCollector)
        and kind.inc_value is StatsCollector.inc_value
        and kind.get_stats is StatsCollector.get_stats
    )


# Spidermon's extension's own monitor suites: any of them set loads that extension.
SPIDERMON_SUITES = (
    "SPIDERMON_SPIDER_OPEN_MONITORS",
    "SPIDERMON_SPIDER_CLOSE_MONITORS",
    "SPIDERMON_ENGINE_STOP_MONITORS",
    "SPIDERMON_SPIDER_OPEN_EXPRESSION_MONITORS",
    "SPIDERMON_SPIDER_CLOSE_EXPRESSION_MONITORS",
    "SPIDERMON_ENGINE_STOP_EXPRESSION_MONITORS",
    "SPIDERMON_PERIODIC_MONITORS",
)


def skip_values(settings: Any) -> list[Any]:
    """``SPIDERMON_FIELD_COVERAGE_SKIP_VALUES`` as Spidermon's extension reads it
    (``Spidermon._get_skip_values_list``, whose module is not imported here): unset, its
    defaults; a list as it is; a string, JSON for a list, else comma-separated."""
    value = settings.get("SPIDERMON_FIELD_COVERAGE_SKIP_VALUES", None)
    if value is None:
        return ["", [], {}, "N/A", "-"]
    if not value:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except (ValueError, TypeError):
            parsed = None
        if isinstance(parsed, list):
            return parsed
        return settings.getlist("SPIDERMON_FIELD_COVERAGE_SKIP_VALUES", [])
    return list(value) if value else []


class FieldCoverageSpidermon:
    """Spidermon's extension as the project uses it: field coverage counted by
    :class:`CoverageCounter`; Spidermon's own extension only for its own monitor suites."""

    def __init__(self, crawler: Any) -> None:
        if not crawler.settings.getbool("SPIDERMON_ENABLED"):
            raise NotConfigured
        self.crawler = crawler
        self.spidermon: Any = None  # Spidermon's extension, when it has work to do
        try:
            self.counter: CoverageCounter | None = CoverageCounter.from_settings(crawler.settings)
        except (TypeError, ValueError):
            self.counter = None  # settings Spidermon's own item_scraped fails on: let it

    @classmethod
    def from_crawler(cls, crawler: Any) -> FieldCoverageSpidermon:
        ext = cls(crawler)
        settings = crawler.settings
        coverage = settings.getbool("SPIDERMON_ADD_FIELD_COVERAGE")
        if ext.counter is None or any(settings.get(name) for name in SPIDERMON_SUITES):
            from spidermon.contrib.scrapy.extensions import Spidermon

            # Its signals, as before; its coverage rates at close too (same numbers).
            ext.spidermon = Spidermon.from_crawler(crawler)
            if coverage and ext.counter is not None:
                crawler.signals.disconnect(ext.spidermon.item_scraped, signals.item_scraped)
                crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
            return ext
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        if coverage:
            crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        return ext

    def spider_closed(self, spider: Any) -> None:
        """Spidermon's coverage rates (``spidermon_field_coverage/...``) into the stats."""
        stats = self.crawler.stats.get_stats()
        stats.update(calculate_field_coverage(stats))

    def item_scraped(self, item: Any, response: Any, spider: Any) -> None:
        assert self.counter is not None  # else Spidermon's own item_scraped is connected
        keys = self.counter.keys(item)
        stats = self.crawler.stats
        if _adds_to_dict(stats):
            counts = stats.get_stats()
            get = counts.get
            for key in keys:
                counts[key] = get(key, 0) + 1
        else:
            for key in keys:
                stats.inc_value(key)
