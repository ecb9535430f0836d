"""The one folder check (qa_scraper/delivery/folders.py) and the refusals its callers word
from it: QA_OUTPUT_DIR, the state file's folder, JOBDIR. The crawls behind these refusals are
in tests/test_setup_errors.py; here each answer is checked in-process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qa_scraper.delivery import folders
from qa_scraper.delivery.folders import (
    NOT_A_FOLDER,
    NOT_WRITABLE,
    check_output_dir,
    check_writable_folder,
    folder_problem,
    make_folder_of,
)
from qa_scraper.delivery.state import check_state_path
from qa_scraper.errors import ExitCode, SetupError

UNCREATABLE = Path("/proc/qa-scraper-test/folder")  # /proc takes no new folder, even as root


def deny_writing(monkeypatch: pytest.MonkeyPatch) -> None:
    """As a user without write permission sees it (the tests may run as root)."""
    monkeypatch.setattr(folders.os, "access", lambda path, mode: False)


def refusal(call, *args) -> str:
    with pytest.raises(SetupError) as raised:
        call(*args)
    assert raised.value.exit_code == ExitCode.SETUP
    return str(raised.value)


def test_looking_creates_nothing_and_names_the_nearest_existing_path(tmp_path: Path) -> None:
    assert folder_problem(tmp_path / "a" / "b") is None
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "file").write_text("x")
    assert folder_problem(tmp_path / "file" / "a" / "b") == (tmp_path / "file", NOT_A_FOLDER)


def test_a_folder_this_user_cannot_write_is_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deny_writing(monkeypatch)
    assert folder_problem(tmp_path / "a") == (tmp_path, NOT_WRITABLE)


def test_creating_makes_the_folder_and_leaves_no_probe(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b"
    assert folder_problem(target, create=True, probe=True) is None
    assert target.is_dir() and list(target.iterdir()) == []


def test_creating_where_nothing_can_be_created_gives_the_os_reason() -> None:
    path, reason = folder_problem(UNCREATABLE, create=True)
    assert path == UNCREATABLE and reason == os.strerror(2)  # "No such file or directory"


def test_the_output_dir_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_text("x")
    assert refusal(check_output_dir, str(tmp_path / "file"), "doctorqna") == (
        f"QA_OUTPUT_DIR: {tmp_path / 'file'} exists and is not a folder. Set QA_OUTPUT_DIR to"
        " a folder (it is created if missing)"
    )
    assert check_output_dir(str(tmp_path / "out"), "doctorqna") == tmp_path / "out" / "doctorqna"
    assert not (tmp_path / "out").exists()
    deny_writing(monkeypatch)
    assert refusal(check_output_dir, str(tmp_path / "out"), "doctorqna") == (
        f"QA_OUTPUT_DIR: {tmp_path} is not writable. Make it writable by this user or set"
        " QA_OUTPUT_DIR elsewhere"
    )


def test_the_state_folder_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_text("x")
    state = tmp_path / "file" / "state.sqlite3"
    assert refusal(check_state_path, state) == (
        f"cannot create the state file {state}: {tmp_path / 'file'} is a file. Set"
        " QA_STATE_PATH (or QA_OUTPUT_DIR) to a usable folder"
    )
    deny_writing(monkeypatch)
    state = tmp_path / "new" / "state.sqlite3"
    assert refusal(check_state_path, state) == (
        f"cannot write the state file {state}: {tmp_path} is read-only. Make the folder"
        " writable or set QA_STATE_PATH elsewhere"
    )


def test_the_refusals_of_a_folder_that_cannot_be_made() -> None:
    assert refusal(check_writable_folder, UNCREATABLE, "JOBDIR") == (
        f"JOBDIR {UNCREATABLE}: not a writable folder (No such file or directory). Set -s"
        " JOBDIR to a folder this user can write"
    )
    assert refusal(make_folder_of, UNCREATABLE / "state.sqlite3") == (
        f"cannot create the folder of {UNCREATABLE / 'state.sqlite3'} (No such file or"
        " directory). Set QA_STATE_PATH (or QA_OUTPUT_DIR) to a writable place"
    )
