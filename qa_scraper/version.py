"""The code that made a run: the package version, and the git commit when the package runs
from a git checkout (an installed wheel or a scrapyd egg has none)."""

from __future__ import annotations

import subprocess
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any


@cache
def package_version() -> str:
    try:
        return metadata.version("qa_scraper")
    except metadata.PackageNotFoundError:
        pass
    # A zipped egg (scrapyd): its EGG-INFO is found only when that path is searched.
    home = str(Path(__file__).resolve().parent.parent)
    for distribution in metadata.distributions(path=[home]):
        if distribution.metadata["Name"] == "qa_scraper":
            return distribution.version
    return "unknown"


@cache
def git_commit() -> str | None:
    """HEAD of the checkout this package runs from, with ``-dirty`` when it has changes."""
    here = Path(__file__).resolve().parent
    if not here.is_dir() or not (here.parent / ".git").exists():
        return None
    try:
        head = subprocess.run(
            ["git", "-C", str(here.parent), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(here.parent), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("-dirty" if dirty else "") if head else None


def code_version() -> dict[str, Any]:
    """The manifest's ``code_version``: ``{"package": "0.1.0", "git_commit": "…" | null}``."""
    return {"package": package_version(), "git_commit": git_commit()}
