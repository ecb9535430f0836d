"""What a crawl's start costs: a single-process crawl imports nothing it does not use (issue 21).

Scrapy imports every component its settings list, even one that is off or not configured;
redis (the distributed layer), aiohttp (Scrapy's remote control) and tldextract (its cookies
middleware) cost about 0.4 s of every start together. The distributed components are listed
by ``-a role`` only, and the two Scrapy components the project leaves off are left out of
the ``*_BASE`` settings (listed again when a crawl turns one on).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.settings import Settings, default_settings

from qa_scraper import settings as project_settings
from qa_scraper.arguments import apply_role, list_components_turned_on
from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE
from tests.crawl_helpers import FAST_LOCAL, PROJECT

NOT_IMPORTED = ("redis", "scrapy_redis", "aiohttp", "tldextract", "premailer", "playwright")

# The crawl, then (at exit) which of NOT_IMPORTED it imported, as JSON on the last line.
RUN_AND_REPORT = (
    "import atexit, json, runpy, sys\n"
    "atexit.register(lambda: print(json.dumps(sorted(m for m in sys.modules"
    f" if m.split('.')[0] in {NOT_IMPORTED!r}))))\n"
    "sys.argv = ['scrapy', *sys.argv[1:]]\n"
    "runpy.run_module('scrapy', run_name='__main__', alter_sys=True)\n"
)


@pytest.mark.slow
def test_a_single_process_crawl_imports_no_distributed_browser_or_unused_scrapy_module(
    tmp_path: Path,
) -> None:
    with DevServer(SITE) as server:
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                RUN_AND_REPORT,
                "crawl",
                "doctorqna",
                "-a",
                f"base_url={server.base_url}",
                "-s",
                f"QA_OUTPUT_DIR={tmp_path / 'output'}",
                *FAST_LOCAL,
            ],
            capture_output=True,
            text=True,
            cwd=PROJECT,
            timeout=240,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "'item_scraped_count': 25" in done.stderr  # the crawl did its work
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


COOKIES = "scrapy.downloadermiddlewares.cookies.CookiesMiddleware"
REMOTE_CONTROL = "scrapy.extensions.remote_control.RemoteControl"


def test_the_scrapy_defaults_are_kept_but_for_the_two_components_left_off() -> None:
    left_off = {COOKIES, REMOTE_CONTROL}
    assert project_settings.COOKIES_ENABLED is False
    assert project_settings.REMOTE_CONTROL_ENABLED is False
    for name in ("DOWNLOADER_MIDDLEWARES_BASE", "EXTENSIONS_BASE"):
        scrapy_base = getattr(default_settings, name)
        assert getattr(project_settings, name) == {
            path: order for path, order in scrapy_base.items() if path not in left_off
        }


@pytest.mark.parametrize("role", ["coordinator", "worker"])
def test_a_role_lists_the_distributed_components(role: str) -> None:
    settings = Settings({"QA_REDIS_URL": "redis://127.0.0.1:9/0"})
    apply_role(settings, role)
    extensions = settings.getdict("EXTENSIONS")
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert extensions["qa_scraper.distributed.coordinator.Coordinator"] == 80
    assert extensions["qa_scraper.distributed.worker.Worker"] == 80
    assert middlewares["qa_scraper.distributed.ratelimit.SharedRateMiddleware"] == 950


def test_without_a_role_no_distributed_component_is_listed() -> None:
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    apply_role(settings, None)
    listed = [
        *settings.getdict("EXTENSIONS"),
        *settings.getdict("DOWNLOADER_MIDDLEWARES"),
        *settings.getdict("ITEM_PIPELINES"),
    ]
    assert not [path for path in listed if "distributed" in path]


LEFT_OUT = [
    ("COOKIES_ENABLED", "DOWNLOADER_MIDDLEWARES", COOKIES, 700),
    ("REMOTE_CONTROL_ENABLED", "EXTENSIONS", REMOTE_CONTROL, 0),
]


def _project_settings(**overrides: object) -> Settings:
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    return settings


@pytest.mark.parametrize(("flag", "name", "path", "order"), LEFT_OUT)
def test_a_component_left_out_while_off_is_listed_in_scrapys_order_once_turned_on(
    flag: str, name: str, path: str, order: int
) -> None:
    settings = _project_settings(**{flag: "True"})
    list_components_turned_on(settings)
    assert settings.getdict(name)[path] == order
    assert getattr(default_settings, f"{name}_BASE")[path] == order
    off = _project_settings()
    list_components_turned_on(off)
    assert path not in off.getdict(name)


def test_the_spider_lists_them_when_a_crawl_turns_them_on() -> None:
    """As ``scrapy crawl`` builds it: the settings are not frozen yet when the spider is."""
    from scrapy.crawler import Crawler

    from qa_scraper.spiders.doctorqna import DoctorQnASpider

    settings = _project_settings(
        QA_OUTPUT_DIR="", COOKIES_ENABLED="True", REMOTE_CONTROL_ENABLED="True"
    )
    crawler = Crawler(DoctorQnASpider, settings)
    DoctorQnASpider.from_crawler(crawler, base_url="http://127.0.0.1:9/")
    assert COOKIES in crawler.settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert REMOTE_CONTROL in crawler.settings.getdict("EXTENSIONS")


@pytest.mark.slow
def test_the_settings_module_imports_scrapys_http_handler_without_installing_a_reactor() -> None:
    """qa_scraper.settings imports Scrapy's HTTP/1.1 handler while the stack is shallow (its
    deprecated aliases read the source of every frame on the stack); that import must not
    install Twisted's default reactor, which Scrapy's asyncio reactor would then refuse."""
    code = (
        "import sys, qa_scraper.settings\n"
        "print('scrapy.core.downloader.handlers.http11' in sys.modules,"
        " 'twisted.internet.reactor' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT, check=True
    )
    assert result.stdout.split() == ["True", "False"]
