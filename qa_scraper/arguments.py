"""Checks of the run's arguments (``-a``) and settings (``-s``), before anything starts.

Each bad value is refused with one line (:class:`~qa_scraper.errors.ArgumentError`):
what is wrong and what to give instead. Defaults live in :mod:`qa_scraper.settings`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from qa_scraper.delivery.folders import check_writable_folder
from qa_scraper.errors import ArgumentError, SetupError

MODES = ("incremental", "full")
# Spider arguments: name -> what it means (for the refusal of an unknown one).
SPIDER_ARGUMENTS = {
    "base_url": "the site to crawl, e.g. https://www.doctorqna.com/",
    "mode": "incremental (default) or full",
    "discovery": "sitemaps (default: sitemaps, then the newest-first listing) or full",
    "role": "coordinator or worker, for a crawl shared through Redis (-s QA_REDIS_URL=…)",
    "render": "auto (default: Chromium only for pages the HTML cannot give), never or always",
}
ROLES = ("coordinator", "worker")
ROLE_PRIORITY = 100  # above -s (cmdline, 40): a role's settings are not negotiable
DISCOVERY_MODES = ("sitemaps", "full")
# Arguments that schedulers pass to every spider (scrapyd's job id).
TOLERATED_ARGUMENTS = frozenset({"_job"})
BOOLEAN_SETTINGS = (
    "ROBOTSTXT_OBEY",
    "AUTOTHROTTLE_ENABLED",
    "RETRY_ENABLED",
    "HTTPCACHE_ENABLED",
    "COOKIES_ENABLED",
    "REMOTE_CONTROL_ENABLED",
    "RANDOMIZE_DOWNLOAD_DELAY",
    "QA_ARCHIVE",
    "QA_GC_TUNING",
)
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
    "QA_SYNC_SECONDS": (float, 0),
    "QA_GC_THRESHOLD": (int, 1),
    "CONCURRENT_ITEMS": (int, 1),
    "QA_REDIS_RATE": (float, 0),
    "REDIRECT_MAX_TIMES": (int, 0),
    "DOWNLOAD_WARNSIZE": (int, 0),
    "QA_RENDER_TIMEOUT": (float, 0.1),
    "QA_RENDER_PAGES": (int, 1),
    # The monitors' thresholds: a bad one stopped the monitors at close (no verdict, exit 0).
    "SPIDERMON_MIN_ITEMS": (int, 0),
    "QA_MONITOR_MAX_REJECT_SHARE": (float, 0),
    "QA_FIELD_COVERAGE_MAX_DROP": (float, 0),
    "QA_MONITOR_COVERAGE_MIN_ITEMS": (int, 0),
}


def check_spider_arguments(kwargs: dict[str, Any]) -> None:
    unknown = sorted(set(kwargs) - set(SPIDER_ARGUMENTS) - TOLERATED_ARGUMENTS)
    if unknown:
        known = "; ".join(f"{name}: {meaning}" for name, meaning in SPIDER_ARGUMENTS.items())
        raise ArgumentError(
            f"unknown spider argument(s) {', '.join(f'-a {n}' for n in unknown)}",
            f"Known arguments are {known}",
        )


SITE_ROOT_HINT = "Give the site root, e.g. -a base_url=https://www.doctorqna.com/"


def check_base_url(base_url: str) -> str:
    """The site root of ``base_url`` (scheme://host[:port]/), or a refusal."""
    try:
        parts = urlsplit(str(base_url).strip())
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError as error:
        raise ArgumentError(
            f"-a base_url={base_url!r} is not a valid URL ({error})",
            SITE_ROOT_HINT,
        ) from None
    if parts.username is not None or parts.password is not None:
        raise ArgumentError(
            "-a base_url must not carry a user name or password",
            "Give the site root without credentials, e.g. -a base_url=https://www.doctorqna.com/",
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ArgumentError(
            f"-a base_url={base_url!r} is not an http(s) URL with a host",
            SITE_ROOT_HINT,
        )
    try:  # an internationalised host name: its ASCII (punycode) form, as requests carry it
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise ArgumentError(
            f"-a base_url={base_url!r} has an invalid host name ({error})",
            SITE_ROOT_HINT,
        ) from None
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}/"


def _check_choice(argument: str, value: str | None, choices: tuple[str, ...]) -> None:
    if value is not None and value not in choices:
        raise ArgumentError(
            f"-a {argument}={value!r} is not a {argument}", f"Use one of: {', '.join(choices)}"
        )


def check_discovery(discovery: str) -> None:
    _check_choice("discovery", discovery, DISCOVERY_MODES)


def check_render(render: str) -> None:
    from qa_scraper.render import RENDER_MODES

    _check_choice("render", render, RENDER_MODES)


def check_browser(render: str, settings: BaseSettings) -> str | None:
    """The Chromium a crawl renders with (None: no rendering); ``render=always`` without
    one is refused before the crawl starts."""
    from qa_scraper.reading.browser import browser_path

    if render == "never":
        return None
    configured = settings.get("QA_BROWSER_PATH") or None
    path = browser_path(configured)
    if path is None and render == "always":
        where = f"QA_BROWSER_PATH={configured!r} is not" if configured else "no Chromium is"
        raise SetupError(
            f"-a render=always needs a browser, and {where} found",
            "Install chromium (scripts/system-deps.sh) or set -s QA_BROWSER_PATH=/path/to/chromium",
        )
    if path is not None:
        from importlib.util import find_spec

        if find_spec("scrapy_playwright") is None:  # (not imported: it costs start-up time)
            if render == "always":
                raise SetupError(
                    "-a render=always needs scrapy-playwright, which is not installed",
                    "Reinstall the project (pip install -e .): pyproject.toml pins it",
                )
            return None
    return path


def check_mode(mode: str | None) -> None:
    _check_choice("mode", mode, MODES)


# Settings of earlier versions, now Spidermon's own: refused, so that an old -s is not ignored.
RENAMED_SETTINGS = {
    "QA_MONITOR_MIN_ITEMS": "SPIDERMON_MIN_ITEMS",
    "QA_FIELD_COVERAGE_MIN": (
        "SPIDERMON_FIELD_COVERAGE_RULES (keys like dict/asker/name, dict/replies/_items/clinic)"
    ),
}


def check_settings(settings: BaseSettings) -> None:
    for old, new in RENAMED_SETTINGS.items():
        if settings.get(old) is not None:
            raise ArgumentError(f"{old} is now {new}", f"Set {new.split()[0]} instead")
    from qa_scraper.extensions.alerts import check_alerts

    check_alerts(settings)
    _check_coverage_rules(settings)
    for name in BOOLEAN_SETTINGS:
        try:
            settings.getbool(name)
        except ValueError:
            raise ArgumentError(
                f"-s {name}={settings.get(name)!r} is not a boolean", "Give True or False"
            ) from None
    if (
        not settings.get("QA_OUTPUT_DIR")
        and settings.get("QA_STATE_PATH")
        and not settings.getdict("FEEDS")
    ):
        raise ArgumentError(
            "QA_STATE_PATH is set but QA_OUTPUT_DIR is empty and there is no feed (-o/-O):"
            " the items would be marked delivered and written nowhere",
            "Set QA_OUTPUT_DIR, or add -o/-O, or leave QA_STATE_PATH empty too",
        )
    if settings.get("JOBDIR"):
        check_writable_folder(Path(settings.get("JOBDIR")), "JOBDIR")
    for name, (kind, minimum) in NUMERIC_SETTINGS.items():
        raw = settings.get(name)
        if raw is None:
            continue
        try:
            value = kind(raw)
            if not math.isfinite(value):
                raise ValueError(raw)
        except (TypeError, ValueError, OverflowError):
            raise ArgumentError(
                f"-s {name}={raw!r} is not a {'whole ' if kind is int else ''}number",
                f"Give {'a whole number' if kind is int else 'a number'} >= {minimum:g}",
            ) from None
        if value < minimum:
            raise ArgumentError(
                f"-s {name}={raw!r} is below {minimum:g}", f"Give a value >= {minimum:g}"
            )


LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG", "NOTSET")


def normalized_log_level(raw: Any) -> str | int:
    """``-s LOG_LEVEL`` as Python's logging takes it (a level's name in any case, or its
    number), or :class:`ArgumentError`: Scrapy itself fails with a traceback on ``debug``."""
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return raw
    text = str(raw).strip()
    if text.upper() in LOG_LEVELS:
        return text.upper()
    if text.isdigit():
        return int(text)
    raise ArgumentError(
        f"-s LOG_LEVEL={raw!r} is not a log level", f"Give one of {', '.join(LOG_LEVELS)}"
    )


def _check_coverage_rules(settings: BaseSettings) -> None:
    """SPIDERMON_FIELD_COVERAGE_RULES: a dict of field -> a fill rate from 0 to 1."""
    raw = settings.get("SPIDERMON_FIELD_COVERAGE_RULES")
    try:
        rules = settings.getdict("SPIDERMON_FIELD_COVERAGE_RULES")
    except (TypeError, ValueError):
        rules = None
    if rules is None or not all(
        isinstance(field, str)
        and isinstance(rate, int | float)
        and not isinstance(rate, bool)
        and 0 <= rate <= 1
        for field, rate in rules.items()
    ):
        raise ArgumentError(
            f"-s SPIDERMON_FIELD_COVERAGE_RULES={raw!r} is not a dict of fill rates",
            'Give a JSON object of field -> rate from 0 to 1, e.g. {"dict/asker/name": 0.7}',
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


def check_role(role: str | None) -> None:
    _check_choice("role", role, ROLES)


DISTRIBUTED_EXTENSIONS = {
    # Before the run closes (CrawlRunExtension, 100), drain the workers' results.
    "qa_scraper.distributed.coordinator.Coordinator": 80,
    "qa_scraper.distributed.worker.Worker": 80,
}
DISTRIBUTED_DOWNLOADER_MIDDLEWARES = {
    # One politeness budget shared by all processes (Redis); last before the download, so
    # robots.txt waits and cache hits take no slot.
    "qa_scraper.distributed.ratelimit.SharedRateMiddleware": 950,
}


def list_components_turned_on(settings: BaseSettings) -> None:
    """The Scrapy components the project's settings leave out while they are off
    (``left_out_while_off`` in qa_scraper/settings.py), listed again, in Scrapy's own order,
    when their setting turns them on (``-s COOKIES_ENABLED=True``)."""
    from scrapy.settings import default_settings

    from qa_scraper.settings import left_out_while_off

    for flag, (name, path) in left_out_while_off.items():
        listed = {**settings.getdict(f"{name}_BASE"), **settings.getdict(name)}
        if settings.getbool(flag) and path not in listed:
            order = getattr(default_settings, f"{name}_BASE")[path]
            _add_components(settings, name, {path: order})


def _add_components(settings: BaseSettings, name: str, components: dict[str, int]) -> None:
    merged = dict(settings.getdict(name)) | components
    settings.set(name, merged, priority=ROLE_PRIORITY)


def apply_role(settings: BaseSettings, role: str | None) -> None:
    """Settings that follow from ``-a role`` with ``QA_REDIS_URL`` (qa_scraper.distributed)."""
    url = settings.get("QA_REDIS_URL")
    if bool(url) != bool(role):
        raise ArgumentError(
            "-a role and -s QA_REDIS_URL go together"
            + (" (QA_REDIS_URL is set without -a role)" if url else " (no QA_REDIS_URL)"),
            "Give both for a distributed crawl (-a role=coordinator or -a role=worker), or neither",
        )
    if role:
        # Loaded only here: their modules import redis, which a single-process crawl never does.
        _add_components(settings, "EXTENSIONS", DISTRIBUTED_EXTENSIONS)
        _add_components(settings, "DOWNLOADER_MIDDLEWARES", DISTRIBUTED_DOWNLOADER_MIDDLEWARES)
    if role == "coordinator":
        settings.set(
            "SCHEDULER", "qa_scraper.distributed.scheduler.RunScheduler", priority=ROLE_PRIORITY
        )
    elif role == "worker":
        if settings.getdict("FEEDS"):
            raise ArgumentError(
                "a worker writes no feed (-o/-O): its items go to the coordinator",
                "Give -o/-O to the coordinator",
            )
        settings.set(
            "SCHEDULER", "qa_scraper.distributed.scheduler.WorkerScheduler", priority=ROLE_PRIORITY
        )
        # The coordinator owns the run: no files, state or feed in a worker, except its own
        # archive (<run>.<worker>.warc.gz), written in the run folder the coordinator reads.
        settings.set("QA_WORKER_ARCHIVE_DIR", settings.get("QA_OUTPUT_DIR"), ROLE_PRIORITY)
        settings.set("QA_OUTPUT_DIR", "", priority=ROLE_PRIORITY)
        settings.set("QA_STATE_PATH", "", priority=ROLE_PRIORITY)
        settings.set("FEEDS", {}, priority=ROLE_PRIORITY)
        pipelines = dict(settings.getdict("ITEM_PIPELINES"))
        # right after validation
        pipelines["qa_scraper.distributed.pipelines.WorkerResultPipeline"] = 350
        settings.set("ITEM_PIPELINES", pipelines, priority=ROLE_PRIORITY)
