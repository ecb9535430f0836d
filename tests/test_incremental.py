"""Scheduled crawls against the dev server: re-crawls fetch little and emit only what changed;
a crawl killed with SIGKILL and started again loses nothing and duplicates nothing."""

from __future__ import annotations

import json
import re
import signal
import time
from collections import Counter

import pytest

from qa_scraper.delivery.lock import RunLock
from qa_scraper.items import SCHEMA_VERSION
from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE, load_expected
from tests.crawl_helpers import (
    SLOW_CRAWL,
    CrawlResult,
    crawl_command,
    kill_after_lines,
    run_crawl,
)

pytestmark = pytest.mark.slow  # the tests here read crawls run as subprocesses

LIVE = {item["article_id"] for item in load_expected()}
CHANGED = ("174501", "174534", "174602")
ADDED = {"999001": "174506", "999002": "174507"}  # new id: copied from
DELETED = "174518"
STALE = "174541"  # deleted, but still in the sitemap with its old lastmod


def article_fetches(server: DevServer, since: int) -> Counter:
    """Status counts of article-page requests the server answered after request #since."""
    return Counter(
        seen.status for seen in server.site.requests[since:] if seen.path.startswith("/en/article/")
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """First crawl, unchanged re-crawl, a crawl after 3 changes + 2 additions, one after a
    deletion, and a full re-crawl, all sharing one output folder and crawl state."""
    tmp = tmp_path_factory.mktemp("incremental")
    output = tmp / "output"
    results: dict = {}
    with DevServer(SITE) as server:
        site = server.site
        base = server.base_url.rstrip("/")

        def crawl(name: str, *extra: str) -> tuple[CrawlResult, Counter, float]:
            since = len(site.requests)
            started = time.monotonic()
            if "mode=full" not in extra:
                extra = ("-a", "mode=incremental", *extra)  # the feed (-O) alone means full
            result = run_crawl(server.base_url, tmp, *extra, name=name, output_dir=output)
            return result, article_fetches(server, since), time.monotonic() - started

        results["first"] = crawl("first")
        results["unchanged"] = crawl("unchanged")

        for article_id in CHANGED:
            html = site._file_text(site.routes[f"/en/article/{article_id}"]["file"])
            html = re.sub(r'(<div class="question-text">)', r"\1UPDATED: ", html, count=1)
            site.change_article(article_id, html, "2026-11-20")
        for new_id, source_id in ADDED.items():
            html = site._file_text(site.routes[f"/en/article/{source_id}"]["file"])
            html = html.replace(source_id, new_id)
            site.add_article(new_id, html, "2026-11-21")
        results["changed"] = crawl("changed")

        site.delete_article(DELETED)
        results["deleted"] = crawl("deleted")
        results["deleted_again"] = crawl("deleted_again")

        site.delete_article(STALE, keep_in_sitemap=True)
        results["stale_skipped"] = crawl("stale_skipped")
        results["stale_revalidated"] = crawl(
            "stale_revalidated", "-s", "QA_REVALIDATE_AFTER_DAYS=0"
        )
        results["full"] = crawl("full", "-a", "mode=full")
        results["base"] = base
    return results


def test_first_crawl_emits_every_article_as_new(runs) -> None:
    result, fetches, _ = runs["first"]
    assert result.returncode == 0
    assert {item["article_id"] for item in result.feed_items} == LIVE
    manifest = result.manifest()
    assert manifest["counts"]["new"] == 25 and manifest["counts"]["changed"] == 0
    assert manifest["mode"] == "incremental" and manifest["resumed"] is False
    assert {change["article_id"] for change in manifest["changes"]} == LIVE
    assert fetches[200] == 25


def test_unchanged_site_recrawl_emits_nothing_and_fetches_almost_no_article(runs) -> None:
    result, fetches, _ = runs["unchanged"]
    assert result.returncode == 0
    assert result.feed_items == []
    [items_file] = result.run_files(f"{result.stats['qa/run_id']}.jsonl")
    assert items_file.read_text() == ""
    full_fetches = fetches[200]
    assert full_fetches <= 0.05 * len(LIVE)
    stats = result.stats
    skipped = stats.get("qa/unchanged/skipped_by_lastmod", 0)
    not_modified = stats.get("qa/unchanged/not_modified", 0)
    assert skipped + not_modified + stats.get("qa/unchanged/content_same", 0) == len(LIVE)
    assert fetches[304] == not_modified
    counts = result.manifest()["counts"]
    assert counts["unchanged"] == 25 and counts["new"] == counts["changed"] == 0
    assert result.manifest()["changes"] == []


def test_three_changed_and_two_added_articles_are_exactly_what_is_emitted(runs) -> None:
    result, _, _ = runs["changed"]
    assert result.returncode == 0
    emitted = Counter(item["article_id"] for item in result.feed_items)
    assert emitted == Counter(set(CHANGED) | set(ADDED))
    for item in result.feed_items:
        if item["article_id"] in CHANGED:
            assert item["question"]["text"].startswith("UPDATED: ")
    changes = {row["article_id"]: row["change"] for row in result.manifest()["changes"]}
    assert changes == {**dict.fromkeys(CHANGED, "changed"), **dict.fromkeys(ADDED, "new")}
    counts = result.manifest()["counts"]
    assert (counts["new"], counts["changed"], counts["unchanged"]) == (2, 3, 25 - 3)


def test_deleted_article_is_reported_gone(runs) -> None:
    result, _, _ = runs["deleted"]
    assert result.returncode == 0
    assert result.feed_items == []
    manifest = result.manifest()
    assert manifest["counts"]["gone"] == 1
    assert [row["article_id"] for row in manifest["changes"] if row["change"] == "gone"] == [
        DELETED
    ]


def test_a_gone_article_is_reported_once(runs) -> None:
    result, _, _ = runs["deleted_again"]
    assert result.returncode == 0
    manifest = result.manifest()
    assert manifest["counts"]["gone"] == 0 and manifest["changes"] == []


def test_skipped_articles_are_re_checked_after_the_revalidation_age(runs) -> None:
    skipped, _, _ = runs["stale_skipped"]  # confirmed live today: trusted by its lastmod
    assert skipped.manifest()["counts"]["gone"] == 0
    assert skipped.stats["qa/unchanged/skipped_by_lastmod"] >= 20
    revalidated, fetches, _ = runs["stale_revalidated"]
    assert revalidated.stats.get("qa/unchanged/skipped_by_lastmod", 0) == 0
    assert fetches[304] >= 20  # re-checked conditionally, not downloaded
    assert [row["article_id"] for row in revalidated.manifest()["changes"]] == [STALE]
    assert revalidated.manifest()["changes"][0]["change"] == "gone"


def test_full_mode_re_emits_everything(runs) -> None:
    result, fetches, _ = runs["full"]
    live_now = (LIVE - {DELETED, STALE}) | set(ADDED)
    assert Counter(item["article_id"] for item in result.feed_items) == Counter(live_now)
    assert fetches[304] == 0
    assert result.manifest()["mode"] == "full"


def test_manifest_names_files_with_their_sha256(runs) -> None:
    import hashlib

    result, _, _ = runs["changed"]
    manifest = result.manifest()
    folder = result.output_dir / "doctorqna"
    for role in ("items", "rejects"):
        entry = manifest["files"][role]
        data = (folder / entry["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert data.count(b"\n") == entry["lines"]
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert manifest["base_url"] == runs["base"] + "/"
    assert manifest["started_at"] <= manifest["finished_at"]


# --- crash safety ------------------------------------------------------------------------------
@pytest.mark.parametrize("jobdir", [False, True], ids=["rerun", "jobdir"])
def test_killed_crawl_started_again_loses_nothing_and_duplicates_nothing(tmp_path, jobdir) -> None:
    output = tmp_path / "output"
    extra = [
        *SLOW_CRAWL,
        "-a",
        "mode=incremental",
        *(["-s", f"JOBDIR={tmp_path / 'job'}"] if jobdir else []),
    ]
    with DevServer(SITE) as server:
        command = crawl_command(server.base_url, output, tmp_path / "killed.jsonl", *extra)
        code = kill_after_lines(
            command, tmp_path / "killed.log", output / "doctorqna" / "*Z.jsonl.part", lines=8
        )
        assert code == -signal.SIGKILL
        folder = output / "doctorqna"
        assert list(folder.glob("*Z.jsonl")) == []  # never renamed to the final name
        [part] = folder.glob("*Z.jsonl.part")
        assert part.read_bytes().count(b"\n") >= 8

        resumed = run_crawl(server.base_url, tmp_path, *extra, name="resumed", output_dir=output)
    assert resumed.returncode == 0, resumed.log[-2000:]
    [final] = folder.glob("*Z.jsonl")
    assert final.name == part.name.removesuffix(".part")  # the same run, completed
    ids = [json.loads(line)["article_id"] for line in final.read_text().splitlines()]
    assert len(ids) == len(set(ids))
    assert set(ids) == LIVE  # what an uninterrupted run writes
    manifest = resumed.manifest()
    assert manifest["resumed"] is True
    assert manifest["counts"]["new"] == 25
    assert list(folder.glob("*.part")) == []


def test_second_run_on_the_same_state_refuses_to_start(tmp_path) -> None:
    output = tmp_path / "output"
    lock = RunLock(output / "doctorqna" / "state.sqlite3")
    lock.acquire()
    try:
        with DevServer(SITE) as server:
            result = run_crawl(server.base_url, tmp_path, output_dir=output)
            assert server.site.requests == []
    finally:
        lock.release()
    assert result.returncode != 0
    assert "another doctorqna crawl is using" in result.log
    assert not list((output / "doctorqna").glob("*.jsonl*"))
