"""Rendering cost against the fast read, measured in the same run.

    .venv/bin/python benchmarks/bench_render.py [--rounds 3]

1. In process, the same 25 saved article pages (and their script-filled variants):
   - fast read: ``ArticlePage(url, html).to_item()`` per page;
   - browser read: the page loaded in Chromium (answered in-process, no network), its
     scripts run until the network is idle, the rendered DOM read back
     (:func:`qa_scraper.reading.browser.rendered_html`) and then read like any page.
   Prints pages/s and CPU per page (this process plus Playwright's driver and Chromium,
   from /proc) of each, and their ratio.
2. End to end, the spider against the dev server: the saved site (nothing rendered,
   ``render=auto``) vs. its script-filled variant (every article rendered). Prints wall
   time, CPU (the crawl and all its children), requests per article.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa_scraper.pages.article import ArticlePage
from qa_scraper.reading.browser import CHROMIUM_ARGS, browser_path, rendered_html
from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE, load_expected, saved_page
from tests.crawl_helpers import run_crawl
from tests.markup_variants import script_filled

TICKS = os.sysconf("SC_CLK_TCK")


def _tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid``'s descendants (alive ones, from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    total, todo = 0.0, [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            todo.append(child)
            try:
                fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime + _tree_cpu(os.getpid())


def fast_read(pages: list[tuple[str, str]], rounds: int) -> tuple[float, float]:
    best_wall, best_cpu = float("inf"), float("inf")
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), _cpu()
        for url, html in pages:
            ArticlePage(url, html).to_item()
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, _cpu() - cpu)
    return best_wall / len(pages), best_cpu / len(pages)


async def browser_read(
    pages: list[tuple[str, str]], rounds: int, data: dict[str, str]
) -> tuple[float, float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=browser_path(), args=list(CHROMIUM_ARGS)
        )
        page = await browser.new_page()
        best_wall, best_cpu = float("inf"), float("inf")
        for _ in range(rounds):
            wall, cpu = time.perf_counter(), _cpu()
            for url, html in pages:

                async def answer(route, request, url=url, html=html) -> None:
                    path = "/" + request.url.split("/", 3)[-1]
                    if request.url == url:
                        await route.fulfill(body=html, content_type="text/html; charset=utf-8")
                    elif path in data:
                        await route.fulfill(body=data[path], content_type="application/json")
                    else:
                        await route.abort()

                await page.unroute("**/*")
                await page.route("**/*", answer)
                await page.goto(url, wait_until="load")
                with contextlib.suppress(Exception):  # not idle in time: read it as it is
                    await page.wait_for_load_state("networkidle", timeout=15000)
                ArticlePage(url, await rendered_html(page)).to_item()
            best_wall = min(best_wall, time.perf_counter() - wall)
            best_cpu = min(best_cpu, _cpu() - cpu)
        await browser.close()
    return best_wall / len(pages), best_cpu / len(pages)


def crawl(site_kind: str, work: Path) -> dict[str, float]:
    with DevServer(SITE) as server:
        if site_kind == "script-filled":
            base = server.base_url.rstrip("/")
            for item in load_expected(server.base_url):
                html, data_path, body = script_filled(item)
                route = server.site.routes[f"/en/article/{item['article_id']}"]
                server.site.file_overrides[route["file"]] = html.replace(base, "{{BASE}}")
                server.site.add_data(data_path, body)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter()
        (work / site_kind).mkdir()
        result = run_crawl(server.base_url, work / site_kind, name=site_kind)
        wall = time.perf_counter() - wall
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        requests = len(server.site.requests)
    articles = len(result.feed_items)
    return {
        "items": articles,
        "rendered": result.stats.get("qa/render/pages", 0),
        "wall": wall,
        "cpu": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
        "requests_per_article": requests / max(articles, 1),
        "browser_seconds": result.stats.get("qa/render/browser_seconds", 0.0),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if browser_path() is None:
        sys.exit("chromium is not installed (scripts/system-deps.sh)")
    base = "http://127.0.0.1:8123"
    items = load_expected(base)
    saved = [(item["url"], saved_page(f"/en/article/{item['article_id']}")) for item in items]
    filled, data = [], {}
    for item in items:
        html, data_path, body = script_filled(item)
        filled.append((item["url"], html))
        data[data_path] = body
    fast_wall, fast_cpu = fast_read(saved, args.rounds * 5)
    print(f"pages: {len(saved)}, rounds: {args.rounds} (best round reported)")
    print(
        f"fast read            : {1 / fast_wall:8.1f} pages/s  CPU {fast_cpu * 1000:7.2f} ms/page"
    )
    for name, pages in (("saved pages", saved), ("script-filled pages", filled)):
        wall, cpu = asyncio.run(browser_read(pages, args.rounds, data))
        print(
            f"browser read, {name:<20}: {1 / wall:6.1f} pages/s  CPU {cpu * 1000:7.1f} ms/page"
            f"  ({wall / fast_wall:.0f}x the fast read's time, {cpu / fast_cpu:.0f}x its CPU)"
        )
    with tempfile.TemporaryDirectory() as folder:
        for kind in ("saved", "script-filled"):
            figures = crawl(kind, Path(folder))
            print(
                f"crawl, {kind:<14}: {figures['items']} items, {figures['rendered']} rendered,"
                f" {figures['wall']:.1f} s wall, {figures['cpu']:.1f} s CPU,"
                f" {figures['requests_per_article']:.2f} requests/article (all requests),"
                f" browser {figures['browser_seconds']:.1f} s"
            )


if __name__ == "__main__":
    main()
