"""The installed package works outside the checkout (issue 8, defect 11): the schema ships as
package data (the published schemas/ folder, installed as qa_scraper.schemas), and a wheel built
from the project validates items and crawls from elsewhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from qa_scraper.delivery.validation import SCHEMA_PATH
from qa_scraper.testing.demo import CRAWL_ARGS
from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE, load_expected
from tests.crawl_helpers import isolated_python

PROJECT = Path(__file__).resolve().parent.parent


def test_the_package_reads_the_published_schema_the_one_copy() -> None:
    """schemas/ is installed as qa_scraper.schemas: the editable install reads the published
    file itself, and the repository holds no second copy."""
    assert Path(str(SCHEMA_PATH)) == PROJECT / "schemas" / "qa_item.schema.json"
    tracked = subprocess.run(
        ["git", "ls-files", "*.schema.json"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert tracked == ["schemas/qa_item.schema.json"]


def test_every_folder_of_modules_is_a_package_the_build_finds() -> None:
    """setup.py finds the packages with find_packages: a folder of modules without an
    __init__.py would be left out of the wheel and the egg."""
    from setuptools import find_packages

    folders = {
        ".".join(path.parent.relative_to(PROJECT).parts)
        for path in (PROJECT / "qa_scraper").rglob("*.py")
    }
    assert folders <= set(find_packages(str(PROJECT), include=["qa_scraper", "qa_scraper.*"]))


@pytest.mark.slow
def test_a_wheel_installed_elsewhere_validates_and_crawls(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(PROJECT),
        ],
        check=True,
        timeout=300,
        cwd=tmp_path,
    )
    [wheel] = dist.glob("qa_scraper-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        packaged = archive.read("qa_scraper/schemas/qa_item.schema.json")
    assert packaged == (PROJECT / "schemas" / "qa_item.schema.json").read_bytes()
    python, site_packages = isolated_python(tmp_path / "venv")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(site_packages),
            str(wheel),
        ],
        check=True,
        timeout=300,
    )

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    items = tmp_path / "items.json"
    valid = [
        dict(
            item,
            scraped_at="2026-11-25T00:00:00Z",
            content_hash="0" * 64,
            warc=None,
            run_id="20261125T000000000Z",
        )
        for item in load_expected()[:2]
    ]
    items.write_text(json.dumps([*valid, dict(valid[0], language="fr")]))
    check = subprocess.run(
        [
            python,
            "-c",
            "import json, sys, qa_scraper; from qa_scraper.delivery.validation import "
            "item_errors; print(qa_scraper.__file__); print(json.dumps([item_errors(i) for i in "
            "json.load(open(sys.argv[1]))]))",
            str(items),
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr
    location, verdicts = check.stdout.splitlines()
    assert location.startswith(str(site_packages))
    first, second, wrong_language = json.loads(verdicts)
    assert first == second == []
    assert [error["path"] for error in wrong_language] == ["language"]

    with DevServer(SITE) as server:
        crawl = subprocess.run(
            [
                python,
                *CRAWL_ARGS,
                "-a",
                f"base_url={server.base_url}",
                "-s",
                "AUTOTHROTTLE_ENABLED=0",
                "-s",
                "DOWNLOAD_DELAY=0",
                "-s",
                "RETRY_TIMES=1",
                "-s",
                "CONCURRENT_REQUESTS_PER_DOMAIN=8",
                "-s",
                "QA_OUTPUT_DIR=out",
            ],
            cwd=elsewhere,
            env=dict(env, SCRAPY_SETTINGS_MODULE="qa_scraper.settings"),
            capture_output=True,
            text=True,
            timeout=240,
        )
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    [items_file] = (elsewhere / "out" / "doctorqna").glob("*Z.jsonl")
    assert len(items_file.read_text(encoding="utf-8").splitlines()) == 25
