"""The run's HTML report, rendered by headless Chromium, shows the manifest's numbers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import html as lxml_html

from qa_scraper.tools.cli import main
from qa_scraper.tools.report import report_path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
RUNS = ("20261101T031700000Z", "20261102T031700000Z", "20261103T031700000Z")


def _manifest(run_id: str, written: int, rejects: int, clinic: float) -> dict:
    return {
        "run_id": run_id,
        "mode": "incremental",
        "finish_reason": "finished",
        "started_at": "2026-11-03T03:17:00Z",
        "finished_at": "2026-11-03T03:19:00Z",
        "files": {
            "items": {"name": f"{run_id}.jsonl", "lines": written},
            "rejects": {"name": f"{run_id}.rejects.ndjson", "lines": rejects},
        },
        "counts": {"new": written, "rejected": rejects},
        "stats": {
            "elapsed_time_seconds": 120.5,
            "downloader/response_status_count/200": 180,
            "downloader/response_status_count/404": 2,
            "downloader/response_status_count/503": 3,
        },
        "coverage": {"title": 1.0, "asker.name": 0.84, "replies.clinic": clinic},
        "monitors": {
            "passed": clinic >= 0.4,
            "failed": [] if clinic >= 0.4 else ["Field coverage/minimum fill rate"],
            "results": [],
            "items_scraped": written,
            "thresholds": {
                "SPIDERMON_FIELD_COVERAGE_RULES": {
                    "dict/title": 0.95,
                    "dict/asker/name": 0.7,
                    "dict/replies/_items/clinic": 0.4,
                }
            },
        },
    }


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, Path]:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: scripts/system-deps.sh installs it (Debian package)")
        pytest.skip("chromium is not installed (scripts/system-deps.sh installs it as root)")
    folder = tmp_path_factory.mktemp("report") / "doctorqna"
    folder.mkdir()
    for run_id, (written, rejects, clinic) in zip(
        RUNS, [(25, 0, 0.54), (3, 1, 0.5), (20, 3, 0.3)], strict=True
    ):
        manifest = _manifest(run_id, written, rejects, clinic)
        (folder / f"{run_id}.manifest.json").write_text(json.dumps(manifest))
    reject = {"url": "u", "stage": "fetch", "errors": [{"path": "", "message": "HTTP 503"}]}
    other = {
        "url": "u",
        "stage": "extraction",
        "errors": [{"path": "x", "message": "truncated page: x"}],
    }
    lines = [reject, reject, other]
    (folder / f"{RUNS[-1]}.rejects.ndjson").write_text("".join(json.dumps(r) + "\n" for r in lines))
    path = folder / f"{RUNS[-1]}.manifest.json"
    assert main(["report", str(path)]) == 0
    report = report_path(path)
    shot = folder / "report.png"
    common = [CHROMIUM, *FLAGS, "--window-size=1100,1800"]
    dom = subprocess.run(
        [*common, "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=60
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    subprocess.run(
        [*common, f"--screenshot={shot}", report.as_uri()], capture_output=True, timeout=60
    )
    return shot, json.loads(path.read_text()), Path(report).with_suffix(".dom.html"), dom.stdout


def _values(root, chart: str, attribute: str = "data-label") -> dict[str, float]:
    return {
        element.get(attribute): float(element.get("data-value"))
        for element in root.cssselect(f'svg[data-chart="{chart}"] rect.bar')
    }


@pytest.mark.slow
def test_charts_show_the_numbers_of_the_manifest(rendered) -> None:
    _, manifest, _, dom = rendered
    root = lxml_html.fromstring(dom)
    assert root.cssselect("#run-id")[0].text == RUNS[-1]
    assert _values(root, "coverage") == manifest["coverage"]
    # bar lengths are proportional to the rates; the low one is marked
    widths = {
        bar.get("data-label"): float(bar.get("width"))
        for bar in root.cssselect('svg[data-chart="coverage"] rect.bar')
    }
    assert widths["title"] == 360.0 and abs(widths["replies.clinic"] - 0.3 * 360) < 0.1
    low = root.cssselect('svg[data-chart="coverage"] rect.bar.low')
    assert [bar.get("data-label") for bar in low] == ["replies.clinic"]
    thresholds = {
        line.get("data-label"): float(line.get("data-value"))
        for line in root.cssselect('svg[data-chart="coverage"] line.threshold')
    }
    assert thresholds == {"title": 0.95, "asker.name": 0.7, "replies.clinic": 0.4}
    assert _values(root, "rejects") == {"fetch: HTTP 503": 2, "extraction: truncated page": 1}
    assert _values(root, "statuses") == {"200": 180, "404": 2, "503": 3}
    assert _values(root, "history-items", "data-run") == dict(zip(RUNS, (25, 3, 20), strict=True))
    assert _values(root, "history-rejects", "data-run") == dict(zip(RUNS, (0, 1, 3), strict=True))
    points = root.cssselect('svg[data-chart="history-coverage"] circle.point')
    clinic = {
        p.get("data-run"): float(p.get("data-value"))
        for p in points
        if p.get("data-field") == "replies.clinic"
    }
    assert clinic == dict(zip(RUNS, (0.54, 0.5, 0.3), strict=True))
    assert "monitors failed" in root.cssselect("#verdict")[0].text_content()
    assert root.cssselect('tr[data-key="duration (s)"] td')[0].text == "120.5"


@pytest.mark.slow
def test_screenshot_is_a_rendered_page(rendered) -> None:
    shot = rendered[0]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
