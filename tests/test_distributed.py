"""A crawl shared through a real Redis (issue 12): a coordinator and workers deliver what a
single process delivers, survive a worker killed with SIGKILL and a coordinator restarted,
and a second coordinator refuses to start. Redis is started here on a free loopback port."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from qa_scraper.delivery import archive as warc
from qa_scraper.errors import ExitCode
from qa_scraper.testing.demo import CRAWL_ARGS
from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE, load_expected
from tests.crawl_helpers import PROJECT, parse_stats
from tests.test_archive import assert_warcio_reads

pytestmark = pytest.mark.slow  # every test here starts a process

LIVE = {item["article_id"] for item in load_expected()}
FAST = ["-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "-s", "RETRY_TIMES=2"]
PACED = ["-s", "DOWNLOAD_DELAY=0.3"]  # 25 articles: 7.5 s for one worker alone
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def start_redis(port: int | None = None) -> tuple[subprocess.Popen, int]:
    """A Redis of the test's own on a free loopback port (or ``port``: a restart), empty,
    answering pings."""
    if not Path(REDIS_SERVER).exists():
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: scripts/system-deps.sh installs it (Debian)")
        pytest.skip("redis-server is not installed (scripts/system-deps.sh installs it as root)")
    if port is None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    command = [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    process = subprocess.Popen([*command, "--appendonly", "no"], stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return process, port
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)


@pytest.fixture(scope="module")
def redis_port() -> Iterator[int]:
    process, port = start_redis()
    yield port
    process.terminate()
    process.wait(timeout=10)


_databases = iter(range(1, 16))


@pytest.fixture()
def redis_url(redis_port: int) -> str:
    """A database of its own for each test (keys, lease and queue never meet)."""
    return f"redis://127.0.0.1:{redis_port}/{next(_databases)}"


def start(role: str, base_url: str, redis_url: str, log: Path, *extra: str) -> subprocess.Popen:
    command = [
        sys.executable,
        *CRAWL_ARGS,
        "-a",
        f"base_url={base_url}",
        "-a",
        f"role={role}",
        "-s",
        f"QA_REDIS_URL={redis_url}",
        *FAST,
        *extra,
    ]
    if role == "worker" and not any("QA_OUTPUT_DIR=" in value for value in extra):
        # a worker's archive goes to the run folder (its QA_OUTPUT_DIR), kept out of the project
        command += ["-s", f"QA_OUTPUT_DIR={log.parent / 'output'}"]
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    return subprocess.Popen(
        command, cwd=PROJECT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )


def delivered(output: Path) -> list[str]:
    return [
        json.loads(line)["article_id"]
        for path in sorted((output / "doctorqna").glob("*Z.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


def wait_all(processes: list[subprocess.Popen], timeout: float = 120) -> list[int]:
    deadline = time.monotonic() + timeout
    codes = []
    for process in processes:
        try:
            codes.append(process.wait(timeout=max(1, deadline - time.monotonic())))
        finally:
            if process.poll() is None:
                process.kill()
    return codes


def article_fetches(server: DevServer) -> Counter:
    return Counter(
        seen.path
        for seen in server.site.requests
        if seen.path.startswith("/en/article/") and seen.status == 200
    )


def test_a_coordinator_and_three_workers_deliver_what_one_process_delivers(
    tmp_path: Path, redis_url: str
) -> None:
    output = tmp_path / "output"
    with DevServer(SITE) as server:
        # (a pause between a worker's requests: without one, the first worker to be ready
        # can fetch all 25 articles before the others have started, on a loaded machine)
        workers = [
            start("worker", server.base_url, redis_url, tmp_path / f"w{i}.log", *PACED)
            for i in range(3)
        ]
        coordinator = start(
            "coordinator",
            server.base_url,
            redis_url,
            tmp_path / "c.log",
            "-s",
            f"QA_OUTPUT_DIR={output}",
        )
        codes = wait_all([coordinator, *workers])
        fetches = article_fetches(server)
    log = (tmp_path / "c.log").read_text()
    assert codes == [0, 0, 0, 0], log[-3000:]
    ids = delivered(output)
    assert sorted(ids) == sorted(LIVE)  # each once
    assert max(fetches.values()) == 1  # no article fetched twice (the flaky one: once 200)
    worked = [
        parse_stats((tmp_path / f"w{i}.log").read_text()).get("qa/usable_responses", 0)
        for i in range(3)
    ]
    assert sum(worked) >= 25 and sum(1 for n in worked if n) >= 2  # the work was shared
    manifest = json.loads(next((output / "doctorqna").glob("*.manifest.json")).read_text())
    assert manifest["counts"]["new"] == 25
    assert manifest["stats"]["qa/article_not_found"] == 1  # counted by a worker, merged
    # each worker archived what it fetched in its own file, listed by the run's manifest
    folder = output / "doctorqna"
    archives = manifest["files"]["archives"]
    assert len(archives) == sum(1 for n in worked if n)
    assert sorted(entry["name"] for entry in archives) == sorted(
        path.name for path in folder.glob("*.warc.gz")
    )
    archived = set()
    for entry in archives:
        assert ".worker-" in entry["name"]
        records = warc.scan(folder / entry["name"]).records
        assert len(records) == entry["records"]
        assert len(assert_warcio_reads(folder / entry["name"])) == entry["records"]
        assert records[0].warcinfo()["run-id"] == manifest["run_id"]
        archived |= {r.target_uri.rsplit("/", 1)[1] for r in records if r.type == "response"}
    assert archived >= LIVE
    assert list(folder.glob("*.part")) == []


def test_a_worker_killed_mid_run_loses_nothing(tmp_path: Path, redis_url: str) -> None:
    output = tmp_path / "output"
    slow = ["-s", "QA_REDIS_RATE=15"]  # one budget for all: about 2 s for the site
    with DevServer(SITE) as server:
        victim = start("worker", server.base_url, redis_url, tmp_path / "victim.log", *slow)
        coordinator = start(
            "coordinator",
            server.base_url,
            redis_url,
            tmp_path / "c.log",
            "-s",
            f"QA_OUTPUT_DIR={output}",
            *slow,
        )
        deadline = time.monotonic() + 60
        while len(article_fetches(server)) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        survivor = start("worker", server.base_url, redis_url, tmp_path / "survivor.log", *slow)
        codes = wait_all([coordinator, survivor])
    assert codes == [0, 0], (tmp_path / "c.log").read_text()[-3000:]
    ids = delivered(output)
    assert sorted(ids) == sorted(LIVE) and len(ids) == len(set(ids))
    # the killed worker's archive (its last record possibly torn, cut off by the coordinator)
    # and the survivor's: both in the manifest, both read whole by warcio
    folder = output / "doctorqna"
    manifest = json.loads(next(folder.glob("*.manifest.json")).read_text())
    archives = manifest["files"]["archives"]
    assert 1 <= len(archives) <= 2  # the victim's unless it was killed before its first record
    for entry in archives:
        assert len(assert_warcio_reads(folder / entry["name"])) == entry["records"]
    for path in folder.glob("*Z.jsonl"):  # every item points at a readable page record
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            record = warc.read_record(folder / item["warc"]["file"], item["warc"]["offset"])
            assert record.record_id == item["warc"]["record_id"]
            assert record.target_uri == item["url"]


def test_a_restarted_coordinator_resumes_its_run(tmp_path: Path, redis_url: str) -> None:
    output = tmp_path / "output"
    slow = ["-s", "QA_REDIS_RATE=10", "-s", f"QA_OUTPUT_DIR={output}"]
    client = redis.Redis.from_url(redis_url)
    with DevServer(SITE) as server:
        worker = start("worker", server.base_url, redis_url, tmp_path / "w.log", *slow)
        first = start("coordinator", server.base_url, redis_url, tmp_path / "c1.log", *slow)
        deadline = time.monotonic() + 60
        part = None
        while time.monotonic() < deadline and first.poll() is None:
            parts = list((output / "doctorqna").glob("*Z.jsonl.part"))
            if parts and parts[0].read_bytes().count(b"\n") >= 5:
                part = parts[0]
                break
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert part is not None
        while client.get("qa:doctorqna:current") and time.monotonic() < deadline:
            time.sleep(0.1)  # the killed coordinator's lease expires
        second = start("coordinator", server.base_url, redis_url, tmp_path / "c2.log", *slow)
        codes = wait_all([second, worker])
    assert codes == [0, 0], (tmp_path / "c2.log").read_text()[-3000:]
    [final] = (output / "doctorqna").glob("*Z.jsonl")
    assert final.name == part.name.removesuffix(".part")  # the same run, completed
    ids = delivered(output)
    assert sorted(ids) == sorted(LIVE) and len(ids) == len(set(ids))


def test_a_second_coordinator_refuses(tmp_path: Path, redis_url: str) -> None:
    with DevServer(SITE) as server:
        worker = start(
            "worker", server.base_url, redis_url, tmp_path / "w.log", "-s", "QA_REDIS_RATE=3"
        )
        first = start(
            "coordinator",
            server.base_url,
            redis_url,
            tmp_path / "c1.log",
            "-s",
            f"QA_OUTPUT_DIR={tmp_path / 'one'}",
            "-s",
            "QA_REDIS_RATE=3",
        )
        time.sleep(3)  # the first run takes about 9 s at 3 requests a second: still on
        second = start(
            "coordinator",
            server.base_url,
            redis_url,
            tmp_path / "c2.log",
            "-s",
            f"QA_OUTPUT_DIR={tmp_path / 'two'}",
        )
        code = wait_all([second])[0]
        wait_all([first, worker])
    log = (tmp_path / "c2.log").read_text()
    assert code == ExitCode.LOCKED, log[-2000:]
    assert "another doctorqna coordinator holds the Redis lease" in log
    assert not (tmp_path / "two" / "doctorqna").exists() or not list(
        (tmp_path / "two" / "doctorqna").glob("*.jsonl*")
    )


def test_a_worker_for_another_site_does_not_join(tmp_path: Path, redis_url: str) -> None:
    output = tmp_path / "output"
    with DevServer(SITE) as server, DevServer(SITE) as other:
        stranger = start("worker", other.base_url, redis_url, tmp_path / "stranger.log")
        worker = start("worker", server.base_url, redis_url, tmp_path / "w.log")
        coordinator = start(
            "coordinator",
            server.base_url,
            redis_url,
            tmp_path / "c.log",
            "-s",
            f"QA_OUTPUT_DIR={output}",
        )
        codes = wait_all([coordinator, worker, stranger])
        assert other.site.requests == []  # never fetched anything for this run
    assert codes == [0, 0, ExitCode.USAGE]
    assert "Not joining run" in (tmp_path / "stranger.log").read_text()
    assert sorted(delivered(output)) == sorted(LIVE)


def test_a_worker_stops_when_redis_is_gone(tmp_path: Path) -> None:
    """Redis lost for good: a worker stops by itself (exit 6), it does not wait forever."""
    own, port = start_redis()
    try:
        worker = start(
            "worker", "http://127.0.0.1:9/", f"redis://127.0.0.1:{port}/0", tmp_path / "w.log"
        )
        # started and waiting for a run once its heartbeat is in Redis (a fixed sleep was
        # too short under load: the worker then failed to start, exit 4, instead of stopping)
        client = redis.Redis(port=port)
        deadline = time.monotonic() + 60
        while not client.keys("qa:*:heartbeat:*") and time.monotonic() < deadline:
            assert worker.poll() is None, (tmp_path / "w.log").read_text()[-2000:]
            time.sleep(0.1)
        own.kill()
        code = wait_all([worker], timeout=60)[0]
    finally:
        if own.poll() is None:
            own.kill()
    assert code == ExitCode.INTERRUPTED
    assert "Redis unreachable" in (tmp_path / "w.log").read_text()


def test_a_redis_restarted_empty_mid_run_is_noticed_and_the_run_completes(
    tmp_path: Path,
) -> None:
    """Issue 16, defect 2: Redis killed mid-run and restarted empty 3 s later (queue, seeded
    and completed sets gone). The coordinator notices (its run marker is gone), hands out
    again every article it has no outcome for, and delivers all of them, each once; the old
    coordinator declared the run complete with the few it had."""
    output = tmp_path / "output"
    slow = ["-s", "QA_REDIS_RATE=6"]  # about 5 s for the site: Redis dies in the middle
    own, port = start_redis()
    url = f"redis://127.0.0.1:{port}/0"
    try:
        with DevServer(SITE) as server:
            workers = [
                start("worker", server.base_url, url, tmp_path / f"w{i}.log", *slow)
                for i in range(2)
            ]
            coordinator = start(
                "coordinator",
                server.base_url,
                url,
                tmp_path / "c.log",
                "-s",
                f"QA_OUTPUT_DIR={output}",
                *slow,
            )
            deadline = time.monotonic() + 60
            while len(article_fetches(server)) < 6 and time.monotonic() < deadline:
                time.sleep(0.02)
            own.kill()
            own.wait(timeout=10)
            time.sleep(3)
            own, _ = start_redis(port)  # the same address, empty
            codes = wait_all([coordinator, *workers])
    finally:
        own.kill()
        own.wait(timeout=10)
    log = (tmp_path / "c.log").read_text()
    assert codes[0] == 0, log[-3000:]
    ids = delivered(output)
    assert sorted(ids) == sorted(LIVE)  # every article, each once
    assert "Redis lost the keys of run" in log
    [manifest] = (output / "doctorqna").glob("*.manifest.json")
    assert json.loads(manifest.read_text())["counts"]["new"] == len(LIVE)


def test_a_coordinator_killed_with_outcomes_not_yet_written_loses_none(
    tmp_path: Path, redis_url: str
) -> None:
    """Group commit (QA_SYNC_SECONDS): the coordinator takes the workers' results off Redis
    and marks them ``completed`` there; killed before their lines were written, the
    restarted coordinator must still get those articles, not count them as done."""
    output = tmp_path / "output"
    slow = ["-s", "QA_REDIS_RATE=10", "-s", f"QA_OUTPUT_DIR={output}"]
    client = redis.Redis.from_url(redis_url)
    with DevServer(SITE) as server:
        worker = start("worker", server.base_url, redis_url, tmp_path / "w.log", *slow)
        first = start(
            "coordinator",
            server.base_url,
            redis_url,
            tmp_path / "c1.log",
            *slow,
            "-s",
            "QA_SYNC_SECONDS=3600",  # nothing written before the close
        )
        deadline = time.monotonic() + 60
        completed = 0
        while time.monotonic() < deadline and first.poll() is None and completed < 5:
            run_id = client.get("qa:doctorqna:current")
            if run_id:
                completed = client.scard(f"qa:doctorqna:{run_id.decode()}:completed")
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert completed >= 5
        while client.get("qa:doctorqna:current") and time.monotonic() < deadline:
            time.sleep(0.1)  # the killed coordinator's lease expires
        second = start("coordinator", server.base_url, redis_url, tmp_path / "c2.log", *slow)
        codes = wait_all([second, worker])
    assert codes == [0, 0], (tmp_path / "c2.log").read_text()[-3000:]
    ids = delivered(output)
    assert sorted(ids) == sorted(LIVE) and len(ids) == len(set(ids))
