"""``python -m qa_scraper fixture save|check|rerun``: save a page as a test fixture (from a URL,
a file, the archive or a reject), re-check every saved fixture against today's extractor, or
save their ``expected.json`` again after a deliberate change (``rerun --all``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qa_scraper.tools.report import plural


def cmd_fixture(args: argparse.Namespace) -> int:
    from qa_scraper.testing.fixtures import check_fixture, fixture_folders, save_fixture

    pages = Path(args.pages)
    if args.action == "save":
        from qa_scraper.errors import SetupError
        from qa_scraper.testing.fixtures import from_archive, from_reject

        given = [args.source, args.from_archive, args.reject]
        if sum(value is not None for value in given) != 1:
            print(
                "fixture save: give one of URL|FILE, --from-archive URL, --reject FILE:LINE",
                file=sys.stderr,
            )
            return 2
        try:
            if args.from_archive:
                source = from_archive(args.from_archive, Path(args.output_dir))
            elif args.reject:
                source = from_reject(args.reject)
            else:
                source = args.source
            folder = save_fixture(source, pages, args.name, overwrite=args.force)
        except (ValueError, OSError, SetupError) as error:  # urllib's HTTPError, URLError too
            print(f"fixture save: {error}", file=sys.stderr)
            return 1
        print(f"Saved {folder}: review expected.json before committing it")
        return 0
    if not pages.is_dir():
        print(
            f"fixture {args.action}: {pages}: no such folder (run it from the project's"
            " checkout, or give --pages)",
            file=sys.stderr,
        )
        return 1
    if args.action == "rerun":
        from qa_scraper.testing.fixtures import rerun_fixtures

        return rerun_fixtures(pages, args.names, every=args.all)
    folders = fixture_folders(pages)
    failed = 0
    for folder in folders:
        differences = check_fixture(folder)
        if differences:
            failed += 1
            print(f"{folder.name}: {plural(len(differences), 'difference')} from expected.json")
            for line in differences:
                print("  " + line)
    differ = "differs" if failed == 1 else "differ"
    print(f"{plural(len(folders), 'fixture')} checked, {failed} {differ}")
    return 1 if failed else 0
