"""Rendering at crawl time (``-a render=``): a site whose "Similar Q&A" sections a script fills
from a same-host JSON endpoint, served by the dev server on 127.0.0.1, crawled by the real
spider in a subprocess with the system Chromium.

Under ``CI=true`` a missing Chromium fails these tests instead of skipping them.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from qa_scraper.reading.browser import browser_path
from qa_scraper.testing.demo import CRAWL_ARGS
from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE, assert_items_equal, load_expected, without_run_fields
from tests.crawl_helpers import PROJECT, CrawlResult, crawl_command, run_crawl, start_crawl
from tests.markup_variants import SCRIPT_FILLED_NOISE, drawn, script_filled

pytestmark = pytest.mark.slow  # every test here drives Chromium

ARTICLES = 25
NO_DATA = "174501"  # its data endpoint answers 404: the rendered page keeps its placeholder


def needs_chromium() -> None:
    if browser_path() is None:
        message = "chromium is missing: scripts/system-deps.sh installs it (Debian package)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def script_filled_site(
    server: DevServer, slow_data: bool = False, missing: tuple[str, ...] = ()
) -> None:
    """Every article page of the saved site as its script-filled markup, and its data
    (none for the ``missing`` articles)."""
    base = server.base_url.rstrip("/")
    for item in load_expected(server.base_url):
        html, data_path, body = script_filled(item)
        route = server.site.routes[f"/en/article/{item['article_id']}"]
        server.site.file_overrides[route["file"]] = html.replace(base, "{{BASE}}")
        if item["article_id"] not in missing:
            server.site.add_data(data_path, body)
        if slow_data:
            server.site.faults[data_path] = "slow"


def paths(server: DevServer) -> list[str]:
    return [request.path for request in server.site.requests]


@pytest.fixture(scope="module")
def rendered_crawl(tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlResult, DevServer]:
    needs_chromium()
    with DevServer(SITE) as server:
        script_filled_site(server, missing=(NO_DATA,))
        result = run_crawl(server.base_url, tmp_path_factory.mktemp("render"))
    return result, server


def test_a_script_filled_site_is_rendered_and_reads_every_article(
    rendered_crawl: tuple[CrawlResult, DevServer],
) -> None:
    result, server = rendered_crawl
    assert result.returncode == 0, result.log[-3000:]
    assert "Traceback" not in result.log
    expected = {item["article_id"]: item for item in load_expected(server.base_url)}
    assert Counter(item["article_id"] for item in result.feed_items) == Counter(
        dict.fromkeys(set(expected) - {NO_DATA}, 1)
    )
    for item in result.feed_items:
        assert_items_equal(
            drawn(without_run_fields(item)),
            drawn(expected[item["article_id"]]),
            f"rendered {item['url']}",
        )
    assert result.stats["qa/render/pages"] == ARTICLES
    assert result.stats["qa/render/reason/placeholder"] == ARTICLES
    # The page whose data never came is not delivered half-read: a reject that says why.
    [rejects] = result.run_files("*.rejects.ndjson")
    [record] = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert record["url"].endswith(f"/en/article/{NO_DATA}")
    assert [error["message"] for error in record["errors"]] == [
        "rendered page still incomplete: placeholder: aria-busy"
    ]
    assert result.stats["qa/render/incomplete"] == 1


def test_the_browser_keeps_the_crawls_rules(rendered_crawl: tuple[CrawlResult, DevServer]) -> None:
    """The page is not fetched again; its data once; robots.txt, the host and the resource
    types are enforced on what the page's script asks for, and counted."""
    result, server = rendered_crawl
    seen = paths(server)
    pages = [path for path in seen if path.startswith("/en/article/")]
    data = [path for path in seen if path.startswith("/api/")]
    assert Counter(data) == Counter(dict.fromkeys(set(data), 1)) and len(data) == ARTICLES
    # Each article page once, as without rendering (the flaky article's 503 is retried once).
    assert {path: n for path, n in Counter(pages).items() if n > 1} == {"/en/article/174589": 2}
    assert (len(pages) + len(data)) / ARTICLES <= 2.2
    disallowed, image, _ = SCRIPT_FILLED_NOISE
    assert not [path for path in seen if path.startswith((disallowed, image))]
    stats = result.stats
    assert stats["qa/render/subrequests/fetched"] == ARTICLES
    assert stats["qa/render/subrequests/robots"] == ARTICLES
    assert stats["qa/render/subrequests/blocked_type"] == ARTICLES
    assert stats["qa/render/subrequests/offsite"] == ARTICLES
    assert stats["playwright/browser_count"] == 1


def test_the_manifest_and_report_account_for_rendering(
    rendered_crawl: tuple[CrawlResult, DevServer],
) -> None:
    result, _ = rendered_crawl
    manifest = result.manifest()
    rendering = manifest["render"]
    assert rendering["pages"] == ARTICLES
    assert rendering["reasons"] == {"placeholder": ARTICLES}
    assert rendering["subrequests"] == {
        "blocked_type": ARTICLES,
        "fetched": ARTICLES,
        "offsite": ARTICLES,
        "robots": ARTICLES,
    }
    assert rendering["browser_seconds"] > 0
    [report] = result.run_files(f"{manifest['run_id']}.report.html")
    html = report.read_text(encoding="utf-8")
    assert "id=render" in html and 'data-key="pages rendered"><th>pages rendered<td>25' in html


def test_without_a_browser_auto_rejects_what_needs_one(tmp_path: Path) -> None:
    with DevServer(SITE) as server:
        script_filled_site(server)
        result = run_crawl(server.base_url, tmp_path, "-s", "QA_BROWSER_PATH=/nonexistent/chromium")
    assert "Traceback" not in result.log
    assert result.feed_items == []
    assert result.stats["qa/render/needs_browser"] == ARTICLES
    [rejects] = result.run_files("*.rejects.ndjson")
    records = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert len(records) == ARTICLES
    assert {record["errors"][0]["message"] for record in records} == {
        "needs-browser: placeholder: aria-busy"
    }
    assert result.manifest()["render"]["needs_browser"] == ARTICLES


def test_render_always_without_a_browser_is_refused_before_the_crawl(tmp_path: Path) -> None:
    command = [
        sys.executable,
        *CRAWL_ARGS,
        "-a",
        "render=always",
        "-a",
        "base_url=http://127.0.0.1:9/",
        "-s",
        "QA_BROWSER_PATH=/nonexistent/chromium",
        "-s",
        f"QA_OUTPUT_DIR={tmp_path / 'out'}",
    ]
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    done = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True)
    assert done.returncode == 4
    refusal = [line for line in done.stderr.splitlines() if line.startswith("qa_scraper:")]
    assert refusal == [
        "qa_scraper: refused: -a render=always needs a browser, and "
        "QA_BROWSER_PATH='/nonexistent/chromium' is not found. Install chromium "
        "(scripts/system-deps.sh) or set -s QA_BROWSER_PATH=/path/to/chromium"
    ]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _is_chromium(pid: int) -> bool:
    try:
        return b"chrom" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    except OSError:
        return False


def test_a_crawl_killed_while_rendering_leaves_no_browser_and_resumes(tmp_path: Path) -> None:
    """kill -9 of the crawl: Playwright's driver sees its pipe close and ends the browser
    (whose own pipe closes too); no Chromium process is left. The next run finishes."""
    needs_chromium()
    with DevServer(SITE) as server:
        script_filled_site(server, slow_data=True)
        output = tmp_path / "out"
        command = crawl_command(server.base_url, output, tmp_path / "first.jsonl")
        process = start_crawl(command, tmp_path / "first.log")
        try:
            deadline = time.monotonic() + 90
            browsers: list[int] = []
            while time.monotonic() < deadline and not browsers:
                browsers = [pid for pid in _descendants(process.pid) if _is_chromium(pid)]
                time.sleep(0.2)
            assert browsers, (tmp_path / "first.log").read_text()[-3000:]
            time.sleep(1.0)  # pages open, data requests in flight
            family = _descendants(process.pid)
        finally:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_running(pid) for pid in family):
            time.sleep(0.2)
        assert [pid for pid in family if _running(pid)] == []
        server.site.faults.clear()
        result = run_crawl(server.base_url, tmp_path, name="second", output_dir=output)
    assert result.returncode == 0, result.log[-3000:]
    assert len({item["article_id"] for item in result.feed_items}) == ARTICLES


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda html: html, None),  # reads fine (its scripts are analytics)
        (  # no script: nothing can change what the HTML says
            lambda html: re.sub(r"<script.*?</script>", "", html, flags=re.S).replace(
                "Ask Date:", ""
            ),
            None,
        ),
        (lambda html: html[: len(html) // 2], None),  # cut short: a fault, not for a browser
        (  # the last section's box, empty, with unmarked chrome after it
            lambda html: re.sub(
                r"(<h2>Related FAQ</h2>).*?(</section>)",
                r"\1<div id='faq-box'></div>\2<div>Disclaimer: reference only.</div>",
                html,
            ),
            "empty section: Related FAQ",
        ),
        (
            lambda html: html.replace(
                "</body>", "<div aria-busy='true'></div><script>fill()</script></body>"
            ),
            "placeholder: aria-busy",
        ),
        (  # any spelling of the attribute (HTML names are read in any case)
            lambda html: html.replace(
                "</body>", "<div ARIA-Busy='TRUE'></div><script>fill()</script></body>"
            ),
            "placeholder: aria-busy",
        ),
        (  # a NUL inside the name: removed before parsing, the attribute is still one
            lambda html: html.replace(
                "</body>", "<div aria-bu\x00sy='true'></div><script>fill()</script></body>"
            ),
            "placeholder: aria-busy",
        ),
        (  # not busy
            lambda html: html.replace(
                "</body>", "<div aria-busy='false'></div><script>fill()</script></body>"
            ),
            None,
        ),
        (
            lambda html: html.replace(
                "<h2>Related FAQ</h2>", "<h2>Related FAQ</h2><p>Loading…</p>"
            ).replace("</body>", "<script>fill()</script></body>"),
            "placeholder: Loading…",
        ),
        (
            lambda html: re.sub(
                r"(<h2>Related FAQ</h2>).*?(</section>)", r"\1<ul></ul>\2", html
            ).replace("</body>", "<script>fill()</script></body>"),
            "empty section: Related FAQ",
        ),
        (
            lambda html: html.replace("Ask Date:", "").replace(
                "</body>", "<script>x()</script></body>"
            ),
            "rejected: no 'Ask Date:' label",
        ),
    ],
)
def test_what_makes_auto_render_a_page(change, reason: str | None) -> None:
    from qa_scraper.pages.article import ArticlePage
    from qa_scraper.render import render_reason
    from tests.conftest import saved_page

    url = "http://127.0.0.1:8123/en/article/174501"
    page = ArticlePage(url, change(saved_page("/en/article/174501")))
    page.to_item()
    found = render_reason(page)
    if reason is None:
        assert found is None
    else:
        assert found is not None and found.startswith(reason), found


def test_the_archive_keeps_what_the_rendered_pages_asked_for(
    rendered_crawl: tuple[CrawlResult, DevServer],
) -> None:
    """Each page's same-host sub-request is archived with its answer (a 404 too), beside the
    page itself: what a replay of the rendered page needs; the items point at the page."""
    from qa_scraper.delivery import archive as warc

    result, _ = rendered_crawl
    [path] = result.run_files("*.warc.gz")
    records = warc.scan(path).records
    responses = [record for record in records if record.type == "response"]
    data = {
        r.target_uri.split("/", 3)[3]: r.http_status() for r in responses if "/api/" in r.target_uri
    }
    assert len(data) == ARTICLES
    assert Counter(data.values()) == Counter({200: ARTICLES - 1, 404: 1})
    pages = {r.target_uri.rsplit("/", 1)[1] for r in responses if "/en/article/" in r.target_uri}
    assert len(pages) == ARTICLES
    by_offset = {record.offset: record for record in records}
    for item in result.feed_items:
        page = by_offset[item["warc"]["offset"]]
        assert page.record_id == item["warc"]["record_id"] and page.target_uri == item["url"]
