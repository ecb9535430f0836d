"""The crawl state store on its own (fast, no crawl): staging, the commit point, what a
delivered, confirmed, rejected, skipped or missing article leaves behind, and the run lock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from qa_scraper.delivery.lock import RunLock
from qa_scraper.delivery.state import CrawlState, KnownArticle
from qa_scraper.errors import RunLockedError, SetupError

URL = "http://127.0.0.1:8123/en/article/"


def reopen(state: CrawlState) -> CrawlState:
    """The state as the next run sees it (``known`` is read when a state is opened)."""
    state.close()
    return CrawlState(state.path)


def deliver(state: CrawlState, run_id: str, article_id: str, **values) -> CrawlState:
    state.start_run(run_id, "http://127.0.0.1:8123/", "incremental", None)
    state.stage(run_id, article_id, url=URL + article_id, **values)
    state.commit_run(run_id)
    state.finish_run(run_id)
    return reopen(state)


@pytest.fixture()
def state(tmp_path: Path) -> CrawlState:
    return CrawlState(tmp_path / "state.sqlite3")


def test_staged_values_become_the_state_only_at_the_commit(state: CrawlState) -> None:
    state.start_run("r1", "http://127.0.0.1:8123/", "incremental", None)
    state.stage(
        "r1",
        "1",
        url=URL + "1",
        status="200",
        etag='"a"',
        content_hash="h1",
        sitemap_lastmod="2026-01-01",
        change="new",
    )
    assert reopen(state).known("1") is None  # staged only
    state = reopen(state)
    state.commit_run("r1")
    known = reopen(state).known("1")
    assert (known.etag, known.content_hash, known.sitemap_lastmod, known.last_status) == (
        '"a"',
        "h1",
        "2026-01-01",
        "200",
    )
    assert known.delivered and not known.gone


def test_later_staging_keeps_what_it_does_not_say(state: CrawlState) -> None:
    state.start_run("r1", "http://127.0.0.1:8123/", "incremental", None)
    state.stage("r1", "1", sitemap_lastmod="2026-01-01")
    state.stage("r1", "1", url=URL + "1", status="200", content_hash="h1", change="new")
    state.commit_run("r1")
    assert reopen(state).known("1").sitemap_lastmod == "2026-01-01"


def test_a_rejected_fetch_keeps_the_last_delivered_validators(state: CrawlState) -> None:
    state = deliver(
        state,
        "r1",
        "1",
        status="200",
        etag='"a"',
        content_hash="h1",
        sitemap_lastmod="L1",
        change="new",
    )
    state = deliver(
        state, "r2", "1", status="rejected", etag='"b"', sitemap_lastmod="L2", change="rejected"
    )
    known = state.known("1")
    assert (known.etag, known.sitemap_lastmod, known.content_hash) == ('"a"', "L1", "h1")
    assert not known.delivered  # last seen rejected: fetched in full next time


def test_a_lastmod_skip_is_not_a_sighting(state: CrawlState) -> None:
    state = deliver(state, "r1", "1", status="200", content_hash="h1", change="new")
    seen = state.known("1").last_seen
    state.db.execute("UPDATE articles SET last_seen = '2020-01-01T00:00:00Z'")
    state = deliver(state, "r2", "1", status="skipped", change="unchanged")
    assert state.known("1").last_seen == "2020-01-01T00:00:00Z" != seen
    state = deliver(state, "r3", "1", status="304", change="unchanged")
    assert state.known("1").last_seen > "2020-01-01T00:00:00Z"  # a 304 confirms it


def test_gone_is_remembered(state: CrawlState) -> None:
    state = deliver(state, "r1", "1", status="200", content_hash="h1", change="new")
    state = deliver(state, "r2", "1", status="404", change="gone")
    assert state.known("1").gone and not state.known("1").delivered


def test_an_article_never_delivered_is_not_remembered(state: CrawlState) -> None:
    state = deliver(state, "r1", "1", status="rejected", change="rejected")
    assert state.known("1") is None


def test_run_statuses_through_the_close(state: CrawlState) -> None:
    state.start_run("r1", "http://127.0.0.1:8123/", "incremental", "/x/r1.jsonl")
    assert [row["status"] for row in state.unfinished_runs()] == ["running"]
    state.commit_run("r1")
    assert [row["status"] for row in state.unfinished_runs()] == ["committed"]
    state.finish_run("r1")
    assert state.unfinished_runs() == []
    state.start_run("r2", "http://127.0.0.1:8123/", "incremental", "/x/r2.jsonl")
    state.stage("r2", "1", status="200", change="new")
    state.abandon_run("r2")
    assert state.unfinished_runs() == [] and list(state.changes("r2")) == []


def test_seen_within() -> None:
    now = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
    known = KnownArticle("1", URL, None, None, None, "h", "200", "2026-11-20T00:00:00Z")
    assert known.seen_within(6, now) and not known.seen_within(5, now)
    assert not KnownArticle("1", URL, None, None, None, "h", "200", None).seen_within(9, now)


def test_unknown_state_columns_are_refused(state: CrawlState) -> None:
    with pytest.raises(ValueError, match="unknown state columns"):
        state.stage("r1", "1", colour="blue")


def test_a_state_path_that_is_a_folder_or_not_sqlite_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SetupError, match="is a directory"):
        CrawlState(tmp_path)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not sqlite at all")
    with pytest.raises(SetupError, match="not a SQLite database"):
        CrawlState(junk)


def test_the_run_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    first, second = RunLock(tmp_path / "s.sqlite3"), RunLock(tmp_path / "s.sqlite3")
    first.acquire()
    with pytest.raises(RunLockedError, match=r"lock held by pid \d+"):
        second.acquire()
    first.release()
    second.acquire()
    second.release()


def test_a_delivery_staged_after_a_lastmod_skip_is_what_the_state_keeps(
    state: CrawlState,
) -> None:
    """Issue 16, defect 1: a row staged "skipped" (sitemap lastmod unchanged) that then gets
    the content of a delivery keeps its new hash; the old code dropped the whole row, so the
    same change was delivered by every run."""
    state = deliver(state, "r1", "1", status="200", content_hash="h1", change="new")
    state.start_run("r2", "http://127.0.0.1:8123/", "incremental", None)
    state.stage("r2", "1", change="unchanged", status="skipped")
    state.stage("r2", "1", url=URL + "1", content_hash="h2", change="changed")
    state.commit_run("r2")
    known = reopen(state).known("1")
    assert known.content_hash == "h2" and known.last_status == "200" and known.delivered
