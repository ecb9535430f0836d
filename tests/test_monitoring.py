"""Field coverage, monitors (exit code 7), the run's report and progress lines, in real crawls."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from scrapy.settings import Settings

from qa_scraper import settings as project_settings
from qa_scraper.errors import ExitCode
from qa_scraper.extensions.monitoring import run_monitors
from qa_scraper.extensions.progress import progress_line
from qa_scraper.testing.devserver import DevServer
from qa_scraper.tools.report import coverage_name
from tests.conftest import SITE, load_expected
from tests.crawl_helpers import CrawlResult, run_crawl


def expected_rates() -> dict[str, float]:
    """Fill rates of the saved site's expected items (null, "", [] not filled)."""
    filled, total = Counter(), Counter()

    def empty(value: object) -> bool:
        return value is None or value in ("", [], {})

    for item in load_expected():
        for key, value in item.items():
            total[key] += 1
            filled[key] += not empty(value)
            entries = (
                [value] if isinstance(value, dict) else value if isinstance(value, list) else []
            )
            for entry in entries:
                for inner, inner_value in entry.items():
                    total[f"{key}.{inner}"] += 1
                    filled[f"{key}.{inner}"] += not empty(inner_value)
    return {key: round(filled[key] / total[key], 4) for key in total}


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlResult, CrawlResult]:
    tmp = tmp_path_factory.mktemp("monitoring")
    with DevServer(SITE) as server:
        first = run_crawl(server.base_url, tmp, "-s", "QA_PROGRESS_INTERVAL=0.3", name="first")
        second = run_crawl(
            server.base_url,
            tmp,
            "-s",
            "SPIDERMON_MIN_ITEMS=1000",
            "-s",
            'SPIDERMON_FIELD_COVERAGE_RULES={"dict/replies/_items/clinic": 0.9}',
            name="second",
            output_dir=first.output_dir,
        )
    return first, second


@pytest.mark.slow
def test_manifest_has_the_fill_rates_of_the_saved_site(crawls) -> None:
    first, _ = crawls
    assert first.returncode == 0, first.log[-2000:]
    manifest = first.manifest()
    rates = expected_rates()
    coverage = manifest["coverage"]
    assert {key: coverage[key] for key in rates} == rates
    assert coverage["replies.clinic"] == round(13 / 24, 4)
    assert coverage["asker.age_min"] == 1.0 and coverage["asker.name"] == 0.84
    monitors = manifest["monitors"]
    assert monitors["passed"] and monitors["failed"] == [] and monitors["items_scraped"] == 25
    statuses = {entry["name"]: entry["status"] for entry in monitors["results"]}
    assert statuses == {
        "Finish Reason Monitor/Should have the expected finished reason(s)": "OK",
        "Item count/minimum articles": "OK",
        "Rejects/reject share": "OK",
        "Field coverage/minimum fill rate": "OK",
        "Field coverage drift/drift": "SKIPPED",  # no earlier run
    }
    assert "Monitors passed" in first.log
    report = first.run_files(f"{manifest['run_id']}.report.html")
    assert report and "<svg" in report[0].read_text(encoding="utf-8")


def test_thresholds_sit_below_the_saved_site_rates() -> None:
    rates = expected_rates()
    for rule, minimum in project_settings.SPIDERMON_FIELD_COVERAGE_RULES.items():
        field = coverage_name(rule)
        assert minimum < rates[field] or (rates[field] == 1.0 and minimum <= 0.95), field


@pytest.mark.slow
def test_a_failed_monitor_is_exit_7_one_log_line_and_still_delivered(crawls) -> None:
    _, second = crawls
    assert second.returncode == ExitCode.MONITOR_FAILED == 7, second.log[-2000:]
    assert second.stats["qa/exit_code"] == 7
    manifest = second.manifest()  # delivered
    assert manifest["files"]["items"]["lines"] == 25
    monitors = manifest["monitors"]
    assert monitors["failed"] == [
        "Item count/minimum articles",
        "Field coverage/minimum fill rate",
    ]
    assert monitors["previous_run"] == crawls[0].stats["qa/run_id"]
    [line] = [line for line in second.log.splitlines() if "Monitors failed" in line]
    assert "exit code 7" in line
    assert "Expecting 'qa/articles' to be '>=' to '1000.0'. Current value: '25.0'" in line
    assert "dict/replies/_items/clinic (expected 0.9, got 0.5416666666666666" in line
    assert not list(second.output_dir.rglob("*.part"))


@pytest.mark.slow
def test_progress_lines(crawls) -> None:
    first, _ = crawls
    lines = [line for line in first.log.splitlines() if "Progress: " in line]
    assert lines, "no progress line"
    assert "/min)" in lines[0] and "queue " in lines[0]
    assert first.stats["qa/sitemap_articles"] >= 25


def test_progress_line_gives_an_eta_from_the_sitemap_total() -> None:
    stats = {
        "response_received_count": 120,
        "qa/items_written": 40,
        "qa/rejected": 2,
        "qa/unchanged/not_modified": 8,
        "qa/sitemap_articles": 250,
    }
    line = progress_line(stats, 60.0, 17, 25.0)
    assert line == (
        "Progress: 120 pages (60/min), 40 items, 2 rejects, queue 17; articles 50/250, ETA 8 min"
    )
    assert "ETA" not in progress_line({"response_received_count": 3}, 1.0, None, 0.0)


def _stats(written: int, clinic_rate: float) -> dict:
    replies = written
    return {
        "qa/items_written": written,
        "spidermon_item_scraped_count": written,
        "spidermon_item_scraped_count/dict": written,
        "spidermon_item_scraped_count/dict/title": written,
        "spidermon_item_scraped_count/dict/replies": written,
        "spidermon_item_scraped_count/dict/replies/_items": replies,
        "spidermon_item_scraped_count/dict/replies/_items/clinic": round(replies * clinic_rate),
    }


def test_drift_against_the_previous_delivered_run(tmp_path: Path) -> None:
    settings = Settings({**vars(project_settings)})
    settings.set("SPIDERMON_FIELD_COVERAGE_RULES", {"dict/replies/_items/clinic": 0.1})
    earlier = {"run_id": "20260101T000000000Z", "coverage": {"replies.clinic": 0.8}}
    earlier["monitors"] = {"items_scraped": 40}
    (tmp_path / "20260101T000000000Z.manifest.json").write_text(json.dumps(earlier))
    fell = run_monitors(_stats(40, 0.6), settings, tmp_path, "finished")
    assert fell["failed"] == ["Field coverage drift/drift"]
    [drift] = [entry for entry in fell["results"] if entry["name"] == "Field coverage drift/drift"]
    assert drift["reason"] == (
        "fill rate fell more than 15.0 points since run 20260101T000000000Z:"
        " replies.clinic 0.80 -> 0.60"
    )
    assert run_monitors(_stats(40, 0.7), settings, tmp_path, "finished")["passed"]
    few = run_monitors(_stats(5, 0.0), settings, tmp_path, "finished")  # too few to judge
    assert few["passed"]
