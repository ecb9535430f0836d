"""Crawl cost at two site sizes, against a naive spider measured in the same run (issue 11).

    .venv/bin/python benchmarks/bench_crawl.py            # N = 1500 and 15000
    .venv/bin/python benchmarks/bench_crawl.py --quick    # N = 300 and 3000
    .venv/bin/python benchmarks/bench_crawl.py --sizes 1000 5000 [--concurrency 16] [--keep DIR]
    .venv/bin/python benchmarks/bench_crawl.py --repeat 3   # each crawl 3 times, least CPU kept

For each N: generates an N-article replica of the saved site (make_site.py) in a
temporary folder, serves it on 127.0.0.1 from a separate process (its CPU is not
the crawler's; it counts the requests it answers), then runs as subprocesses
(a) the project's crawl, ``python -m scrapy crawl doctorqna`` from the project
root with its own fresh QA_OUTPUT_DIR (a first crawl), (b) the naive
spider (naive_spider.py) and (c) the Scrapy floor (floor_spider.py: a plain
SitemapSpider that obeys robots.txt and fetches every article the sitemaps
list, doing nothing with the answer), all at the same concurrency. For each: wall time,
CPU time (user+sys, from ``os.wait4``), peak RSS (``ru_maxrss``), requests the
server answered, items written. Then the issue's goals, each PASS/FAIL:

- linear cost   : project CPU per article at N2 / at N1            <= 1.15
- flat memory   : project peak RSS at N2 / at N1                  <= 1.25
- speed         : project articles/s / naive articles/s at N1     >= 1.0
- requests      : project requests per article at N1 and at N2    <= 1.1
- floor ratio   : project CPU per article / floor CPU per article,
                  at N1 and at N2                                  <= 1.5
- extraction    : median over the saved pages of
                  ArticlePage(url, html).to_item() time / lxml.html.fromstring(html) time  <= 7

Exit code 0 whatever the verdicts (it is a measuring instrument); 1 if a crawl failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

STATS_PATH = "/__bench__/stats"
CRAWL_TIMEOUT = 1200.0  # seconds; a crawl still running then is killed (and reported failed)


# --- the server process ---------------------------------------------------------------
def _path_kind(path: str) -> str:
    if path.startswith("/en/article/"):
        return "article"
    if path.startswith("/article.php"):
        return "legacy redirect"
    if path.startswith(("/en/department/", "/en/latest")):
        return "listing"
    if path.startswith("/en/faq/"):
        return "faq"
    if path.startswith("/sitemap"):
        return "sitemap"
    if path == "/robots.txt":
        return "robots"
    if path in ("/", "/en", "/en/"):
        return "home"
    return "other"


LATENCY = float(os.environ.get("QA_BENCH_LATENCY", "0"))  # seconds added to every answer


def serve(folder: str, port_file: str) -> None:
    """Serve ``folder`` on a free loopback port; answer ``STATS_PATH`` with the counts."""
    from qa_scraper.testing.devserver import DevServer, DevSite, Reply, _handler_for

    class CountingSite(DevSite):
        """DevSite that counts what it answers instead of keeping every request."""

        def __post_init__(self) -> None:
            super().__post_init__()
            self.counts: Counter[str] = Counter()

        def respond(self, method: str, target: str, headers: dict[str, str]) -> Reply:
            path = urlsplit(target).path
            if path == STATS_PATH:
                with self._lock:
                    body = json.dumps(dict(self.counts)).encode()
                return Reply(200, {"Content-Type": "application/json"}, body)
            reply = super().respond(method, target, headers)
            reply.delay += LATENCY  # a remote site's round trip (bench_distributed.py)
            with self._lock:
                self.requests.clear()
                self.counts["total"] += 1
                self.counts[f"kind:{_path_kind(path)}"] += 1
                self.counts[f"status:{reply.status}"] += 1
            return reply

    server = DevServer(folder)
    site = CountingSite(Path(folder))
    site.base_url = server.base_url
    server.site = site  # type: ignore[assignment]
    server.httpd.RequestHandlerClass = _handler_for(site)
    signal.signal(
        signal.SIGTERM,
        lambda *_: threading.Thread(target=server.httpd.shutdown, daemon=True).start(),
    )
    Path(port_file + ".tmp").write_text(server.base_url)
    os.replace(port_file + ".tmp", port_file)
    try:
        server.httpd.serve_forever(poll_interval=0.2)
    finally:
        server.httpd.server_close()


class ServerProcess:
    def __init__(self, folder: Path, work: Path) -> None:
        port_file = work / "server.url"
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve", str(folder), str(port_file)],
            cwd=str(work),
            stdout=subprocess.DEVNULL,
            stderr=open(work / "server.log", "wb"),
        )
        deadline = time.monotonic() + 60
        while not port_file.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"bench server did not start: {(work / 'server.log').read_text()}"
                )
            time.sleep(0.05)
        self.base_url = port_file.read_text()

    def counts(self) -> Counter[str]:
        with urllib.request.urlopen(self.base_url.rstrip("/") + STATS_PATH, timeout=30) as reply:
            return Counter(json.loads(reply.read()))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


# --- measuring one crawl ------------------------------------------------------------------
def measured(cmd: list[str], cwd: Path, log: Path) -> dict[str, Any]:
    """Run ``cmd``; wall time, CPU (user+sys) and peak RSS of that process (os.wait4)."""
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    with open(log, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=str(cwd), stdout=out, stderr=subprocess.STDOUT, env=env)
        timer = threading.Timer(CRAWL_TIMEOUT, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "returncode": proc.returncode,
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
    }  # Linux: KiB


def run_project(server: ServerProcess, work: Path, concurrency: int) -> dict[str, Any]:
    from qa_scraper.testing.demo import CRAWL_ARGS

    out = work / "project-output"
    cmd = [
        sys.executable,
        *CRAWL_ARGS,
        "-a",
        f"base_url={server.base_url}",
        "-s",
        f"QA_OUTPUT_DIR={out}",
        "-s",
        "AUTOTHROTTLE_ENABLED=0",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        f"CONCURRENT_REQUESTS={concurrency}",
        "-s",
        f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}",
        "-s",
        "LOG_LEVEL=INFO",
    ]
    before = server.counts()
    result = measured(cmd, ROOT, work / "project.log")
    result["server"] = server.counts() - before
    result["items"] = sum(
        1
        for f in out.glob("doctorqna/*.jsonl")
        if not f.name.endswith(".rejects.ndjson")
        for _ in f.open(encoding="utf-8")
    )
    result["rejects"] = sum(
        1 for f in out.glob("doctorqna/*.rejects.ndjson") for _ in f.open(encoding="utf-8")
    )
    return result


def run_naive(server: ServerProcess, work: Path, concurrency: int) -> dict[str, Any]:
    out = work / "naive.jsonl"
    cmd = [
        sys.executable,
        str(HERE / "naive_spider.py"),
        server.base_url,
        str(out),
        "--concurrency",
        str(concurrency),
    ]
    before = server.counts()
    result = measured(cmd, work, work / "naive.log")  # cwd without scrapy.cfg
    result["server"] = server.counts() - before
    result["items"] = sum(1 for _ in out.open(encoding="utf-8")) if out.exists() else 0
    result["rejects"] = 0
    return result


def run_floor(server: ServerProcess, work: Path, concurrency: int) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(HERE / "floor_spider.py"),
        server.base_url,
        "--concurrency",
        str(concurrency),
    ]
    before = server.counts()
    result = measured(cmd, work, work / "floor.log")  # cwd without scrapy.cfg
    result["server"] = server.counts() - before
    result["items"] = result["server"]["kind:article"]  # articles fetched (and dropped)
    result["rejects"] = 0
    return result


def _less_disturbed(run: dict[str, Any], kept: dict[str, Any]) -> bool:
    """With --repeat: a run that failed is never kept over one that did not; else the run
    with the least CPU is (the least disturbed by other load on the machine)."""
    if (run["returncode"] == 0) != (kept["returncode"] == 0):
        return run["returncode"] == 0
    return run["cpu"] < kept["cpu"]


# --- extraction vs parse ---------------------------------------------------------------------
def extraction_ratio(rounds: int = 7) -> float:
    """Median over the saved article pages of best to_item() time / best lxml parse time."""
    import lxml.html
    from bench_extract import best_of

    from qa_scraper.pages.article import ArticlePage
    from tests.conftest import load_expected, saved_page

    ratios = []
    for item in load_expected():
        url, html = item["url"], saved_page(f"/en/article/{item['article_id']}")
        extract = best_of(rounds, lambda: ArticlePage(url, html).to_item())
        parse = best_of(rounds, lambda: lxml.html.fromstring(html))
        ratios.append(extract / parse)
    return statistics.median(ratios)


# --- report ----------------------------------------------------------------------------------
def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs=2, metavar=("N1", "N2"), default=[1500, 15000])
    parser.add_argument("--quick", action="store_true", help="N = 300 and 3000")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--keep", type=Path, help="keep sites, logs and outputs under this folder")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="K",
        help="crawl K times with each crawler at each size, in turn, and keep each one's run"
        " with the least CPU (on a machine with other load)",
    )
    parser.add_argument("--serve", nargs=2, metavar=("FOLDER", "URL_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(*args.serve)
        return 0
    from make_site import folder_bytes, generate

    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    sizes = [300, 3000] if args.quick else args.sizes
    bench_started = time.perf_counter()
    results: dict[int, dict[str, Any]] = {}
    failed = False
    for n in sizes:
        holder = None
        if args.keep:
            work = args.keep / f"n{n}"
            work.mkdir(parents=True, exist_ok=True)
        else:
            holder = tempfile.TemporaryDirectory(prefix=f"qa-bench-{n}-")
            work = Path(holder.name)
        try:
            started = time.perf_counter()
            site_counts = generate(n, work / "site")
            gen_seconds = time.perf_counter() - started
            site_mb = folder_bytes(work / "site") / 1e6
            print(
                f"N={n}: site generated in {gen_seconds:.1f} s, {site_mb:.0f} MB, {site_counts}",
                flush=True,
            )
            server = ServerProcess(work / "site", work)
            kept: dict[str, dict[str, Any]] = {}
            try:
                for attempt in range(1, args.repeat + 1):
                    for name, run in (
                        ("project", run_project),
                        ("naive", run_naive),
                        ("floor", run_floor),
                    ):
                        if name == "project":  # a first crawl each time
                            shutil.rmtree(work / "project-output", ignore_errors=True)
                        r = run(server, work, args.concurrency)
                        print(
                            f"N={n}: {name} crawl {r['wall']:.1f} s, {r['cpu']:.1f} s CPU"
                            f" (exit {r['returncode']}; run {attempt} of {args.repeat})",
                            flush=True,
                        )
                        if name not in kept or _less_disturbed(r, kept[name]):
                            kept[name] = r
            finally:
                server.stop()
            project, naive, floor = kept["project"], kept["naive"], kept["floor"]
            for name, r in (("project", project), ("naive", naive), ("floor", floor)):
                if r["returncode"] != 0:
                    failed = True
                    log = (work / f"{name}.log").read_text(errors="replace")
                    print(f"N={n}: {name} crawl exited {r['returncode']}; log tail:\n{log[-1500:]}")
            results[n] = {
                "project": project,
                "naive": naive,
                "floor": floor,
                "site": site_counts,
                "gen_seconds": gen_seconds,
                "site_mb": site_mb,
            }
        finally:
            if holder is not None:
                holder.cleanup()
    print("extraction vs lxml parse: measuring ...", flush=True)
    extraction = extraction_ratio()
    total = time.perf_counter() - bench_started

    n1, n2 = sizes
    print()
    print(
        f"{'':9}{'N':>7} {'wall s':>8} {'CPU s':>8} {'CPU ms/art':>10} {'art/s':>7} "
        f"{'RSS MB':>7} {'requests':>8} {'req/art':>7} {'items':>6} {'rejects':>7}"
    )
    for n in sizes:
        for name in ("project", "naive", "floor"):
            r = results[n][name]
            print(
                f"{name:9}{n:7d} {r['wall']:8.1f} {r['cpu']:8.1f} {1000 * r['cpu'] / n:10.2f} "
                f"{n / r['wall']:7.1f} {r['rss_mb']:7.0f} {r['server']['total']:8d} "
                f"{r['server']['total'] / n:7.3f} {r['items']:6d} {r['rejects']:7d}"
            )
    for n in sizes:
        for name in ("project", "naive", "floor"):
            server = results[n][name]["server"]
            kinds = ", ".join(
                f"{k[5:]} {v}" for k, v in sorted(server.items()) if k.startswith("kind:")
            )
            statuses = ", ".join(
                f"{k[7:]}: {v}" for k, v in sorted(server.items()) if k.startswith("status:")
            )
            print(f"  {name} N={n} requests by kind: {kinds}; by status: {statuses}")
        site = results[n]["site"]
        print(
            f"  site N={n}: {site['listing_pages']} listing pages, {site['faq_pages']} FAQ pages, "
            f"{site['article_sitemaps']} article sitemaps, {results[n]['site_mb']:.0f} MB, "
            f"generated in {results[n]['gen_seconds']:.1f} s"
        )

    p1, p2 = results[n1]["project"], results[n2]["project"]
    linear = (p2["cpu"] / n2) / (p1["cpu"] / n1)
    memory = p2["rss_mb"] / p1["rss_mb"]
    speed = results[n1]["naive"]["wall"] / p1["wall"]  # (n1/wall_p) / (n1/wall_naive)
    req1, req2 = p1["server"]["total"] / n1, p2["server"]["total"] / n2
    floor1, floor2 = (results[n]["project"]["cpu"] / results[n]["floor"]["cpu"] for n in sizes)
    print()
    for n in sizes:
        p, f, v = (results[n][k]["cpu"] / n * 1000 for k in ("project", "floor", "naive"))
        print(
            f"CPU per article N={n}: project {p:.2f} ms, Scrapy floor {f:.2f} ms "
            f"(ratio {p / f:.2f}), naive {v:.2f} ms (project / naive {p / v:.2f})"
        )
    print()
    print("goal                                                   ratio   goal     verdict")
    rows = [
        (f"linear cost: CPU/article N={n2} / N={n1}", linear, "<= 1.15", linear <= 1.15),
        (f"flat memory: peak RSS N={n2} / N={n1}", memory, "<= 1.25", memory <= 1.25),
        (f"speed: project art/s / naive art/s, N={n1}", speed, ">= 1.0", speed >= 1.0),
        (f"requests per article, first crawl, N={n1}", req1, "<= 1.1", req1 <= 1.1),
        (f"requests per article, first crawl, N={n2}", req2, "<= 1.1", req2 <= 1.1),
        ("extraction: to_item / lxml parse (median page)", extraction, "<= 7", extraction <= 7),
        (f"floor ratio: project / floor CPU per article, N={n1}", floor1, "<= 1.5", floor1 <= 1.5),
        (f"floor ratio: project / floor CPU per article, N={n2}", floor2, "<= 1.5", floor2 <= 1.5),
    ]
    for label, value, goal, ok in rows:
        print(f"{label:52} {value:7.2f}   {goal:8} {verdict(ok)}")
    for n in sizes:
        if results[n]["project"]["items"] != n:
            print(
                f"NOTE: the project wrote {results[n]['project']['items']} items for {n} articles"
            )
        if results[n]["floor"]["items"] != n:
            print(f"NOTE: the floor fetched {results[n]['floor']['items']} articles for {n}")
    print(
        f"\nbenchmark wall time: {total:.0f} s (sizes {n1}, {n2}; concurrency {args.concurrency})"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
