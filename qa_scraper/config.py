"""Checks of the run's arguments (``-a``) and settings (``-s``), before anything starts.

Each bad value is refused with one line (:class:`~qa_scraper.errors.ArgumentError`):
what is wrong and what to give instead. Defaults live in :mod:`qa_scraper.settings`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from qa_scraper.errors import ArgumentError

MODES = ("incremental", "full")
# Spider arguments: name -> what it means (for the refusal of an unknown one).
SPIDER_ARGUMENTS = {
    "base_url": "the site to crawl, e.g. https://www.doctorqna.com/",
    "mode": "incremental (default) or full",
    "discovery": "sitemaps (default: sitemaps, then the newest-first listing) or full",
}
DISCOVERY_MODES = ("sitemaps", "full")
# Arguments that schedulers pass to every spider (scrapyd's job id).
TOLERATED_ARGUMENTS = frozenset({"_job"})
# Numeric settings: name -> (type, smallest allowed value).
NUMERIC_SETTINGS: dict[str, tuple[type, float]] = {
    "CONCURRENT_REQUESTS": (int, 1),
    "CONCURRENT_REQUESTS_PER_DOMAIN": (int, 1),
    "DOWNLOAD_DELAY": (float, 0),
    "DOWNLOAD_TIMEOUT": (float, 0.001),
    "RETRY_TIMES": (int, 0),
    "RETRY_AFTER_MAX": (float, 0),
    "SITEMAP_MAX_SIZE": (int, 1),
    "DOWNLOAD_MAXSIZE": (int, 0),
    "AUTOTHROTTLE_START_DELAY": (float, 0),
    "AUTOTHROTTLE_MAX_DELAY": (float, 0),
    "AUTOTHROTTLE_TARGET_CONCURRENCY": (float, 0.001),
    "QA_REVALIDATE_AFTER_DAYS": (float, 0),
    "QA_SCHEDULER_BATCH": (int, 1),
}


def check_spider_arguments(kwargs: dict[str, Any]) -> None:
    unknown = sorted(set(kwargs) - set(SPIDER_ARGUMENTS) - TOLERATED_ARGUMENTS)
    if unknown:
        known = "; ".join(f"{name}: {meaning}" for name, meaning in SPIDER_ARGUMENTS.items())
        raise ArgumentError(
            f"unknown spider argument(s) {', '.join(f'-a {n}' for n in unknown)}",
            f"Known arguments are {known}",
        )


def check_base_url(base_url: str) -> str:
    """The site root of ``base_url`` (scheme://host[:port]/), or a refusal."""
    try:
        parts = urlsplit(str(base_url).strip())
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError as error:
        raise ArgumentError(
            f"-a base_url={base_url!r} is not a valid URL ({error})",
            "Give the site root, e.g. -a base_url=https://www.doctorqna.com/",
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ArgumentError(
            f"-a base_url={base_url!r} is not an http(s) URL with a host",
            "Give the site root, e.g. -a base_url=https://www.doctorqna.com/",
        )
    return f"{parts.scheme}://{parts.netloc}/"


def check_discovery(discovery: str) -> None:
    if discovery not in DISCOVERY_MODES:
        raise ArgumentError(
            f"-a discovery={discovery!r} is not a discovery mode",
            f"Use one of: {', '.join(DISCOVERY_MODES)}",
        )


def check_mode(mode: str | None) -> None:
    if mode is not None and mode not in MODES:
        raise ArgumentError(f"-a mode={mode!r} is not a mode", f"Use one of: {', '.join(MODES)}")


def check_settings(settings: BaseSettings) -> None:
    for name, (kind, minimum) in NUMERIC_SETTINGS.items():
        raw = settings.get(name)
        if raw is None or raw == "":
            continue
        try:
            value = kind(raw)
        except (TypeError, ValueError):
            raise ArgumentError(
                f"-s {name}={raw!r} is not a number",
                f"Give {'a whole number' if kind is int else 'a number'} >= {minimum:g}",
            ) from None
        if value < minimum:
            raise ArgumentError(
                f"-s {name}={raw!r} is below {minimum:g}", f"Give a value >= {minimum:g}"
            )


def resolve_mode(mode: str | None, settings: BaseSettings, logger: Any) -> str:
    """``-a mode``, or without it: full when a feed (-o/-O) is written, else incremental."""
    feeds = bool(settings.getdict("FEEDS"))
    if mode is None:
        return "full" if feeds else "incremental"
    if mode == "incremental" and feeds:
        logger.warning(
            "-a mode=incremental with a feed (-o/-O): the feed gets only"
            " the new and changed articles of this run"
        )
    return mode
