"""A run's files on disk, and the file helpers the delivery shares.

A run ``<run>`` (:func:`new_run_id`) writes ``<run>.jsonl`` (items),
``<run>.rejects.ndjson``, ``<run>.warc.gz`` (``QA_ARCHIVE``; a distributed run's workers add
``<run>.<worker>.warc.gz``) and ``<run>.manifest.json``, each first under a ``.part`` name
(:func:`part`). Here: the list of those ``.part`` files (:func:`part_paths`), giving them
their final names (:func:`publish_parts`) or setting them aside (:func:`abandon_parts`), an
interrupted file's usable lines (:func:`keep_lines`), and the helpers others use:
:func:`atomic_write`, :func:`sha256_and_lines`, :func:`fsync_dir`.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from qa_scraper.delivery.crash import crash_point


def new_run_id() -> str:
    """UTC start time to the millisecond: fixed width, so names sort in run order."""
    now = dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z"


OWN_FILES = (".jsonl", ".rejects.ndjson", ".warc.gz")  # renamed in this order, then manifest


def part(path: Path) -> Path:
    """The name ``path`` has until its run is published."""
    return path.with_name(path.name + ".part")


def is_archive(path: Path) -> bool:
    return path.name.endswith((".warc.gz", ".warc.gz.part"))


def part_paths(items_path: Path | None) -> list[Path]:
    """The run's ``.part`` files in the order they are renamed, the manifest last; the
    archives of a distributed run's workers (``<run>.<worker>.warc.gz``) with its own."""
    if items_path is None:
        return []
    stem = items_path.name.removesuffix(".jsonl")
    workers = sorted(items_path.parent.glob(f"{glob.escape(stem)}.*.warc.gz.part"))
    return [
        *(part(items_path.with_name(stem + suffix)) for suffix in OWN_FILES),
        *workers,
        part(items_path.with_name(stem + ".manifest.json")),
    ]


def archive_parts(items_path: Path | None) -> list[Path]:
    return [path for path in part_paths(items_path) if is_archive(path)]


def all_empty(items_path: Path | None) -> bool:
    """The run wrote nothing: each of its ``.part`` files is empty or missing."""
    return all(not path.exists() or path.stat().st_size == 0 for path in part_paths(items_path))


def remove_parts(items_path: Path | None, *, only_empty: bool = False) -> None:
    """The run's ``.part`` files removed (``only_empty``: those that are empty)."""
    for path in part_paths(items_path):
        if not only_empty:
            path.unlink(missing_ok=True)
        elif path.exists() and path.stat().st_size == 0:
            path.unlink()


def _rename_step(part_path: Path) -> str:
    """The close step reached once ``part_path`` has its final name."""
    if part_path.name.endswith(".manifest.json.part"):
        return "manifest_renamed"
    if is_archive(part_path):
        return "archive_renamed"
    if part_path.name.endswith(".rejects.ndjson.part"):
        return "rejects_renamed"
    return "items_renamed"


def publish_parts(items_path: Path) -> None:
    """Give the run's ``.part`` files their final names, the manifest last (idempotent)."""
    for part_path in part_paths(items_path):
        if part_path.exists():
            os.replace(part_path, part_path.with_name(part_path.name.removesuffix(".part")))
        crash_point(_rename_step(part_path))
    fsync_dir(items_path.parent)


def abandon_parts(items_path: Path | None) -> None:
    """The ``.part`` files of a run that will never be resumed become ``….abandoned``."""
    for part_path in part_paths(items_path):
        if part_path.exists():
            os.replace(
                part_path, part_path.with_name(part_path.name.removesuffix(".part") + ".abandoned")
            )


def sha256_and_lines(path: Path) -> tuple[str, int]:
    """One read of the file: its sha256 and its number of lines."""
    digest, lines = hashlib.sha256(), 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            lines += block.count(b"\n")
    return digest.hexdigest(), lines


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def keep_lines(path: Path, keep: Any) -> tuple[list[dict[str, Any]], int]:
    """The records of a ``.part`` file killed mid-write that ``keep(record)`` accepts.

    A trailing half line, a line that is not a JSON object (NUL bytes left by a
    crash, a torn write) and a record ``keep`` refuses are dropped; the file is
    rewritten (atomically) without them. Returns the kept records and the number
    of lines dropped.
    """
    if not path.exists():
        return [], 0
    data = path.read_bytes()
    kept: list[dict[str, Any]] = []
    kept_lines: list[bytes] = []
    dropped = 0
    for raw in data.split(b"\n"):
        if not raw:
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            record = None
        if isinstance(record, dict) and keep(record):
            kept.append(record)
            kept_lines.append(raw)
        else:
            dropped += 1
    clean = b"".join(line + b"\n" for line in kept_lines)
    if clean != data:
        atomic_write(path, clean)
    return kept, dropped


def atomic_write(path: Path, data: bytes | Callable[[IO[bytes]], object]) -> None:
    """Replace ``path`` with ``data`` all at once: written beside it, synced, renamed.
    ``data`` may be a function that writes to the open file (a stream too large to hold)."""
    temporary = path.with_name(path.name + ".tmp")
    try:
        with temporary.open("wb") as handle:
            if callable(data):
                data(handle)
            else:
                handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)  # a disk full must not leave half a copy
        raise


def sync_and_close(*handles: IO[str] | None) -> None:
    """Each open file flushed, synced to disk and closed (closed even if syncing it failed)."""
    for handle in handles:
        if handle is not None and not handle.closed:
            try:
                handle.flush()
                os.fsync(handle.fileno())
            finally:
                handle.close()


def record_line(record: Any) -> str:
    """A record (a reject, ...) as one JSON line's text, without its newline."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def write_line(handle: IO[str] | None, record: Any) -> None:
    """One record as one JSON line, flushed (nothing when the run keeps no files)."""
    if handle is not None:
        write_json_line(handle, record_line(record))


def write_json_line(handle: IO[str] | None, line: str) -> None:
    """One line of JSON already written (:func:`qa_scraper.items.item_line`), flushed."""
    if handle is None:
        return
    handle.write(line + "\n")
    handle.flush()
