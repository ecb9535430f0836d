"""The manifest's summary and file, as written for a large run (issue 21: flat memory)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from qa_scraper.delivery.manifest import read_manifest, run_manifests, run_summary, stage_manifest
from qa_scraper.delivery.state import CrawlState


def _staged(changes: list[str]) -> Iterator[dict[str, str]]:
    """Rows as CrawlState.changes gives them, readable once."""
    for number, change in enumerate(changes):
        yield {"article_id": f"{number:06d}", "url": f"/en/article/{number}", "change": change}


def test_the_summary_reads_the_staged_changes_once_and_keeps_only_the_delivered_ones() -> None:
    summary = run_summary(
        _staged(["new", "unchanged", "changed", "gone", "rejected", "unchanged"]),
        written=2,
        stats={"qa/rejected": 1},
    )
    assert {
        k: summary["counts"][k] for k in ("new", "changed", "unchanged", "gone", "rejected")
    } == {
        "new": 1,
        "changed": 1,
        "unchanged": 2,
        "gone": 1,
        "rejected": 1,
    }
    assert summary["counts"]["written"] == 2
    assert [row["article_id"] for row in summary["changes"]] == ["000000", "000002", "000003"]
    assert summary["changes"][0] == {
        "article_id": "000000",
        "url": "/en/article/0",
        "change": "new",
    }


def test_without_a_state_the_counts_come_from_the_stats() -> None:
    summary = run_summary(None, written=3, stats={"qa/items_written": 3, "qa/rejected": 1})
    assert summary["counts"]["new"] == 3 and summary["counts"]["rejected"] == 1
    assert summary["changes"] == []


def test_the_state_s_changes_feed_the_summary_in_article_order(tmp_path: Path) -> None:
    state = CrawlState(tmp_path / "state.sqlite3")
    state.start_run("r1", "http://127.0.0.1:1/", "full", None)
    for article_id, change in (("3", "new"), ("1", "unchanged"), ("2", "changed")):
        state.stage("r1", article_id, url=f"/en/article/{article_id}", change=change)
    summary = run_summary(state.changes("r1"), written=2, stats={})
    assert [row["article_id"] for row in summary["changes"]] == ["2", "3"]
    assert summary["counts"]["unchanged"] == 1
    state.close()


def test_the_manifest_file_is_indented_json_with_a_final_newline(tmp_path: Path) -> None:
    manifest = {"run_id": "r1", "changes": list(_staged(["new"] * 3)), "note": "é, 中文"}
    path = tmp_path / "r1.manifest.json"
    stage_manifest(path, manifest)
    written = (tmp_path / "r1.manifest.json.part").read_text(encoding="utf-8")
    assert written == json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def test_readers_that_look_back_get_the_manifest_without_its_changes(tmp_path: Path) -> None:
    manifest = {
        "run_id": "r1",
        "counts": {"new": 3},
        "changes": list(_staged(["new", "changed", "gone"])),
        # objects that only look like a change are kept
        "files": {"items": {"article_id": "1", "url": "/x", "lines": 3}},
        "other": [
            {"article_id": "1", "url": "/x"},
            {"url": "/x", "article_id": "1", "change": "?"},
        ],
    }
    stage_manifest(tmp_path / "r1.manifest.json", manifest)
    (tmp_path / "r1.manifest.json.part").rename(tmp_path / "r1.manifest.json")
    expected = {key: value for key, value in manifest.items() if key != "changes"}
    assert read_manifest(tmp_path / "r1.manifest.json") == expected
    assert run_manifests(tmp_path) == [("r1", expected)]


def test_past_manifests_a_run_could_not_have_written_are_passed_over(tmp_path: Path) -> None:
    from qa_scraper.extensions.monitoring import previous_manifest

    good = {"run_id": "r1", "monitors": {"items_scraped": 25}, "coverage": {"title": 1.0}}
    odd = [
        {"run_id": "r2", "monitors": "passed", "coverage": {"title": 1.0}},
        {"run_id": "r3", "monitors": {"items_scraped": 25}, "coverage": "full"},
        {"run_id": "r4", "monitors": {"items_scraped": 25}, "coverage": {"title": "high"}},
        {"run_id": "r5", "monitors": {"items_scraped": "many"}, "coverage": {"title": 1.0}},
    ]
    for manifest in (good, *odd):
        path = tmp_path / f"{manifest['run_id']}.manifest.json"
        path.write_text(json.dumps(manifest), encoding="utf-8")
    (tmp_path / "r6.manifest.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert [name for name, _ in run_manifests(tmp_path)] == ["r1", "r2", "r3", "r4", "r5"]
    assert previous_manifest(tmp_path, min_items=10) == good
