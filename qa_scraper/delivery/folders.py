"""The one check of the folders a crawl writes into: ``QA_OUTPUT_DIR``, the state file's
folder (``QA_STATE_PATH``, the run lock beside it) and ``JOBDIR``.

:func:`folder_problem` says why a folder cannot be written, either without touching
anything (before a run creates its first file) or by making it and writing a probe into it
(``os.access`` says yes to root on a read-only mount). The callers turn its answer into their
refusal (:class:`~qa_scraper.errors.SetupError`, exit 4), each naming its own setting.
"""

from __future__ import annotations

import os
from pathlib import Path

from qa_scraper.errors import SetupError

NOT_A_FOLDER = "not a folder"
NOT_WRITABLE = "not writable"


def folder_problem(
    folder: Path, *, create: bool = False, probe: bool = False
) -> tuple[Path, str] | None:
    """Why this process cannot write into ``folder`` (the path at fault and the reason), or
    None when it can.

    Without ``create`` nothing is made: the nearest path that exists up the tree must be a
    folder this user may write (:data:`NOT_A_FOLDER`, :data:`NOT_WRITABLE`). With ``create``
    the folder is made if missing and, with ``probe``, proved writable by writing into it; the
    reason is then the OS error's text."""
    if not create:
        existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
        if existing is None:
            return None
        if not existing.is_dir():
            return existing, NOT_A_FOLDER
        if not os.access(existing, os.W_OK | os.X_OK):
            return existing, NOT_WRITABLE
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if probe:
            written = folder / f".write-test-{os.getpid()}"
            written.touch()
            written.unlink()
    except OSError as error:
        return folder, error.strerror
    return None


def check_output_dir(output_dir: str, spider_name: str) -> Path:
    """The run folder ``<output_dir>/<spider>``, refused before anything is created."""
    folder = Path(output_dir) / spider_name
    problem = folder_problem(folder)
    if problem is not None and problem[1] == NOT_A_FOLDER:
        raise SetupError(
            f"QA_OUTPUT_DIR: {problem[0]} exists and is not a folder",
            "Set QA_OUTPUT_DIR to a folder (it is created if missing)",
        )
    if problem is not None:
        raise SetupError(
            f"QA_OUTPUT_DIR: {problem[0]} is not writable",
            "Make it writable by this user or set QA_OUTPUT_DIR elsewhere",
        )
    return folder


def check_writable_folder(folder: Path, setting: str) -> None:
    """``folder`` (created if missing) can be written by this process, proved by writing."""
    problem = folder_problem(folder, create=True, probe=True)
    if problem is not None:
        raise SetupError(
            f"{setting} {folder}: not a writable folder ({problem[1]})",
            f"Set -s {setting} to a folder this user can write",
        )


def make_folder_of(path: Path) -> None:
    """The folder of the state file or its lock, created if missing."""
    problem = folder_problem(path.parent, create=True)
    if problem is not None:
        raise SetupError(
            f"cannot create the folder of {path} ({problem[1]})",
            "Set QA_STATE_PATH (or QA_OUTPUT_DIR) to a writable place",
        )
