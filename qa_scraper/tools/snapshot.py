"""``python -m qa_scraper snapshot``: the delivered runs folded into one current dataset
(JSONL, .jsonl.gz or Parquet) and its manifest, streamed from where each article's latest
line is."""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import json
import re
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from qa_scraper.delivery.files import atomic_write, sha256_and_lines
from qa_scraper.delivery.state import utc_now
from qa_scraper.items import SCHEMA_VERSION
from qa_scraper.tools.report import plural

# A run's id, the name of its files (qa_scraper.delivery.files.new_run_id).
RUN_ID = re.compile(r"\d{8}T\d{9}Z")
# Where a delivered item line is: its run's items file, its offset and its length. A snapshot
# keeps these, not the lines, so its memory does not grow with the size of the dataset.
LinePlace = tuple[Path, int, int]
# Items converted to Arrow at a time when a snapshot is written as Parquet (one row group).
PARQUET_ROWS = 1000


def fold_runs(folder: Path) -> tuple[dict[str, LinePlace], list[str], int]:
    """Where the latest line of every article is, over the delivered runs, gone ones removed.

    Every ``*.manifest.json`` must be a run's (or a snapshot's, skipped): a manifest that
    is unreadable, lacks its items file's name and sha256, or whose items or changes lack
    an article id is refused (``ValueError`` naming it), never skipped: a snapshot built
    without one run would silently hold old or missing articles."""
    current: dict[str, LinePlace] = {}
    runs: list[str] = []
    gone = 0
    _refuse_orphan_items(folder)
    for path in sorted(folder.glob("*.manifest.json")):  # run ids sort in time order
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            raise ValueError(f"{path}: unreadable run manifest ({error})") from None
        if (
            not RUN_ID.fullmatch(path.name.removesuffix(".manifest.json"))
            and isinstance(manifest, dict)
            and "run_id" not in manifest
            and "snapshot" in manifest
        ):
            continue  # a snapshot's own manifest (a run's is named by its run id)
        items, sha256, changes = _run_manifest_parts(path, manifest)
        current.update(
            _run_item_places(
                items,
                sha256,
                path,
                manifest["run_id"],
                "; a snapshot needs every delivered run since the first",
            )
        )
        for change in changes:
            if change["change"] == "gone" and current.pop(change["article_id"], None):
                gone += 1
        runs.append(manifest["run_id"])
    return current, runs, gone


def _refuse_orphan_items(folder: Path) -> None:
    """A run's items file without its manifest (neither final nor, while the run is being
    published, ``.part``): a snapshot without that run would silently lack its articles."""
    for items in sorted(folder.glob("*.jsonl")):
        run_id = items.name.removesuffix(".jsonl")
        if RUN_ID.fullmatch(run_id) and not any(
            (folder / f"{run_id}.manifest.json{part}").exists() for part in ("", ".part")
        ):
            raise ValueError(
                f"{items}: the items of run {run_id} without its manifest"
                f" {run_id}.manifest.json (deleted or moved?). Restore the manifest, or move"
                " the run's files aside"
            )


def _run_item_places(
    items: Path, sha256: str, manifest: Path, run_id: str, missing_hint: str = ""
) -> dict[str, LinePlace]:
    """Each article's item line in a run's items file (the last one, if twice), read one line
    at a time; the file's sha256 is checked against its manifest's before any is used."""
    places: dict[str, LinePlace] = {}
    digest = hashlib.sha256()
    offset = 0
    try:
        with items.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                digest.update(raw)
                line = raw.rstrip(b"\r\n")
                if line.strip():
                    article_id = _line_article_id(line, f"{items}:{number}", manifest)
                    places[article_id] = (items, offset, len(line))
                offset += len(raw)
    except OSError as error:
        raise ValueError(
            f"{items}: the items of run {run_id} are missing ({error.strerror}){missing_hint}"
        ) from None
    if digest.hexdigest() != sha256:
        raise ValueError(f"{items}: sha256 differs from its manifest {manifest.name}")
    return places


def _read_lines(places: Iterable[LinePlace], open_files: int = 64) -> Iterator[bytes]:
    """The lines at ``places``, in that order (a few of the runs' files kept open)."""
    handles: OrderedDict[Path, IO[bytes]] = OrderedDict()
    try:
        for path, offset, length in places:
            handle = handles.pop(path, None) or path.open("rb")
            handles[path] = handle
            if len(handles) > open_files:
                handles.popitem(last=False)[1].close()
            handle.seek(offset)
            yield handle.read(length)
    finally:
        for handle in handles.values():
            handle.close()


def _tampered(path: Path, what: str) -> ValueError:
    return ValueError(
        f"{path}: not a usable run manifest ({what}; edited or truncated?). Restore it from"
        " the run's delivery, or move the run aside"
    )


def _run_manifest_parts(path: Path, manifest: Any) -> tuple[Path, str, list[dict[str, str]]]:
    """A run manifest's items file, its sha256 and its changes, or a refusal naming it."""
    if not isinstance(manifest, dict) or not isinstance(manifest.get("run_id"), str):
        raise _tampered(path, "no run_id")
    files = manifest.get("files")
    items = files.get("items") if isinstance(files, dict) else None
    if not isinstance(items, dict):
        raise _tampered(path, "no files.items")
    name, sha256 = items.get("name"), items.get("sha256")
    if not isinstance(name, str) or not isinstance(sha256, str):
        raise _tampered(path, "files.items without a name and a sha256")
    if Path(name).name != name or name in ("", ".", ".."):
        raise _tampered(path, f"files.items names {name!r}, not a file beside it")
    changes = manifest.get("changes", [])
    if not isinstance(changes, list) or not all(
        isinstance(change, dict)
        and isinstance(change.get("article_id"), str)
        and isinstance(change.get("change"), str)
        for change in changes
    ):
        raise _tampered(path, "a change without an article_id")
    return path.parent / name, sha256, changes


def _line_article_id(raw: bytes, where: str, manifest: Path) -> str:
    try:
        record = json.loads(raw)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError included
        record = None
    if not isinstance(record, dict) or not isinstance(record.get("article_id"), str):
        raise ValueError(
            f"{where}: not an item with an article_id (run manifest {manifest.name});"
            " the run's file was edited after delivery"
        )
    return record["article_id"]


def _write_jsonl(lines: Iterable[bytes], handle: IO[bytes], gzipped: bool) -> None:
    if gzipped:  # no name and no time in the header: the same lines give the same bytes
        with gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=0) as packed:
            _write_jsonl(lines, packed, gzipped=False)
        return
    for line in lines:
        handle.write(line + b"\n")


def _write_parquet(lines: Iterable[bytes], handle: IO[bytes]) -> None:
    """One row group per :data:`PARQUET_ROWS` items: memory bounded whatever the size."""
    import pyarrow.parquet as pq

    from qa_scraper.tools.arrow import arrow_schema, items_table

    with pq.ParquetWriter(handle, arrow_schema(), compression="zstd") as writer:
        batch: list[bytes] = []
        for line in lines:
            batch.append(line)
            if len(batch) == PARQUET_ROWS:
                writer.write_table(items_table(json.loads(entry) for entry in batch))
                batch.clear()
        if batch:
            writer.write_table(items_table(json.loads(entry) for entry in batch))


def run_lines(folder: Path, run_id: str) -> list[LinePlace]:
    """Where the item lines of one delivered run are (its new and changed articles)."""
    if not RUN_ID.fullmatch(run_id):
        raise ValueError(f"--run {run_id!r} is not a run id (like 20261125T031700123Z)")
    path = folder / f"{run_id}.manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: no such delivered run") from None
    except (OSError, ValueError, RecursionError) as error:
        raise ValueError(f"{path}: unreadable run manifest ({error})") from None
    items, sha256, _ = _run_manifest_parts(path, manifest)
    places = _run_item_places(items, sha256, path, run_id).values()
    return sorted(places, key=lambda place: place[1])


def write_snapshot(
    folder: Path, out: Path, form: str = "jsonl", run_id: str | None = None
) -> dict[str, Any]:
    """Write the dataset (``form``: ``jsonl``, ``jsonl.gz`` or ``parquet``), then its manifest
    (``<out>.manifest.json``), each atomically. With ``run_id``: that run's items only.
    ``out`` may not be in the runs' folder: it could replace a run's own file."""
    if out.resolve().parent == folder.resolve():
        raise ValueError(
            f"--out {out} is in the runs' folder {folder}, where it could replace a run's own"
            " files. Write the snapshot elsewhere (e.g. in --output-dir)"
        )
    if run_id is not None:
        lines, runs, gone = run_lines(folder, run_id), [run_id], 0
    else:
        current, runs, gone = fold_runs(folder)
        lines = [current[key] for key in sorted(current, key=lambda k: (len(k), k))]
    if not runs:
        raise ValueError(
            f"{folder}: no delivered run here (no <run>.manifest.json); check --output-dir"
            " and --spider"
        )
    if form == "parquet":
        sha256 = _write_out(out, lambda handle: _write_parquet(_read_lines(lines), handle))
    else:
        gzipped = form == "jsonl.gz"
        sha256 = _write_out(out, lambda handle: _write_jsonl(_read_lines(lines), handle, gzipped))
    manifest = {
        "snapshot": out.name,
        "created_at": utc_now(),
        "schema_version": SCHEMA_VERSION,
        "runs": runs,
        "last_run": runs[-1],
        "counts": {"articles": len(lines), "gone_removed": gone, "runs": len(runs)},
        "file": {
            "name": out.name,
            "format": "parquet" if form == "parquet" else "jsonl",
            "sha256": sha256,
            "lines": len(lines),
            "gzip": form == "jsonl.gz",
        },
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    data = text.encode("utf-8")
    _write_out(out.with_name(out.name + ".manifest.json"), lambda handle: handle.write(data))
    return manifest


def _write_out(path: Path, write: Callable[[IO[bytes]], object]) -> str:
    """``atomic_write`` of what ``write`` writes, its folder made first; returns the file's
    sha256. A failure is a one-line refusal (``ValueError``) that leaves no temporary file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, write)
        return sha256_and_lines(path)[0]
    except OSError as error:
        with contextlib.suppress(OSError):
            path.with_name(path.name + ".tmp").unlink()
        raise ValueError(f"{path}: cannot write it ({error.strerror or error})") from None


SNAPSHOT_SUFFIXES = {".jsonl": "jsonl", ".jsonl.gz": "jsonl.gz", ".parquet": "parquet"}


def snapshot_form(out: Path, form: str | None, gzipped: bool) -> str:
    """What to write, from the file's suffix; a flag that says otherwise is refused."""
    found = next((v for k, v in SNAPSHOT_SUFFIXES.items() if out.name.endswith(k)), None)
    if found is None:
        raise ValueError(
            f"--out {out}: name it .jsonl, .jsonl.gz or .parquet (the suffix says the format"
            " and the compression)"
        )
    if form is not None and found.split(".")[0] != form:
        raise ValueError(f"--out {out} is not a {form} file name (--format {form})")
    if gzipped != (found == "jsonl.gz"):
        raise ValueError(
            f"--out {out}: --gzip and a .gz suffix go together (the suffix says the compression)"
        )
    return found


def cmd_snapshot(args: argparse.Namespace) -> int:
    folder = Path(args.output_dir) / args.spider
    form = args.format or "jsonl"
    default = "snapshot.parquet" if form == "parquet" else "snapshot.jsonl"
    if args.gzip:
        default += ".gz"
    out = Path(args.out) if args.out else Path(args.output_dir) / default
    try:
        manifest = write_snapshot(
            folder, out, snapshot_form(out, args.format, args.gzip), args.run_id
        )
    except ValueError as error:
        print(f"snapshot: {error}", file=sys.stderr)
        return 1
    print(
        f"{out}: {plural(manifest['counts']['articles'], 'article')} from"
        f" {plural(len(manifest['runs']), 'run')} ({manifest['counts']['gone_removed']} gone"
        " removed); manifest"
        f" {out.name}.manifest.json"
    )
    return 0
