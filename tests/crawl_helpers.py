"""Run the real spider in a subprocess against a dev server on 127.0.0.1."""

from __future__ import annotations

import ast
import json
import os
import re
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa_scraper.testing.demo import CRAWL_ARGS, LOCAL_SPEED

PROJECT = Path(__file__).resolve().parent.parent
FAST_LOCAL = [*LOCAL_SPEED, "-s", "RETRY_TIMES=2"]  # the demo's local speed, fewer retries


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def isolated_python(venv: Path) -> tuple[Path, Path]:
    """A venv's Python, and its site-packages, that sees this venv's packages but not the
    checkout: its editable install is a .pth finder, which a plain path entry does not load.
    What it imports of qa_scraper must come from a wheel or egg the test installs."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site_packages = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site_packages / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python, site_packages


@dataclass
class CrawlResult:
    returncode: int
    log: str
    feed_items: list[dict[str, Any]]
    stats: dict[str, Any]
    output_dir: Path

    def run_files(self, pattern: str) -> list[Path]:
        return sorted((self.output_dir / "doctorqna").glob(pattern))

    def manifest(self) -> dict[str, Any]:
        """This crawl's run manifest."""
        [path] = self.run_files(f"{self.stats['qa/run_id']}.manifest.json")
        return json.loads(path.read_text(encoding="utf-8"))


def crawl_command(base_url: str, output_dir: Path, feed: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        *CRAWL_ARGS,
        "-a",
        f"base_url={base_url}",
        "-O",
        str(feed),
        "-s",
        f"QA_OUTPUT_DIR={output_dir}",
        *FAST_LOCAL,
        *extra,
    ]


def start_crawl(command: list[str], log_path: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    log = log_path.open("w", encoding="utf-8")
    return subprocess.Popen(command, cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)


def run_crawl(
    base_url: str,
    tmp_path: Path,
    *extra: str,
    timeout: float = 240,
    name: str = "feed",
    output_dir: Path | None = None,
) -> CrawlResult:
    """One complete crawl; the run files go to ``output_dir`` (default tmp_path/output)."""
    feed = tmp_path / f"{name}.jsonl"
    output_dir = output_dir or tmp_path / "output"
    log_path = tmp_path / f"{name}.log"
    process = start_crawl(crawl_command(base_url, output_dir, feed, *extra), log_path)
    try:
        returncode = process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
    return collect(returncode, log_path, feed, output_dir)


def collect(returncode: int, log_path: Path, feed: Path, output_dir: Path) -> CrawlResult:
    log = log_path.read_text(encoding="utf-8")
    items = (
        [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines()]
        if feed.exists()
        else []
    )
    return CrawlResult(returncode, log, items, parse_stats(log), output_dir)


def parse_stats(log: str) -> dict[str, Any]:
    """Scrapy's closing "Dumping Scrapy stats" dict, from the log."""
    match = re.search(r"Dumping Scrapy stats:\n(\{.*?\})\n(?=\d{4}-\d\d-\d\d |\Z)", log, re.S)
    if not match:
        return {}
    text = re.sub(r"datetime\.datetime\([^)]*\)", "None", match.group(1))
    return ast.literal_eval(text)


# One request at a time, 40 ms apart, outcomes written at most 0.2 s apart
# (QA_SYNC_SECONDS): a test can kill the crawl after N lines.
SLOW_CRAWL = [
    "-s",
    "CONCURRENT_REQUESTS=1",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=1",
    "-s",
    "DOWNLOAD_DELAY=0.04",
    "-s",
    "RANDOMIZE_DOWNLOAD_DELAY=0",
    "-s",
    "QA_SYNC_SECONDS=0.2",
]


def kill_after_lines(command: list[str], log: Path, part_glob: Path, lines: int) -> int:
    """Start ``command`` and kill -9 it once the file matching ``part_glob`` holds ``lines``
    lines; its exit code (``-SIGKILL`` when killed)."""
    process = start_crawl(command, log)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            parts = list(part_glob.parent.glob(part_glob.name))
            if parts and parts[0].read_bytes().count(b"\n") >= lines:
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.02)
        return process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
