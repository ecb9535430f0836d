"""The accounting invariant (issue 19): an exception on an item in any pipeline makes that
article a reject with the stage and the error, counted, never an uncounted "error"."""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Any

import pytest

from qa_scraper.extensions.crawl_run import CrawlRunExtension
from qa_scraper.pipelines import (
    ChangeDetectionPipeline,
    DeduplicationPipeline,
    ValidationPipeline,
)
from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE, load_expected
from tests.crawl_helpers import run_crawl
from tests.test_pipelines import _crawler, _item, _run

LIVE = {item["article_id"] for item in load_expected()}
FAILING_ID = sorted(LIVE)[3]


class FailingPipeline:
    """A user's pipeline that raises on one article (used by the crawl below)."""

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if item.get("article_id") == FAILING_ID:
            raise RuntimeError("enrichment service said no")
        return item


class _BadWriter:
    """A write that fails for this item only. (A disk error, ENOSPC or EACCES, is not one
    article's failure but the run's: exit code 8, tests/test_write_failures.py.)"""

    def write(self, text: str) -> int:
        raise ValueError("the writer refused this item")

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        raise OSError(errno.EBADF, "closed")

    def close(self) -> None:
        pass


def _boom(self: Any, item: Any) -> Any:
    raise KeyError("surprise")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stage", "pipeline"),
    [
        ("validation", ValidationPipeline),
        ("deduplication", DeduplicationPipeline),
        ("change_detection", ChangeDetectionPipeline),
        ("output", None),
    ],
)
def test_an_exception_in_a_pipeline_is_a_reject_with_its_stage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str, pipeline: Any
) -> None:
    crawler = _crawler({"QA_OUTPUT_DIR": str(tmp_path)})
    run = crawler.get_extension(CrawlRunExtension).run
    good, failing = _item(0), _item(1)
    if pipeline is not None:
        original = pipeline.handle
        monkeypatch.setattr(
            pipeline,
            "handle",
            lambda self, item: _boom(self, item) if item is failing else original(self, item),
        )
    else:
        real_items = run._items
        real_write = run.write_item

        def write_item(item: dict[str, Any]) -> None:
            run._items = _BadWriter() if item is failing else real_items
            try:
                real_write(item)
            finally:
                run._items = real_items

        monkeypatch.setattr(run, "write_item", write_item)
    passed, dropped = _run(crawler, [good, failing])

    assert passed == [good]
    assert len(dropped) == 1
    folder = tmp_path / "doctorqna"
    [items_file] = folder.glob("*Z.jsonl")
    [rejects_file] = folder.glob("*.rejects.ndjson")
    assert [json.loads(line)["article_id"] for line in items_file.open()] == [good["article_id"]]
    [reject] = [json.loads(line) for line in rejects_file.open()]
    assert reject["url"] == failing["url"]
    assert reject["stage"] == stage
    assert reject["item"] == failing
    [error] = reject["errors"]
    assert error["path"] == "(item)"
    expected = "KeyError: 'surprise'" if pipeline else "ValueError: the writer refused this item"
    assert expected in error["message"]
    assert crawler.stats.get_value(f"qa/rejected/{stage}") == 1
    assert crawler.stats.get_value("qa/items_written") == 1
    [manifest] = (json.loads(path.read_text()) for path in folder.glob("*.manifest.json"))
    assert manifest["counts"]["new"] == 1
    assert manifest["counts"]["rejected"] == 1


@pytest.mark.slow
def test_a_crawl_where_a_users_pipeline_raises_rejects_that_article(tmp_path: Path) -> None:
    pipelines = {
        "qa_scraper.pipelines.ValidationPipeline": 300,
        "tests.test_accounting.FailingPipeline": 350,
        "qa_scraper.pipelines.DeduplicationPipeline": 400,
        "qa_scraper.pipelines.ChangeDetectionPipeline": 500,
        "qa_scraper.pipelines.RunOutputPipeline": 900,
    }
    with DevServer(SITE) as server:
        result = run_crawl(
            server.base_url, tmp_path, "-s", f"ITEM_PIPELINES={json.dumps(pipelines)}"
        )
    assert result.returncode == 0, result.log[-3000:]
    manifest = result.manifest()
    folder = tmp_path / "output" / "doctorqna"
    written = [json.loads(line) for line in (folder / manifest["files"]["items"]["name"]).open()]
    rejects = [json.loads(line) for line in (folder / manifest["files"]["rejects"]["name"]).open()]
    assert {item["article_id"] for item in written} == LIVE - {FAILING_ID}
    [reject] = rejects
    assert reject["stage"] == "pipeline"
    assert reject["item"]["article_id"] == FAILING_ID
    assert reject["errors"][0]["message"] == (
        "FailingPipeline: RuntimeError: enrichment service said no"
    )
    assert manifest["counts"]["rejected"] == 1
    assert manifest["counts"]["new"] == len(LIVE) - 1
    assert result.stats["qa/rejected/pipeline"] == 1
