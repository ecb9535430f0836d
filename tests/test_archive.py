"""The run's web archive (WARC): every article answer kept with its request, part of the run's
commit, readable by warcio's own tools, also after a kill -9 and a resume."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from qa_scraper.delivery import archive as warc
from qa_scraper.testing.devserver import DevServer
from tests.conftest import SITE, load_expected
from tests.crawl_helpers import SLOW_CRAWL, crawl_command, kill_after_lines, run_crawl

pytestmark = pytest.mark.slow  # the tests here read crawls run as subprocesses

LIVE = {item["article_id"] for item in load_expected()}


def warcio(*args: str) -> subprocess.CompletedProcess:
    """warcio's own command line (an outside reader of our files)."""
    return subprocess.run(
        [sys.executable, "-m", "warcio.cli", *args], capture_output=True, text=True, timeout=120
    )


def assert_warcio_reads(path: Path) -> list[dict]:
    """``warcio check`` and ``warcio index`` read the whole file without error; the index."""
    checked = warcio("check", "-v", str(path))
    assert checked.returncode == 0, checked.stdout[-2000:] + checked.stderr[-2000:]
    assert "digest pass" in checked.stdout
    assert "fail" not in checked.stdout
    unchecked = [line for line in checked.stdout.splitlines() if "not checked" in line]
    assert all(line.endswith("(revisit)") for line in unchecked)  # warcio skips revisits only
    indexed = warcio("index", "-f", "warc-type,warc-target-uri,offset", str(path))
    assert indexed.returncode == 0, indexed.stderr[-2000:]
    return [json.loads(line) for line in indexed.stdout.splitlines()]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("archive")
    with DevServer(SITE) as server:
        result = run_crawl(server.base_url, tmp)
        requests = len(server.site.requests)
    return result, requests


def test_every_article_answer_is_archived_with_its_request(crawled) -> None:
    result, _ = crawled
    assert result.returncode == 0, result.log[-2000:]
    [path] = result.run_files("*.warc.gz")
    assert path.name == f"{result.stats['qa/run_id']}.warc.gz"
    index = assert_warcio_reads(path)
    assert index[0]["warc-type"] == "warcinfo"
    responses = [entry for entry in index if entry["warc-type"] == "response"]
    requests = [entry for entry in index if entry["warc-type"] == "request"]
    archived = {entry["warc-target-uri"].rsplit("/", 1)[1] for entry in responses}
    assert archived >= LIVE  # every live article (soft-404 pages answer 200 too)
    assert len(requests) == len(responses)
    # each request names its response, and carries what was sent
    records = warc.scan(path).records
    by_id = {record.record_id: record for record in records}
    for record in records:
        if record.type == "request":
            answered = by_id[record.warc_headers["warc-concurrent-to"]]
            assert answered.type == "response" and answered.target_uri == record.target_uri
            assert b"User-Agent: qa_scraper/" in record.http_head
    info = records[0].warcinfo()
    assert info["run-id"] == result.stats["qa/run_id"]
    assert info["base-url"] == result.manifest()["base_url"]


def test_the_archive_is_in_the_manifest_with_its_sha256_and_record_count(crawled) -> None:
    result, _ = crawled
    [entry] = result.manifest()["files"]["archives"]
    [path] = result.run_files("*.warc.gz")
    data = path.read_bytes()
    assert entry["name"] == path.name and entry["bytes"] == len(data)
    assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert (
        entry["records"]
        == len(warc.scan(path).records)
        == result.stats["qa/archive/records"] * 2 + 1
    )
    assert result.run_files("*.part") == []


def test_the_archived_body_is_the_page_the_spider_read(crawled) -> None:
    result, _ = crawled
    [path] = result.run_files("*.warc.gz")
    response = next(
        record
        for record in warc.scan(path).records
        if record.type == "response" and record.target_uri.endswith("/en/article/174501")
    )
    assert response.http_status() == 200
    html = (
        SITE
        / json.loads((SITE / "routes.json").read_text())["routes"]["/en/article/174501"]["file"]
    ).read_text(encoding="utf-8")
    assert response.body.decode("utf-8") == html.replace(
        "{{BASE}}", result.manifest()["base_url"].rstrip("/")
    )
    assert response.http_header("Content-Length") == str(len(response.body))


def test_archive_off_writes_no_warc(tmp_path: Path) -> None:
    with DevServer(SITE) as server:
        result = run_crawl(server.base_url, tmp_path, "-s", "QA_ARCHIVE=0")
    assert result.returncode == 0
    assert result.run_files("*.warc.gz*") == []
    assert "archives" not in result.manifest()["files"]


SLOW = [*SLOW_CRAWL, "-a", "mode=incremental"]


def test_after_kill_9_and_resume_the_archive_is_whole_and_warcio_reads_it(tmp_path: Path) -> None:
    output = tmp_path / "output"
    folder = output / "doctorqna"
    with DevServer(SITE) as server:
        command = crawl_command(server.base_url, output, tmp_path / "killed.jsonl", *SLOW)
        killed = kill_after_lines(command, tmp_path / "killed.log", folder / "*Z.jsonl.part", 8)
        assert killed == -signal.SIGKILL
        [part] = folder.glob("*.warc.gz.part")
        whole = part.read_bytes()
        # A kill in the middle of a record's write: half a gzip member at the end.
        member = whole[warc.scan(part).records[-1].offset :]
        part.write_bytes(whole + member[: len(member) // 2])
        assert warc.scan(part).damage  # torn: what the resume must repair

        resumed = run_crawl(server.base_url, tmp_path, *SLOW, name="resumed", output_dir=output)
    assert resumed.returncode == 0, resumed.log[-2000:]
    assert "archive cut after its last complete record" in resumed.log
    [path] = folder.glob("*.warc.gz")
    assert path.name == part.name.removesuffix(".part")  # the same run's archive, completed
    assert path.read_bytes().startswith(whole)  # nothing complete was lost
    index = assert_warcio_reads(path)
    archived = {
        e["warc-target-uri"].rsplit("/", 1)[1] for e in index if e["warc-type"] == "response"
    }
    assert archived >= LIVE
    [entry] = resumed.manifest()["files"]["archives"]
    assert entry["records"] == len(index)
    assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert list(folder.glob("*.part")) == []


def test_every_item_points_at_the_archived_answer_it_was_read_from(crawled) -> None:
    result, _ = crawled
    [items_path] = result.run_files("*Z.jsonl")
    items = [json.loads(line) for line in items_path.read_text(encoding="utf-8").splitlines()]
    assert {item["article_id"] for item in items} == LIVE
    folder = items_path.parent
    for item in items:
        warc_field = item["warc"]
        assert warc_field["file"] == f"{result.stats['qa/run_id']}.warc.gz"
        record = warc.read_record(folder / warc_field["file"], warc_field["offset"])
        assert record.type == "response"
        assert record.record_id == warc_field["record_id"]
        assert record.target_uri == item["url"]
    feed = {item["article_id"]: item["warc"] for item in result.feed_items}
    assert feed == {item["article_id"]: item["warc"] for item in items}


def test_a_304_is_archived_as_a_revisit_record_and_reextraction_keeps_the_page(
    tmp_path: Path,
) -> None:
    output = tmp_path / "output"
    with DevServer(SITE) as server:
        first = run_crawl(server.base_url, tmp_path, "-a", "mode=incremental", name="first")
        # every known article re-checked conditionally: the server answers 304
        second = run_crawl(
            server.base_url,
            tmp_path,
            "-a",
            "mode=incremental",
            "-s",
            "QA_REVALIDATE_AFTER_DAYS=0",
            name="second",
            output_dir=output,
        )
    assert first.returncode == 0 and second.returncode == 0, second.log[-2000:]
    assert second.stats["qa/unchanged/not_modified"] == 25
    [path] = second.run_files(f"{second.stats['qa/run_id']}.warc.gz")
    index = assert_warcio_reads(path)
    records = warc.scan(path).records
    revisits = [record for record in records if record.type == "revisit"]
    assert len(revisits) == 25 and not [r for r in records if r.type == "response"]
    for record in revisits:
        assert record.warc_headers["warc-profile"] == warc.NOT_MODIFIED_PROFILE
        assert record.http_status() == 304 and record.body == b""
    requests = [record for record in records if record.type == "request"]
    assert all(b"If-None-Match:" in record.http_head for record in requests)
    assert sum(1 for entry in index if entry["warc-type"] == "revisit") == 25
    # the first run's crawl went to tmp_path/output too (the same state): its pages stay the
    # content a re-extraction reads
    done = subprocess.run(
        [sys.executable, "-m", "qa_scraper", "reextract", "--output-dir", str(output)]
        + ["--mode", "full"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Re-extracting 25 articles archived by 2 run(s)" in done.stderr


def test_a_resume_that_cuts_the_archive_drops_the_lines_whose_record_was_cut_off(
    tmp_path: Path,
) -> None:
    """Damage before the end of the archive (not only a torn last member): the resume cuts
    there and appends new records from the cut, so a kept line pointing past it would name
    another record. Those lines are dropped and their articles fetched again."""
    output = tmp_path / "output"
    folder = output / "doctorqna"
    with DevServer(SITE) as server:
        command = crawl_command(server.base_url, output, tmp_path / "killed.jsonl", *SLOW)
        killed = kill_after_lines(command, tmp_path / "killed.log", folder / "*Z.jsonl.part", 8)
        assert killed == -signal.SIGKILL
        [part] = folder.glob("*.warc.gz.part")
        responses = [r for r in warc.scan(part).records if r.type == "response"]
        damaged = responses[2]  # the third article's answer: lines after it point past the cut
        data = bytearray(part.read_bytes())
        data[damaged.offset + damaged.length // 2] ^= 0xFF
        part.write_bytes(bytes(data))

        resumed = run_crawl(server.base_url, tmp_path, *SLOW, name="resumed", output_dir=output)
    assert resumed.returncode == 0, resumed.log[-2000:]
    assert "archive cut after its last complete record" in resumed.log
    [items_path] = folder.glob("*Z.jsonl")
    items = [json.loads(line) for line in items_path.read_text(encoding="utf-8").splitlines()]
    assert sorted(item["article_id"] for item in items) == sorted(LIVE)  # each once
    [path] = folder.glob("*.warc.gz")
    assert_warcio_reads(path)
    for item in items:
        record = warc.read_record(path, item["warc"]["offset"])
        assert (record.type, record.record_id, record.target_uri) == (
            "response",
            item["warc"]["record_id"],
            item["url"],
        )


def test_every_record_is_a_gzip_member_that_zlib_inflates_on_its_own(crawled) -> None:
    """The members are compressed by ISA-L (python-isal): still plain gzip, one member a
    record, each inflated by Python's own zlib from its offset to its end."""
    result, _ = crawled
    [path] = result.run_files("*.warc.gz")
    data = path.read_bytes()
    records = warc.scan(path).records
    assert len(records) > 25
    for record in records:
        member = data[record.offset : record.offset + record.length]
        inflater = zlib.decompressobj(zlib.MAX_WBITS + 16)
        plain = inflater.decompress(member)
        assert inflater.eof and not inflater.unused_data
        assert plain.startswith(b"WARC/1.1\r\n")
