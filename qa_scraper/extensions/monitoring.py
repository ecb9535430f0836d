"""Field coverage and the run's monitors (Spidermon), checked when the spider closes.

Spidermon's extension counts, for every item that reaches the end of the pipelines,
which fields are filled (``SPIDERMON_ADD_FIELD_COVERAGE``; ``null``, ``""``, ``[]``
and ``{}`` count as not filled, ``0`` does). :func:`field_coverage` turns those
counters into fill rates named like ``asker.age_min`` (nested dict) or
``replies.clinic`` (the share of *replies* that have a clinic; a list of dicts is
read one level deep, ``SPIDERMON_LIST_FIELDS_COVERAGE_LEVELS = 1``).

The monitors are Spidermon's own where it has them — FinishReasonMonitor
(``SPIDERMON_EXPECTED_FINISH_REASONS``), ItemCountMonitor (``SPIDERMON_MIN_ITEMS``,
over the articles seen live) and FieldCoverageMonitor (``SPIDERMON_FIELD_COVERAGE_RULES``)
— and ours for the reject share and the drift since the last run. When one fails, the
alert actions configured by settings run (:mod:`qa_scraper.extensions.alerts`).

:class:`RunMonitorExtension` runs that Spidermon :class:`~spidermon.MonitorSuite`
itself, at ``spider_closed`` and *before* the run extension
stages the manifest (it is connected first: a lower ``EXTENSIONS`` order). It
writes its results into the stats — ``qa/monitors/failed`` (count),
``qa/monitors`` (the manifest's ``monitors`` section) and ``qa/coverage`` (the
manifest's ``coverage`` section) — which :meth:`qa_scraper.delivery.lifecycle.CrawlRun.close`
puts into the manifest and turns into exit code 7 (the run is still delivered).
Running the suite from our own extension, rather than through
``SPIDERMON_SPIDER_CLOSE_MONITORS``, is what lets the results reach the manifest
before the commit point. After the engine stops, it writes the run's HTML report
beside the manifest (:mod:`qa_scraper.tools.report`).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from spidermon import Monitor, MonitorSuite, monitors
from spidermon import settings as spidermon_settings
from spidermon.contrib.scrapy.monitors import (
    FieldCoverageMonitor,
    FinishReasonMonitor,
    ItemCountMonitor,
)
from spidermon.runners import MonitorRunner
from spidermon.utils.field_coverage import calculate_field_coverage

from qa_scraper.delivery.manifest import run_manifests
from qa_scraper.extensions.alerts import alert_actions

logger = logging.getLogger(__name__)

_COVERAGE_KEY = re.compile(r"^spidermon_field_coverage/\w+/(?P<field>.+)$")


def field_coverage(stats: dict[str, Any]) -> dict[str, float]:
    """Fill rate per field, from Spidermon's counters (``asker.age_min``, ``replies.clinic``).

    For a list of dicts the rate of an inner field is per list entry (Spidermon's
    ``replies/_items/clinic``); its per-item variant (which may exceed 1) is left out.
    """
    rates: dict[str, float] = {}
    for key, value in calculate_field_coverage(stats).items():
        match = _COVERAGE_KEY.match(key)
        if not match:
            continue
        parts = match.group("field").split("/")
        if "_items" not in parts and len(parts) > 1 and _is_list_field(stats, parts):
            continue  # replies/clinic: count of filled entries per item, not a rate
        name = ".".join(part for part in parts if part != "_items")
        rates[name] = round(float(value), 4)
    return dict(sorted(rates.items()))


def _is_list_field(stats: dict[str, Any], parts: list[str]) -> bool:
    prefix = "/".join(parts[:-1]) + "/_items"
    return any(
        key.startswith("spidermon_item_scraped_count/") and key.endswith("/" + prefix)
        for key in stats
    )


def previous_manifest(folder: Path | None, min_items: int) -> dict[str, Any] | None:
    """The latest delivered manifest in ``folder`` whose coverage rests on enough items."""
    if folder is None:
        return None
    for _, manifest in reversed(run_manifests(folder)):
        monitors, coverage = manifest.get("monitors"), manifest.get("coverage")
        if not (
            isinstance(monitors, dict)
            and isinstance(coverage, dict)
            and all(type(rate) in (int, float) for rate in coverage.values())
        ):
            continue  # not what a run writes (edited by hand?): nothing to compare with
        scraped = monitors.get("items_scraped", 0)
        if coverage and isinstance(scraped, int) and scraped >= min_items:
            return manifest
    return None


# --- the monitors: Spidermon's own where it has them, ours for what it has not ---------------
@monitors.name("Item count")
class LiveArticleCountMonitor(ItemCountMonitor):
    """Spidermon's ItemCountMonitor (``SPIDERMON_MIN_ITEMS``) over the articles seen live,
    written + unchanged (``qa/articles``): an incremental run that finds nothing new writes no
    item, and is fine."""

    stat_name = "qa/articles"

    @monitors.name("minimum articles")
    def test_stat_monitor(self) -> None:
        super().test_stat_monitor()


@monitors.name("Field coverage")
class MinimumFieldCoverageMonitor(FieldCoverageMonitor):
    """Spidermon's FieldCoverageMonitor (``SPIDERMON_FIELD_COVERAGE_RULES``), skipped when
    fewer than ``QA_MONITOR_COVERAGE_MIN_ITEMS`` items were written (no verdict on a few)."""

    @monitors.name("minimum fill rate")
    def test_check_if_field_coverage_rules_are_met(self) -> None:
        qa = self.data.qa
        if qa["items_scraped"] < qa["coverage_min_items"]:
            self.skipTest(
                f"{qa['items_scraped']} items < QA_MONITOR_COVERAGE_MIN_ITEMS"
                f" {qa['coverage_min_items']}"
            )
        super().test_check_if_field_coverage_rules_are_met()


@monitors.name("Rejects")
class RejectShareMonitor(Monitor):
    longMessage = False  # the reason alone, not "x is not false : reason"

    @monitors.name("reject share")
    def test_reject_share(self) -> None:
        """Rejected pages are at most QA_MONITOR_MAX_REJECT_SHARE of the articles handled."""
        qa = self.data.qa
        handled = qa["articles"] + qa["rejected"]
        share = qa["rejected"] / handled if handled else 0.0
        self.assertLessEqual(
            share,
            qa["max_reject_share"],
            f"reject share {share:.2f} ({qa['rejected']}/{handled}) >"
            f" QA_MONITOR_MAX_REJECT_SHARE {qa['max_reject_share']}",
        )


@monitors.name("Field coverage drift")
class DriftMonitor(Monitor):
    longMessage = False

    @monitors.name("drift")
    def test_drift(self) -> None:
        """No fill rate fell more than QA_FIELD_COVERAGE_MAX_DROP points since the last run."""
        qa = self.data.qa
        previous = qa["previous"]
        if qa["items_scraped"] < qa["coverage_min_items"] or previous is None:
            self.skipTest("no previous run (or too few items) to compare with")
        points = qa["max_drop"]
        fallen = [
            f"{field} {before:.2f} -> {qa['coverage'].get(field, 0.0):.2f}"
            for field, before in sorted(previous["coverage"].items())
            if (before - qa["coverage"].get(field, 0.0)) * 100 > points
        ]
        self.assertFalse(
            fallen,
            f"fill rate fell more than {points} points since run {previous['run_id']}: "
            + ", ".join(fallen),
        )


class RunMonitorSuite(MonitorSuite):
    monitors: ClassVar[list[type[Monitor]]] = [
        FinishReasonMonitor,
        LiveArticleCountMonitor,
        RejectShareMonitor,
        MinimumFieldCoverageMonitor,
        DriftMonitor,
    ]


def _articles(stats: dict[str, Any]) -> int:
    """Articles seen live: written (by this process, and before the interruption of a
    resumed run) and unchanged."""
    written = int(stats.get("qa/items_written", 0)) + int(stats.get("qa/resumed_written", 0))
    return written + sum(
        int(value)
        for key, value in stats.items()
        if key.startswith("qa/unchanged/") and isinstance(value, int)
    )


def run_monitors(
    stats: dict[str, Any],
    settings: Any,
    folder: Path | None,
    finish_reason: str,
    spider: Any = None,
) -> dict[str, Any]:
    """Run the suite on the stats (and the alert actions when it fails); return the
    manifest's ``monitors`` section."""
    coverage = field_coverage(stats)
    items_scraped = int(stats.get("spidermon_item_scraped_count", 0))
    coverage_min_items = settings.getint("QA_MONITOR_COVERAGE_MIN_ITEMS")
    previous = previous_manifest(folder, coverage_min_items)
    run_id = stats.get("qa/run_id")
    qa = {
        "run_id": run_id,
        "manifest": str(folder / f"{run_id}.manifest.json") if folder and run_id else None,
        "coverage": coverage,
        "items_scraped": items_scraped,
        "articles": _articles(stats),
        "rejected": int(stats.get("qa/rejected", 0)),
        "max_reject_share": settings.getfloat("QA_MONITOR_MAX_REJECT_SHARE"),
        "coverage_min_items": coverage_min_items,
        "max_drop": settings.getfloat("QA_FIELD_COVERAGE_MAX_DROP"),
        "previous": previous,
    }
    crawler = SimpleNamespace(settings=settings)  # what Spidermon's monitors and actions read
    suite = RunMonitorSuite(crawler=crawler, monitors_failed_actions=alert_actions(settings))
    data = {
        "stats": {
            **stats,
            **calculate_field_coverage(stats),
            "finish_reason": finish_reason,
            "qa/articles": qa["articles"],
        },
        "crawler": crawler,
        "spider": spider,
        "qa": qa,
    }
    result = MonitorRunner().run(suite, **data)
    results = []
    for monitor_result in result.monitor_results:
        monitor = monitor_result.monitor
        results.append(
            {
                "name": f"{monitor.monitor_name}/{monitor.method_name}",
                "status": monitor_result.status,
                "reason": _reason(monitor_result),
            }
        )
    failed = [entry["name"] for entry in results if entry["status"] in ("FAIL", "ERROR")]
    return {
        "passed": not failed,
        "failed": failed,
        "results": results,
        "items_scraped": items_scraped,
        "thresholds": {
            "SPIDERMON_EXPECTED_FINISH_REASONS": settings.getlist(
                "SPIDERMON_EXPECTED_FINISH_REASONS"
            ),
            "SPIDERMON_MIN_ITEMS": settings.getint("SPIDERMON_MIN_ITEMS"),
            "QA_MONITOR_MAX_REJECT_SHARE": qa["max_reject_share"],
            "SPIDERMON_FIELD_COVERAGE_RULES": dict(
                sorted(settings.getdict("SPIDERMON_FIELD_COVERAGE_RULES").items())
            ),
            "QA_FIELD_COVERAGE_MAX_DROP": qa["max_drop"],
            "QA_MONITOR_COVERAGE_MIN_ITEMS": coverage_min_items,
        },
        "previous_run": previous["run_id"] if previous else None,
        # The alerts that went out, and those that could not (their error is in the log).
        "alerts": _alerts(result, spidermon_settings.ACTION.STATUS.SUCCESS),
        "alerts_failed": _alerts(result, spidermon_settings.ACTION.STATUS.ERROR),
    }


def _alerts(result: Any, status: str) -> list[str]:
    """The names of the alert actions that ended with this status."""
    return [
        type(entry.action).__name__
        for entry in result.monitors_failed_action_results
        if entry.status == status
    ]


def _not_run(error: Exception) -> dict[str, Any]:
    """The ``monitors`` section of a run whose monitors could not run: a failure, so that the
    run needs a look (exit 7) instead of passing unchecked."""
    name = "Monitors/could not run"
    reason = f"{type(error).__name__}: {error}"
    return {
        "passed": False,
        "failed": [name],
        "results": [{"name": name, "status": "ERROR", "reason": reason}],
        "alerts": [],
        "alerts_failed": [],
    }


def _reason(monitor_result: Any) -> str | None:
    """The failure's message, on one line (Spidermon's coverage message spans several)."""
    text = str(monitor_result.reason or "")
    if not text:
        error = str(monitor_result.error or "")
        text = error.rsplit("AssertionError: ", 1)[1] if "AssertionError: " in error else error
        if "AssertionError: " not in error:
            text = ([line for line in error.splitlines() if line.strip()] or [""])[-1]
    joined = "; ".join(line.strip() for line in text.splitlines() if line.strip())
    return joined.replace(":; ", ": ") or None


class RunMonitorExtension:
    """Monitors at close (before the manifest is staged); the HTML report after it."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        output_dir = crawler.settings.get("QA_OUTPUT_DIR") or ""
        spider = crawler.spider
        self.folder = Path(output_dir) / spider.name if output_dir and spider else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunMonitorExtension:
        if crawler.settings.getbool("QA_SINGLE_PAGE"):
            raise NotConfigured  # `scrapy parse`: one page is not a run to judge
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def spider_closed(self, spider: Any, reason: str) -> None:
        stats = self.stats.get_stats()
        try:
            section = run_monitors(stats, self.crawler.settings, self.folder, reason, spider)
        except Exception as error:  # any: the verdict must not be lost (exit 7, not 0)
            logger.exception("The monitors could not run")
            section = _not_run(error)
        self.stats.set_value("qa/coverage", field_coverage(stats))
        self.stats.set_value("qa/monitors", section)
        self.stats.set_value("qa/monitors/failed", len(section["failed"]))
        if section["failed"]:
            reasons = "; ".join(
                f"{entry['name']}: {entry['reason']}"
                for entry in section["results"]
                if entry["name"] in section["failed"]
            )
            code = " (exit code 7)" if reason == "finished" else ""  # else the run's own code
            logger.error("Monitors failed%s: %s", code, reasons)
        else:
            logger.info(
                "Monitors passed (%d checked)",
                sum(1 for entry in section["results"] if entry["status"] == "OK"),
            )

    def engine_stopped(self) -> None:
        """The run's HTML report, beside its manifest (not part of the commit point)."""
        run_id = self.stats.get_value("qa/run_id")
        if self.folder is None or not run_id:
            return
        manifest = self.folder / f"{run_id}.manifest.json"
        if not manifest.exists():
            return
        from qa_scraper.tools.report import write_report

        try:
            path = write_report(manifest)
        except Exception:
            logger.exception("Could not write the HTML report of run %s", run_id)
        else:
            logger.info("Report: %s", path)
