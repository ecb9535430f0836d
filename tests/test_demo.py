"""The offline demo and the dev server's command line take the saved site from the caller
(scripts/demo.sh, the README commands): an installed package has no tests/ of its own."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SITE

pytestmark = pytest.mark.slow  # every test here starts a process


def _run(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def test_the_demo_without_a_site_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for args, where in (((), "no --site given"), (("--site", "nowhere"), "nowhere: no routes")):
        done = _run("qa_scraper.testing.demo", *args, cwd=tmp_path)
        assert done.returncode == 2
        [line] = done.stderr.splitlines()
        assert line.startswith(f"demo: {where}") and "--site" in line, line
        assert done.stdout == ""
    assert not (tmp_path / "output").exists()


def test_the_devserver_without_a_site_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = _run("qa_scraper.testing.devserver", "nowhere", "--port", "0", cwd=tmp_path)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("devserver: nowhere: no routes.json there"), line


def test_the_demo_crawls_the_site_it_is_given_into_the_working_folder(tmp_path: Path) -> None:
    """Outside the checkout (no scrapy.cfg, no tests/): the site given, output/ here."""
    shutil.copytree(SITE.parent, tmp_path / "fixtures")  # the site's routes name ../pages
    site = tmp_path / "fixtures" / SITE.name
    work = tmp_path / "elsewhere"
    work.mkdir()
    done = _run("qa_scraper.testing.demo", "--site", str(site), cwd=work, timeout=240)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    [manifest_path] = (work / "output" / "doctorqna").glob("*.manifest.json")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert manifest["files"]["items"]["lines"] == manifest["counts"]["new"] == 25
    assert f"Done: 25 items in output/doctorqna/{manifest['files']['items']['name']}" in done.stdout
