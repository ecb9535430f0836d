"""The run's files and state without a crawl: closing around one commit point (a kill at
every step of it), resuming an interrupted run, and what a resumed run may keep."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from qa_scraper.delivery import archive as warc
from qa_scraper.delivery.crash import CLOSE_STEPS, CRASH_ENV
from qa_scraper.delivery.lifecycle import CrawlRun
from qa_scraper.delivery.validation import item_errors
from qa_scraper.errors import ExitCode
from qa_scraper.items import content_hash
from tests.conftest import load_expected, stamped


def _complete(item: dict) -> dict:
    item = dict(item, scraped_at="2026-11-25T00:00:00Z")
    item["content_hash"] = content_hash(item)
    item["warc"] = None
    item = stamped(item)
    assert item_errors(item) == []
    return item


ITEMS = [_complete(item) for item in load_expected()[:3]]
BASE = "http://127.0.0.1:8123/"
PROJECT = Path(__file__).resolve().parent.parent

# One run that writes three items (and one reject) and closes, in a child process.
CHILD = """
import json, sys
from qa_scraper.delivery.lifecycle import CrawlRun
output, items = sys.argv[1], json.loads(sys.argv[2])
run = CrawlRun(spider_name="doctorqna", base_url="http://127.0.0.1:8123/", mode="incremental",
               output_dir=output, archive=True)
run.open()
for item in items:
    run.stage(item["article_id"], url=item["url"], status="200",
              content_hash=item["content_hash"], change="new", etag='"v1"')
    run.archive_writer().write_exchange(item["url"], "GET", [("User-Agent", "t")], 200,
                               [("Content-Type", "text/html")], b"<html>page</html>")
    run.write_item(item)
run.write_reject({"url": "http://127.0.0.1:8123/en/article/1", "stage": "fetch",
                  "errors": [], "item": None})
sys.exit(int(run.close("finished", {})))
"""


def run_child(output: Path, crash_at: str | None = None) -> int:
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    env.pop(CRASH_ENV, None)
    if crash_at:
        env[CRASH_ENV] = crash_at
    return subprocess.run(
        [sys.executable, "-c", CHILD, str(output), json.dumps(ITEMS)],
        env=env,
        cwd=PROJECT,
        timeout=60,
    ).returncode


def new_run(output: Path, mode: str = "incremental") -> CrawlRun:
    run = CrawlRun(
        spider_name="doctorqna", base_url=BASE, mode=mode, output_dir=str(output), archive=True
    )
    run.open()
    return run


def delivered(output: Path) -> tuple[list[dict], list[Path], list[Path]]:
    """(items of every final JSONL, the manifests, the leftover .part files)."""
    folder = output / "doctorqna"
    items = [
        json.loads(line)
        for path in sorted(folder.glob("*Z.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    return items, sorted(folder.glob("*.manifest.json")), sorted(folder.glob("*.part"))


@pytest.mark.slow
def test_an_uninterrupted_close_delivers_once(tmp_path: Path) -> None:
    assert run_child(tmp_path) == ExitCode.OK
    items, manifests, parts = delivered(tmp_path)
    assert [item["article_id"] for item in items] == [item["article_id"] for item in ITEMS]
    assert len(manifests) == 1 and parts == []


@pytest.mark.slow
@pytest.mark.parametrize("step", CLOSE_STEPS)
def test_a_kill_at_any_close_step_ends_with_each_article_delivered_once(
    tmp_path: Path, step: str
) -> None:
    assert run_child(tmp_path, crash_at=step) == -signal.SIGKILL
    committed = CLOSE_STEPS.index(step) >= CLOSE_STEPS.index("committed")
    _, manifests, parts = delivered(tmp_path)
    if step != "manifest_renamed":
        assert manifests == []  # the manifest is always the last name to appear
    else:
        assert len(manifests) == 1 and parts == []  # killed before saying "finished"

    restart = new_run(tmp_path)  # the next scheduled start
    assert restart.resumed is not committed
    if committed:  # delivered at the commit point: the restart only publishes the files
        items, manifests, parts = delivered(tmp_path)
        assert len(items) == 3 and len(manifests) == 1
        assert [part for part in parts if not part.name.startswith(restart.run_id + ".")] == []
        for item in ITEMS:  # and the state knows them: nothing would be written again
            known = restart.state.known(item["article_id"])
            assert known is not None and known.content_hash == item["content_hash"]
    else:  # not delivered: the same run goes on, with what it had written
        assert restart.written_ids == {item["article_id"] for item in ITEMS}
        assert restart.done("1")  # its reject is not fetched again either
    assert restart.close("finished", {}) == ExitCode.OK

    items, manifests, parts = delivered(tmp_path)
    assert sorted(item["article_id"] for item in items) == sorted(
        item["article_id"] for item in ITEMS
    )
    assert parts == []
    manifest = json.loads(manifests[0].read_text(encoding="utf-8"))  # the first run's
    assert manifest["counts"]["new"] == 3
    expected_manifests = 2 if committed else 1  # a committed run and the (empty) restart
    assert len(manifests) == expected_manifests
    for path in manifests:  # every manifest describes its files exactly
        manifest = json.loads(path.read_text(encoding="utf-8"))
        data = (path.parent / manifest["files"]["items"]["name"]).read_bytes()
        assert data.count(b"\n") == manifest["files"]["items"]["lines"]
        for archive in manifest["files"].get("archives", []):  # whole, every record readable
            data = (path.parent / archive["name"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == archive["sha256"]
            scanned = warc.scan(path.parent / archive["name"])
            assert scanned.damage == [] and len(scanned.records) == archive["records"]
    archived = [
        record.target_uri
        for path in sorted((tmp_path / "doctorqna").glob("*.warc.gz"))
        for record in warc.scan(path).records
        if record.type == "response"
    ]
    assert sorted(archived) == sorted(item["url"] for item in ITEMS)


def _interrupted_run(output: Path, lines: list[bytes]) -> str:
    """A run killed mid-way whose items .part holds ``lines``; its run id."""
    run = new_run(output)
    run.write_item(ITEMS[0])
    run_id = run.run_id
    run._items.close()
    run._rejects.close()
    run.state.close()
    run.lock.release()
    part = output / "doctorqna" / f"{run_id}.jsonl.part"
    part.write_bytes(b"".join(lines))
    return run_id


def _line(item: dict) -> bytes:
    return json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


@pytest.mark.slow
def test_a_resumed_run_keeps_only_lines_it_can_deliver(tmp_path: Path) -> None:
    old_version = dict(ITEMS[1], schema_version="0.9")
    invalid = dict(ITEMS[2], language="fr")
    lines = [
        _line(ITEMS[0]),
        _line(old_version),
        b"\x00" * 300 + b"\n",
        _line(invalid),
        b'{"article_id": "17',
    ]  # a torn last line
    run_id = _interrupted_run(tmp_path, lines)
    run = new_run(tmp_path)
    assert run.resumed and run.run_id == run_id
    assert run.written_ids == {ITEMS[0]["article_id"]}  # the others are fetched again
    assert run.dropped_on_resume == 4
    part = tmp_path / "doctorqna" / f"{run_id}.jsonl.part"
    assert part.read_bytes() == _line(ITEMS[0])
    run.write_item(ITEMS[1])
    assert run.close("finished", {}) == ExitCode.OK
    items, _, parts = delivered(tmp_path)
    assert [item["article_id"] for item in items] == [
        ITEMS[0]["article_id"],
        ITEMS[1]["article_id"],
    ]
    assert all(not item_errors(item) for item in items) and parts == []


def test_a_run_that_fetched_nothing_is_not_delivered_and_leaves_nothing(tmp_path: Path) -> None:
    run = new_run(tmp_path)
    assert run.close("finished", {}, fetched_anything=False) == ExitCode.NOTHING_FETCHED
    assert list((tmp_path / "doctorqna").glob("*.jsonl*")) == []
    assert list((tmp_path / "doctorqna").glob("*.manifest.json*")) == []
    again = new_run(tmp_path)
    assert not again.resumed


def test_an_interrupted_run_stays_resumable(tmp_path: Path) -> None:
    run = new_run(tmp_path)
    run.write_item(ITEMS[0])
    assert run.close("shutdown", {}) == ExitCode.INTERRUPTED
    again = new_run(tmp_path)
    assert again.resumed and again.written_ids == {ITEMS[0]["article_id"]}


@pytest.mark.slow
def test_committed_state_is_applied_exactly_once(tmp_path: Path) -> None:
    assert run_child(tmp_path, crash_at="items_renamed") == -signal.SIGKILL
    new_run(tmp_path).close("finished", {})
    db = sqlite3.connect(tmp_path / "doctorqna" / "state.sqlite3")
    statuses = [row[0] for row in db.execute("SELECT status FROM runs ORDER BY started_at")]
    assert statuses == ["finished", "finished"]
    assert db.execute("SELECT COUNT(*) FROM pending").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 3
