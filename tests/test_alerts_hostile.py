"""Issue 19, alerts set up wrong by an operator: a port that is not a number is refused
before the crawl (it used to stop the monitors at close: no verdict in the manifest, exit 0),
and an e-mail that cannot be sent is recorded as not sent (the manifest listed it as sent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE
from tests.crawl_helpers import free_port, run_crawl

pytestmark = pytest.mark.slow  # every test here starts a process

FAILING_RULE = json.dumps({"dict/replies/_items/clinic": 0.9})


def test_an_smtp_port_that_is_not_a_port_is_refused(tmp_path: Path) -> None:
    for port in ("abc", "0", "70000"):
        (tmp_path / port).mkdir()
        result = run_crawl(
            "http://127.0.0.1:9/",
            tmp_path / port,
            "-s",
            "SPIDERMON_SMTP_HOST=127.0.0.1",
            "-s",
            "SPIDERMON_EMAIL_TO=ops@example.org",
            "-s",
            f"SPIDERMON_SMTP_PORT={port}",
            timeout=60,
        )
        assert result.returncode == 2, result.log[-2000:]
        [line] = [line for line in result.log.splitlines() if "refused" in line]
        assert f"SPIDERMON_SMTP_PORT='{port}' is not a port" in line
        assert "Traceback" not in result.log


def test_an_email_that_cannot_be_sent_is_not_recorded_as_sent(tmp_path: Path) -> None:
    dead = free_port()  # nothing listens there
    with DevServer(SITE) as server:
        result = run_crawl(
            server.base_url,
            tmp_path,
            "-s",
            f"SPIDERMON_FIELD_COVERAGE_RULES={FAILING_RULE}",
            "-s",
            "SPIDERMON_SMTP_HOST=127.0.0.1",
            "-s",
            f"SPIDERMON_SMTP_PORT={dead}",
            "-s",
            "SPIDERMON_EMAIL_TO=ops@example.org",
        )
    assert result.returncode == 7, result.log[-3000:]  # delivered, a monitor failed
    monitors = result.manifest()["monitors"]
    assert monitors["failed"] == ["Field coverage/minimum fill rate"]
    assert monitors["alerts"] == []
    assert monitors["alerts_failed"] == ["SmtpAlert"]
    assert f"Alert e-mail to ops@example.org via 127.0.0.1:{dead} failed" in result.log
