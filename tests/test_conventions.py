"""Scrapy conventions and the CLI (issue 19): `scrapy parse` extracts one page and stops, a
normal run logs no WARNING of ours, the CLI's defaults are relative to the working folder,
`--version`, `validate -`, `fixture check` without its folder, and the README's fixture
example on a checkout."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE, load_expected
from tests.crawl_helpers import PROJECT, free_port, run_crawl

pytestmark = pytest.mark.slow  # every test here starts a process


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(PROJECT), SCRAPY_SETTINGS_MODULE="qa_scraper.settings")


def test_scrapy_parse_extracts_the_page_and_stops(tmp_path: Path) -> None:
    [expected] = [item for item in load_expected() if item["article_id"] == "174501"]
    with DevServer(SITE) as server:
        url = server.base_url + "en/article/174501"
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", "parse", "--spider", "doctorqna", url],
            cwd=tmp_path,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        fetched = server.site.paths_fetched()
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(fetched) == ["/en/article/174501", "/robots.txt"]  # no crawl around it
    assert "# Scraped Items" in result.stdout
    assert "'article_id': '174501'" in result.stdout
    assert f"'asked_on': {expected['question']['asked_on']!r}" in result.stdout
    assert not re.search(r"\] (WARNING|ERROR):", result.stderr), result.stderr[-3000:]
    assert list(tmp_path.iterdir()) == []  # no run file, no state


def test_a_normal_run_logs_no_warning_of_scrapy_set_up(tmp_path: Path) -> None:
    with DevServer(SITE) as server:
        result = run_crawl(server.base_url, tmp_path)
    assert result.returncode == 0
    set_up = [
        line
        for line in result.log.splitlines()
        if re.search(r"\[(scrapy\.middleware|py\.warnings)\] WARNING", line)
    ]
    assert set_up == []  # e.g. "Disabled qa_scraper.distributed.worker.Worker: …"


def _tool(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qa_scraper", *args],
        cwd=cwd,
        env=dict(os.environ, PYTHONPATH=str(PROJECT)),
        input=stdin,
        capture_output=True,
        timeout=120,
    )


def test_version(tmp_path: Path) -> None:
    result = _tool("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert re.fullmatch(rb"qa_scraper 0\.1\.0( \(git [0-9a-f]{40}(-dirty)?\))?\n", result.stdout)


def test_validate_reads_standard_input(tmp_path: Path) -> None:
    from tests.test_tools import _item, _line

    good = _line(_item("174501")).encode()
    result = _tool("validate", "-", cwd=tmp_path, stdin=good + b"{not json\n")
    assert result.returncode == 1
    assert b"-:2: not JSON" in result.stdout
    assert result.stdout.endswith(b"-: 2 lines, 1 valid, 1 invalid\n")
    import gzip

    assert _tool("validate", "-", cwd=tmp_path, stdin=gzip.compress(good)).returncode == 0


def test_cli_defaults_are_relative_to_the_working_folder(tmp_path: Path) -> None:
    result = _tool("fixture", "check", cwd=tmp_path)
    assert result.returncode == 1
    [line] = result.stderr.decode().splitlines()
    assert line.startswith("fixture check: tests/fixtures/pages: no such folder")
    assert result.stdout == b""
    # schema-doc's examples are the checkout's saved pages: elsewhere they must be named
    refused = _tool("schema-doc", cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.decode().splitlines() == [
        "schema-doc: tests/fixtures/pages: no saved page (*/expected.json) to take examples from"
    ]
    assert not (tmp_path / "docs").exists()
    pages = str(PROJECT / "tests" / "fixtures" / "pages")
    assert _tool("schema-doc", "--pages", pages, cwd=tmp_path).returncode == 0
    assert (tmp_path / "docs" / "schema.md").read_text() == (
        PROJECT / "docs" / "schema.md"
    ).read_text()


def test_the_readme_fixture_example_works_on_a_checkout(tmp_path: Path) -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    block = readme.split("- **fixture save / check**", 1)[1].split("```bash\n", 1)[1]
    commands = [line.strip() for line in block.split("```", 1)[0].splitlines() if line.strip()]
    checkout = tmp_path / "checkout"  # the files a clone has that the example uses
    shutil.copytree(PROJECT / "tests" / "fixtures", checkout / "tests" / "fixtures")
    (checkout / ".venv").symlink_to(PROJECT / ".venv")
    port = str(free_port())
    script = "set -e\n" + "\n".join(command.replace("8123", port) for command in commands)
    script = script.replace("--quiet &", "--quiet &\nsleep 1")  # the server's start
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=checkout,
        env=dict(os.environ, PYTHONPATH=str(PROJECT)),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Saved tests/fixtures/pages/article-new" in result.stdout
    assert "26 fixtures checked, 0 differ" in result.stdout
    assert not (checkout / "tests" / "fixtures" / "pages" / "article-new").exists()
    assert json.loads((checkout / "tests/fixtures/pages/article-174501/meta.json").read_text())
