"""Field-coverage counting per item: Spidermon's own against the project's, same run (issue 21).

    .venv/bin/python benchmarks/bench_coverage.py [--rounds 30]

The items are the saved site's (``ArticlePage.to_item()`` of each saved article, with the
``warc`` field a crawl adds). Each side is the ``item_scraped`` handler of an extension
built on a crawler with the project's settings and Scrapy's stats collector: (a)
Spidermon's ``Spidermon`` (``SPIDERMON_ADD_FIELD_COVERAGE``), (b) the project's
``FieldCoverageSpidermon`` (qa_scraper/extensions/coverage.py). Prints the best time per item of
each (all items, ``--rounds`` times, the least disturbed round) and their ratio, after
checking that both leave the same stats.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.project import get_project_settings
from spidermon.contrib.scrapy.extensions import Spidermon

from qa_scraper.extensions.coverage import FieldCoverageSpidermon
from qa_scraper.pages.article import ArticlePage
from tests.conftest import load_expected, saved_page


def saved_items() -> list[dict[str, Any]]:
    warc = {"file": "x.warc.gz", "offset": 0, "record_id": "<urn:uuid:x>"}
    return [
        dict(
            ArticlePage(item["url"], saved_page(f"/en/article/{item['article_id']}")).to_item(),
            warc=warc,
        )
        for item in load_expected()
    ]


def extension(cls: type[Spidermon], settings: Any) -> tuple[Spidermon, Any]:
    crawler = SimpleNamespace(settings=settings, stats=None, spider=None)
    crawler.stats = MemoryStatsCollector(crawler)
    ext = cls(crawler)
    spider = SimpleNamespace(crawler=crawler)
    return ext, spider


def per_item(cls: type[Spidermon], settings: Any, items: list[Any], rounds: int) -> float:
    """Best time of one pass over ``items`` by a fresh extension, divided by the items."""
    best = float("inf")
    for _ in range(rounds):
        ext, spider = extension(cls, settings)
        handler = ext.item_scraped
        start = time.perf_counter()
        for item in items:
            handler(item, None, spider)
        best = min(best, time.perf_counter() - start)
    return best / len(items)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    settings = get_project_settings()
    items = saved_items() * 4  # 100 items a round

    stats = []
    for cls in (Spidermon, FieldCoverageSpidermon):
        ext, spider = extension(cls, settings)
        for item in items:
            ext.item_scraped(item, None, spider)
        stats.append(ext.crawler.stats.get_stats())
    same = stats[0] == stats[1]
    print(f"same stats: {same} ({len(stats[0])} counters, {len(items)} items)")

    spidermon = fast = float("inf")
    for _ in range(3):  # interleaved: both see the same load
        spidermon = min(spidermon, per_item(Spidermon, settings, items, args.rounds))
        fast = min(fast, per_item(FieldCoverageSpidermon, settings, items, args.rounds))
    print(f"Spidermon's item_scraped:     {spidermon * 1e3:.4f} ms an item")
    print(f"project's (qa_scraper.extensions.coverage): {fast * 1e3:.4f} ms an item")
    print(f"ratio Spidermon / project: {spidermon / fast:.1f}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
