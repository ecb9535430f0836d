"""Issue 16, defect 3: a run that cannot write its output or its state (disk full, a name it
cannot take) is never reported as a success. It exits 8, leaves the state as it was and its
output under ``.part`` names; the next start (with space) resumes it and delivers every
article exactly once. The full disks are real: a small tmpfs mounted by the test (root
only; under CI a machine that cannot mount one fails the test), plus in-process cases where
the failing call is a real OS error (a directory where a file must go) or a stubbed ENOSPC."""

from __future__ import annotations

import errno
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa_scraper.delivery.lifecycle import CrawlRun
from qa_scraper.delivery.state import CrawlState
from qa_scraper.errors import ExitCode, SetupError
from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE, load_expected
from tests.crawl_helpers import run_crawl
from tests.test_run_lifecycle import ITEMS, new_run

LIVE = {item["article_id"] for item in load_expected()}
INCREMENTAL = ["-a", "mode=incremental"]


class TinyDisk:
    """A tmpfs of ``size`` mounted on a folder; ``grow()`` frees space (a bigger size)."""

    def __init__(self, path: Path, size: str) -> None:
        self.path = path
        path.mkdir()
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            why = f"cannot mount a tmpfs to fill ({result.stderr.strip() or 'not root'})"
            if os.environ.get("CI"):
                pytest.fail(f"{why}: the full-disk tests need root (CI runs them as root)")
            pytest.skip(why)

    def grow(self) -> None:
        subprocess.run(["mount", "-o", "remount,size=16m", str(self.path)], check=True)

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], check=False)


@pytest.fixture()
def tiny_disk(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[TinyDisk]:
    disk = TinyDisk(tmp_path / "disk", request.param)
    try:
        yield disk
    finally:
        disk.unmount()


def _delivered(output: Path) -> list[str]:
    return [
        json.loads(line)["article_id"]
        for path in sorted((output / "doctorqna").glob("*Z.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


def _full_then_freed(tmp_path: Path, disk: TinyDisk, output: Path, state: Path):
    extra = [*INCREMENTAL, "-s", f"QA_STATE_PATH={state}"]
    with DevServer(SITE) as server:
        full = run_crawl(server.base_url, tmp_path, *extra, name="full", output_dir=output)
        left = sorted(path.name for path in (output / "doctorqna").iterdir())
        still = run_crawl(server.base_url, tmp_path, *extra, name="still", output_dir=output)
        # Started again while the disk is still full: refused in one line or failed, never
        # a traceback, never a success.
        assert still.returncode in (ExitCode.SETUP, ExitCode.WRITE_FAILED), still.log[-3000:]
        assert "Traceback" not in still.log
        disk.grow()
        again = run_crawl(server.base_url, tmp_path, *extra, name="again", output_dir=output)
    return full, left, again


@pytest.mark.slow
@pytest.mark.parametrize("tiny_disk", ["64k"], indirect=True)
def test_a_full_output_disk_is_exit_8_and_the_next_run_delivers_each_article_once(
    tmp_path: Path, tiny_disk: TinyDisk
) -> None:
    output = tiny_disk.path / "output"
    full, left, again = _full_then_freed(tmp_path, tiny_disk, output, tmp_path / "state.sqlite3")
    assert full.returncode == ExitCode.WRITE_FAILED, full.log[-3000:]
    assert "No space left on device" in full.log and "is not delivered" in full.log
    assert full.stats["qa/write_failed"] == 1
    assert not [name for name in left if name.endswith(".manifest.json")]
    assert any(name.endswith(".jsonl.part") for name in left)
    assert again.returncode == 0, again.log[-3000:]
    assert again.manifest()["resumed"] is True
    ids = _delivered(output)
    assert sorted(ids) == sorted(LIVE)  # every article, each once
    assert not list((output / "doctorqna").glob("*.part"))


@pytest.mark.slow
@pytest.mark.parametrize("tiny_disk", ["128k"], indirect=True)
def test_a_full_state_disk_is_exit_8_and_the_next_run_delivers_each_article_once(
    tmp_path: Path, tiny_disk: TinyDisk
) -> None:
    output = tmp_path / "output"
    full, left, again = _full_then_freed(tmp_path, tiny_disk, output, tiny_disk.path / "s.db")
    assert full.returncode == ExitCode.WRITE_FAILED, full.log[-3000:]
    assert "database or disk is full" in full.log
    assert not [name for name in left if name.endswith(".manifest.json")]
    assert again.returncode == 0, again.log[-3000:]
    assert sorted(_delivered(output)) == sorted(LIVE)  # every article, each once
    assert again.manifest()["counts"]["new"] == len(LIVE)  # the state had committed none


def _write(run: CrawlRun) -> None:
    for item in ITEMS:
        run.stage(item["article_id"], url=item["url"], status="200", change="new")
        run.stage(item["article_id"], content_hash=item["content_hash"])
        run.write_item(item)


def test_enospc_while_closing_is_exit_8_and_the_run_stays_resumable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The output disk fills up in spider_closed (the flush): the old close raised, the
    crawl exited 0 with no manifest."""
    run = new_run(tmp_path)
    _write(run)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    assert run.close("finished", {}) == ExitCode.WRITE_FAILED
    monkeypatch.undo()
    folder = tmp_path / "doctorqna"
    assert not list(folder.glob("*.manifest.json*"))
    again = new_run(tmp_path)
    assert again.resumed and again.written_ids == {item["article_id"] for item in ITEMS}
    assert again.close("finished", {}) == ExitCode.OK
    [manifest] = folder.glob("*.manifest.json")
    assert json.loads(manifest.read_text())["counts"]["written"] == len(ITEMS)


def test_a_manifest_that_cannot_be_written_is_exit_8(tmp_path: Path) -> None:
    """``manifest.json.part`` cannot be created (here a folder holds its name; in the
    hostile test the output folder was made immutable): exit 8, not a traceback and 0."""
    run = new_run(tmp_path)
    _write(run)
    blocker = run.manifest_path.with_name(run.manifest_path.name + ".part")
    blocker.mkdir()
    assert run.close("finished", {}) == ExitCode.WRITE_FAILED
    blocker.rmdir()
    again = new_run(tmp_path)
    assert again.resumed
    assert again.close("finished", {}) == ExitCode.OK


def test_a_committed_run_whose_files_cannot_be_renamed_is_exit_8_then_published(
    tmp_path: Path,
) -> None:
    run = new_run(tmp_path)
    _write(run)
    blocker = run.items_path
    blocker.mkdir()  # the final name is taken: the rename after the commit fails
    assert run.close("finished", {}) == ExitCode.WRITE_FAILED
    with pytest.raises(SetupError, match="cannot finish an earlier run"):
        new_run(tmp_path)  # still blocked: a one-line refusal (exit 4), not a traceback
    blocker.rmdir()
    later = new_run(tmp_path)  # publishes the committed run first
    assert not later.resumed
    assert [json.loads(line)["article_id"] for line in blocker.read_text().splitlines()] == [
        item["article_id"] for item in ITEMS
    ]
    assert later.close("finished", {}) == ExitCode.OK


def test_a_resumed_run_forgets_deliveries_staged_but_never_written(tmp_path: Path) -> None:
    """Staged as new, then the line could not be written: a resumed run must not commit
    that delivery (the article is fetched again instead)."""
    run = new_run(tmp_path)
    _write(run)
    lost = {**ITEMS[0], "article_id": "999999", "url": "http://127.0.0.1:8123/en/article/999999"}
    run.stage(lost["article_id"], url=lost["url"], status="200", change="new")
    run.stage(lost["article_id"], content_hash="f" * 64)
    run._release()  # the process dies here: no close
    again = new_run(tmp_path)
    assert again.resumed and "999999" not in again.written_ids
    assert again.close("finished", {}) == ExitCode.OK
    state = CrawlState(tmp_path / "doctorqna" / "state.sqlite3")
    assert state.known("999999") is None
    assert state.known(ITEMS[0]["article_id"]).content_hash == ITEMS[0]["content_hash"]
    state.close()
