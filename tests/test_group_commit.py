"""A crawl writes its staged state rows and its lines in groups (``QA_SYNC_SECONDS``,
:meth:`CrawlRun.defer_writes`): one transaction and one flush a group, the rows before their
lines, so that a kill at any point leaves nothing a resumed run would deliver twice or lose."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler
from twisted.internet import task

from qa_scraper.delivery import lifecycle, writing
from qa_scraper.delivery.crash import CRASH_ENV, GROUP_STAGED
from qa_scraper.errors import ExitCode
from qa_scraper.extensions.crawl_run import CrawlRunExtension
from qa_scraper.spiders.doctorqna import DoctorQnASpider
from tests.test_run_lifecycle import ITEMS, PROJECT, delivered, new_run

REJECT = {"url": "http://127.0.0.1:8123/en/article/1", "stage": "fetch", "errors": [], "item": None}


def _pending(output: Path) -> list[tuple]:
    db = sqlite3.connect(output / "doctorqna" / "state.sqlite3")
    try:
        return db.execute(
            "SELECT article_id, url, status, content_hash, change FROM pending ORDER BY article_id"
        ).fetchall()
    finally:
        db.close()


def _lines(run: lifecycle.CrawlRun) -> tuple[list[str], list[str]]:
    items = lifecycle.files.part(run.items_path).read_text(encoding="utf-8").splitlines()
    rejects = lifecycle.files.part(run.rejects_path).read_text(encoding="utf-8").splitlines()
    return items, rejects


def _write(run: lifecycle.CrawlRun) -> None:
    """What the spider and the pipelines do for each article: two stages, then the line."""
    for item in ITEMS:
        run.stage(item["article_id"], url=item["url"], status="200")
        run.stage(item["article_id"], content_hash=item["content_hash"], change="new")
        run.write_item(item)
    run.write_reject(REJECT)


def test_a_group_is_staged_and_written_together_at_its_sync(tmp_path: Path) -> None:
    run = new_run(tmp_path)
    run.defer_writes(3600)
    _write(run)
    assert _lines(run) == ([], []) and _pending(tmp_path) == []  # nothing before the sync
    assert run.done(ITEMS[0]["article_id"])  # (the spider does not request it again)
    run.sync()
    items, rejects = _lines(run)
    assert [json.loads(line)["article_id"] for line in items] == [i["article_id"] for i in ITEMS]
    assert [json.loads(line) for line in rejects] == [REJECT]
    # Both stages of an article merged, in order, as one transaction each made them.
    assert _pending(tmp_path) == sorted(
        (i["article_id"], i["url"], "200", i["content_hash"], "new") for i in ITEMS
    )
    assert run.close("finished", {}) == ExitCode.OK
    assert [item["article_id"] for item in delivered(tmp_path)[0]] == [
        item["article_id"] for item in ITEMS
    ]


def test_a_sync_is_due_after_its_seconds_or_when_the_group_is_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(writing.time, "monotonic", lambda: now[0])
    run = new_run(tmp_path)
    run.defer_writes(1.0)
    run.write_item(ITEMS[0])
    now[0] += 0.5
    run.write_item(ITEMS[1])
    assert _lines(run)[0] == []  # half a second: still waiting
    now[0] += 0.5
    run.write_item(ITEMS[2])
    assert len(_lines(run)[0]) == 3  # due: the whole group at once
    monkeypatch.setattr(writing, "_MOST_UNSYNCED", 4)
    for item in ITEMS[:2]:  # 4 rows, no time passed: the group is full
        run.stage(item["article_id"], url=item["url"])
        assert _pending(tmp_path) == []
        run.stage(item["article_id"], status="200")
    assert len(_pending(tmp_path)) == 2
    for _ in range(3):  # reject lines without a staged row count too
        run.write_reject(REJECT)
    assert _lines(run)[1] == []
    run.write_reject(REJECT)
    assert len(_lines(run)[1]) == 4
    run.close("shutdown", {})


def test_the_crawl_writes_a_waiting_group_when_no_article_comes(tmp_path: Path) -> None:
    """The extension's loop writes what waits every QA_SYNC_SECONDS (an idle crawl)."""
    crawler = get_crawler(DoctorQnASpider, {"QA_SYNC_SECONDS": 2.0})
    run = new_run(tmp_path)
    extension = CrawlRunExtension(crawler, run)
    extension.clock = task.Clock()
    extension.spider_opened(None)
    run.write_item(ITEMS[0])
    assert _lines(run)[0] == []
    extension.clock.advance(1.9)
    assert _lines(run)[0] == []
    extension.clock.advance(0.2)
    assert len(_lines(run)[0]) == 1
    run.close("shutdown", {})


def test_a_tiny_sync_interval_does_not_make_the_loop_a_busy_one(tmp_path: Path) -> None:
    crawler = get_crawler(DoctorQnASpider, {"QA_SYNC_SECONDS": 1e-9})
    run = new_run(tmp_path)
    extension = CrawlRunExtension(crawler, run)
    extension.clock = task.Clock()
    extension.spider_opened(None)
    assert extension._syncing.interval == 0.05
    run.close("shutdown", {})


# A run that writes a group and is killed between its staged rows and its lines.
CHILD = """
import json, sys
from qa_scraper.delivery.lifecycle import CrawlRun
output, items = sys.argv[1], json.loads(sys.argv[2])
run = CrawlRun(spider_name="doctorqna", base_url="http://127.0.0.1:8123/", mode="incremental",
               output_dir=output)
run.open()
run.defer_writes(3600)
for item in items:
    run.stage(item["article_id"], url=item["url"], status="200",
              content_hash=item["content_hash"], change="new")
    run.write_item(item)
run.sync()
sys.exit(int(run.close("finished", {})))
"""


@pytest.mark.slow
def test_a_kill_between_a_groups_rows_and_its_lines_delivers_each_article_once(
    tmp_path: Path,
) -> None:
    env = dict(os.environ, PYTHONPATH=str(PROJECT), **{CRASH_ENV: GROUP_STAGED})
    code = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path), json.dumps(ITEMS)],
        env=env,
        cwd=PROJECT,
        timeout=60,
    ).returncode
    assert code == -signal.SIGKILL
    assert len(_pending(tmp_path)) == len(ITEMS)  # the rows were committed, no line written
    run = new_run(tmp_path)
    assert run.resumed and run.written_ids == set()
    assert _pending(tmp_path) == []  # rows without their lines are dropped: fetched again
    run.defer_writes(3600)
    _write(run)
    assert run.close("finished", {}) == ExitCode.OK
    items, manifests, parts = delivered(tmp_path)
    assert sorted(item["article_id"] for item in items) == sorted(i["article_id"] for i in ITEMS)
    assert json.loads(manifests[0].read_text())["counts"]["new"] == len(ITEMS)
    assert parts == []
