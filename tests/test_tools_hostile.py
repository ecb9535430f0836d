"""Issue 16, defects 5 and 6: ``validate`` streams (flat memory, a verdict per line, never a
traceback) and ``snapshot`` refuses a tampered run manifest in one line naming it."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.crawl_helpers import PROJECT
from tests.test_tools import _item, _line

pytestmark = pytest.mark.slow  # every test here starts a process

# Runs validate in a process of its own and prints that process's peak memory (KiB) last.
_MEASURED = (
    "import resource, sys\n"
    "from qa_scraper.tools.cli import main\n"
    "code = main(['validate', sys.argv[1]])\n"
    "sys.stdout.flush()\n"
    "print('maxrss', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _validate(path: Path) -> tuple[int, str, str, int]:
    """Exit code, stdout, stderr and peak memory (KiB) of ``validate path``."""
    result = subprocess.run(
        [sys.executable, "-c", _MEASURED, str(path)],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        timeout=240,
    )
    lines = result.stderr.strip().splitlines()
    peak = int(lines[-1].split()[1]) if lines and lines[-1].startswith("maxrss") else -1
    return result.returncode, result.stdout, result.stderr, peak


def test_validate_streams_a_million_empty_lines_in_flat_memory(tmp_path: Path) -> None:
    """A few KB of gzip holding a million newlines: a verdict for each line, and no more
    memory than for a one-line file (the old reader held every line and every problem)."""
    bomb = tmp_path / "newlines.jsonl.gz"
    bomb.write_bytes(gzip.compress(b"\n" * 1_000_000, compresslevel=9))
    one = tmp_path / "one.jsonl"
    one.write_text(_line(_item()))
    code, out, err, baseline = _validate(one)
    assert code == 0 and baseline > 0, err
    code, out, err, peak = _validate(bomb)
    assert code == 1 and "Traceback" not in err
    lines = out.splitlines()
    assert len(lines) == 1_000_001  # one verdict per line, then the summary
    assert lines[0] == f"{bomb}:1: empty line"
    assert lines[-2] == f"{bomb}:1000000: empty line"
    assert lines[-1] == f"{bomb}: 1000000 lines, 0 valid, 1000000 invalid"
    assert peak - baseline < 30 * 1024, f"{peak} KiB against {baseline} KiB for one line"


def test_validate_gives_deep_nesting_a_verdict_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "nested.jsonl"
    deep_but_parsed = {**_item(), "more_info": None, "title": None}
    deep_but_parsed["replies"] = json.loads("[" * 500 + "]" * 500)
    path.write_text(
        "[" * 100_000
        + "\n"
        + json.dumps(deep_but_parsed)
        + "\n"
        + '{"a":' * 50_000
        + "1"
        + "}" * 50_000
        + "\n"
        + _line(_item("174506"))
    )
    code, out, err, _ = _validate(path)
    assert code == 1, err
    assert "Traceback" not in err and "RecursionError" not in out + err
    verdicts = out.splitlines()
    assert verdicts[0] == f"{path}:1: not JSON: nested too deeply to read"
    assert any(line.startswith(f"{path}:2: ") for line in verdicts)
    assert f"{path}:3: not JSON: nested too deeply to read" in verdicts
    assert not any(line.startswith(f"{path}:4:") for line in verdicts)  # the valid line
    assert verdicts[-1] == f"{path}: 4 lines, 1 valid, 3 invalid"


def test_validate_gives_a_lone_surrogate_a_verdict_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "surrogate.jsonl"
    item = _item()
    line = _line(item).replace(json.dumps(item["title"])[1:-1], "\\ud800 title", 1)
    assert "\\ud800" in line
    path.write_text(line + _line(_item("174506")))
    code, out, err, _ = _validate(path)
    assert code == 1, err
    assert "Traceback" not in err
    verdicts = out.splitlines()
    assert (
        f"{path}:1: content_hash: the item holds text that is not Unicode (a lone surrogate)"
        in verdicts
    )
    assert verdicts[-1] == f"{path}: 2 lines, 1 valid, 1 invalid"


def test_validate_says_where_a_cut_gzip_stops(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl.gz"
    whole = gzip.compress((_line(_item()) * 3).encode())
    path.write_bytes(whole[: len(whole) - 20])
    code, out, err, _ = _validate(path)
    assert code == 1 and "Traceback" not in err
    assert "unreadable from here" in out


def _snapshot(output: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qa_scraper", "snapshot", "--output-dir", str(output)],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        timeout=60,
    )


def _good_run(folder: Path, run_id: str, items: list[dict]) -> dict:
    body = "".join(_line(item) for item in items).encode()
    (folder / f"{run_id}.jsonl").write_bytes(body)
    manifest = {
        "run_id": run_id,
        "files": {"items": {"name": f"{run_id}.jsonl", "sha256": hashlib.sha256(body).hexdigest()}},
        "changes": [],
    }
    (folder / f"{run_id}.manifest.json").write_text(json.dumps(manifest))
    return manifest


def _without_article_id(folder: Path, run_id: str) -> dict:
    manifest = _good_run(folder, run_id, [_item("174507")])
    line = {key: value for key, value in _item("174507").items() if key != "article_id"}
    body = _line(line).encode()
    (folder / f"{run_id}.jsonl").write_bytes(body)
    manifest["files"]["items"]["sha256"] = hashlib.sha256(body).hexdigest()
    return manifest


@pytest.mark.parametrize(
    "tamper",
    [
        lambda m, folder, run: {key: value for key, value in m.items() if key != "files"},
        lambda m, folder, run: {**m, "files": {}},
        lambda m, folder, run: {**m, "files": {"items": {"name": "../../x.jsonl", "sha256": "0"}}},
        lambda m, folder, run: {**m, "changes": [{"change": "gone"}]},
        lambda m, folder, run: _without_article_id(folder, run),
    ],
    ids=["no-files", "empty-files", "escaping-name", "change-without-id", "line-without-id"],
)
def test_snapshot_refuses_a_tampered_manifest_in_one_line(tmp_path: Path, tamper) -> None:
    output = tmp_path / "output"
    folder = output / "doctorqna"
    folder.mkdir(parents=True)
    _good_run(folder, "20260101T000000000Z", [_item("174501"), _item("174506")])
    run = "20260102T000000000Z"
    manifest = tamper(_good_run(folder, run, [_item("174507")]), folder, run)
    (folder / f"{run}.manifest.json").write_text(json.dumps(manifest))
    result = _snapshot(output)
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("snapshot: ") and f"{run}" in line
    assert not (output / "snapshot.jsonl").exists()


def test_validate_into_a_closed_pipe_is_no_traceback(tmp_path: Path) -> None:
    """``validate big.jsonl | head -1``: the reader goes away; no traceback, exit 141."""
    path = tmp_path / "many.jsonl"
    path.write_text("".join(f'{{"n": {n}}}\n' for n in range(20000)), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "qa_scraper", "validate", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=PROJECT,
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()  # what `head -1` does
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141
    assert first.startswith(str(path).encode())
    assert "Traceback" not in stderr and "unreadable" not in stderr, stderr
