"""Offline demo: serve a saved site on 127.0.0.1 and crawl it with the real spider.

    python -m qa_scraper.testing.demo --site tests/fixtures/site   # output/doctorqna/<run>.jsonl

No network needed: the dev server (:mod:`qa_scraper.testing.devserver`) plays the
site, including its traps (404 links, a flaky 503, legacy and utm links). The saved site
is given (``scripts/demo.sh`` gives the checkout's ``tests/fixtures/site``): an installed
package has none of its own. The run's files go to ``output/`` in the working folder.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from qa_scraper.testing.devserver import DevServer

# The project's crawl, after a Python executable: the demo, the tests and the benchmarks
# start it the same way.
CRAWL_ARGS = ["-m", "scrapy", "crawl", "doctorqna"]
LOCAL_SPEED = [
    "-s",
    "AUTOTHROTTLE_ENABLED=0",
    "-s",
    "DOWNLOAD_DELAY=0",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=8",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--site", help="the saved site's folder (routes.json and pages): tests/fixtures/site"
    )
    parser.add_argument("scrapy_args", nargs="*", help="extra arguments for scrapy crawl")
    args = parser.parse_args(argv)
    if args.site is None or not (Path(args.site) / "routes.json").is_file():
        where = "no --site given" if args.site is None else f"{args.site}: no routes.json there"
        print(
            f"demo: {where}. Give --site the saved site's folder (tests/fixtures/site in the"
            " project's checkout; scripts/demo.sh gives it)",
            file=sys.stderr,
        )
        return 2
    with DevServer(args.site) as server:
        print(f"Dev server: {server.base_url} serving {args.site}", flush=True)
        command = [
            sys.executable,
            *CRAWL_ARGS,
            "-a",
            f"base_url={server.base_url}",
            *LOCAL_SPEED,
            *args.scrapy_args,
        ]
        print("Running:", " ".join(command), flush=True)
        # The project's settings also where there is no scrapy.cfg (an installed package).
        env = {"SCRAPY_SETTINGS_MODULE": "qa_scraper.settings", **os.environ}
        code = subprocess.call(command, env=env)
    manifests = sorted(Path("output", "doctorqna").glob("*.manifest.json"))
    if code == 0 and manifests:
        manifest = json.loads(manifests[-1].read_text(encoding="utf-8"))
        counts = manifest["counts"]
        print(
            f"\nDone: {manifest['files']['items']['lines']} items in "
            f"output/doctorqna/{manifest['files']['items']['name']} ({manifest['mode']} run: "
            + ", ".join(
                f"{key} {counts[key]}"
                for key in ("new", "changed", "unchanged", "gone", "rejected")
            )
            + f"); manifest: output/doctorqna/{manifests[-1].name}"
        )
    return code


if __name__ == "__main__":
    raise SystemExit(main())
