"""Re-crawl cost on an unchanged site against a first crawl, measured in the same run.

    .venv/bin/python benchmarks/bench_recrawl.py

Serves the saved site on 127.0.0.1, crawls it once (baseline: empty state),
then again with the same state, and prints for both: wall time, requests,
article pages fetched in full, 304 answers, articles skipped by sitemap
lastmod, items written; and the ratios re-crawl / first crawl.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE
from tests.crawl_helpers import run_crawl


def measure(server: DevServer, tmp: Path, name: str) -> dict[str, float]:
    since = len(server.site.requests)
    started = time.monotonic()
    result = run_crawl(server.base_url, tmp, name=name, output_dir=tmp / "output")
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.log[-2000:]
    seen = server.site.requests[since:]
    articles = Counter(r.status for r in seen if r.path.startswith("/en/article/"))
    return {
        "wall seconds": elapsed,
        "requests": len(seen),
        "article pages in full (200)": articles[200],
        "article 304s": articles[304],
        "skipped by lastmod": result.stats.get("qa/unchanged/skipped_by_lastmod", 0),
        "items written": result.stats.get("qa/items_written", 0),
        "bytes received": result.stats.get("downloader/response_bytes", 0),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, DevServer(SITE) as server:
        tmp = Path(folder)
        first = measure(server, tmp, "first")
        again = measure(server, tmp, "again")
    print(f"{'':32} {'first crawl':>12} {'re-crawl':>12} {'ratio':>8}")
    for key in first:
        ratio = again[key] / first[key] if first[key] else float("nan")
        print(f"{key:32} {first[key]:12.2f} {again[key]:12.2f} {ratio:8.2f}")


if __name__ == "__main__":
    main()
