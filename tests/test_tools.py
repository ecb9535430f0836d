"""python -m qa_scraper: validate, snapshot, fixture save/check, schema-doc."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qa_scraper.testing.devserver import DevServer
from qa_scraper.tools import schemadoc
from qa_scraper.tools.cli import main
from tests.conftest import PAGES, SITE, load_expected

PROJECT = Path(__file__).resolve().parent.parent


def _item(article_id: str = "174501") -> dict:
    from qa_scraper.items import content_hash

    [item] = [item for item in load_expected() if item["article_id"] == article_id]
    item = {**item, "scraped_at": "2026-11-25T09:30:00Z"}
    return {
        **item,
        "content_hash": content_hash(item),
        "warc": None,
        "run_id": "20261125T093000123Z",
    }


def _line(item: dict) -> str:
    return json.dumps(item, ensure_ascii=False) + "\n"


@pytest.mark.slow
def test_validate_reports_invalid_and_torn_lines(tmp_path: Path, capsys) -> None:
    good = tmp_path / "good.jsonl.gz"
    good.write_bytes(gzip.compress((_line(_item()) + _line(_item("174506"))).encode()))
    assert main(["validate", str(good)]) == 0
    assert capsys.readouterr().out == f"{good}: 2 lines, 2 valid, 0 invalid\n"

    bad = tmp_path / "bad.jsonl"
    broken = {**_item(), "article_id": 7}
    edited = {**_item("174507"), "title": "Edited by hand"}
    bad.write_text(
        _line(_item())
        + "{not json\n"
        + _line(broken)
        + _line(edited)
        + _line(_item("174506"))
        + _line(_item())
        + _line(_item("174512")).rstrip("\n")
    )
    assert main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == f"{bad}: 7 lines, 2 valid, 5 invalid"  # the summary, after the lines
    assert out[0].startswith(f"{bad}:2: not JSON: ")
    assert out[1].startswith(f"{bad}:3: article_id: 7 is not of type 'string'")
    assert f"{bad}:4: content_hash: does not match" in out[-4]
    assert out[-3] == f"{bad}:6: article_id: 174501 already on line 1"
    assert out[-2] == f"{bad}:7: torn line: no newline at the end of the file"


def _run(folder: Path, run_id: str, items: list[dict], gone: list[str] = ()) -> None:
    body = "".join(_line(item) for item in items).encode()
    (folder / f"{run_id}.jsonl").write_bytes(body)
    import hashlib

    manifest = {
        "run_id": run_id,
        "files": {"items": {"name": f"{run_id}.jsonl", "sha256": hashlib.sha256(body).hexdigest()}},
        "changes": [{"article_id": a, "url": "", "change": "gone"} for a in gone],
    }
    (folder / f"{run_id}.manifest.json").write_text(json.dumps(manifest))


def test_snapshot_folds_runs_latest_version_gone_removed_idempotent(tmp_path: Path) -> None:
    folder = tmp_path / "output" / "doctorqna"
    folder.mkdir(parents=True)
    a, b, c = _item("174501"), _item("174506"), _item("174507")
    _run(folder, "20260101T000000000Z", [a, b, c])
    _run(folder, "20260102T000000000Z", [{**b, "title": "Changed title"}])
    _run(folder, "20260103T000000000Z", [], gone=["174507"])
    out = tmp_path / "snap.jsonl.gz"
    args = ["snapshot", "--output-dir", str(tmp_path / "output"), "--out", str(out), "--gzip"]
    assert main(args) == 0
    first = out.read_bytes()
    rows = [json.loads(line) for line in gzip.decompress(first).decode().splitlines()]
    assert [(row["article_id"], row["title"]) for row in rows] == [
        ("174501", a["title"]),
        ("174506", "Changed title"),
    ]
    manifest = json.loads((tmp_path / "snap.jsonl.gz.manifest.json").read_text())
    assert manifest["runs"] == ["20260101T000000000Z", "20260102T000000000Z", "20260103T000000000Z"]
    assert manifest["counts"] == {"articles": 2, "gone_removed": 1, "runs": 3}
    import hashlib

    assert manifest["file"]["sha256"] == hashlib.sha256(first).hexdigest()
    assert main(args) == 0
    assert out.read_bytes() == first  # idempotent, byte for byte
    assert not list(tmp_path.glob("*.part"))


def test_fixture_save_from_the_dev_server_reproduces_a_saved_fixture(tmp_path: Path) -> None:
    with DevServer(SITE) as server:
        url = server.base_url.rstrip("/") + "/en/article/174501"
        assert main(["fixture", "save", url, "--pages", str(tmp_path)]) == 0
    saved, original = tmp_path / "article-174501", PAGES / "article-174501"
    for name in ("page.html", "expected.json", "meta.json"):
        assert (saved / name).read_bytes() == (original / name).read_bytes(), name


def test_fixture_check_names_each_differing_field(tmp_path: Path, capsys) -> None:
    assert main(["fixture", "check"]) == 0
    assert capsys.readouterr().out.endswith("25 fixtures checked, 0 differ\n")
    shutil.copytree(PAGES / "article-174501", tmp_path / "article-174501")
    expected_path = tmp_path / "article-174501" / "expected.json"
    expected = json.loads(expected_path.read_text())
    expected["replies"][0]["clinic"] = "Somewhere Else"
    expected_path.write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n")
    assert main(["fixture", "check", "--pages", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "article-174501: 1 difference from expected.json"
    assert out[1].startswith("  replies/0/clinic: expected 'Somewhere Else', got ")


def test_schema_doc_is_in_sync_and_documents_every_field() -> None:
    text = (PROJECT / "docs" / "schema.md").read_text(encoding="utf-8")
    assert text == schemadoc.render(PAGES), "run: python -m qa_scraper schema-doc"
    for field in ("`asker.age_min`", "`replies[].clinic`", "`related_faqs[].url`"):
        assert field in text
    assert "## Versioning rule" in text
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert all(line.split(" | ")[3].strip() for line in rows), "a field without a meaning"


@pytest.mark.slow
def test_module_and_console_entry_points() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "qa_scraper", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    for command in ("validate", "snapshot", "fixture", "report", "schema-doc"):
        assert command in result.stdout
    script = Path(sys.executable).with_name("qa-scraper")
    assert script.exists()


@pytest.mark.slow
def test_tools_refuse_bad_input_with_one_line(tmp_path: Path) -> None:
    """Hostile-test findings: no traceback for a bad manifest, a missing run file, a fixture
    name that escapes its folder, or a non-article page."""
    import subprocess
    import sys

    def tool(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "qa_scraper", *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=60,
        )

    bad = tmp_path / "bad.manifest.json"
    bad.write_text("{not json")
    result = tool("report", str(bad))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    folder = tmp_path / "output" / "doctorqna"
    folder.mkdir(parents=True)
    (folder / "20260101T000000000Z.manifest.json").write_text(
        json.dumps(
            {
                "run_id": "20260101T000000000Z",
                "files": {"items": {"name": "gone.jsonl", "sha256": "0"}},
            }
        )
    )
    result = tool("snapshot", "--output-dir", str(tmp_path / "output"))
    assert result.returncode == 1 and "are missing" in result.stderr
    assert "Traceback" not in result.stderr
    page = tmp_path / "page.html"
    page.write_text(
        '<html><head><link rel="canonical" href="http://x.test/en/latest"></head>'
        "<body>Latest</body></html>"
    )
    result = tool("fixture", "save", str(page), "--pages", str(tmp_path / "pages"))
    assert result.returncode == 1 and "not an article page" in result.stderr
    result = tool(
        "fixture", "save", str(page), "--pages", str(tmp_path / "pages"), "--name", "../escape"
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "escape").exists()
