"""``python -m qa_scraper`` (or ``qa-scraper``): tools for downstream teams and operators.

validate FILE…            check JSONL / .jsonl.gz files against the item schema
snapshot                  fold the delivered runs into one current dataset
fixture save URL|FILE     save a page as a test fixture; fixture check: re-check them all;
                          fixture rerun --all: re-save every expected.json, show the diff
report RUN_MANIFEST       (re)write a run's HTML report
reextract                 today's extractor over the archived pages (no network): a new run
schema-doc                write docs/schema.md from the schema

This module is the argparse wiring and the exit codes; each command's work lives in its own
module (:mod:`~qa_scraper.tools.validate`, :mod:`~qa_scraper.tools.snapshot`,
:mod:`~qa_scraper.tools.fixture_commands`, :mod:`~qa_scraper.tools.report`,
:mod:`~qa_scraper.tools.reextract`, :mod:`~qa_scraper.tools.schemadoc`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


# --- report, schema-doc, reextract: their work is in their own modules ------------------
# Each command's module is imported when that command runs: the fixture commands alone import
# the page objects, the report and Scrapy's settings (~0.3 s), which `reextract` or `validate`
# has no use for.
def cmd_validate(args: argparse.Namespace) -> int:
    from qa_scraper.tools.validate import cmd_validate as run

    return run(args)


def cmd_snapshot(args: argparse.Namespace) -> int:
    from qa_scraper.tools.snapshot import cmd_snapshot as run

    return run(args)


def cmd_fixture(args: argparse.Namespace) -> int:
    from qa_scraper.tools.fixture_commands import cmd_fixture as run

    return run(args)


def cmd_report(args: argparse.Namespace) -> int:
    from qa_scraper.tools.report import write_report

    try:
        print(write_report(Path(args.manifest)))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        # JSONDecodeError is a ValueError; a field of the wrong type, a TypeError or an
        # AttributeError
        print(f"report: {args.manifest}: not a readable run manifest ({error!r})", file=sys.stderr)
        return 1
    return 0


def cmd_schema_doc(args: argparse.Namespace) -> int:
    from qa_scraper.tools import schemadoc

    path, pages = Path(args.out), Path(args.pages)
    try:
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != schemadoc.render(pages):
                print(f"{path} is out of date: run python -m qa_scraper schema-doc")
                return 1
            return 0
        print(schemadoc.write(path, pages))
    except (OSError, ValueError) as error:
        print(f"schema-doc: {error}", file=sys.stderr)
        return 2
    return 0


def cmd_reextract(args: argparse.Namespace) -> int:
    import logging

    from qa_scraper.errors import SetupError
    from qa_scraper.tools.reextract import reextract

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s [%(name)s] %(levelname)s: %(message)s"
    )
    if args.jobs is not None and args.jobs < 1:
        print("qa_scraper: refused: --jobs must be 1 or more. Give --jobs N", file=sys.stderr)
        return 2
    try:
        return int(reextract(args.output_dir, args.mode, args.jobs, args.runs, args.spider))
    except SetupError as error:
        print(f"qa_scraper: refused: {error}", file=sys.stderr)
        return int(error.exit_code)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qa-scraper", description=(__doc__ or "").split("\n\n")[0]
    )
    from qa_scraper.version import git_commit, package_version

    commit = git_commit()
    parser.add_argument(
        "--version",
        action="version",
        version=f"qa_scraper {package_version()}" + (f" (git {commit})" if commit else ""),
    )
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate", help="check JSONL / .jsonl.gz files")
    validate.add_argument("files", nargs="+", metavar="FILE", help="- reads standard input")
    validate.set_defaults(run=cmd_validate)

    snapshot = commands.add_parser("snapshot", help="one current dataset from the runs")
    snapshot.add_argument("--output-dir", default="output")
    snapshot.add_argument("--spider", default="doctorqna")
    snapshot.add_argument(
        "--out", help="default: <output-dir>/snapshot.jsonl[.gz] or snapshot.parquet"
    )
    snapshot.add_argument(
        "--format", choices=("jsonl", "parquet"), help="default: from --out's suffix, or jsonl"
    )
    snapshot.add_argument("--gzip", action="store_true", help="gzip the JSONL (.jsonl.gz)")
    snapshot.add_argument(
        "--run",
        dest="run_id",
        metavar="RUN_ID",
        help="only this run's items (its new and changed articles)",
    )
    snapshot.set_defaults(run=cmd_snapshot)

    fixture = commands.add_parser("fixture", help="save or check saved pages")
    fixture_actions = fixture.add_subparsers(dest="action", required=True)
    save = fixture_actions.add_parser("save", help="save a page (URL or file) for review")
    save.add_argument("source", metavar="URL|FILE", nargs="?")
    save.add_argument(
        "--from-archive", metavar="URL", help="the latest archived answer of this article"
    )
    save.add_argument("--reject", metavar="REJECTS_FILE:LINE", help="the page a reject names")
    save.add_argument("--output-dir", default="output", help="where --from-archive looks")
    save.add_argument("--name", help="folder name (default article-<id>)")
    save.add_argument("--force", action="store_true", help="replace an existing fixture")
    check = fixture_actions.add_parser("check", help="re-check every saved page")
    rerun = fixture_actions.add_parser(
        "rerun", help="save expected.json again after a deliberate change; show the diff"
    )
    rerun.add_argument("names", metavar="NAME", nargs="*", help="fixture folders to re-save")
    rerun.add_argument("--all", action="store_true", help="every saved fixture")
    for sub in (save, check, rerun):
        sub.add_argument(
            "--pages",
            default="tests/fixtures/pages",
            help="the saved pages' folder (default: tests/fixtures/pages, from here)",
        )
    fixture.set_defaults(run=cmd_fixture)

    again = commands.add_parser(
        "reextract", help="re-extract the archived pages with today's code (no network)"
    )
    again.add_argument("--output-dir", default="output", help="the crawl's QA_OUTPUT_DIR")
    again.add_argument("--spider", default="doctorqna")
    again.add_argument("--mode", choices=("incremental", "full"), default="incremental")
    again.add_argument("--jobs", type=int, help="extraction processes (default: CPU count)")
    again.add_argument("--runs", nargs="+", metavar="RUN_ID", help="only these runs' archives")
    again.set_defaults(run=cmd_reextract)

    report = commands.add_parser("report", help="(re)write a run's HTML report")
    report.add_argument("manifest", metavar="RUN_MANIFEST")
    report.set_defaults(run=cmd_report)

    schema_doc = commands.add_parser("schema-doc", help="write docs/schema.md")
    schema_doc.add_argument(
        "--out", default="docs/schema.md", help="default: docs/schema.md, from here"
    )
    schema_doc.add_argument(
        "--pages",
        default="tests/fixtures/pages",
        help="saved pages the examples come from (default: tests/fixtures/pages, from here)",
    )
    schema_doc.add_argument("--check", action="store_true", help="only compare, exit 1 if stale")
    schema_doc.set_defaults(run=cmd_schema_doc)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:
        # the reader went away (`validate … | head`): no traceback, and none at exit either
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # what a shell reports for a pipe writer killed by SIGPIPE (128 + 13)
