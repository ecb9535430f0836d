"""``python -m qa_scraper reextract``: today's extractor over the archived answers, no network.

Reads the WARC archives of the delivered runs in the run folder (the manifests name them;
``--runs`` picks some), keeps the **latest** archived answer (``response`` record) of every
article, and extracts them again in ``--jobs`` processes. The result is a normal delivered
run of its own — items, rejects, manifest (``kind: reextract``, ``runs_read``), report,
monitors, exit codes — closed around the same commit point as a crawl
(:class:`qa_scraper.delivery.lifecycle.CrawlRun`): interrupted, it is resumed by the next
re-extraction, and nothing of it is delivered before that.

* ``--mode incremental`` (default): only articles whose ``content_hash`` differs from the
  crawl state's (or that the state never delivered) are written; the state is updated.
  ``--mode full``: every article is written.
* Articles the state reports gone are not brought back. Soft-404 pages are skipped.
* Damaged records (truncated or bit-flipped gzip members, records cut short) are skipped,
  counted (``qa/reextract/damaged_records``) and named (file and offset) in the log.
* An archive of another site (its ``warcinfo`` names another host) is refused.
* The network is never used: the process refuses every socket connection
  (:func:`forbid_network`), so anything that would need the site fails instead.

This module drives the run (open, deliver in batches, monitors, close); which archived
answers are read is :mod:`~qa_scraper.tools.reextract_sources`, the processes
:mod:`~qa_scraper.tools.reextract_pool`, one process's work
:mod:`~qa_scraper.tools.reextract_worker` (its field coverage counted by the crawl's own
:class:`~qa_scraper.extensions.coverage.CoverageCounter`).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import Counter
from pathlib import Path
from typing import Any

from qa_scraper.delivery.lifecycle import CrawlRun
from qa_scraper.errors import ExitCode, SetupError, WriteFailed
from qa_scraper.tools.reextract_pool import results
from qa_scraper.tools.reextract_sources import archived_runs, build_index, inc_stat
from qa_scraper.tools.reextract_worker import project_coverage, project_settings

logger = logging.getLogger(__name__)
BATCH = 500  # results staged in one state transaction, then written


class NetworkForbidden(OSError):
    """A re-extraction tried to open a connection."""


def forbid_network() -> None:
    """Make every connection attempt of this process (and its children) fail at once."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise NetworkForbidden("reextract never uses the network (it would need the site)")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse  # type: ignore[assignment]
    socket.getaddrinfo = refuse  # type: ignore[assignment]


# --- the run --------------------------------------------------------------------------------
def reextract(
    output_dir: str,
    mode: str = "incremental",
    jobs: int | None = None,
    runs: list[str] | None = None,
    spider_name: str = "doctorqna",
) -> ExitCode:
    """Re-extract the latest archived answer of every article into a delivered run."""
    forbid_network()
    started = time.monotonic()
    folder = Path(output_dir) / spider_name
    sources_runs = archived_runs(folder, runs)
    base_url = sources_runs[-1][1]["base_url"]
    stats: dict[str, Any] = {}
    index = build_index(folder, sources_runs, base_url, stats)
    if not index:  # every archive missing or damaged: refuse, as for a missing folder
        raise SetupError(
            f"nothing to re-extract: the archives of {len(sources_runs)} run(s) in {folder}"
            " hold no readable article answer (damaged records:"
            f" {stats.get('qa/reextract/damaged_records', 0)}, missing archives:"
            f" {stats.get('qa/reextract/missing_archives', 0)}, records of another site:"
            f" {stats.get('qa/reextract/offsite_records', 0)})",
            "Check them with warcio check, or give --runs the runs whose archives are whole",
        )
    run = CrawlRun(
        spider_name=spider_name,
        base_url=base_url,
        mode=mode,
        output_dir=output_dir,
        kind="reextract",
        sources=[run_id for run_id, _ in sources_runs],
    )
    run.open()
    logger.info(
        "Re-extracting %d articles archived by %d run(s) into run %s (%s, %d process(es))",
        len(index),
        len(sources_runs),
        run.run_id,
        mode,
        jobs or os.cpu_count() or 1,
    )
    todo = sorted(
        (source for article_id, source in index.items() if not run.done(article_id)),
        key=lambda source: (source.path, source.offset),
    )
    inc_stat(stats, "qa/reextract/already_done", len(index) - len(todo))
    if run.resumed:
        _count_resumed(run, stats)
    reason = "finished"
    try:
        batch: list[tuple[Any, ...]] = []
        for result in results(todo, jobs, run.run_id):
            batch.append(result)
            if len(batch) >= BATCH:
                _deliver_batch(run, batch, stats)
                batch = []
        _deliver_batch(run, batch, stats)
    except WriteFailed:  # a full disk, a read-only state: the run fails as a whole (exit 8)
        reason = "write_failed"
    except KeyboardInterrupt:
        reason = "shutdown"
        logger.warning("Interrupted: run %s stays resumable (start reextract again)", run.run_id)
    stats.update(stats.pop("_coverage", {}))
    stats["elapsed_time_seconds"] = round(time.monotonic() - started, 3)
    stats["finish_reason"] = reason
    _monitors(stats, folder, reason)
    code = run.close(reason, stats, fetched_anything=bool(index))
    stats["qa/exit_code"] = int(code)
    if code in (ExitCode.OK, ExitCode.MONITOR_FAILED) and run.manifest_path is not None:
        from qa_scraper.tools.report import write_report

        write_report(run.manifest_path)
        logger.info(
            "Delivered %s: %d items, %d rejects (%s)",
            run.manifest_path,
            stats.get("qa/items_written", 0),
            stats.get("qa/rejected", 0),
            ", ".join(
                f"{k}: {v}" for k, v in sorted(stats.items()) if k.startswith("qa/reextract")
            ),
        )
    return code


def _count_resumed(run: CrawlRun, stats: dict[str, Any]) -> None:
    """What the interrupted part of a resumed run wrote counts in its stats and coverage."""
    import json

    for role, path in (("items", run.items_path), ("rejects", run.rejects_path)):
        part = path.with_name(path.name + ".part") if path is not None else None
        if part is None or not part.exists():
            continue
        for raw in part.read_text(encoding="utf-8").splitlines():
            record = json.loads(raw)  # the run kept only whole JSON lines on resume
            if role == "rejects":
                inc_stat(stats, "qa/rejected")
                inc_stat(stats, f"qa/rejected/{record.get('stage')}")
                continue
            inc_stat(stats, "qa/items_written")
            stats.setdefault("_coverage", Counter()).update(project_coverage().keys(record))


def _deliver_batch(run: CrawlRun, batch: list[tuple[Any, ...]], stats: dict[str, Any]) -> None:
    """Stage a batch in one transaction, then write its lines (staged before written, as in
    a crawl: killed in between, the articles are extracted again by the resumed run)."""
    lines: list[tuple[str, str]] = []
    rejects: list[dict[str, Any]] = []
    with run.staging_batch():
        for result in batch:
            _deliver(run, result, stats, lines, rejects)
    for article_id, line in lines:
        run.write_line(article_id, line)
    for record in rejects:
        run.write_reject(record)
    run.flush()


def _deliver(
    run: CrawlRun,
    result: tuple[Any, ...],
    stats: dict[str, Any],
    lines: list[tuple[str, str]],
    rejects: list[dict[str, Any]],
) -> None:
    kind, article_id = result[0], result[1]
    if kind == "damaged":
        logger.error("Skipping a damaged record: %s", result[2])
        inc_stat(stats, "qa/reextract/damaged_records")
        return
    inc_stat(stats, "qa/usable_responses")
    if kind == "not_found":
        inc_stat(stats, "qa/article_not_found")
        return
    known = run.state.known(article_id) if run.state is not None else None
    if known is not None and known.gone:
        inc_stat(stats, "qa/reextract/skipped_gone")
        return
    if kind == "reject":
        record, seen = result[2], result[3]
        inc_stat(stats, "qa/rejected")
        inc_stat(stats, f"qa/rejected/{record['stage']}")
        if article_id not in run.written_ids:
            run.stage(article_id, seen, url=record["url"], change="rejected")
        rejects.append(record)
        return
    _, _, url, content_hash, line, keys, seen = result
    if known is None or known.content_hash is None:
        change = "new"
    elif known.content_hash == content_hash:
        change = "unchanged"
    else:
        change = "changed"
    run.stage(article_id, seen, url=url, content_hash=content_hash, change=change)
    inc_stat(stats, f"qa/change/{change}")
    if change == "unchanged" and run.mode == "incremental":
        inc_stat(stats, "qa/unchanged/content_same")
        return
    lines.append((article_id, line))
    inc_stat(stats, "qa/items_written")
    coverage = stats.setdefault("_coverage", Counter())
    coverage.update(keys)  # spidermon_item_scraped_count and the field counters


def _monitors(stats: dict[str, Any], folder: Path, reason: str) -> None:
    """The crawl's monitors and field coverage, on the re-extraction's counts."""
    from qa_scraper.extensions.monitoring import field_coverage, run_monitors

    section = run_monitors(stats, project_settings(), folder, reason)
    stats["qa/coverage"] = field_coverage(stats)
    stats["qa/monitors"] = section
    stats["qa/monitors/failed"] = len(section["failed"])
    if section["failed"]:
        reasons = "; ".join(
            f"{entry['name']}: {entry['reason']}"
            for entry in section["results"]
            if entry["name"] in section["failed"]
        )
        logger.error("Monitors failed (exit code 7): %s", reasons)
