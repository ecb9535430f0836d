"""Issue 19, the report against edited manifests: an edited past run's manifest is left out
of the history (it made every later run's report fail), and `report` on an edited manifest
is one line (a run_id that is not a string was a traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa_scraper.tools.cli import main
from qa_scraper.tools.report import write_report


def _manifest(run_id: str, items: int) -> dict:
    return {
        "run_id": run_id,
        "files": {"items": {"lines": items}, "rejects": {"lines": 0}},
        "coverage": {"title": 1.0},
        "counts": {"new": items},
    }


def test_an_edited_past_manifest_does_not_break_later_reports(tmp_path: Path) -> None:
    past = {**_manifest("20260101T000000000Z", 3), "coverage": [1], "files": "x"}
    (tmp_path / "20260101T000000000Z.manifest.json").write_text(json.dumps(past))
    (tmp_path / "20260102T000000000Z.manifest.json").write_text(
        json.dumps(_manifest("20260102T000000000Z", 2))
    )
    current = tmp_path / "20260103T000000000Z.manifest.json"
    current.write_text(json.dumps(_manifest("20260103T000000000Z", 5)))
    html = write_report(current).read_text()
    assert "20260102T000000000Z" in html and "20260101T000000000Z" not in html
    assert ">Last 2 runs<" in html


@pytest.mark.parametrize("run_id", [5, None, ["x"]])
def test_report_on_an_edited_manifest_is_one_line(tmp_path: Path, capsys, run_id) -> None:
    path = tmp_path / "20260101T000000000Z.manifest.json"
    path.write_text(json.dumps({**_manifest("x", 1), "run_id": run_id}))
    assert main(["report", str(path)]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"report: {path}: not a readable run manifest")
