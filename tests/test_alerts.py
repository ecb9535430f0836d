"""Alerts (issue 19): a failed monitor sends Spidermon's e-mail action over SMTP to a local
server started by the test; a half-configured alert is refused before the crawl starts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE
from tests.crawl_helpers import run_crawl
from tests.smtp_helpers import body_text, smtp_server

pytestmark = pytest.mark.slow  # every test here starts a process

FAILING_RULE = json.dumps({"dict/replies/_items/clinic": 0.9})


def test_a_failed_monitor_sends_an_email(tmp_path: Path) -> None:
    with smtp_server() as (port, inbox), DevServer(SITE) as server:
        result = run_crawl(
            server.base_url,
            tmp_path,
            "-s",
            f"SPIDERMON_FIELD_COVERAGE_RULES={FAILING_RULE}",
            "-s",
            "SPIDERMON_SMTP_HOST=127.0.0.1",
            "-s",
            f"SPIDERMON_SMTP_PORT={port}",
            "-s",
            "SPIDERMON_EMAIL_TO=ops@example.org,data@example.org",
            "-s",
            "SPIDERMON_EMAIL_SENDER=crawler@example.org",
        )
    assert result.returncode == 7, result.log[-3000:]
    run_id = result.stats["qa/run_id"]
    [(sender, recipients, message)] = inbox
    assert sender == "crawler@example.org"
    assert recipients == ["ops@example.org", "data@example.org"]
    assert message["Subject"] == f"qa_scraper run {run_id}: monitors failed (1)"
    text = body_text(message)
    assert "Field coverage/minimum fill rate" in text
    assert "dict/replies/_items/clinic (expected 0.9, got 0.54" in text
    manifest_path = result.output_dir.resolve() / "doctorqna" / f"{run_id}.manifest.json"
    assert f"Manifest: {manifest_path}" in text
    assert manifest_path.exists()
    assert result.manifest()["monitors"]["alerts"] == ["SmtpAlert"]
    assert "Alert e-mail sent to ops@example.org, data@example.org" in result.log


def test_no_email_when_the_monitors_pass(tmp_path: Path) -> None:
    with smtp_server() as (port, inbox), DevServer(SITE) as server:
        result = run_crawl(
            server.base_url,
            tmp_path,
            "-s",
            "SPIDERMON_SMTP_HOST=127.0.0.1",
            "-s",
            f"SPIDERMON_SMTP_PORT={port}",
            "-s",
            "SPIDERMON_EMAIL_TO=ops@example.org",
        )
    assert result.returncode == 0, result.log[-3000:]
    assert inbox == []


def test_half_configured_alerts_are_refused_in_one_line(tmp_path: Path) -> None:
    for settings, expected in (
        (["SPIDERMON_SMTP_HOST=127.0.0.1"], "e-mail alerts need both SPIDERMON_SMTP_HOST"),
        (["SPIDERMON_SENTRY_DSN=https://key@127.0.0.1/1"], "sentry_sdk is not installed"),
        (["QA_MONITOR_MIN_ITEMS=5"], "QA_MONITOR_MIN_ITEMS is now SPIDERMON_MIN_ITEMS"),
    ):
        extra = [part for setting in settings for part in ("-s", setting)]
        result = run_crawl("http://127.0.0.1:9/", tmp_path, *extra, timeout=60)
        assert result.returncode == 2, result.log[-2000:]
        [line] = [line for line in result.log.splitlines() if "refused" in line]
        assert expected in line
        assert "Traceback" not in result.log
