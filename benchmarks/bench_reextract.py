"""Re-extraction from the archive against the crawl that wrote it, same run (issue 18).

    .venv/bin/python benchmarks/bench_reextract.py               # N = 15000
    .venv/bin/python benchmarks/bench_reextract.py --size 1500 [--jobs 2] [--keep DIR]

Generates an N-article replica of the saved site (make_site.py), serves it on 127.0.0.1 from
a separate process, and crawls it with the project at full speed (bench_crawl.py's
settings: concurrency 16, no delay, archive on: a first crawl). Then it stops the server and
runs ``python -m qa_scraper reextract --mode full --jobs J`` on that crawl's output. Prints,
for both: wall time, articles written, articles per second, peak RSS (the re-extraction's
main process and its largest worker); the archive's size per article; the CPU cost of
archiving one answer; and the goal:

- speed: re-extraction articles/s / crawl articles/s          >= 4

Exit code 0 whatever the verdict (a measuring instrument); 1 if a run failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from bench_crawl import ServerProcess, measured, run_project  # noqa: E402

# Runs the re-extraction, then prints its own and its largest child's peak RSS (KiB).
_MEASURED = (
    "import resource, sys\n"
    "from qa_scraper.tools.cli import main\n"
    "code = main(['reextract', '--output-dir', sys.argv[1], '--mode', 'full',"
    " '--jobs', sys.argv[2]])\n"
    "own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'PEAK_RSS {own} {child}', flush=True)\n"
    "sys.exit(code)\n"
)


def run_reextract(output: Path, work: Path, jobs: int) -> dict[str, Any]:
    before = set(output.glob("doctorqna/*.manifest.json"))
    log = work / "reextract.log"
    result = measured([sys.executable, "-c", _MEASURED, str(output), str(jobs)], ROOT, log)
    text = log.read_text(encoding="utf-8", errors="replace")
    peaks = [line.split() for line in text.splitlines() if line.startswith("PEAK_RSS")]
    if peaks:
        result["rss_main_mb"] = int(peaks[-1][1]) / 1024
        result["rss_worker_mb"] = int(peaks[-1][2]) / 1024
    [manifest_path] = set(output.glob("doctorqna/*.manifest.json")) - before or [None]
    manifest = json.loads(manifest_path.read_text()) if manifest_path else {}
    result["items"] = manifest.get("files", {}).get("items", {}).get("lines", 0)
    result["manifest"] = manifest
    return result


def archive_write_ms(rounds: int = 500) -> float:
    """CPU per archived answer (response + request records) for a saved article page."""
    from qa_scraper.delivery.archive import WarcArchive
    from tests.conftest import saved_page

    body = saved_page("/en/article/174501").encode()
    headers = [("Content-Type", "text/html; charset=utf-8"), ("ETag", '"v1"')]
    with tempfile.TemporaryDirectory() as folder:
        archive = WarcArchive(Path(folder) / "x.warc.gz.part", "x.warc.gz", {"base-url": "x"})
        started = time.process_time()
        for _ in range(rounds):
            archive.write_exchange(
                "http://127.0.0.1/en/article/174501",
                "GET",
                [("User-Agent", "qa")],
                200,
                headers,
                body,
            )
        spent = time.process_time() - started
        archive.close()
    return spent / rounds * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=15000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--keep", type=Path, help="keep the site, logs and outputs here")
    args = parser.parse_args()

    from make_site import generate

    holder = None
    if args.keep:
        work = args.keep
        work.mkdir(parents=True, exist_ok=True)
    else:
        holder = tempfile.TemporaryDirectory(prefix=f"qa-bench-reextract-{args.size}-")
        work = Path(holder.name)
    try:
        started = time.perf_counter()
        generate(args.size, work / "site")
        print(f"N={args.size}: site generated in {time.perf_counter() - started:.1f} s", flush=True)
        server = ServerProcess(work / "site", work)
        try:
            crawl = run_project(server, work, args.concurrency)
        finally:
            server.stop()  # the re-extraction runs with no server at all
        print(f"crawl: {crawl['wall']:.1f} s (exit {crawl['returncode']})", flush=True)
        output = work / "project-output"
        again = run_reextract(output, work, args.jobs)
        print(f"reextract: {again['wall']:.1f} s (exit {again['returncode']})", flush=True)
        if crawl["returncode"] != 0 or again["returncode"] != 0:
            print(f"a run failed: see the logs in {work} (use --keep to keep them)")
            return 1
        archives = list(output.glob("doctorqna/*.warc.gz"))
        archive_bytes = sum(path.stat().st_size for path in archives)
        crawl_rate = crawl["items"] / crawl["wall"]
        again_rate = again["items"] / again["wall"]
        ratio = again_rate / crawl_rate
        print()
        print(f"| | crawl (concurrency {args.concurrency}) | reextract --jobs {args.jobs} |")
        print("|---|---|---|")
        print(f"| articles written | {crawl['items']} | {again['items']} |")
        print(f"| wall time | {crawl['wall']:.1f} s | {again['wall']:.1f} s |")
        print(f"| articles/s | {crawl_rate:.0f} | {again_rate:.0f} |")
        print(f"| CPU time | {crawl['cpu']:.1f} s | {again['cpu']:.1f} s (main process) |")
        print(
            f"| peak RSS | {crawl['rss_mb']:.0f} MB | {again.get('rss_main_mb', 0):.0f} MB main,"
            f" {again.get('rss_worker_mb', 0):.0f} MB largest worker |"
        )
        print(f"| requests to the site | {sum(crawl['server'].values())} | 0 (server stopped) |")
        print()
        print(
            f"archive: {len(archives)} file(s), {archive_bytes / 1e6:.1f} MB,"
            f" {archive_bytes / max(crawl['items'], 1) / 1024:.1f} KiB per article"
        )
        print(f"archive writing: {archive_write_ms():.2f} ms CPU per article (saved page)")
        verdict = "PASS" if ratio >= 4 else "FAIL"
        print(f"speed: reextract / crawl articles per second = {ratio:.2f}  (>= 4: {verdict})")
        return 0
    finally:
        if holder is not None:
            holder.cleanup()


if __name__ == "__main__":
    sys.exit(main())
