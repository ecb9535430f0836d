"""Issue 19, monitors set up wrong by an operator: a threshold that is not a number, or
coverage rules that are not a dict of rates, are refused before the crawl; they used to stop
the monitors at close (a traceback in the log, monitors null in the manifest, exit 0 whatever
the verdict). Monitors that cannot run for any other reason are a failure (exit 7), not a pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Spider
from scrapy.utils.test import get_crawler

from qa_scraper.extensions import monitoring
from tests.crawl_helpers import run_crawl


@pytest.mark.slow
@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("SPIDERMON_MIN_ITEMS=abc", "SPIDERMON_MIN_ITEMS='abc' is not a whole number"),
        ("QA_MONITOR_MAX_REJECT_SHARE=lots", "QA_MONITOR_MAX_REJECT_SHARE='lots' is not a number"),
        ("SPIDERMON_FIELD_COVERAGE_RULES=[1]", "is not a dict of fill rates"),
        ('SPIDERMON_FIELD_COVERAGE_RULES={"dict/title": "x"}', "is not a dict of fill rates"),
        ('SPIDERMON_FIELD_COVERAGE_RULES={"dict/title": 90}', "is not a dict of fill rates"),
    ],
)
def test_a_bad_monitor_setting_is_refused(tmp_path: Path, setting: str, expected: str) -> None:
    result = run_crawl("http://127.0.0.1:9/", tmp_path, "-s", setting, timeout=60)
    assert result.returncode == 2, result.log[-2000:]
    [line] = [line for line in result.log.splitlines() if "refused" in line]
    assert expected in line
    assert "Traceback" not in result.log


def test_monitors_that_cannot_run_fail_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> dict:
        raise RuntimeError("a bug in a monitor's set-up")

    monkeypatch.setattr(monitoring, "run_monitors", broken)
    crawler = get_crawler(Spider)
    extension = monitoring.RunMonitorExtension(crawler)
    extension.spider_closed(None, "finished")
    section = crawler.stats.get_value("qa/monitors")
    assert section["passed"] is False
    assert section["failed"] == ["Monitors/could not run"]
    assert section["results"][0]["reason"] == "RuntimeError: a bug in a monitor's set-up"
    assert crawler.stats.get_value("qa/monitors/failed") == 1  # the run's exit code: 7
