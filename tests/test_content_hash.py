"""content_hash does not depend on the host (issue 19): the same saved site crawled again on
another port, every article fetched in full, gives 0 changed and 0 delivered; only a change
of content changes the hash."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path

import pytest

from qa_scraper.items import content_hash
from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE, load_expected
from tests.crawl_helpers import run_crawl

LIVE = {item["article_id"] for item in load_expected()}


def test_the_hash_ignores_scheme_host_and_port_but_not_content() -> None:
    [local] = load_expected("http://127.0.0.1:8123")[:1]
    [mirror] = load_expected("https://mirror.example.org")[:1]
    assert local["url"] != mirror["url"]
    assert content_hash(local) == content_hash(mirror)
    edited = copy.deepcopy(mirror)
    edited["replies"][0]["text"] += " Take care."
    assert content_hash(edited) != content_hash(mirror)
    moved = copy.deepcopy(mirror)
    moved["related_faqs"][0]["url"] = "https://mirror.example.org/en/faq/another-topic"
    assert content_hash(moved) != content_hash(mirror)  # the path is content


@pytest.mark.slow
def test_recrawling_the_same_site_on_another_port_changes_nothing(tmp_path: Path) -> None:
    output = tmp_path / "output"
    with DevServer(SITE) as first_server:
        first = run_crawl(first_server.base_url, tmp_path, "-a", "mode=incremental", name="a")
    assert first.manifest()["counts"]["new"] == len(LIVE)

    with DevServer(SITE) as mirror:
        assert mirror.base_url != first_server.base_url
        # A mirror sends no validators: with every article due for re-checking, each one is
        # fetched in full and compared by its content hash.
        for route in mirror.site.routes.values():
            route["headers"] = {
                name: value
                for name, value in route.get("headers", {}).items()
                if name not in ("ETag", "Last-Modified")
            }
        second = run_crawl(
            mirror.base_url,
            tmp_path,
            "-a",
            "mode=incremental",
            "-s",
            "QA_REVALIDATE_AFTER_DAYS=0",
            name="b",
            output_dir=output,
        )
        fetched = Counter(
            seen.status for seen in mirror.site.requests if seen.path.startswith("/en/article/")
        )
    assert second.returncode == 0, second.log[-3000:]
    counts = second.manifest()["counts"]
    assert counts["changed"] == 0
    assert counts["written"] == 0
    assert counts["unchanged"] == len(LIVE)
    assert second.stats["qa/unchanged/content_same"] == len(LIVE)  # all fetched in full
    assert fetched[200] == len(LIVE)
