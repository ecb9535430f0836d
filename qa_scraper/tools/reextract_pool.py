"""The re-extraction's worker processes: the archived answers in tasks of :data:`CHUNK`
records, extracted in ``--jobs`` forked processes (or in this one when there is one task or
one job), their results in order."""

from __future__ import annotations

import functools
import multiprocessing
import os
import signal
from collections.abc import Iterator
from typing import Any

from qa_scraper.tools.reextract_sources import Source
from qa_scraper.tools.reextract_worker import extract, project_settings

CHUNK = 48  # records per task handed to a process


def _batches(sources: list[Source]) -> Iterator[list[Source]]:
    for start in range(0, len(sources), CHUNK):
        yield sources[start : start + CHUNK]


def _warm_up() -> None:
    from spidermon.contrib.scrapy.extensions import Spidermon  # noqa: F401

    from qa_scraper.delivery.validation import fast_validator
    from qa_scraper.pages.article import ArticlePage

    fast_validator()
    project_settings()
    ArticlePage("http://localhost/en/article/1", "<html><body>warm-up</body></html>").to_item()


def processes(jobs: int | None, articles: int) -> int:
    """Extraction processes for ``articles``: ``--jobs`` (default: the CPUs), never more than
    there are tasks of :data:`CHUNK` records (``--jobs 100000`` must not fork 100,000)."""
    return max(1, min(jobs or os.cpu_count() or 1, -(-articles // CHUNK)))


def results(todo: list[Source], jobs: int | None, run_id: str) -> Iterator[tuple[Any, ...]]:
    """The results of extracting ``todo`` for run ``run_id``, in order."""
    jobs = processes(jobs, len(todo))
    if jobs == 1:
        for batch in _batches(todo):
            yield from extract(batch, run_id)
        return
    _warm_up()  # imported and compiled once here, inherited by every forked worker
    context = multiprocessing.get_context("fork")
    # Ctrl-C reaches the parent only (it stops the run); the pool's exit ends the workers.
    with context.Pool(
        jobs, initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN)
    ) as pool:
        for extracted in pool.imap(functools.partial(extract, run_id=run_id), _batches(todo)):
            yield from extracted
