"""Deploying to a real scrapyd (issue 19): the egg that scrapyd-client builds from the project
carries the settings entry point and the schema (read from inside the zipped egg), a scheduled
job delivers every article, and the monitors' verdict (scrapyd drops exit codes) is in the
manifest and in the e-mail alert (a local SMTP server).

scrapyd runs on a free loopback port with its own config and folders, under a Python that
sees the project's dependencies but not the checkout: the job can only use the egg.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE, load_expected
from tests.crawl_helpers import PROJECT, free_port, isolated_python
from tests.smtp_helpers import body_text, smtp_server

pytestmark = pytest.mark.slow  # every test here starts a process

LIVE = {item["article_id"] for item in load_expected()}
PROJECT_FILES = ("pyproject.toml", "setup.py", "scrapy.cfg", "README.md")


def _require_scrapyd() -> None:
    missing = [name for name in ("scrapyd", "scrapyd_client") if not importlib.util.find_spec(name)]
    if missing:
        message = f"{', '.join(missing)} not installed (the [test] extra pins them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _api(base: str, path: str, data: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(base + path, data=body, timeout=30) as response:
        answer = json.loads(response.read())
    assert answer.get("status") == "ok", answer
    return answer


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[str]:
    """A scrapyd of the test's own; yields its base URL."""
    _require_scrapyd()
    python, _ = isolated_python(tmp_path / "venv")
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\ndbs_dir = {home / 'dbs'}\n"
        "items_dir =\npoll_interval = 0.2\nmax_proc = 1\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    log = (home / "scrapyd.log").open("w")
    process = subprocess.Popen(
        [python, "-m", "scrapyd", "--nodaemon"],
        cwd=home,
        env=dict(env, HOME=str(home)),  # no ~/.scrapyd.conf of the machine's
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _api(base, "daemonstatus.json")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        "scrapyd did not start:\n" + (home / "scrapyd.log").read_text()[-3000:]
                    ) from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _deploy(base: str, checkout: Path) -> None:
    """scrapyd-deploy from a copy of the project (build the egg, addversion.json), with the
    [deploy] target of the project's own scrapy.cfg pointed at the test's scrapyd."""
    for name in PROJECT_FILES:
        shutil.copy(PROJECT / name, checkout / name)
    ignore = shutil.ignore_patterns("__pycache__")
    for folder in ("qa_scraper", "schemas"):  # schemas/: the package qa_scraper.schemas
        shutil.copytree(PROJECT / folder, checkout / folder, ignore=ignore)
    config = (checkout / "scrapy.cfg").read_text()
    assert "\n[deploy]\n" in config and "\nurl = http://localhost:6800/\n" in config
    (checkout / "scrapy.cfg").write_text(config.replace("http://localhost:6800/", base))
    deploy = subprocess.run(
        [Path(sys.executable).parent / "scrapyd-deploy", "--version", "1"],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert '"status": "ok"' in deploy.stdout, deploy.stdout + deploy.stderr


def _wait_finished(base: str, job: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = _api(base, "listjobs.json?project=qa_scraper")
        if any(entry["id"] == job for entry in jobs["finished"]):
            return
        time.sleep(0.3)
    raise AssertionError(f"job {job} did not finish within {timeout} s")


def test_a_deployed_egg_runs_a_scheduled_job_to_delivery(scrapyd: str, tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    _deploy(scrapyd, checkout)
    assert _api(scrapyd, "listspiders.json?project=qa_scraper")["spiders"] == ["doctorqna"]

    output = tmp_path / "output"  # absolute: the job's working folder is scrapyd's
    with DevServer(SITE) as server, smtp_server() as (smtp_port, inbox):
        settings = {
            "SPIDERMON_SMTP_HOST": "127.0.0.1",
            "SPIDERMON_SMTP_PORT": str(smtp_port),
            "SPIDERMON_EMAIL_TO": "ops@example.org",
            "QA_OUTPUT_DIR": str(output),
            "AUTOTHROTTLE_ENABLED": "0",
            "DOWNLOAD_DELAY": "0",
            "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
            "RETRY_TIMES": "1",
            # a threshold the saved site cannot meet: the verdict must reach the manifest
            "SPIDERMON_FIELD_COVERAGE_RULES": json.dumps({"dict/replies/_items/clinic": 0.9}),
        }
        job = _api(
            scrapyd,
            "schedule.json",
            [
                ("project", "qa_scraper"),
                ("spider", "doctorqna"),
                ("base_url", server.base_url),
                *(("setting", f"{name}={value}") for name, value in settings.items()),
            ],
        )["jobid"]
        _wait_finished(scrapyd, job)

    job_log = next((tmp_path / "scrapyd" / "logs").rglob(f"{job}.log")).read_text()
    assert "Traceback" not in job_log, job_log[-3000:]
    [manifest_path] = (output / "doctorqna").glob("*.manifest.json")
    manifest = json.loads(manifest_path.read_text())
    items = [
        json.loads(line)
        for line in (output / "doctorqna" / manifest["files"]["items"]["name"]).open()
    ]
    assert {item["article_id"] for item in items} == LIVE
    assert manifest["counts"]["rejected"] == 0
    assert manifest["code_version"] == {"package": "0.1.0", "git_commit": None}  # an egg
    assert manifest["counts"]["errors"] == 0
    # scrapyd does not pass the exit code on: the verdict is read from the manifest
    assert manifest["monitors"]["passed"] is False
    assert manifest["monitors"]["failed"] == ["Field coverage/minimum fill rate"]
    # ... and from the alert
    [(_, recipients, message)] = inbox
    assert recipients == ["ops@example.org"]
    assert message["Subject"] == f"qa_scraper run {manifest['run_id']}: monitors failed (1)"
    assert f"Manifest: {manifest_path}" in body_text(message)
