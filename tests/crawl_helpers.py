"""Run the real spider in a subprocess against a dev server on 127.0.0.1."""
from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
FAST_LOCAL = ["-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0",
              "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "RETRY_TIMES=2"]


@dataclass
class CrawlResult:
    returncode: int
    log: str
    feed_items: list[dict[str, Any]]
    stats: dict[str, Any]
    output_dir: Path

    def run_files(self, pattern: str) -> list[Path]:
        return sorted((self.output_dir / "doctorqna").glob(pattern))


def run_crawl(base_url: str, tmp_path: Path, *extra: str, timeout: float = 240) -> CrawlResult:
    feed = tmp_path / "feed.jsonl"
    output_dir = tmp_path / "output"
    command = [sys.executable, "-m", "scrapy", "crawl", "doctorqna", "-a", f"base_url={base_url}",
               "-O", str(feed), "-s", f"QA_OUTPUT_DIR={output_dir}", *FAST_LOCAL, *extra]
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    done = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    log = done.stdout + done.stderr
    items = [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines()] \
        if feed.exists() else []
    return CrawlResult(done.returncode, log, items, parse_stats(log), output_dir)


def parse_stats(log: str) -> dict[str, Any]:
    """Scrapy's closing "Dumping Scrapy stats" dict, from the log."""
    match = re.search(r"Dumping Scrapy stats:\n(\{.*?\})\n(?=\d{4}-\d\d-\d\d |\Z)", log, re.S)
    if not match:
        return {}
    text = re.sub(r"datetime\.datetime\([^)]*\)", "None", match.group(1))
    return ast.literal_eval(text)
