from __future__ import annotations

import copy
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from qa_scraper.delivery.validation import SCHEMA_PATH
from qa_scraper.testing.fixtures import item_differences

FIXTURES = Path(__file__).parent / "fixtures"
SITE = FIXTURES / "site"
# One folder per saved article page: page.html (the HTML as served, the only copy: the
# site's routes.json points to it), expected.json (its item) and meta.json (its URL).
PAGES = FIXTURES / "pages"
BASE = "http://127.0.0.1:8123"
_SPEC = json.loads((SITE / "routes.json").read_text(encoding="utf-8"))
ROUTES = _SPEC["routes"]
PLACEHOLDER = _SPEC["base_placeholder"]
RUN_DEPENDENT = ("scraped_at", "content_hash", "warc", "run_id")


def page_folders() -> list[Path]:
    """Every saved page's folder, in name order (article-174501, article-174506, ...)."""
    return sorted(folder for folder in PAGES.iterdir() if folder.is_dir())


def _absolute(url: str, base: str, where: str) -> str:
    if not url.startswith(PLACEHOLDER + "/"):
        raise ValueError(f"{where}: expected a URL starting with {PLACEHOLDER}/, got {url!r}")
    return base + url[len(PLACEHOLDER) :]


def load_expected(base: str = BASE) -> list[dict[str, Any]]:
    """The expected items of the saved pages, with their URLs made absolute against ``base``."""
    items = []
    base = base.rstrip("/")
    for folder in page_folders():
        where = f"{folder.relative_to(FIXTURES)}/expected.json"
        item = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
        item["url"] = _absolute(item["url"], base, where)
        for entry in item["similar_questions"]:
            entry["url"] = _absolute(entry["url"], base, where)
        for faq in item["related_faqs"]:
            faq["url"] = _absolute(faq["url"], base, where)
        items.append(item)
    return items


def saved_page(path: str, base: str = BASE) -> str:
    """The saved HTML of a site path, as the dev server would serve it at ``base``."""
    text = (SITE / ROUTES[path]["file"]).read_text(encoding="utf-8")
    return text.replace("{{BASE}}", base.rstrip("/"))


def strip_class_and_id(html: str) -> str:
    """The same page with every class and id attribute removed."""
    root = lxml_html.document_fromstring(html)
    for element in root.iter():
        if isinstance(element.tag, str):
            element.attrib.pop("class", None)
            element.attrib.pop("id", None)
    return lxml_html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")


TEST_RUN_ID = "20261125T093000123Z"


def stamped(item: dict[str, Any], run_id: str = TEST_RUN_ID) -> dict[str, Any]:
    """A page object's item as the pipelines deliver it: with the run's id."""
    return dict(item, run_id=run_id)


def without_run_fields(item: dict[str, Any]) -> dict[str, Any]:
    item = copy.deepcopy(item)
    for key in RUN_DEPENDENT:
        item.pop(key, None)
    return item


# The schema's own definition of "no markup": a string it does not match carries markup.
_NO_MARKUP = re.compile(
    json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))["$defs"]["no_markup"]["pattern"]
)


def has_markup(text: str) -> bool:
    return _NO_MARKUP.match(text) is None


def string_values(value):
    """Every string inside an item (nested dicts and lists included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from string_values(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from string_values(inner)


@pytest.fixture(scope="session")
def expected_items() -> list[dict[str, Any]]:
    return load_expected()


# --- comparing items field by field: qa_scraper.testing.fixtures.item_differences ---------------


def assert_items_equal(actual: Any, expected: Any, what: str = "item") -> None:
    """``assert actual == expected``, failing with one line per differing field."""
    __tracebackhide__ = True
    differences = item_differences(actual, expected)
    if differences or actual != expected:
        lines = differences or ["(values differ but no field does: compare the types)"]
        raise AssertionError(
            f"{what}: {len(lines)} difference(s) from expected\n"
            + "\n".join("  " + line for line in lines)
        )


# --- the `slow` marker: `pytest -m "not slow"` is the inner loop ------------------------------
# A test that starts a process (a crawl as a subprocess, Redis, Chromium, scrapyd, the CLI) is
# marked `slow`, and so is an in-process test that takes seconds (a settings grid, a fuzz run).
# The marker is enforced: an unmarked test that starts a process fails, with the line to add,
# so `-m "not slow"` stays in-process (fork-based worker pools are not processes started this
# way and stay allowed). QA_SPAWN_LOG=<file> lists the offenders instead of failing.
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "slow: starts a process (crawl subprocess, Redis, Chromium, scrapyd, CLI) or takes seconds",
    )


class _SpawnGuard:
    """Refuses ``subprocess.Popen`` (asyncio's subprocesses use it too) during a test."""

    def __init__(self, nodeid: str) -> None:
        self.nodeid = nodeid
        self.original = subprocess.Popen._execute_child  # type: ignore[attr-defined]

    def __enter__(self) -> _SpawnGuard:
        guard = self

        def refuse(popen: Any, args: Any, *rest: Any, **kwargs: Any) -> Any:
            if isinstance(args, (list, tuple)) and list(args[:1]) == ["git"]:
                # the code version of a manifest (qa_scraper/version.py): milliseconds, once
                return guard.original(popen, args, *rest, **kwargs)
            log = os.environ.get("QA_SPAWN_LOG")
            if log:
                with open(log, "a", encoding="utf-8") as handle:
                    handle.write(guard.nodeid + "\n")
                return guard.original(popen, args, *rest, **kwargs)
            raise RuntimeError(
                f"{guard.nodeid} starts a process ({str(args)[:80]}): "
                "mark it @pytest.mark.slow (tests/conftest.py, the `slow` marker)"
            )

        subprocess.Popen._execute_child = refuse  # type: ignore[attr-defined]
        return self

    def __exit__(self, *exc: object) -> None:
        subprocess.Popen._execute_child = self.original  # type: ignore[attr-defined]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    if item.get_closest_marker("slow"):
        yield
        return
    with _SpawnGuard(item.nodeid):
        yield
