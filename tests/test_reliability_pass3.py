"""Issue 16 (third hostile pass), crawl-level regressions against the dev server: a canonical
link naming another article, deleted articles never reported gone, failures to write the
output or the state reported as success, and the smaller ones."""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

import pytest

from qa_scraper.delivery.crash import CRASH_ENV
from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE, load_expected, without_run_fields
from tests.crawl_helpers import run_crawl

LIVE = {item["article_id"] for item in load_expected()}
INCREMENTAL = ["-a", "mode=incremental"]


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _html(site, article_id: str) -> str:
    return site._file_text(site.routes[f"/en/article/{article_id}"]["file"])


@pytest.mark.slow
def test_a_canonical_link_naming_another_article_never_changes_identity(tmp_path: Path) -> None:
    """Defect 1: page A carries a canonical link to article B. A is delivered as A (its own
    content, URL and id), counted and logged; B keeps its own content; a later change of A
    is delivered once, by one run, and never under B's id."""
    output = tmp_path / "output"
    liar, named = "174501", "174506"
    with DevServer(SITE) as server:
        site, base = server.site, server.base_url.rstrip("/")
        lying = _html(site, liar).replace(
            f'rel="canonical" href="{{{{BASE}}}}/en/article/{liar}"',
            f'rel="canonical" href="{{{{BASE}}}}/en/article/{named}"',
        )
        assert lying != _html(site, liar)
        site.change_article(liar, lying, "2020-06-19")

        def crawl(name: str):
            result = run_crawl(base, tmp_path, *INCREMENTAL, name=name, output_dir=output)
            assert result.returncode == 0, result.log[-3000:]
            [items] = result.run_files(f"{result.stats['qa/run_id']}.jsonl")
            return result, _lines(items)

        first, first_items = crawl("first")
        by_id = {item["article_id"]: item for item in first_items}
        assert set(by_id) == LIVE and len(first_items) == len(LIVE)
        expected = {item["article_id"]: item for item in load_expected(base)}
        for article_id in (liar, named):
            assert without_run_fields(by_id[article_id]) == without_run_fields(expected[article_id])
        assert first.stats["qa/canonical_ignored"] == 1
        assert f"Ignoring the canonical link of {base}/en/article/{liar}" in first.log

        edited = re.sub(r'(<div class="question-text">)', r"\1UPDATED: ", lying, count=1)
        site.change_article(liar, edited, "2026-11-20")
        second, second_items = crawl("second")
        third, third_items = crawl("third")
    assert [(item["article_id"], item["url"]) for item in second_items] == [
        (liar, f"{base}/en/article/{liar}")
    ]
    assert second_items[0]["question"]["text"].startswith("UPDATED: ")
    assert [(c["article_id"], c["change"]) for c in second.manifest()["changes"]] == [
        (liar, "changed")
    ]
    assert third_items == [] and third.manifest()["changes"] == []


def test_the_page_object_keeps_the_fetched_identity_and_names_the_conflict() -> None:
    from qa_scraper.pages.article import ArticlePage
    from tests.conftest import BASE, saved_page

    html = saved_page("/en/article/174501").replace(
        f'canonical" href="{BASE}/en/article/174501"', f'canonical" href="{BASE}/en/article/174506"'
    )
    page = ArticlePage(f"{BASE}/en/article/174501", html)
    item = page.to_item()
    assert (item["article_id"], item["url"]) == ("174501", f"{BASE}/en/article/174501")
    assert page.canonical_conflict == f"{BASE}/en/article/174506"
    legacy = ArticlePage(f"{BASE}/article.php?id=174501", saved_page("/en/article/174501"))
    assert legacy.to_item()["url"] == f"{BASE}/en/article/174501"
    assert legacy.canonical_conflict is None


GONE_410, FAILED_THEN_DELETED = "174507", "174512"
# Not a Similar Q&A of the two above (fetched again on the moved site) nor on /en/latest: only
# the re-check of unlisted articles can find it deleted.
DELETED_AFTER_MOVE = "174525"


@pytest.fixture(scope="module")
def deletions(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Defect 4, one state through five runs: first; an article answering 410 and unlisted,
    another failing (500); the failed one then deleted (404, unlisted); the same site moved
    to another port, where a third article is deleted."""
    tmp = tmp_path_factory.mktemp("deletions")
    output = tmp / "output"
    results: dict = {}

    def crawl(server: DevServer, name: str):
        since = len(server.site.requests)
        result = run_crawl(server.base_url, tmp, *INCREMENTAL, name=name, output_dir=output)
        assert result.returncode == 0, result.log[-3000:]
        paths = [seen.path for seen in server.site.requests[since:]]
        return result, paths

    with DevServer(SITE) as server:
        site = server.site
        results["first"] = crawl(server, "first")
        site.delete_article(GONE_410, status=410)
        failing = f"/en/article/{FAILED_THEN_DELETED}"
        site.change_article(FAILED_THEN_DELETED, _html(site, FAILED_THEN_DELETED), "2026-11-20")
        site.faults[failing] = "500"
        results["410_and_500"] = crawl(server, "410_and_500")
        del site.faults[failing]
        site.delete_article(FAILED_THEN_DELETED)
        results["deleted_after_failure"] = crawl(server, "deleted_after_failure")
    with DevServer(SITE) as moved:
        moved.site.delete_article(DELETED_AFTER_MOVE)
        results["moved"] = crawl(moved, "moved")
        results["moved_base"] = moved.base_url.rstrip("/")
    return results


def _changes(result) -> dict[str, str]:
    return {row["article_id"]: row["change"] for row in result.manifest()["changes"]}


@pytest.mark.slow
def test_410_means_gone(deletions) -> None:
    result, _ = deletions["410_and_500"]
    assert _changes(result) == {GONE_410: "gone"}
    assert result.manifest()["counts"]["gone"] == 1
    [rejects] = result.run_files(f"{result.stats['qa/run_id']}.rejects.ndjson")
    rejected = [line["url"].rsplit("/", 1)[1] for line in _lines(rejects)]
    assert rejected == [FAILED_THEN_DELETED]  # the 500 is a reject, the 410 is not


@pytest.mark.slow
def test_an_article_that_failed_and_was_then_deleted_is_reported_gone(deletions) -> None:
    result, paths = deletions["deleted_after_failure"]
    assert f"/en/article/{FAILED_THEN_DELETED}" in paths  # re-checked although it failed
    assert _changes(result) == {FAILED_THEN_DELETED: "gone"}


@pytest.mark.slow
def test_after_the_site_moved_the_recheck_asks_the_new_host(deletions) -> None:
    result, paths = deletions["moved"]
    assert f"/en/article/{DELETED_AFTER_MOVE}" in paths
    assert not any(key.startswith("qa/offsite_refused") for key in result.stats)
    changes = _changes(result)
    assert changes[DELETED_AFTER_MOVE] == "gone"
    [gone] = [row for row in result.manifest()["changes"] if row["change"] == "gone"]
    assert gone["url"] == f"{deletions['moved_base']}/en/article/{DELETED_AFTER_MOVE}"


@pytest.mark.slow
def test_a_resumed_run_with_nothing_left_to_write_is_a_success(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defect 7: killed after writing everything, before its commit; the resumed run has
    nothing left to write. The old item-count monitor saw "0 articles" (exit 7) while the
    manifest said written=25."""
    output = tmp_path / "output"
    with DevServer(SITE) as server:
        monkeypatch.setenv(CRASH_ENV, "manifest_staged")
        killed = run_crawl(
            server.base_url, tmp_path, *INCREMENTAL, name="killed", output_dir=output
        )
        monkeypatch.delenv(CRASH_ENV)
        assert killed.returncode == -signal.SIGKILL
        resumed = run_crawl(
            server.base_url, tmp_path, *INCREMENTAL, name="resumed", output_dir=output
        )
    assert resumed.returncode == 0, resumed.log[-3000:]
    manifest = resumed.manifest()
    assert manifest["resumed"] is True and manifest["counts"]["written"] == len(LIVE)
    assert manifest["monitors"]["failed"] == []


@pytest.mark.slow
def test_an_endless_redirect_chain_is_rejected_under_the_article_requested(
    tmp_path: Path,
) -> None:
    """Defect 7: the old reject named the chain's last hop (/en/hop/5: no article id), so
    the manifest counted rejected=0 against one rejects line."""
    with DevServer(SITE) as server:
        server.site.faults["/en/article/174501"] = "redirect-endless"
        result = run_crawl(server.base_url, tmp_path, *INCREMENTAL)
        base = server.base_url.rstrip("/")
    assert result.returncode == 0, result.log[-3000:]
    assert {item["article_id"] for item in result.feed_items} == LIVE - {"174501"}
    [rejects] = result.run_files(f"{result.stats['qa/run_id']}.rejects.*")
    [reject] = _lines(rejects)
    assert reject["url"] == f"{base}/en/article/174501" and reject["stage"] == "fetch"
    assert "max redirections reached" in reject["errors"][0]["message"]
    assert result.manifest()["counts"]["rejected"] == 1


@pytest.mark.slow
def test_an_entity_bomb_sitemap_is_counted_invalid(tmp_path: Path) -> None:
    """Defect 7: a billion-laughs sitemap read as an empty one, uncounted."""
    with DevServer(SITE) as server:
        server.site.faults["/sitemap-articles-2.xml"] = "xml-bomb"
        result = run_crawl(server.base_url, tmp_path, *INCREMENTAL)
    assert result.returncode == 0, result.log[-3000:]
    assert result.stats["qa/sitemap_invalid"] == 1
    assert "declares XML entities" in result.log
    # its articles are still found (listings, Similar Q&A links); none lost
    assert {item["article_id"] for item in result.feed_items} == LIVE
