"""``python -m qa_scraper reextract``: today's extractor over the archived answers, no network.

Reads the WARC archives of the delivered runs in the run folder (the manifests name them;
``--runs`` picks some), keeps the **latest** archived answer (``response`` record) of every
article, and extracts them again in ``--jobs`` processes. The result is a normal delivered
run of its own — items, rejects, manifest (``kind: reextract``, ``runs_read``), report,
monitors, exit codes — closed around the same commit point as a crawl
(:class:`qa_scraper.delivery.runs.CrawlRun`): interrupted, it is resumed by the next re-extraction,
and nothing of it is delivered before that.

* ``--mode incremental`` (default): only articles whose ``content_hash`` differs from the
  crawl state's (or that the state never delivered) are written; the state is updated.
  ``--mode full``: every article is written.
* Articles the state reports gone are not brought back. Soft-404 pages are skipped.
* Damaged records (truncated or bit-flipped gzip members, records cut short) are skipped,
  counted (``qa/reextract/damaged_records``) and named (file and offset) in the log.
* An archive of another site (its ``warcinfo`` names another host) is refused.
* The network is never used: the process refuses every socket connection
  (:func:`forbid_network`), so anything that would need the site fails instead.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import multiprocessing
import os
import signal
import socket
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from qa_scraper.delivery import archive as warc
from qa_scraper.delivery.runs import CrawlRun, run_manifests
from qa_scraper.errors import ArgumentError, ExitCode, SetupError, WriteFailed
from qa_scraper.urls import PageKind, article_id_from_url, page_kind

logger = logging.getLogger(__name__)
CHUNK = 48  # records per task handed to a process
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


@dataclass(frozen=True)
class Source:
    """One archived answer chosen for re-extraction."""

    article_id: str
    url: str
    path: str
    offset: int
    length: int
    date: str  # WARC-Date


def _same_site(url: str, base_url: str) -> bool:
    a, b = urlsplit(url), urlsplit(base_url)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def archived_runs(folder: Path, wanted: list[str] | None) -> list[tuple[str, dict[str, Any]]]:
    """(run id, manifest) of the delivered runs with an archive, oldest first."""
    if not folder.is_dir():
        raise SetupError(
            f"no archive folder {folder}: nothing to re-extract",
            "Give --output-dir the folder a crawl wrote to (QA_OUTPUT_DIR)",
        )
    runs = [
        (run_id, manifest)
        for run_id, manifest in run_manifests(folder)
        if (manifest.get("files") or {}).get("archives")
    ]
    if wanted:
        known = {run_id for run_id, _ in runs}
        missing = [run_id for run_id in wanted if run_id not in known]
        if missing:
            raise ArgumentError(
                f"--runs: no delivered run with an archive named {', '.join(missing)} in {folder}",
                "Give run ids of manifests in that folder whose files list archives",
            )
        runs = [(run_id, manifest) for run_id, manifest in runs if run_id in wanted]
    if not runs:
        raise SetupError(
            f"no delivered run with an archive in {folder}: nothing to re-extract",
            "Crawl with QA_ARCHIVE on (the default) first",
        )
    return runs


def build_index(
    folder: Path, runs: list[tuple[str, dict[str, Any]]], base_url: str, stats: dict[str, Any]
) -> dict[str, Source]:
    """The latest archived answer of every article (later runs, then later records, win)."""
    latest: dict[str, tuple[tuple[int, str, int], Source]] = {}
    for order, (_, manifest) in enumerate(runs):
        for entry in manifest["files"]["archives"]:
            path = folder / entry["name"]
            if not path.is_file():
                stats["qa/reextract/missing_archives"] = (
                    stats.get("qa/reextract/missing_archives", 0) + 1
                )
                logger.error("Archive %s is missing: its records are skipped", path)
                continue
            site_checked = False
            for record in warc.iter_file(path):
                if isinstance(record, warc.Damage):
                    logger.error("Skipping a damaged record: %s", record)
                    _inc(stats, "qa/reextract/damaged_records")
                    continue
                if not site_checked:
                    _check_site(path, record, base_url)  # its first record: the warcinfo
                    site_checked = True
                _inc(stats, "qa/reextract/records_read")
                if record.type != "response":
                    continue
                url = record.target_uri
                article_id = article_id_from_url(url)
                if page_kind(url) is not PageKind.ARTICLE or not article_id:
                    continue
                if not _same_site(url, base_url):
                    _inc(stats, "qa/reextract/offsite_records")
                    continue
                date = record.warc_headers.get("warc-date", "")
                key = (order, date, record.offset)
                if article_id not in latest or latest[article_id][0] < key:
                    latest[article_id] = (
                        key,
                        Source(article_id, url, str(path), record.offset, record.length, date),
                    )
    return {article_id: source for article_id, (_, source) in latest.items()}


def _check_site(path: Path, first: warc.Record, base_url: str) -> None:
    site = first.warcinfo().get("base-url") if first.type == "warcinfo" else None
    if site is None or not _same_site(site, base_url):
        raise SetupError(
            f"{path.name} is not an archive of {base_url} (its warcinfo names {site or 'no site'})",
            "Re-extract only the runs of one site (--runs), or move that file away",
        )


def _inc(stats: dict[str, Any], key: str, by: int = 1) -> None:
    if by:
        stats[key] = stats.get(key, 0) + by


# --- the work of one process --------------------------------------------------------------
_COUNTER: Any = None


_ITEM_COUNT = "spidermon_item_scraped_count"
_SKIPPED_STRINGS = ("", "N/A", "-")  # Spidermon's default skip values, with [] and {}


def _project_coverage_settings(settings: Any) -> bool:
    """The project's field-coverage settings (settings.py), which :func:`_fast_coverage_keys`
    implements; any other goes through Spidermon's own counting."""
    return (
        settings.getbool("SPIDERMON_FIELD_COVERAGE_SKIP_NONE")
        and not settings.getbool("SPIDERMON_FIELD_COVERAGE_SKIP_FALSY", True)
        and settings.get("SPIDERMON_FIELD_COVERAGE_SKIP_VALUES") is None
        and settings.getint("SPIDERMON_LIST_FIELDS_COVERAGE_LEVELS") == 1
        and settings.get("SPIDERMON_DICT_FIELDS_COVERAGE_LEVELS", -1) in (-1, "-1")
    )


def _fast_coverage_keys(item: dict[str, Any]) -> list[str]:
    """Spidermon's counters for one item under the project's settings, without its generic
    walk (≈ 5 % of a re-extraction); a test compares the two on every saved page."""
    top = f"{_ITEM_COUNT}/dict"
    keys = [_ITEM_COUNT, top]

    def walk(node: dict[str, Any], prefix: str, level: int) -> None:
        for name, value in node.items():
            kind = type(value)
            if (
                value is None
                or (kind is str and value in _SKIPPED_STRINGS)
                or (kind in (list, dict) and not value)
            ):
                continue
            key = f"{prefix}/{name}"
            keys.append(key)
            if kind is dict:
                walk(value, key, level + 1)
            elif kind is list and level < 1:
                entries = key + "/_items"
                for entry in value:
                    keys.append(entries)
                    if type(entry) is dict:
                        walk(entry, entries, level + 1)

    walk(item, top, 0)
    return keys


def _coverage_keys(item: dict[str, Any], settings: Any) -> list[str]:
    """The Spidermon field-coverage counters this item adds (as a crawl's item_scraped)."""
    if _project_coverage_settings(settings):
        return _fast_coverage_keys(item)
    return _spidermon_coverage_keys(item, settings)


def _spidermon_coverage_keys(item: dict[str, Any], settings: Any) -> list[str]:
    global _COUNTER  # noqa: PLW0603 (one per process)
    from spidermon.contrib.scrapy.extensions import Spidermon

    keys: list[str] = []
    stats = SimpleNamespace(inc_value=lambda key, count=1, start=0: keys.append(key))
    if _COUNTER is None:
        _COUNTER = Spidermon.__new__(Spidermon)
    _COUNTER.crawler = SimpleNamespace(stats=stats)
    spider = SimpleNamespace(crawler=SimpleNamespace(settings=settings))
    _COUNTER.item_scraped(item, None, spider)
    return keys


def _warc_date(date: str) -> dt.datetime:
    return dt.datetime.strptime(date[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.UTC)


def extract(sources: list[Source], run_id: str) -> list[tuple[Any, ...]]:
    """Extract a batch of archived answers (runs in a worker process) for run ``run_id``."""
    from qa_scraper.delivery.validation import item_errors
    from qa_scraper.pages.article import ArticlePage

    settings = _settings()
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
            line = _dumps(item)
            keys = _coverage_keys(item, settings)
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


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_SETTINGS: Any = None


def _settings() -> Any:
    global _SETTINGS  # noqa: PLW0603 (one per process)
    if _SETTINGS is None:
        from scrapy.settings import Settings

        _SETTINGS = Settings()
        _SETTINGS.setmodule("qa_scraper.settings", priority="project")
    return _SETTINGS


def _batches(sources: list[Source]) -> Iterator[list[Source]]:
    for start in range(0, len(sources), CHUNK):
        yield sources[start : start + CHUNK]


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
    _inc(stats, "qa/reextract/already_done", len(index) - len(todo))
    if run.resumed:
        _count_resumed(run, stats)
    reason = "finished"
    try:
        batch: list[tuple[Any, ...]] = []
        for result in _results(todo, jobs, run.run_id):
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
                _inc(stats, "qa/rejected")
                _inc(stats, f"qa/rejected/{record.get('stage')}")
                continue
            _inc(stats, "qa/items_written")
            stats.setdefault("_coverage", Counter()).update(_coverage_keys(record, _settings()))


def _warm_up() -> None:
    from spidermon.contrib.scrapy.extensions import Spidermon  # noqa: F401

    from qa_scraper.delivery.validation import fast_validator
    from qa_scraper.pages.article import ArticlePage

    fast_validator()
    _settings()
    ArticlePage("http://localhost/en/article/1", "<html><body>warm-up</body></html>").to_item()


def processes(jobs: int | None, articles: int) -> int:
    """Extraction processes for ``articles``: ``--jobs`` (default: the CPUs), never more than
    there are tasks of :data:`CHUNK` records (``--jobs 100000`` must not fork 100,000)."""
    return max(1, min(jobs or os.cpu_count() or 1, -(-articles // CHUNK)))


def _results(todo: list[Source], jobs: int | None, run_id: str) -> Iterator[tuple[Any, ...]]:
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
        for results in pool.imap(functools.partial(extract, run_id=run_id), _batches(todo)):
            yield from results


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
        _inc(stats, "qa/reextract/damaged_records")
        return
    _inc(stats, "qa/usable_responses")
    if kind == "not_found":
        _inc(stats, "qa/article_not_found")
        return
    known = run.state.known(article_id) if run.state is not None else None
    if known is not None and known.gone:
        _inc(stats, "qa/reextract/skipped_gone")
        return
    if kind == "reject":
        record, seen = result[2], result[3]
        _inc(stats, "qa/rejected")
        _inc(stats, f"qa/rejected/{record['stage']}")
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
    _inc(stats, f"qa/change/{change}")
    if change == "unchanged" and run.mode == "incremental":
        _inc(stats, "qa/unchanged/content_same")
        return
    lines.append((article_id, line))
    _inc(stats, "qa/items_written")
    coverage = stats.setdefault("_coverage", Counter())
    coverage.update(keys)  # spidermon_item_scraped_count and the field counters


def _monitors(stats: dict[str, Any], folder: Path, reason: str) -> None:
    """The crawl's monitors and field coverage, on the re-extraction's counts."""
    from qa_scraper.extensions.monitoring import field_coverage, run_monitors

    section = run_monitors(stats, _settings(), folder, reason)
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
