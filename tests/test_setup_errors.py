"""Bad arguments, settings, paths and state files (issue 8, defect 9): each is refused with one
line on stderr saying what, why and what to do, a distinct exit status, and nothing left behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qa_scraper.delivery.lock import RunLock
from qa_scraper.errors import ExitCode

pytestmark = pytest.mark.slow  # every test here starts a process

PROJECT = Path(__file__).resolve().parent.parent
BASE = "http://127.0.0.1:9/"  # never contacted: every case is refused before the crawl


def crawl(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "scrapy", "crawl", "doctorqna", *args]
    if not any(arg.startswith("QA_OUTPUT_DIR=") for arg in args):
        command += ["-s", f"QA_OUTPUT_DIR={tmp_path / 'output'}"]
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    return subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60)


def refusal(result: subprocess.CompletedProcess) -> str:
    """The one refusal line; no traceback anywhere."""
    assert "Traceback" not in result.stderr + result.stdout, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("qa_scraper:")]
    assert len(lines) == 1, result.stderr[-3000:]
    return lines[0]


def files_under(folder: Path) -> list[str]:
    return (
        sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))
        if folder.exists()
        else []
    )


ARGUMENT_CASES = {
    "base_url not http": (["-a", "base_url=ftp://example.org/"], "not an http(s) URL"),
    "base_url without host": (["-a", "base_url=http://"], "not an http(s) URL"),
    "base_url bad port": (["-a", "base_url=http://127.0.0.1:99999/"], "not a valid URL"),
    "unknown mode": (["-a", f"base_url={BASE}", "-a", "mode=fast"], "is not a mode"),
    "unknown argument": (
        ["-a", f"base_url={BASE}", "-a", "colour=blue"],
        "unknown spider argument(s) -a colour",
    ),
    "concurrency not a number": (
        ["-a", f"base_url={BASE}", "-s", "CONCURRENT_REQUESTS=abc"],
        "CONCURRENT_REQUESTS='abc' is not a whole number",
    ),
    "concurrency zero": (
        ["-a", f"base_url={BASE}", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=0"],
        "is below 1",
    ),
    "negative delay": (["-a", f"base_url={BASE}", "-s", "DOWNLOAD_DELAY=-1"], "is below 0"),
    "nan cap": (["-a", f"base_url={BASE}", "-s", "RETRY_AFTER_MAX=nan"], "is not a number"),
    "not a boolean": (["-a", f"base_url={BASE}", "-s", "ROBOTSTXT_OBEY=maybe"], "not a boolean"),
    "remote control not a boolean": (
        ["-a", f"base_url={BASE}", "-s", "REMOTE_CONTROL_ENABLED=maybe"],
        "REMOTE_CONTROL_ENABLED='maybe' is not a boolean",
    ),
    "gc threshold zero": (
        ["-a", f"base_url={BASE}", "-s", "QA_GC_THRESHOLD=0"],
        "QA_GC_THRESHOLD='0' is below 1",
    ),
    "gc threshold empty": (
        ["-a", f"base_url={BASE}", "-s", "QA_GC_THRESHOLD="],
        "QA_GC_THRESHOLD='' is not a whole number",
    ),
    "items at once zero": (
        ["-a", f"base_url={BASE}", "-s", "CONCURRENT_ITEMS=0"],
        "CONCURRENT_ITEMS='0' is below 1",
    ),
    "batch empty": (
        ["-a", f"base_url={BASE}", "-s", "QA_SCHEDULER_BATCH="],
        "QA_SCHEDULER_BATCH='' is not a whole number",
    ),
    "sync seconds negative": (
        ["-a", f"base_url={BASE}", "-s", "QA_SYNC_SECONDS=-1"],
        "QA_SYNC_SECONDS='-1' is below 0",
    ),
    "sync seconds infinite": (
        ["-a", f"base_url={BASE}", "-s", "QA_SYNC_SECONDS=inf"],
        "QA_SYNC_SECONDS='inf' is not a number",
    ),
    "log level unknown": (
        ["-a", f"base_url={BASE}", "-s", "LOG_LEVEL=chatty"],
        "LOG_LEVEL='chatty' is not a log level",
    ),
    "log level empty": (["-a", f"base_url={BASE}", "-s", "LOG_LEVEL="], "is not a log level"),
    "gc tuning not a boolean": (
        ["-a", f"base_url={BASE}", "-s", "QA_GC_TUNING=sometimes"],
        "QA_GC_TUNING='sometimes' is not a boolean",
    ),
    "credentials in base_url": (["-a", "base_url=http://u:pw@127.0.0.1:9/"], "password"),
    "state without output": (
        ["-a", f"base_url={BASE}", "-s", "QA_OUTPUT_DIR=", "-s", "QA_STATE_PATH=/tmp/never"],
        "written nowhere",
    ),
}


@pytest.mark.parametrize("args, message", ARGUMENT_CASES.values(), ids=ARGUMENT_CASES.keys())
def test_bad_arguments_and_settings_are_usage_errors(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = crawl(tmp_path, *args)
    assert result.returncode == ExitCode.USAGE
    assert message in refusal(result)
    assert files_under(tmp_path / "output") == []


def test_an_output_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "output"
    target.write_text("not a folder")
    result = crawl(tmp_path, "-a", f"base_url={BASE}", "-s", f"QA_OUTPUT_DIR={target}")
    assert result.returncode == ExitCode.SETUP
    assert "is not a folder" in refusal(result)
    assert target.read_text() == "not a folder"


def test_a_state_path_that_is_a_directory_is_refused_without_a_stray_lock(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    result = crawl(tmp_path, "-a", f"base_url={BASE}", "-s", f"QA_STATE_PATH={state}")
    assert result.returncode == ExitCode.SETUP
    assert "is a directory" in refusal(result)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["state"]
    assert files_under(state) == []


def test_a_corrupt_state_file_is_refused_and_no_part_file_is_left(tmp_path: Path) -> None:
    folder = tmp_path / "output" / "doctorqna"
    folder.mkdir(parents=True)
    (folder / "state.sqlite3").write_bytes(b"\x00garbage, not a database" * 100)
    result = crawl(tmp_path, "-a", f"base_url={BASE}")
    assert result.returncode == ExitCode.SETUP
    line = refusal(result)
    assert "not a SQLite database" in line and "Move it aside" in line
    assert sorted(path.name for path in folder.iterdir()) == ["state.sqlite3"]


def test_a_truncated_state_file_is_refused(tmp_path: Path) -> None:
    """A SQLite file cut short (a disk full, a copy interrupted): the header is right."""
    import sqlite3

    folder = tmp_path / "output" / "doctorqna"
    folder.mkdir(parents=True)
    state = folder / "state.sqlite3"
    db = sqlite3.connect(state)
    db.executescript("CREATE TABLE t (x); INSERT INTO t VALUES (randomblob(100000));")
    db.close()
    state.write_bytes(state.read_bytes()[:2000])
    result = crawl(tmp_path, "-a", f"base_url={BASE}")
    assert result.returncode == ExitCode.SETUP
    assert "cannot be used" in refusal(result)
    assert list(folder.glob("*.part")) == []


def test_a_state_path_that_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "state.fifo"
    os.mkfifo(fifo)
    result = crawl(tmp_path, "-a", f"base_url={BASE}", "-s", f"QA_STATE_PATH={fifo}")
    assert result.returncode == ExitCode.SETUP
    assert "not a regular file" in refusal(result)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["state.fifo"]


def test_a_jobdir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    jobdir = tmp_path / "job"
    jobdir.write_text("a file")
    result = crawl(tmp_path, "-a", f"base_url={BASE}", "-s", f"JOBDIR={jobdir}")
    assert result.returncode == ExitCode.SETUP
    assert "JOBDIR" in refusal(result)
    assert files_under(tmp_path / "output") == []


def test_an_output_dir_that_cannot_be_created_is_refused(tmp_path: Path) -> None:
    """Even as root: /proc accepts no new folder."""
    result = crawl(tmp_path, "-a", f"base_url={BASE}", "-s", "QA_OUTPUT_DIR=/proc/qa-output")
    assert result.returncode == ExitCode.SETUP
    assert "cannot create the folder" in refusal(result)


def test_the_run_lock_refusal_is_one_line_with_its_own_status(tmp_path: Path) -> None:
    lock = RunLock(tmp_path / "output" / "doctorqna" / "state.sqlite3")
    lock.acquire()
    try:
        result = crawl(tmp_path, "-a", f"base_url={BASE}")
    finally:
        lock.release()
    assert result.returncode == ExitCode.LOCKED
    assert "another doctorqna crawl is using" in refusal(result)
    assert files_under(tmp_path / "output") == ["doctorqna", "doctorqna/state.sqlite3.lock"]
