"""A worker's item pipeline: items and rejects go to the coordinator, not to local files."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from qa_scraper.delivery.rejects import Rejected
from qa_scraper.distributed.worker import Worker
from qa_scraper.urls import article_id_from_url


class WorkerResultPipeline:
    """In a worker: items and rejects go to the coordinator instead of local files
    (set in ITEM_PIPELINES by ``-a role=worker``, right after validation)."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerResultPipeline:
        worker = crawler.get_extension(Worker)
        if worker is None:
            raise NotConfigured  # not a worker: nothing to log
        return cls(worker)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, Rejected):
            article_id = article_id_from_url(item.url)
            message = {"type": "reject", "record": item.as_record()}
        else:
            article_id = item["article_id"]
            message = {"type": "item", "item": dict(item)}
        self.worker.send({**message, "article_id": article_id, "final": True})
        raise DropItem("handed to the coordinator", log_level="DEBUG")
