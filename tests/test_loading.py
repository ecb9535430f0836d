"""The downstream contract (issue 19): Parquet snapshots with one fixed Arrow schema (also on an
empty day and when a field is null on every line), snapshot's refusals, and the README's
"Loading the data" snippets run as written on snapshots of real crawls."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from qa_scraper.testing.devserver import DevServer
from qa_scraper.tools.arrow import arrow_schema, items_table
from qa_scraper.tools.cli import main
from tests.conftest import SITE, load_expected
from tests.crawl_helpers import PROJECT, run_crawl

LIVE = {item["article_id"] for item in load_expected()}


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """current.parquet (a first crawl: every article) and day.parquet (the next day's
    incremental run: nothing new, 0 rows), as the README makes them."""
    tmp = tmp_path_factory.mktemp("loading")
    with DevServer(SITE) as server:
        first = run_crawl(server.base_url, tmp, "-a", "mode=incremental", name="first")
        second = run_crawl(
            server.base_url,
            tmp,
            "-a",
            "mode=incremental",
            name="second",
            output_dir=first.output_dir,
        )
    assert first.returncode == second.returncode == 0, second.log[-2000:]
    assert second.manifest()["counts"]["written"] == 0
    output = str(first.output_dir)
    assert main(["snapshot", "--output-dir", output, "--out", str(tmp / "current.parquet")]) == 0
    day = ["--out", str(tmp / "day.parquet"), "--run", second.stats["qa/run_id"]]
    assert main(["snapshot", "--output-dir", output, *day]) == 0
    return tmp


@pytest.mark.slow
def test_parquet_snapshots_have_the_fixed_schema_full_and_empty(snapshots: Path) -> None:
    current = pq.read_table(snapshots / "current.parquet")
    day = pq.read_table(snapshots / "day.parquet")
    assert current.num_rows == len(LIVE) and day.num_rows == 0
    assert current.schema == day.schema == arrow_schema()
    assert set(current.column("article_id").to_pylist()) == LIVE
    question = current.schema.field("question").type
    assert question.field("asked_on").type == pa.date32()
    assert current.schema.field("scraped_at").type == pa.timestamp("us", tz="UTC")
    reply = current.schema.field("replies").type.value_type
    assert reply.field("replied_on").type == pa.date32()
    assert reply.field("clinic").nullable and not reply.field("text").nullable
    manifest = json.loads((snapshots / "current.parquet.manifest.json").read_text())
    assert manifest["file"]["format"] == "parquet" and manifest["counts"]["articles"] == 25


def test_an_all_null_field_keeps_its_type(tmp_path: Path) -> None:
    items = [
        dict(
            item,
            more_info=None,
            scraped_at="2026-11-25T03:17:00Z",
            content_hash="0" * 64,
            run_id="20261125T031700000Z",
        )
        for item in load_expected()
    ]
    for item in items:
        item.setdefault("warc", None)
        item["asker"] = dict(item["asker"], age_min=None)
    pq.write_table(items_table(items), tmp_path / "nulls.parquet")
    table = pq.read_table(tmp_path / "nulls.parquet")
    assert table.schema == arrow_schema()
    assert table.column("more_info").null_count == len(items)
    assert table.column("scraped_at")[0].as_py() == dt.datetime(2026, 11, 25, 3, 17, tzinfo=dt.UTC)


def _readme_snippets() -> list[str]:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Loading the data", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


@pytest.mark.slow
def test_the_readme_snippets_load_both_snapshots(
    snapshots: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    duckdb_code, pandas_code, polars_code, hf_code = _readme_snippets()
    monkeypatch.chdir(snapshots)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(snapshots / "hf-cache"))

    found: dict = {}
    exec(duckdb_code, found)
    assert len(found["current"].fetchall()) == len(LIVE)
    assert dict(zip(found["current"].columns, map(str, found["current"].types), strict=True)) == {
        "article_id": "VARCHAR",
        "asked_on": "DATE",
        "replies": "BIGINT",
    }
    assert found["day"].fetchall() == []
    assert len(found["day"].columns) == len(arrow_schema())

    found = {}
    exec(pandas_code, found)
    current, day = found["current"], found["day"]
    assert len(current) == len(LIVE) and len(day) == 0
    assert str(current["article_id"].dtype) in ("str", "string", "object")
    assert sorted(current["article_id"]) == sorted(LIVE)
    assert str(current["scraped_at"].dtype) == str(day["scraped_at"].dtype) == "datetime64[us, UTC]"
    assert list(current.columns) == list(day.columns)

    found = {}
    exec(polars_code, found)
    import polars as pl

    assert found["current"].height == len(LIVE) and found["day"].height == 0
    assert found["current"].schema["article_id"] == pl.String
    assert found["current"].schema["question"].to_schema()["asked_on"] == pl.Date

    found = {}
    exec(hf_code, found)
    assert found["current"].num_rows == len(LIVE) and found["day"].num_rows == 0
    assert found["current"].features == found["day"].features
    assert found["current"].features["article_id"].dtype == "string"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "x.jsonl.gz"], "--gzip and a .gz suffix go together"),
        (["--out", "x.jsonl", "--gzip"], "--gzip and a .gz suffix go together"),
        (["--out", "x.parquet", "--format", "jsonl"], "is not a jsonl file name"),
        (["--out", "x.csv"], "name it .jsonl, .jsonl.gz or .parquet"),
        (["--run", "../etc"], "is not a run id"),
    ],
)
def test_snapshot_refuses_contradictions_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture, args: list[str], message: str
) -> None:
    folder = tmp_path / "output" / "doctorqna"
    folder.mkdir(parents=True)
    (folder / "20260101T000000000Z.jsonl").write_bytes(b"")
    manifest = {
        "run_id": "20260101T000000000Z",
        "files": {
            "items": {
                "name": "20260101T000000000Z.jsonl",
                "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            }
        },
    }
    (folder / "20260101T000000000Z.manifest.json").write_text(json.dumps(manifest))
    out_args = [a if not a.startswith("x.") else str(tmp_path / a) for a in args]
    assert main(["snapshot", "--output-dir", str(tmp_path / "output"), *out_args]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("snapshot: ") and message in line
    assert not list(tmp_path.glob("x.*"))


def test_snapshot_refuses_a_folder_without_runs(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nonexistent"
    assert main(["snapshot", "--output-dir", str(missing)]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert "no delivered run here" in line
    assert not missing.exists()
