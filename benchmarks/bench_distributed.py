"""Distributed crawl: the same replica crawled by a coordinator with 1 and with 3 workers.

    .venv/bin/python benchmarks/bench_distributed.py [--articles 300] [--latency 0.1]
        [--rate 60] [--workers 1 3]

Starts its own Redis (``redis-server`` on a free loopback port) and the replica's server
(every answer delayed by ``--latency`` seconds, like a remote site), then for each worker
count runs one coordinator and N workers (``-a role=…``, ``-s QA_REDIS_URL=…``) with the
same global rate budget (``QA_REDIS_RATE``) and per-process politeness
(``CONCURRENT_REQUESTS_PER_DOMAIN=2``). Prints crawl time, requests per article and the
speed-up against one worker measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_crawl import ServerProcess  # noqa: E402
from make_site import generate  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(port: int) -> subprocess.Popen:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return process


def crawl(base_url: str, redis_url: str, workers: int, rate: float, work: Path) -> dict:
    common = [
        "-a", f"base_url={base_url}", "-s", f"QA_REDIS_URL={redis_url}",
        "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "-s", f"QA_REDIS_RATE={rate}",
        "-s", "LOG_LEVEL=INFO",
    ]  # fmt: skip
    scrapy = [sys.executable, "-m", "scrapy", "crawl", "doctorqna"]
    started = time.monotonic()
    procs = [
        subprocess.Popen([*scrapy, "-a", "role=worker", *common], cwd=ROOT,
                         stdout=(work / f"w{i}.log").open("w"), stderr=subprocess.STDOUT)
        for i in range(workers)
    ]  # fmt: skip
    output = work / "out"
    coordinator = subprocess.run(
        [*scrapy, "-a", "role=coordinator", *common, "-s", f"QA_OUTPUT_DIR={output}"],
        check=False, cwd=ROOT, stdout=(work / "c.log").open("w"), stderr=subprocess.STDOUT,
        timeout=1800,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    for proc in procs:
        proc.wait(timeout=120)
    [manifest] = (output / "doctorqna").glob("*.manifest.json")
    data = json.loads(manifest.read_text())
    shares = [
        int(m.group(1)) if (m := re.search(r"'qa/usable_responses': (\d+)", log)) else 0
        for log in ((work / f"w{i}.log").read_text() for i in range(workers))
    ]
    return {"exit": coordinator.returncode, "seconds": elapsed,
            "items": data["files"]["items"]["lines"], "shares": shares}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--rate", type=float, default=60.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 3])
    args = parser.parse_args()
    os.environ["QA_BENCH_LATENCY"] = str(args.latency)
    with tempfile.TemporaryDirectory(prefix="qa-bench-dist-") as tmp:
        tmp_path = Path(tmp)
        generate(args.articles, tmp_path / "site")
        server = ServerProcess(tmp_path / "site", tmp_path)
        redis_port = free_port()
        redis = start_redis(redis_port)
        rows = []
        try:
            for db, workers in enumerate(args.workers, start=1):
                work = tmp_path / f"run{workers}"
                work.mkdir()
                before = server.counts()["total"]
                result = crawl(
                    server.base_url, f"redis://127.0.0.1:{redis_port}/{db}", workers,
                    args.rate, work,
                )  # fmt: skip
                requests = server.counts()["total"] - before
                rows.append((workers, result, requests))
        finally:
            redis.terminate()
            server.stop()
    print(f"\n{args.articles} articles, {args.latency * 1000:.0f} ms per answer, global budget "
          f"{args.rate:g} requests/s, 2 concurrent requests per worker")  # fmt: skip
    header = ("workers", "exit", "items", "seconds", "req/article", "speed-up", "per worker")
    print("{:>8} {:>5} {:>6} {:>8} {:>12} {:>9}  {}".format(*header))
    base = rows[0][1]["seconds"]
    for workers, result, requests in rows:
        print(
            f"{workers:>8} {result['exit']:>5} {result['items']:>6} {result['seconds']:>8.1f} "
            f"{requests / args.articles:>12.3f} {base / result['seconds']:>8.2f}x  "
            f"{result['shares']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
