"""The scheduling files under deploy/ (issue 19): systemd accepts the service and the timer
(systemd-analyze verify), and the command each schedule runs — the service's ExecStart and
the crontab line — crawls and delivers with exit code 0, from the checkout's paths."""

from __future__ import annotations

import configparser
import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE
from tests.crawl_helpers import FAST_LOCAL, PROJECT

pytestmark = pytest.mark.slow  # every test here starts a process

DEPLOY = PROJECT / "deploy"
INSTALLED = "/srv/qa_scraper"


def _here(text: str) -> str:
    """A unit or crontab as installed in this checkout (run as this user)."""
    return text.replace(INSTALLED, str(PROJECT)).replace("User=qa_scraper", "User=root")


def test_systemd_accepts_the_service_and_the_timer(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is missing (Debian package systemd)")
        pytest.skip("systemd-analyze is not installed")
    for name in ("qa_scraper.service", "qa_scraper.timer"):
        (tmp_path / name).write_text(_here((DEPLOY / name).read_text()))
    units = [str(tmp_path / "qa_scraper.service"), str(tmp_path / "qa_scraper.timer")]
    result = subprocess.run([analyze, "verify", *units], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    timer = configparser.ConfigParser()
    timer.read(units[1])
    assert timer["Timer"]["OnCalendar"] == "*-*-* 03:17:00 UTC"
    calendar = subprocess.run(
        [analyze, "calendar", timer["Timer"]["OnCalendar"]], capture_output=True, text=True
    )
    assert calendar.returncode == 0 and "03:17:00 UTC" in calendar.stdout


def _service_command() -> list[str]:
    service = configparser.ConfigParser(strict=False)
    service.read_string(_here((DEPLOY / "qa_scraper.service").read_text()))
    assert service["Service"]["KillSignal"] == "SIGINT"  # Scrapy's graceful stop: exit 6
    return shlex.split(service["Service"]["ExecStart"])


def _cron_command() -> str:
    [line] = [
        line
        for line in _here((DEPLOY / "crontab").read_text()).splitlines()
        if line.strip() and not line.startswith("#")
    ]
    fields = line.split(None, 5)
    assert fields[:5] == ["17", "3", "*", "*", "*"]
    return fields[5]


def test_the_scheduled_commands_deliver(tmp_path: Path) -> None:
    output = tmp_path / "output"
    extra = [*FAST_LOCAL, "-s", f"QA_OUTPUT_DIR={output}"]  # the last -s wins
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    with DevServer(SITE) as server:
        base = ["-a", f"base_url={server.base_url}"]
        service = subprocess.run(
            [*_service_command(), *base, *extra],
            cwd=PROJECT,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert service.returncode == 0, service.stderr[-3000:]
        cron = _cron_command().replace(
            ">>", " ".join(shlex.quote(part) for part in [*base, *extra]) + " >>", 1
        )
        cron = cron.replace("output/cron.log", str(tmp_path / "cron.log"))
        result = subprocess.run(["/bin/sh", "-c", cron], env=env, timeout=240)
        assert result.returncode == 0, (tmp_path / "cron.log").read_text()[-3000:]
    manifests = sorted((output / "doctorqna").glob("*.manifest.json"))
    assert len(manifests) == 2  # one run each, the second incremental
    first, second = (json.loads(path.read_text()) for path in manifests)
    assert first["counts"]["new"] == 25 and second["counts"]["written"] == 0
    assert "'qa/exit_code': 0" in (tmp_path / "cron.log").read_text()
