"""Issue 19, the Scrapy commands given bad input: `scrapy parse` refuses a bad argument in
one line with its exit code (it printed a traceback), and a page that gave no response exits
1 saying why (it exited 0); a refused crawl under scrapyd (LOG_FILE) says so in the job's log,
the only place scrapyd keeps (the refusal went to stderr alone)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from qa_scraper.testing.demo import CRAWL_ARGS
from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE
from tests.crawl_helpers import PROJECT
from tests.test_conventions import _env

pytestmark = pytest.mark.slow  # every test here starts a process


def _parse(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "parse", "--spider", "doctorqna", *args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_scrapy_parse_bad_argument_and_missing_pages(tmp_path: Path) -> None:
    with DevServer(SITE) as server:
        article = server.base_url + "en/article/174501"
        refused = _parse(tmp_path, "-a", "mode=bogus", article)
        missing = _parse(tmp_path, server.base_url + "en/article/999999")
        other_host = article.replace("127.0.0.1", "localhost")
        offsite = _parse(tmp_path, "-a", f"base_url={server.base_url}", other_host)
    assert refused.returncode == 2, refused.stderr[-3000:]
    assert "Traceback" not in refused.stderr
    [line] = [line for line in refused.stderr.splitlines() if "refused" in line]
    assert (
        line == "qa_scraper: refused: -a mode='bogus' is not a mode. Use one of: incremental, full"
    )
    assert missing.returncode == 1, missing.stderr[-3000:]
    assert "No response downloaded for: " + server.base_url + "en/article/999999 (HTTP 404)" in (
        missing.stderr
    )
    assert offsite.returncode == 1, offsite.stderr[-3000:]
    assert f"No response downloaded for: {other_host} (another host than base_url's" in (
        offsite.stderr
    )
    assert list(tmp_path.iterdir()) == []


def test_a_refusal_is_in_the_log_file(tmp_path: Path) -> None:
    log = tmp_path / "job.log"
    result = subprocess.run(
        [
            sys.executable,
            *CRAWL_ARGS,
            "-a",
            "mode=bogus",
            "-s",
            f"LOG_FILE={log}",
            "-s",
            f"QA_OUTPUT_DIR={tmp_path / 'output'}",
        ],
        cwd=PROJECT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "qa_scraper: refused: -a mode='bogus' is not a mode" in result.stderr
    assert "ERROR: qa_scraper: refused (exit code 2): -a mode='bogus' is not a mode" in (
        log.read_text()
    )
