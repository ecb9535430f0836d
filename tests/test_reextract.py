"""``python -m qa_scraper reextract``: the archived pages extracted again with today's code,
without the site — a delivered run of its own, resumable, refusing what it cannot use."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from qa_scraper.delivery import archive as warc
from qa_scraper.delivery.crash import CRASH_ENV
from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE, load_expected
from tests.crawl_helpers import PROJECT, run_crawl

LIVE = {item["article_id"] for item in load_expected()}
RUN_FIELDS = ("scraped_at", "run_id")


def reextract(output: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qa_scraper", "reextract", "--output-dir", str(output), *args],
        cwd=PROJECT,
        env={**os.environ, "PYTHONPATH": str(PROJECT), **(env or {})},
        capture_output=True,
        text=True,
        timeout=240,
    )


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def manifest_of(output: Path, run_id: str) -> dict:
    return json.loads((output / "doctorqna" / f"{run_id}.manifest.json").read_text())


def new_runs(output: Path, before: set[str]) -> list[str]:
    names = {
        p.name.removesuffix(".manifest.json")
        for p in (output / "doctorqna").glob("*.manifest.json")
    }
    return sorted(names - before)


def runs_of(output: Path) -> set[str]:
    return {
        p.name.removesuffix(".manifest.json")
        for p in (output / "doctorqna").glob("*.manifest.json")
    }


def without(item: dict, *fields: str) -> dict:
    return {key: value for key, value in item.items() if key not in fields}


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory):
    """A crawl of the saved site with the archive on; the server is stopped afterwards."""
    tmp = tmp_path_factory.mktemp("reextract")
    with DevServer(SITE) as server:
        result = run_crawl(server.base_url, tmp, "-a", "mode=incremental")
    assert result.returncode == 0, result.log[-2000:]
    return result


@pytest.fixture()
def output(archived, tmp_path: Path) -> Path:
    """A copy of the archived crawl's output folder (state included) for one test."""
    copy = tmp_path / "output"
    shutil.copytree(archived.output_dir, copy)
    return copy


@pytest.mark.slow
def test_full_reextraction_gives_the_crawls_items_without_the_site(archived, output) -> None:
    crawl_id = archived.stats["qa/run_id"]
    crawled = lines(output / "doctorqna" / f"{crawl_id}.jsonl")
    done = reextract(output, "--mode", "full", "--jobs", "2")  # the server is stopped
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    [run_id] = new_runs(output, {crawl_id})
    items = lines(output / "doctorqna" / f"{run_id}.jsonl")
    assert {item["article_id"] for item in items} == LIVE
    again = {item["article_id"]: without(item, *RUN_FIELDS) for item in items}
    assert again == {item["article_id"]: without(item, *RUN_FIELDS) for item in crawled}
    # provenance: the crawl's own records, as the crawl's items named them
    assert all(item["warc"]["file"] == f"{crawl_id}.warc.gz" for item in items)
    manifest = manifest_of(output, run_id)
    assert manifest["kind"] == "reextract" and manifest["runs_read"] == [crawl_id]
    assert manifest["mode"] == "full" and manifest["files"]["items"]["lines"] == 25
    assert "archives" not in manifest["files"]  # it fetched nothing, so it archived nothing
    assert manifest["counts"]["unchanged"] == 25 and manifest["counts"]["written"] == 25
    assert manifest["monitors"]["passed"] is True
    assert manifest["coverage"] == archived.manifest()["coverage"]
    assert (output / "doctorqna" / f"{run_id}.report.html").exists()
    assert list((output / "doctorqna").glob("*.part")) == []


@pytest.mark.slow
def test_incremental_reextraction_delivers_nothing_when_nothing_changed(archived, output) -> None:
    crawl_id = archived.stats["qa/run_id"]
    done = reextract(output, "--jobs", "1")
    assert done.returncode == 0, done.stderr[-3000:]
    [run_id] = new_runs(output, {crawl_id})
    assert (output / "doctorqna" / f"{run_id}.jsonl").read_bytes() == b""
    manifest = manifest_of(output, run_id)
    assert manifest["mode"] == "incremental" and manifest["counts"]["unchanged"] == 25
    assert manifest["stats"]["qa/unchanged/content_same"] == 25


@pytest.mark.slow
def test_one_or_two_processes_give_the_same_run(archived, output, tmp_path) -> None:
    other = tmp_path / "other"
    shutil.copytree(output, other)
    assert reextract(output, "--mode", "full", "--jobs", "1").returncode == 0
    assert reextract(other, "--mode", "full", "--jobs", "2").returncode == 0
    crawl_id = archived.stats["qa/run_id"]
    [one] = new_runs(output, {crawl_id})
    [two] = new_runs(other, {crawl_id})
    assert [without(item, "run_id") for item in lines(output / "doctorqna" / f"{one}.jsonl")] == [
        without(item, "run_id") for item in lines(other / "doctorqna" / f"{two}.jsonl")
    ]


@pytest.mark.slow
@pytest.mark.parametrize("step", ["flushed", "manifest_staged"])
def test_an_interrupted_reextraction_delivers_nothing_and_is_resumed(
    archived, output, step
) -> None:
    crawl_id = archived.stats["qa/run_id"]
    killed = reextract(output, "--mode", "full", env={CRASH_ENV: step})
    assert killed.returncode == -signal.SIGKILL
    assert new_runs(output, {crawl_id}) == []  # nothing delivered
    [part] = (output / "doctorqna").glob("*Z.jsonl.part")
    done = reextract(output, "--mode", "full")
    assert done.returncode == 0, done.stderr[-3000:]
    [run_id] = new_runs(output, {crawl_id})
    assert part.name == f"{run_id}.jsonl.part"  # the same run, resumed
    assert manifest_of(output, run_id)["resumed"] is True
    ids = [item["article_id"] for item in lines(output / "doctorqna" / f"{run_id}.jsonl")]
    assert sorted(ids) == sorted(LIVE)  # each once
    assert list((output / "doctorqna").glob("*.part")) == []


@pytest.mark.slow
def test_a_missing_archive_folder_is_refused_in_one_line(tmp_path: Path) -> None:
    done = reextract(tmp_path / "nowhere")
    assert done.returncode == 4
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    assert done.stderr.startswith("qa_scraper: refused: no archive folder")


@pytest.mark.slow
def test_a_warc_of_another_site_is_refused(archived, output) -> None:
    crawl_id = archived.stats["qa/run_id"]
    path = output / "doctorqna" / f"{crawl_id}.warc.gz"
    records = warc.scan(path).records
    other = warc.WarcArchive(
        path.with_name("x.warc.gz"), path.name, {"base-url": "https://elsewhere.example/"}
    )
    other.close()
    foreign = path.with_name("x.warc.gz").read_bytes()
    path.write_bytes(foreign + path.read_bytes()[records[1].offset :])  # its warcinfo swapped
    done = reextract(output)
    assert done.returncode == 4
    assert "Traceback" not in done.stderr
    assert f"qa_scraper: refused: {path.name} is not an archive of" in done.stderr
    assert "elsewhere.example" in done.stderr
    assert new_runs(output, {crawl_id}) == []


@pytest.mark.slow
def test_damaged_records_are_skipped_counted_and_named(archived, output) -> None:
    crawl_id = archived.stats["qa/run_id"]
    path = output / "doctorqna" / f"{crawl_id}.warc.gz"
    data = bytearray(path.read_bytes())
    responses = [r for r in warc.scan(path).records if r.type == "response"]
    flipped, cut = responses[3], responses[7]
    data[flipped.offset + flipped.length // 2] ^= 0xFF  # a bit flip inside one member
    # a record cut short: its member made again from the first half of its bytes
    import zlib

    member = bytes(data[cut.offset : cut.offset + cut.length])
    plain = zlib.decompress(member, zlib.MAX_WBITS + 16)
    short = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    short_member = short.compress(plain[: len(plain) // 2]) + short.flush()
    data[cut.offset : cut.offset + cut.length] = short_member
    data += member[: len(member) // 3]  # and a member torn at the end of the file
    path.write_bytes(bytes(data))

    done = reextract(output, "--mode", "full")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert f"{path.name} at offset {flipped.offset}" in done.stderr
    assert f"{path.name} at offset {cut.offset}: record cut short" in done.stderr
    assert "truncated gzip member" in done.stderr
    [run_id] = new_runs(output, {crawl_id})
    manifest = manifest_of(output, run_id)
    assert manifest["stats"]["qa/reextract/damaged_records"] == 3
    ids = {item["article_id"] for item in lines(output / "doctorqna" / f"{run_id}.jsonl")}
    lost = {flipped.target_uri.rsplit("/", 1)[1], cut.target_uri.rsplit("/", 1)[1]}
    assert ids == LIVE - lost  # everything else carried on


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["truncated", "not gzip", "missing"])
def test_archives_with_nothing_readable_are_refused_with_exit_4(archived, output, damage) -> None:
    """Every article answer unreadable: "nothing to read" (exit 4, one line naming the counts),
    not a crawl's exit 5 "robots.txt, sitemaps, home page and articles all failed"."""
    crawl_id = archived.stats["qa/run_id"]
    path = output / "doctorqna" / f"{crawl_id}.warc.gz"
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "not gzip":
        path.write_bytes(gzip.decompress(path.read_bytes()))
    else:
        path.unlink()
    done = reextract(output, "--mode", "full")
    assert done.returncode == 4, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    [refusal] = [line for line in done.stderr.splitlines() if "qa_scraper:" in line]
    assert refusal.startswith("qa_scraper: refused: nothing to re-extract: the archives of 1 run")
    assert "robots.txt" not in done.stderr
    assert new_runs(output, {crawl_id}) == []
    assert list((output / "doctorqna").glob("*.part")) == []


@pytest.mark.slow
def test_reextraction_never_opens_a_connection() -> None:
    code = (
        "import urllib.request\n"
        "from qa_scraper.tools.reextract import forbid_network, NetworkForbidden\n"
        "forbid_network()\n"
        "try:\n"
        "    urllib.request.urlopen('http://127.0.0.1:9/', timeout=5)\n"
        "except Exception as error:\n"
        "    assert isinstance(error, NetworkForbidden) or isinstance(\n"
        "        getattr(error, 'reason', None), NetworkForbidden), repr(error)\n"
        "    print('refused')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True)
    assert done.stdout.strip() == "refused", done.stderr
    assert urllib.request  # the test process itself keeps its network


# --- drift recovery: a broken extractor, rejects, a fixture from a reject, the fix applied ---
# The test hook: the crawl runs with the question's date extraction broken (as if the site's
# markup had drifted), so every article is rejected at the extraction stage.
BROKEN_CRAWL = (
    "import sys\n"
    "from qa_scraper.pages import question\n"
    "question.Question.asked_on = property(lambda self: None)\n"
    "from scrapy.cmdline import execute\n"
    "execute(['scrapy', *sys.argv[1:]])\n"
)


def fixture_save(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qa_scraper", "fixture", "save", *args],
        cwd=PROJECT,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_drift_recovery_rejects_become_a_fixture_and_are_delivered_offline(tmp_path) -> None:
    from tests.crawl_helpers import collect, crawl_command, start_crawl

    output = tmp_path / "output"
    with DevServer(SITE) as server:
        command = crawl_command(
            server.base_url, output, tmp_path / "feed.jsonl", "-a", "mode=incremental"
        )
        command[1:3] = ["-c", BROKEN_CRAWL]  # python -c HOOK crawl doctorqna ...
        process = start_crawl(command, tmp_path / "broken.log")
        code = process.wait(timeout=240)
        broken = collect(code, tmp_path / "broken.log", tmp_path / "feed.jsonl", output)
        base = server.base_url.rstrip("/")
    assert broken.returncode == 7, broken.log[-2000:]  # delivered; the monitors failed
    folder = output / "doctorqna"
    run_id = broken.stats["qa/run_id"]
    assert (folder / f"{run_id}.jsonl").read_bytes() == b""
    rejects = lines(folder / f"{run_id}.rejects.ndjson")
    assert {r["item"]["article_id"] for r in rejects} == LIVE
    assert all(r["stage"] == "extraction" for r in rejects)
    assert all(r["errors"][0]["path"] == "question/asked_on" for r in rejects)

    # A fixture from a reject, from the archived bytes (the server is stopped).
    number, reject = next(
        (n, r) for n, r in enumerate(rejects, 1) if r["item"]["article_id"] == "174501"
    )
    assert reject["warc"]["file"] == f"{run_id}.warc.gz"
    pages = tmp_path / "pages"
    saved = fixture_save(
        "--reject", f"{folder / f'{run_id}.rejects.ndjson'}:{number}", "--pages", str(pages)
    )
    assert saved.returncode == 0, saved.stderr
    fixture = pages / "article-174501"
    reference = PROJECT / "tests" / "fixtures" / "pages" / "article-174501"
    for name in ("page.html", "expected.json"):  # today's extractor: the fixed one
        assert (fixture / name).read_text(encoding="utf-8") == (reference / name).read_text(
            encoding="utf-8"
        ), name
    assert json.loads((fixture / "meta.json").read_text())["url"] == "{{BASE}}/en/article/174501"

    # The fix (the hook removed), applied to the archive: the rejected articles delivered.
    done = reextract(output)
    assert done.returncode == 0, done.stderr[-3000:]
    [again] = new_runs(output, {run_id})
    items = lines(folder / f"{again}.jsonl")
    assert {item["article_id"] for item in items} == LIVE
    expected = {item["article_id"]: item for item in load_expected(base)}
    for item in items:
        assert item["run_id"] == again
        assert (
            without(item, "scraped_at", "content_hash", "warc", "run_id")
            == expected[item["article_id"]]
        )
    manifest = manifest_of(output, again)
    assert manifest["counts"]["new"] == 25 and manifest["runs_read"] == [run_id]


@pytest.mark.slow
def test_a_fixture_from_the_archive_by_url_needs_no_request(archived, output, tmp_path) -> None:
    pages = tmp_path / "pages"
    url = "http://127.0.0.1:1/en/article/174501"  # any host: the article id is what counts
    saved = fixture_save("--from-archive", url, "--output-dir", str(output), "--pages", str(pages))
    assert saved.returncode == 0, saved.stderr
    reference = PROJECT / "tests" / "fixtures" / "pages" / "article-174501"
    for name in ("page.html", "expected.json"):
        assert (pages / "article-174501" / name).read_bytes() == (reference / name).read_bytes()


@pytest.mark.slow
def test_fixture_save_refuses_what_the_archive_cannot_give(archived, output, tmp_path) -> None:
    pages = str(tmp_path / "pages")
    unknown = fixture_save(
        "--from-archive", "http://x/en/article/1", "--output-dir", str(output), "--pages", pages
    )
    assert unknown.returncode == 1 and "is in no archive" in unknown.stderr
    rejects = tmp_path / "r.rejects.jsonl"
    fetch_reject = {"url": "http://x/en/article/1", "stage": "fetch", "errors": [], "item": None}
    rejects.write_text(json.dumps({**fetch_reject, "warc": None}) + "\n")
    fetch_failed = fixture_save("--reject", f"{rejects}:1", "--pages", pages)
    assert fetch_failed.returncode == 1 and "names no archived page" in fetch_failed.stderr
    beyond = fixture_save("--reject", f"{rejects}:9", "--pages", pages)
    assert beyond.returncode == 1 and "has no line 9" in beyond.stderr
    nowhere = fixture_save(
        "--from-archive",
        "http://x/en/article/1",
        "--output-dir",
        str(tmp_path / "no"),
        "--pages",
        pages,
    )
    assert nowhere.returncode == 1 and "no archive folder" in nowhere.stderr
    for done in (unknown, fetch_failed, beyond, nowhere):
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "pages").exists()


def test_the_fast_field_coverage_count_is_spidermons() -> None:
    from collections import Counter

    from qa_scraper.extensions.coverage import CoverageCounter
    from qa_scraper.pages.article import ArticlePage
    from qa_scraper.tools.reextract_worker import project_coverage, project_settings
    from tests.conftest import saved_page
    from tests.test_coverage import spidermon_keys

    settings = project_settings().copy()  # changed below: not the module's own
    items = []
    for expected in load_expected():
        page = ArticlePage(expected["url"], saved_page(f"/en/article/{expected['article_id']}"))
        for warc_field in (None, {"file": "x.warc.gz", "offset": 0, "record_id": "<urn:uuid:x>"}):
            items.append(dict(page.to_item(), warc=warc_field))
    for item in items:
        fast = Counter(project_coverage().keys(item))
        assert fast == Counter(spidermon_keys(item, settings))
    settings.set("SPIDERMON_LIST_FIELDS_COVERAGE_LEVELS", 2)  # other settings: still Spidermon's
    other = CoverageCounter.from_settings(settings)
    for item in items:
        assert Counter(other.keys(item)) == Counter(spidermon_keys(item, settings))


@pytest.mark.slow
def test_refusals_unknown_run_held_lock_and_a_crawl_waiting_to_resume(archived, output) -> None:
    from qa_scraper.delivery.lifecycle import CrawlRun
    from qa_scraper.delivery.lock import RunLock

    crawl_id = archived.stats["qa/run_id"]
    unknown = reextract(output, "--runs", "20000101T000000000Z")
    assert unknown.returncode == 2 and "--runs: no delivered run" in unknown.stderr
    chosen = reextract(output, "--runs", crawl_id, "--mode", "full")
    assert chosen.returncode == 0, chosen.stderr[-2000:]

    lock = RunLock(output / "doctorqna" / "state.sqlite3")
    lock.acquire()
    try:
        locked = reextract(output)
    finally:
        lock.release()
    assert locked.returncode == 3 and "another doctorqna crawl is using" in locked.stderr

    crawl = CrawlRun(
        spider_name="doctorqna",
        base_url=archived.manifest()["base_url"],
        mode="incremental",
        output_dir=str(output),
    )
    crawl.open()
    crawl.close("shutdown", {})  # a crawl interrupted: resumable
    waiting = reextract(output)
    assert waiting.returncode == 4
    assert f"crawl run {crawl.run_id} was interrupted" in waiting.stderr
    for done in (unknown, locked, waiting):
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


FULL_DISK = (  # the items file's write fails as on a full disk
    "import errno, sys\n"
    "from qa_scraper.delivery.lifecycle import CrawlRun\n"
    "def write_line(self, article_id, line):\n"
    "    with self._writing('the items file'):\n"
    "        raise OSError(errno.ENOSPC, 'No space left on device')\n"
    "CrawlRun.write_line = write_line\n"
    "from qa_scraper.tools.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


@pytest.mark.slow
def test_a_full_disk_fails_the_reextraction_as_a_whole(archived, output) -> None:
    crawl_id = archived.stats["qa/run_id"]
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            FULL_DISK,
            "reextract",
            "--output-dir",
            str(output),
            "--mode",
            "full",
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 8, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert new_runs(output, {crawl_id}) == []  # nothing delivered; resumable
    assert list((output / "doctorqna").glob("*Z.jsonl.part"))


SLOW_EXTRACTION = (  # each batch takes a while: time to press Ctrl-C
    "import sys, time\n"
    "from qa_scraper.tools import reextract_pool\n"
    "extract = reextract_pool.extract\n"
    "def slow(*args):\n"
    "    time.sleep(30)\n"
    "    return extract(*args)\n"
    "reextract_pool.extract = slow\n"
    "from qa_scraper.tools.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


@pytest.mark.slow
def test_ctrl_c_stops_a_reextraction_undelivered_and_the_next_one_resumes_it(
    archived, output
) -> None:
    import time

    crawl_id = archived.stats["qa/run_id"]
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_EXTRACTION, "reextract", "--output-dir", str(output)]
        + ["--mode", "full", "--jobs", "1"],
        cwd=PROJECT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        seen = ""
        while "Re-extracting" not in seen:  # started: the run is open, extraction under way
            seen += process.stderr.readline()
            assert process.poll() is None, seen
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 6
        seen += process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
    assert "Traceback" not in seen and "stays resumable" in seen
    assert new_runs(output, {crawl_id}) == []  # nothing delivered
    [part] = (output / "doctorqna").glob("*Z.jsonl.part")
    done = reextract(output, "--mode", "full")
    assert done.returncode == 0, done.stderr[-2000:]
    [run_id] = new_runs(output, {crawl_id})
    assert part.name == f"{run_id}.jsonl.part"  # the interrupted run, resumed
    assert {item["article_id"] for item in lines(output / "doctorqna" / f"{run_id}.jsonl")} == LIVE


def test_no_more_processes_than_tasks() -> None:
    """--jobs 100000 forked 100,000 processes once there were more than CHUNK articles: the
    count is capped at the number of tasks (default: the CPUs)."""
    from qa_scraper.tools.reextract_pool import CHUNK, processes

    assert processes(100_000, 3 * CHUNK) == 3
    assert processes(100_000, 3 * CHUNK + 1) == 4
    assert processes(2, 10 * CHUNK) == 2
    assert processes(8, CHUNK) == 1  # one task: no pool at all
    assert processes(4, 0) == 1
    assert processes(None, 1000 * CHUNK) == (os.cpu_count() or 1)
