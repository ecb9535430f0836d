"""``python -m qa_scraper`` (or ``qa-scraper``): tools for downstream teams and operators.

validate FILE…            check JSONL / .jsonl.gz files against the item schema
snapshot                  fold the delivered runs into one current dataset
fixture save URL|FILE     save a page as a test fixture; fixture check: re-check them all
report RUN_MANIFEST       (re)write a run's HTML report
schema-doc                write docs/schema.md from the schema
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import sys
from pathlib import Path
from typing import IO, Any

from qa_scraper.items import SCHEMA_VERSION, content_hash
from qa_scraper.runs import atomic_write
from qa_scraper.state import utc_now
from qa_scraper.urls import article_id_from_url
from qa_scraper.validation import item_errors

PROJECT = Path(__file__).resolve().parent.parent


def _read_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.endswith(".gz") else data


# --- validate ---------------------------------------------------------------------------
def validate_file(path: Path, out: IO[str]) -> bool:
    """Print a summary of one file; True when every line is a valid item."""
    try:
        data = _read_bytes(path)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        out.write(f"{path}: unreadable: {error}\n")
        return False
    raw_lines = data.split(b"\n")
    torn = raw_lines[-1] != b""
    if not torn:
        raw_lines.pop()
    problems: list[str] = []
    valid = 0
    first_line: dict[str, int] = {}  # article id -> the line that holds it
    for number, raw in enumerate(raw_lines, start=1):
        reasons = []
        if torn and number == len(raw_lines):
            reasons.append("torn line: no newline at the end of the file")
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            reasons.append(f"not JSON: {error}")
        else:
            reasons += [f"{e['path'] or '(item)'}: {e['message']}" for e in item_errors(record)]
            reasons += _consistency(record, number, first_line)
        if reasons:
            problems += [f"  line {number}: {reason}" for reason in reasons]
        else:
            valid += 1
    invalid = len(raw_lines) - valid
    out.write(f"{path}: {len(raw_lines)} lines, {valid} valid, {invalid} invalid\n")
    for line in problems:
        out.write(line + "\n")
    return invalid == 0


def _consistency(record: Any, number: int, first_line: dict[str, int]) -> list[str]:
    """What the schema cannot see: the hash of the content, the id of the URL, one line an
    article."""
    if not isinstance(record, dict):
        return []
    reasons = []
    if isinstance(record.get("content_hash"), str) and record["content_hash"] != content_hash(
        record
    ):
        reasons.append("content_hash: does not match the item's content (edited after the crawl?)")
    article_id = record.get("article_id")
    if isinstance(article_id, str) and isinstance(record.get("url"), str):
        if article_id_from_url(record["url"]) != article_id:
            reasons.append(f"article_id: {article_id!r} is not the id in its url")
        if article_id in first_line:
            reasons.append(f"article_id: {article_id} already on line {first_line[article_id]}")
        else:
            first_line[article_id] = number
    return reasons


def cmd_validate(args: argparse.Namespace) -> int:
    results = [validate_file(Path(name), sys.stdout) for name in args.files]
    return 0 if all(results) else 1


# --- snapshot ---------------------------------------------------------------------------
def fold_runs(folder: Path) -> tuple[dict[str, bytes], list[str], int]:
    """Latest line of every article over the delivered runs, gone ones removed."""
    current: dict[str, bytes] = {}
    runs: list[str] = []
    gone = 0
    for path in sorted(folder.glob("*.manifest.json")):  # run ids sort in time order
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: unreadable run manifest ({error})") from None
        if not isinstance(manifest, dict) or "run_id" not in manifest or "files" not in manifest:
            continue  # not a run's manifest (a snapshot's, say)
        items = folder / manifest["files"]["items"]["name"]
        try:
            data = items.read_bytes()
        except OSError as error:
            raise ValueError(
                f"{items}: the items of run {manifest['run_id']} are missing ({error.strerror});"
                " a snapshot needs every delivered run since the first"
            ) from None
        if hashlib.sha256(data).hexdigest() != manifest["files"]["items"]["sha256"]:
            raise ValueError(f"{items}: sha256 differs from its manifest {path.name}")
        for raw in data.splitlines():
            if raw.strip():
                current[json.loads(raw)["article_id"]] = raw
        for change in manifest.get("changes", []):
            if change.get("change") == "gone" and current.pop(change["article_id"], None):
                gone += 1
        runs.append(manifest["run_id"])
    return current, runs, gone


def write_snapshot(folder: Path, out: Path, compress: bool) -> dict[str, Any]:
    """Write the dataset, then its manifest (``<out>.manifest.json``), each atomically."""
    current, runs, gone = fold_runs(folder)
    body = b"".join(current[key] + b"\n" for key in sorted(current, key=lambda k: (len(k), k)))
    if compress:
        buffer = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as handle:
            handle.write(body)
        body = buffer.getvalue()
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, body)
    manifest = {
        "snapshot": out.name,
        "created_at": utc_now(),
        "schema_version": SCHEMA_VERSION,
        "runs": runs,
        "last_run": runs[-1] if runs else None,
        "counts": {"articles": len(current), "gone_removed": gone, "runs": len(runs)},
        "file": {
            "name": out.name,
            "sha256": hashlib.sha256(body).hexdigest(),
            "lines": len(current),
            "gzip": compress,
        },
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    atomic_write(out.with_name(out.name + ".manifest.json"), text.encode("utf-8"))
    return manifest


def cmd_snapshot(args: argparse.Namespace) -> int:
    folder = Path(args.output_dir) / args.spider
    default = "snapshot.jsonl.gz" if args.gzip else "snapshot.jsonl"
    out = Path(args.out) if args.out else Path(args.output_dir) / default
    try:
        manifest = write_snapshot(folder, out, args.gzip)
    except ValueError as error:
        print(f"snapshot: {error}", file=sys.stderr)
        return 1
    print(
        f"{out}: {manifest['counts']['articles']} articles from {len(manifest['runs'])} runs"
        f" ({manifest['counts']['gone_removed']} gone removed); manifest"
        f" {out.name}.manifest.json"
    )
    return 0


# --- fixtures ---------------------------------------------------------------------------
def cmd_fixture(args: argparse.Namespace) -> int:
    from qa_scraper.fixtures import check_fixture, save_fixture

    pages = Path(args.pages)
    if args.action == "save":
        try:
            folder = save_fixture(args.source, pages, args.name, overwrite=args.force)
        except (ValueError, OSError) as error:  # urllib's HTTPError and URLError included
            print(f"fixture save: {error}", file=sys.stderr)
            return 1
        print(f"Saved {folder}: review expected.json before committing it")
        return 0
    folders = sorted(folder for folder in pages.iterdir() if (folder / "meta.json").exists())
    failed = 0
    for folder in folders:
        differences = check_fixture(folder)
        if differences:
            failed += 1
            print(f"{folder.name}: {len(differences)} difference(s) from expected.json")
            for line in differences:
                print("  " + line)
    print(f"{len(folders)} fixtures checked, {failed} differ")
    return 1 if failed else 0


# --- report, schema-doc -----------------------------------------------------------------
def cmd_report(args: argparse.Namespace) -> int:
    from qa_scraper.report import write_report

    try:
        print(write_report(Path(args.manifest)))
    except (OSError, ValueError, KeyError, TypeError) as error:  # JSONDecodeError is a ValueError
        print(f"report: {args.manifest}: not a readable run manifest ({error!r})", file=sys.stderr)
        return 1
    return 0


def cmd_schema_doc(args: argparse.Namespace) -> int:
    from qa_scraper import schemadoc

    path = Path(args.out)
    if args.check:
        if not path.exists() or path.read_text(encoding="utf-8") != schemadoc.render():
            print(f"{path} is out of date: run python -m qa_scraper schema-doc")
            return 1
        return 0
    print(schemadoc.write(path))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qa-scraper", description=(__doc__ or "").split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate", help="check JSONL / .jsonl.gz files")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.set_defaults(run=cmd_validate)

    snapshot = commands.add_parser("snapshot", help="one current dataset from the runs")
    snapshot.add_argument("--output-dir", default="output")
    snapshot.add_argument("--spider", default="doctorqna")
    snapshot.add_argument("--out", help="default: <output-dir>/snapshot.jsonl[.gz]")
    snapshot.add_argument("--gzip", action="store_true")
    snapshot.set_defaults(run=cmd_snapshot)

    fixture = commands.add_parser("fixture", help="save or check saved pages")
    fixture_actions = fixture.add_subparsers(dest="action", required=True)
    save = fixture_actions.add_parser("save", help="save a page (URL or file) for review")
    save.add_argument("source", metavar="URL|FILE")
    save.add_argument("--name", help="folder name (default article-<id>)")
    save.add_argument("--force", action="store_true", help="replace an existing fixture")
    check = fixture_actions.add_parser("check", help="re-check every saved page")
    for sub in (save, check):
        sub.add_argument("--pages", default=str(PROJECT / "tests" / "fixtures" / "pages"))
    fixture.set_defaults(run=cmd_fixture)

    report = commands.add_parser("report", help="(re)write a run's HTML report")
    report.add_argument("manifest", metavar="RUN_MANIFEST")
    report.set_defaults(run=cmd_report)

    schema_doc = commands.add_parser("schema-doc", help="write docs/schema.md")
    schema_doc.add_argument("--out", default=str(PROJECT / "docs" / "schema.md"))
    schema_doc.add_argument("--check", action="store_true", help="only compare, exit 1 if stale")
    schema_doc.set_defaults(run=cmd_schema_doc)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
