"""Which archived answers a re-extraction reads.

The delivered runs with an archive (``--runs`` picks some), and over their WARC files the
latest answer (``response`` record) of every article of the site: later runs, then later
records, win. Missing archives, damaged records and other sites' records are counted and
skipped; an archive of another site is refused.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from qa_scraper.delivery import archive as warc
from qa_scraper.delivery.manifest import run_manifests
from qa_scraper.errors import ArgumentError, SetupError
from qa_scraper.urls import PageKind, article_id_from_url, page_kind

# The command's own name in the log, as before the re-extraction was split into modules.
logger = logging.getLogger("qa_scraper.tools.reextract")


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
                    inc_stat(stats, "qa/reextract/damaged_records")
                    continue
                if not site_checked:
                    _check_site(path, record, base_url)  # its first record: the warcinfo
                    site_checked = True
                inc_stat(stats, "qa/reextract/records_read")
                if record.type != "response":
                    continue
                url = record.target_uri
                article_id = article_id_from_url(url)
                if page_kind(url) is not PageKind.ARTICLE or not article_id:
                    continue
                if not _same_site(url, base_url):
                    inc_stat(stats, "qa/reextract/offsite_records")
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


def inc_stat(stats: dict[str, Any], key: str, by: int = 1) -> None:
    """Add ``by`` to one of the re-extraction's counters (nothing when ``by`` is 0)."""
    if by:
        stats[key] = stats.get(key, 0) + by
