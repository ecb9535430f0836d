"""Item pipelines: validate → deduplicate → detect changes → write the run's files.

Nothing is silently dropped: an invalid item becomes a :class:`Rejected`
record in the rejects file, counted in the stats under ``qa/rejected/*``; an
unchanged article (incremental mode) is counted under ``qa/unchanged/*``.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from qa_scraper.extensions import CrawlRunExtension
from qa_scraper.rejects import Rejected
from qa_scraper.runs import CrawlRun
from qa_scraper.urls import article_id_from_url
from qa_scraper.validation import SCHEMA_PATH, item_errors

logger = logging.getLogger(__name__)


class _CrawlerPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> _CrawlerPipeline:
        return cls(crawler)

    @property
    def run(self) -> CrawlRun | None:
        """The run (output files and crawl state), when run files are kept."""
        extension = self.crawler.get_extension(CrawlRunExtension)
        return extension.run if extension is not None else None


class ValidationPipeline(_CrawlerPipeline):
    """Checks every item against the JSON Schema; a failing one becomes a ``Rejected``."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.schema_path = crawler.settings.get("QA_SCHEMA_PATH") or str(SCHEMA_PATH)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, Rejected):
            return item
        errors = item_errors(item, self.schema_path)
        if not errors:
            return item
        url = item.get("url") if isinstance(item, dict) else None
        return Rejected(url or "(unknown)", "validation", errors, item)


class DeduplicationPipeline(_CrawlerPipeline):
    """One item per article_id per run (the first one wins; a resumed run remembers)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.seen: set[str] = set()

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, Rejected):
            return item
        article_id = item["article_id"]
        if article_id in self.seen or (self.run and article_id in self.run.written_ids):
            self.stats.inc_value("qa/duplicates")
            raise DropItem(f"duplicate article_id {article_id} ({item['url']})")
        self.seen.add(article_id)
        return item


class ChangeDetectionPipeline(_CrawlerPipeline):
    """Classifies each article against the crawl state: new, changed or unchanged.

    In incremental mode an unchanged article (same content hash as delivered
    before) is not written again; ``-a mode=full`` writes every article.
    """

    def process_item(self, item: Any, spider: Any = None) -> Any:
        run = self.run
        if run is None or run.state is None:
            return item
        if isinstance(item, Rejected):
            article_id = _article_id(item)
            # Written earlier in this run (e.g. reached again through a redirect that then
            # failed): that delivery stands; the reject line is still written.
            if article_id and article_id not in run.written_ids:
                run.stage(article_id, url=item.url, status="rejected", change="rejected")
            return item
        known = run.state.known(item["article_id"])
        if known is None or known.content_hash is None or known.gone:
            change = "new"  # first seen, or back after it was reported gone
        elif known.content_hash == item["content_hash"]:
            change = "unchanged"
        else:
            change = "changed"
        # Staged before the line is written: a run killed in between re-fetches the article.
        run.stage(
            item["article_id"], url=item["url"], content_hash=item["content_hash"], change=change
        )
        self.stats.inc_value(f"qa/change/{change}")
        if change == "unchanged" and run.mode == "incremental":
            self.stats.inc_value("qa/unchanged/content_same")
            raise DropItem(f"unchanged article {item['article_id']}", log_level="DEBUG")
        return item


def _article_id(rejected: Rejected) -> str | None:
    if rejected.item and rejected.item.get("article_id"):
        return rejected.item["article_id"]
    return article_id_from_url(rejected.url)


class RunOutputPipeline(_CrawlerPipeline):
    """Writes items to the run's JSONL and ``Rejected`` records to its rejects file.

    Rejected pages are then dropped (so ``-O`` feeds get valid items only).
    """

    def process_item(self, item: Any, spider: Any = None) -> Any:
        run = self.run
        if isinstance(item, Rejected):
            self.stats.inc_value("qa/rejected")
            self.stats.inc_value(f"qa/rejected/{item.stage}")
            if run is not None:
                run.write_reject(item.as_record())
            raise DropItem(str(item))
        if run is not None:
            run.write_item(item)
        self.stats.inc_value("qa/items_written")
        return item
