"""Spidermon's field-coverage counters for one re-extracted item, as a crawl's
``item_scraped`` adds them: a fast walk under the project's coverage settings, Spidermon's
own counting under any other."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

_COUNTER: Any = None  # a Spidermon extension that only counts (one per process)
_ITEM_COUNT = "spidermon_item_scraped_count"
_SKIPPED_STRINGS = ("", "N/A", "-")  # Spidermon's default skip values, with [] and {}


def _project_coverage_settings(settings: Any) -> bool:
    """The project's field-coverage settings (settings.py), which :func:`_fast_coverage_keys`
    implements; any other goes through Spidermon's own counting."""
    return (
        settings.getbool("SPIDERMON_FIELD_COVERAGE_SKIP_NONE")
        and not settings.getbool("SPIDERMON_FIELD_COVERAGE_SKIP_FALSY", True)
        and settings.get("SPIDERMON_FIELD_COVERAGE_SKIP_VALUES") is None
        and settings.getint("SPIDERMON_LIST_FIELDS_COVERAGE_LEVELS") == 1
        and settings.get("SPIDERMON_DICT_FIELDS_COVERAGE_LEVELS", -1) in (-1, "-1")
    )


def _fast_coverage_keys(item: dict[str, Any]) -> list[str]:
    """Spidermon's counters for one item under the project's settings, without its generic
    walk (≈ 5 % of a re-extraction); a test compares the two on every saved page."""
    top = f"{_ITEM_COUNT}/dict"
    keys = [_ITEM_COUNT, top]

    def walk(node: dict[str, Any], prefix: str, level: int) -> None:
        for name, value in node.items():
            kind = type(value)
            if (
                value is None
                or (kind is str and value in _SKIPPED_STRINGS)
                or (kind in (list, dict) and not value)
            ):
                continue
            key = f"{prefix}/{name}"
            keys.append(key)
            if kind is dict:
                walk(value, key, level + 1)
            elif kind is list and level < 1:
                entries = key + "/_items"
                for entry in value:
                    keys.append(entries)
                    if type(entry) is dict:
                        walk(entry, entries, level + 1)

    walk(item, top, 0)
    return keys


def coverage_keys(item: dict[str, Any], settings: Any) -> list[str]:
    """The Spidermon field-coverage counters this item adds (as a crawl's item_scraped)."""
    if _project_coverage_settings(settings):
        return _fast_coverage_keys(item)
    return _spidermon_coverage_keys(item, settings)


def _spidermon_coverage_keys(item: dict[str, Any], settings: Any) -> list[str]:
    global _COUNTER  # noqa: PLW0603 (one per process)
    from spidermon.contrib.scrapy.extensions import Spidermon

    keys: list[str] = []
    stats = SimpleNamespace(inc_value=lambda key, count=1, start=0: keys.append(key))
    if _COUNTER is None:
        _COUNTER = Spidermon.__new__(Spidermon)
    _COUNTER.crawler = SimpleNamespace(stats=stats)
    spider = SimpleNamespace(crawler=SimpleNamespace(settings=settings))
    _COUNTER.item_scraped(item, None, spider)
    return keys
