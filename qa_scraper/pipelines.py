"""Item pipelines: validate → deduplicate → detect changes → write the run's files.

Nothing is silently dropped: an invalid item becomes a :class:`Rejected`
record in the rejects file, counted in the stats under ``qa/rejected/*``; an
unchanged article (incremental mode) is counted under ``qa/unchanged/*``.

An exception on an item is a reject too, never an uncounted error: in one of
these pipelines it becomes a ``Rejected`` with that pipeline's stage
(``validation``, ``deduplication``, ``change_detection``, ``output``) and the
error; in any other pipeline (a user's), Scrapy's ``item_error`` signal makes
it one with stage ``pipeline``.
"""

from __future__ import annotations

import contextlib
import logging
from functools import cached_property
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from twisted.python.failure import Failure

from qa_scraper.delivery.files import new_run_id
from qa_scraper.delivery.lifecycle import CrawlRun
from qa_scraper.delivery.rejects import Rejected
from qa_scraper.delivery.validation import item_errors
from qa_scraper.errors import WriteFailed
from qa_scraper.extensions.crawl_run import CrawlRunExtension
from qa_scraper.urls import article_id_from_url

logger = logging.getLogger(__name__)


class _CrawlerPipeline:
    stage = "pipeline"  # the rejects' stage when this pipeline fails on an item

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> _CrawlerPipeline:
        return cls(crawler)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        try:
            return self.handle(item)
        except DropItem:
            raise
        except WriteFailed as error:  # the run already failed (logged, exit code 8)
            raise DropItem(f"not written: {error}", log_level="INFO") from None
        except Exception as error:
            if isinstance(item, Rejected):
                raise  # already a reject: the writer's own failure (item_error logs it)
            return failed_item(item, self.stage, error, type(self).__name__)

    def handle(self, item: Any) -> Any:
        raise NotImplementedError

    @property
    def run(self) -> CrawlRun | None:
        """The run (output files and crawl state), when run files are kept."""
        extension = self._run_extension
        return extension.run if extension is not None else None

    @cached_property
    def _run_extension(self) -> CrawlRunExtension | None:
        # (looked up once: get_extension tries every component of the crawler, and the
        # pipelines ask for the run seven times an item)
        return self.crawler.get_extension(CrawlRunExtension)


def failed_item(item: Any, stage: str, error: BaseException, where: str) -> Rejected:
    """An item a pipeline raised on, as a reject with the stage and the error."""
    logger.error("%s failed on an item; rejected (stage %s)", where, stage, exc_info=error)
    url = item.get("url") if isinstance(item, dict) else None
    message = f"{where}: {type(error).__name__}: {error}"
    return Rejected(url or "(unknown)", stage, [{"path": "(item)", "message": message}], item)


class ValidationPipeline(_CrawlerPipeline):
    """Stamps every item with the run's id, then checks it against the JSON Schema; a failing
    one becomes a ``Rejected``."""

    stage = "validation"

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.schema_path = crawler.settings.get("QA_SCHEMA_PATH") or None  # None: packaged
        self._own_run_id = new_run_id()  # a crawl that keeps no run (feeds only)

    @property
    def run_id(self) -> str:
        """This run's id; a distributed worker's: the coordinator's (which stamps it again)."""
        if self.run is not None:
            return self.run.run_id
        if not self.crawler.settings.get("QA_REDIS_URL"):
            return self._own_run_id  # (without importing redis)
        from qa_scraper.distributed.run import DistributedRun

        distributed = self.crawler.get_extension(DistributedRun)
        if distributed is not None and distributed.keys is not None:
            return distributed.keys.run_id
        return self._own_run_id

    def handle(self, item: Any) -> Any:
        if isinstance(item, Rejected):
            return item
        if isinstance(item, dict):
            item["run_id"] = self.run_id
        errors = item_errors(item, self.schema_path)
        if not errors:
            return item
        url = item.get("url") if isinstance(item, dict) else None
        warc = item.get("warc") if isinstance(item, dict) else None
        return Rejected(url or "(unknown)", "validation", errors, item, warc)


class DeduplicationPipeline(_CrawlerPipeline):
    """One item per article_id per run (the first one wins; a resumed run remembers)."""

    stage = "deduplication"

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.seen: set[str] = set()

    def handle(self, item: Any) -> Any:
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

    stage = "change_detection"

    def handle(self, item: Any) -> Any:
        run = self.run
        if run is None or run.state is None:
            return item
        if isinstance(item, Rejected):
            return item  # recorded in the state where it is written (RunOutputPipeline)
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


def _raiser(failure: Failure) -> str:
    """The class of the pipeline whose process_item raised (innermost such frame)."""
    name = "pipeline"
    traceback = failure.getTracebackObject()
    while traceback is not None:
        frame = traceback.tb_frame
        if frame.f_code.co_name == "process_item" and "self" in frame.f_locals:
            name = type(frame.f_locals["self"]).__name__
        traceback = traceback.tb_next
    return name


def _article_id(rejected: Rejected) -> str | None:
    if rejected.item and rejected.item.get("article_id"):
        return rejected.item["article_id"]
    return article_id_from_url(rejected.url)


class RunOutputPipeline(_CrawlerPipeline):
    """Writes items to the run's JSONL and ``Rejected`` records to its rejects file.

    Rejected pages are then dropped (so ``-O`` feeds get valid items only). It also
    turns an exception in any other pipeline (Scrapy's ``item_error``) into a reject.
    """

    stage = "output"

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunOutputPipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.item_error, signal=signals.item_error)
        return pipeline

    def handle(self, item: Any) -> Any:
        if isinstance(item, Rejected):
            self._reject(item)
        try:
            if self.run is not None:
                self.run.write_item(item)
        except WriteFailed:
            raise  # the whole run failed: no reject to write either
        except Exception as error:
            self._reject(failed_item(item, self.stage, error, type(self).__name__))
        self.stats.inc_value("qa/items_written")
        return item

    def _reject(self, rejected: Rejected) -> None:
        """Count and write a reject (and record it in the state), then drop it."""
        self.stats.inc_value("qa/rejected")
        self.stats.inc_value(f"qa/rejected/{rejected.stage}")
        run = self.run
        if run is not None:
            article_id = _article_id(rejected)
            # Written earlier in this run (e.g. reached again through a redirect that then
            # failed): that delivery stands; the reject line is still written. Otherwise it
            # may have been staged as new or changed already: not delivered after all.
            if article_id and article_id not in run.written_ids:
                run.stage(article_id, url=rejected.url, status="rejected", change="rejected")
            run.write_reject(rejected.as_record())
        raise DropItem(str(rejected))

    def item_error(self, item: Any, response: Any, spider: Any, failure: Failure) -> None:
        """Another pipeline raised on an item: the article is a reject, stage ``pipeline``."""
        if isinstance(item, Rejected) or not isinstance(failure.value, Exception):
            return  # our own writer failed on a reject: Scrapy has logged it
        run = self.run
        if run is not None and isinstance(item, dict) and item.get("article_id") in run.written_ids:
            return  # raised after we wrote it (a later pipeline): delivered all the same
        where = _raiser(failure)
        rejected = failed_item(item, "pipeline", failure.value, where)
        with contextlib.suppress(DropItem):  # the drop is Scrapy's to do: it already failed
            self._reject(rejected)
