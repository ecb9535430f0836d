"""The work of one re-extraction process: archived answers read back from their WARC
records, extracted, validated and counted, as result tuples for the run driver
(``item``, ``reject``, ``not_found``, ``damaged``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from qa_scraper.delivery import archive as warc
from qa_scraper.extensions.coverage import CoverageCounter
from qa_scraper.items import item_line
from qa_scraper.tools.reextract_sources import Source


def _warc_date(date: str) -> dt.datetime:
    return dt.datetime.strptime(date[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.UTC)


def extract(sources: list[Source], run_id: str) -> list[tuple[Any, ...]]:
    """Extract a batch of archived answers (runs in a worker process) for run ``run_id``."""
    from qa_scraper.delivery.validation import item_errors
    from qa_scraper.pages.article import ArticlePage

    coverage = project_coverage()
    out: list[tuple[Any, ...]] = []
    handles: dict[str, Any] = {}
    try:
        for source in sources:
            handle = handles.get(source.path) or handles.setdefault(
                source.path,
                open(source.path, "rb"),  # noqa: SIM115
            )
            handle.seek(source.offset)
            data = handle.read(source.length)
            try:
                record = warc.read_member(data, Path(source.path), source.offset)
            except ValueError as error:
                out.append(("damaged", source.article_id, str(error)))
                continue
            provenance = {
                "file": Path(source.path).name,
                "offset": source.offset,
                "record_id": record.record_id,
            }
            content_type = record.http_header("Content-Type")
            page = ArticlePage(source.url, record.body, content_type=content_type)
            if page.is_not_found_page():
                out.append(("not_found", source.article_id, source.url))
                continue
            item = page.to_item(scraped_at=_warc_date(source.date))
            item["warc"] = provenance
            item["run_id"] = run_id
            seen = item["scraped_at"]
            if page.problems:
                errors = [problem.as_dict() for problem in page.problems]
                reject = _reject(item["url"] or source.url, "extraction", errors, item, provenance)
                out.append(("reject", source.article_id, reject, seen))
                continue
            errors = item_errors(item)
            if errors:
                reject = _reject(item["url"] or source.url, "validation", errors, item, provenance)
                out.append(("reject", source.article_id, reject, seen))
                continue
            line = item_line(item)
            keys = coverage.keys(item)
            out.append(
                ("item", item["article_id"], item["url"], item["content_hash"], line, keys, seen)
            )
    finally:
        for handle in handles.values():
            handle.close()
    return out


def _reject(url: str, stage: str, errors: list, item: Any, provenance: Any) -> dict[str, Any]:
    from qa_scraper.delivery.rejects import Rejected

    return Rejected(url, stage, errors, item, provenance).as_record()


_SETTINGS: Any = None


def project_settings() -> Any:
    """The project's settings (settings.py), read once per process."""
    global _SETTINGS  # noqa: PLW0603 (one per process)
    if _SETTINGS is None:
        from scrapy.settings import Settings

        _SETTINGS = Settings()
        _SETTINGS.setmodule("qa_scraper.settings", priority="project")
    return _SETTINGS


_COVERAGE: CoverageCounter | None = None


def project_coverage() -> CoverageCounter:
    """The crawl's field-coverage counter under the project's settings, built once per
    process: a re-extracted item adds the counters a crawled one adds."""
    global _COVERAGE  # noqa: PLW0603 (one per process)
    if _COVERAGE is None:
        _COVERAGE = CoverageCounter.from_settings(project_settings())
    return _COVERAGE
