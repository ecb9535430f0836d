"""Regression tests of the reliability defects (issue 8), each against a real crawl: a change
made while a run is interrupted, sitemaps naming another host, a kill during close, a feed on
a scheduled state, a site that is down, Ctrl-C, and pages a lying server cuts short."""

from __future__ import annotations

import json
import re
import signal
import socket
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from qa_scraper.delivery.crash import CRASH_ENV
from qa_scraper.errors import ExitCode
from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE, load_expected
from tests.crawl_helpers import crawl_command, run_crawl, start_crawl

pytestmark = pytest.mark.slow  # every test here starts a process

LIVE = {item["article_id"] for item in load_expected()}
INCREMENTAL = ["-a", "mode=incremental"]
SLOW = [
    "-s",
    "CONCURRENT_REQUESTS=1",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=1",
    "-s",
    "DOWNLOAD_DELAY=0.08",
    "-s",
    "RANDOMIZE_DOWNLOAD_DELAY=0",
]


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _wait_for_lines(process, folder: Path, lines: int, timeout: float = 120) -> list[Path]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        parts = list(folder.glob("*Z.jsonl.part"))
        if parts and parts[0].read_bytes().count(b"\n") >= lines:
            return parts
        time.sleep(0.02)
    raise AssertionError("the crawl never wrote enough lines")


def test_a_change_made_while_a_run_is_interrupted_is_delivered(tmp_path: Path) -> None:
    """Defect 1: the state keeps the lastmod of the version it delivered, not a newer one."""
    output, folder = tmp_path / "output", tmp_path / "output" / "doctorqna"
    with DevServer(SITE) as server:
        site = server.site
        command = crawl_command(
            server.base_url, output, tmp_path / "killed.jsonl", *INCREMENTAL, *SLOW
        )
        process = start_crawl(command, tmp_path / "killed.log")
        try:
            [part] = _wait_for_lines(process, folder, 8)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
        changed = _lines(part)[0]["article_id"]  # written before the kill
        html = site._file_text(site.routes[f"/en/article/{changed}"]["file"])
        html = re.sub(r'(<div class="question-text">)', r"\1UPDATED: ", html, count=1)
        site.change_article(changed, html, "2026-11-22")

        resumed = run_crawl(
            server.base_url, tmp_path, *INCREMENTAL, name="resumed", output_dir=output
        )
        assert resumed.returncode == 0 and resumed.manifest()["resumed"] is True
        after = run_crawl(server.base_url, tmp_path, *INCREMENTAL, name="after", output_dir=output)
    assert after.returncode == 0
    [item] = [item for item in after.feed_items if item["article_id"] == changed]
    assert item["question"]["text"].startswith("UPDATED: ")
    assert {row["article_id"]: row["change"] for row in after.manifest()["changes"]} == {
        changed: "changed"
    }
    [final] = folder.glob(f"{after.stats['qa/run_id']}.jsonl")
    assert [line["article_id"] for line in _lines(final)] == [changed]


def test_sitemaps_on_another_host_are_never_requested(tmp_path: Path) -> None:
    """Defect 2: robots.txt and the sitemap index name sitemaps on localhost (another host
    name for the same server): the crawl of 127.0.0.1 is complete, nothing goes to localhost."""
    with DevServer(SITE) as server:
        site = server.site
        elsewhere = f"http://localhost:{server.port}"
        site.file_overrides["robots.txt"] = site._file_text("robots.txt") + (
            f"Sitemap: {elsewhere}/sitemap.xml\nSitemap: {elsewhere}/sitemap-articles-1.xml\n"
        )
        site.file_overrides["sitemap.xml"] = site._file_text("sitemap.xml").replace(
            "</sitemapindex>",
            f"<sitemap><loc>{elsewhere}/sitemap-articles-2.xml</loc></sitemap></sitemapindex>",
        )
        result = run_crawl(server.base_url, tmp_path)
        hosts = Counter(seen.headers.get("Host", "") for seen in site.requests)
    assert result.returncode == 0, result.log[-2000:]
    assert {item["article_id"] for item in result.feed_items} == LIVE
    assert [host for host in hosts if not host.startswith("127.0.0.1")] == []
    assert result.stats["qa/offsite_refused/sitemap"] == 3


def test_a_kill_after_the_commit_point_does_not_deliver_twice(tmp_path: Path, monkeypatch) -> None:
    """Defect 3, end to end: killed after renaming the JSONL, before the manifest; the
    restart publishes the rest and writes nothing again."""
    output = tmp_path / "output"
    folder = output / "doctorqna"
    with DevServer(SITE) as server:
        monkeypatch.setenv(CRASH_ENV, "items_renamed")
        killed = run_crawl(
            server.base_url, tmp_path, *INCREMENTAL, name="killed", output_dir=output
        )
        monkeypatch.delenv(CRASH_ENV)
        assert killed.returncode == -signal.SIGKILL
        assert list(folder.glob("*.manifest.json")) == []
        again = run_crawl(server.base_url, tmp_path, *INCREMENTAL, name="again", output_dir=output)
    assert again.returncode == 0
    assert list(folder.glob("*.part")) == []
    manifests = sorted(folder.glob("*.manifest.json"))
    assert [json.loads(path.read_text())["counts"]["new"] for path in manifests] == [25, 0]
    delivered = [
        line["article_id"] for path in sorted(folder.glob("*Z.jsonl")) for line in _lines(path)
    ]
    assert sorted(delivered) == sorted(LIVE)


def test_a_feed_without_a_mode_gets_every_article_every_time(tmp_path: Path) -> None:
    """Defect 5: ``-O`` implies a full run unless ``-a mode=incremental`` is given."""
    output = tmp_path / "output"
    with DevServer(SITE) as server:
        first = run_crawl(server.base_url, tmp_path, name="first", output_dir=output)
        second = run_crawl(server.base_url, tmp_path, name="second", output_dir=output)
        asked = run_crawl(server.base_url, tmp_path, *INCREMENTAL, name="asked", output_dir=output)
    for result in (first, second):
        assert result.returncode == 0
        assert {item["article_id"] for item in result.feed_items} == LIVE
        assert result.manifest()["mode"] == "full"
    assert asked.feed_items == []
    assert "the feed gets only the new and changed articles" in asked.log


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _NotHttpServer:
    """Answers every connection with an SSH banner, then closes."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while self.running:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            with connection:
                connection.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")

    def __enter__(self) -> _NotHttpServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.thread.join(timeout=2)
        self.socket.close()


@pytest.mark.parametrize("server", ["closed-port", "not-http"])
def test_a_site_that_is_down_is_a_failure_not_an_empty_delivery(
    tmp_path: Path, server: str
) -> None:
    """Defect 7: exit 5, no manifest, nothing left behind — and quickly, not by a timeout."""
    started = time.monotonic()
    if server == "closed-port":
        result = run_crawl(f"http://127.0.0.1:{_free_port()}/", tmp_path, timeout=60)
    else:
        with _NotHttpServer() as fake:
            result = run_crawl(f"http://127.0.0.1:{fake.port}/", tmp_path, timeout=60)
    assert result.returncode == ExitCode.NOTHING_FETCHED, result.log[-2000:]
    assert time.monotonic() - started < 30
    assert "fetched nothing usable" in result.log
    folder = tmp_path / "output" / "doctorqna"
    assert list(folder.glob("*.jsonl*")) == [] and list(folder.glob("*.manifest*")) == []


@pytest.mark.parametrize("presses", [1, 2], ids=["graceful", "forced"])
def test_ctrl_c_is_an_interruption_with_its_own_exit_status(tmp_path: Path, presses: int) -> None:
    """Defect 7: a stopped run exits 6 and stays resumable."""
    output = tmp_path / "output"
    with DevServer(SITE) as server:
        command = crawl_command(server.base_url, output, tmp_path / "feed.jsonl", *SLOW)
        process = start_crawl(command, tmp_path / "stopped.log")
        try:
            _wait_for_lines(process, output / "doctorqna", 3)
            for _ in range(presses):  # a second Ctrl-C forces an unclean shutdown
                process.send_signal(signal.SIGINT)
                time.sleep(0.05)
            code = process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    assert code == ExitCode.INTERRUPTED
    assert list((output / "doctorqna").glob("*.manifest.json")) == []
    assert list((output / "doctorqna").glob("*Z.jsonl.part"))


# The crawl command, then (at exit) how SIGINT and SIGTERM are handled, on the last line.
REPORT_SIGNALS_AT_EXIT = (
    "import atexit, runpy, signal, sys\n"
    "atexit.register(lambda: print(int(signal.getsignal(signal.SIGINT) == signal.SIG_IGN),"
    " int(signal.getsignal(signal.SIGTERM) == signal.SIG_IGN), flush=True))\n"
    "sys.argv = ['scrapy', *sys.argv[1:]]\n"
    "runpy.run_module('scrapy', run_name='__main__', alter_sys=True)\n"
)


def test_a_ctrl_c_while_a_stopped_run_exits_keeps_its_exit_status(tmp_path: Path) -> None:
    """A second Ctrl-C can land as the run, closed quickly, exits: Scrapy's handlers are
    still installed then, and Python resets them to the system default as it exits (the
    process would end by SIGINT, not with exit code 6). Once the crawl is over, the command
    ignores stop signals: at exit both are SIG_IGN."""
    output = tmp_path / "output"
    with DevServer(SITE) as server:
        command = crawl_command(server.base_url, output, tmp_path / "feed.jsonl", *SLOW)
        command = [command[0], "-c", REPORT_SIGNALS_AT_EXIT, *command[3:]]
        process = start_crawl(command, tmp_path / "stopped.log")
        try:
            _wait_for_lines(process, output / "doctorqna", 3)
            process.send_signal(signal.SIGINT)
            code = process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    assert code == ExitCode.INTERRUPTED
    last = (tmp_path / "stopped.log").read_text().splitlines()[-1]
    assert last == "1 1", last  # both ignored


def test_a_page_cut_short_with_a_matching_length_is_retried(tmp_path: Path) -> None:
    """Defect 8: a truncated 200 is a transient fault, retried (RETRY_TIMES) before rejecting."""
    with DevServer(SITE) as server:
        server.site.faults.update({"/en/article/174501": "cut-once", "/en/article/174506": "cut"})
        result = run_crawl(server.base_url, tmp_path)  # RETRY_TIMES=2
    assert result.returncode == 0
    emitted = {item["article_id"] for item in result.feed_items}
    assert emitted == LIVE - {"174506"}
    assert result.stats["qa/retry/truncated"] == 1 + 2
    assert result.stats["retry/reason_count/truncated page"] == 3
    [rejects_file] = result.run_files("*.rejects.ndjson")
    [reject] = _lines(rejects_file)
    assert reject["url"].endswith("/en/article/174506") and reject["stage"] == "extraction"
    assert "truncated page" in reject["errors"][0]["message"]
