"""The JSON Schema describes the contract precisely: good items pass, each defect is named."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from qa_scraper.delivery.validation import SCHEMA_PATH, item_errors
from qa_scraper.pages.article import ArticlePage
from tests.conftest import load_expected, saved_page, stamped

WARC_ID = "<urn:uuid:7eef0010-d543-4c7c-8743-7811933b7ba6>"


@pytest.fixture(scope="module")
def good_item() -> dict[str, Any]:
    expected = load_expected()[0]
    return stamped(
        ArticlePage(expected["url"], saved_page(f"/en/article/{expected['article_id']}")).to_item()
    )


def test_schema_is_valid_draft_2020_12() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_every_expected_item_with_run_fields_validates() -> None:
    for expected in load_expected():
        item = ArticlePage(
            expected["url"], saved_page(f"/en/article/{expected['article_id']}")
        ).to_item()
        assert item_errors(stamped(item)) == [], expected["article_id"]


def _mutated(item: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    item = copy.deepcopy(item)
    *parents, last = path.split("/")
    target: Any = item
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is KeyError:
        del target[last]
    else:
        target[int(last) if isinstance(target, list) else last] = value
    return item


def test_provenance_is_null_or_a_record_of_the_run_archive(good_item: dict[str, Any]) -> None:
    assert good_item["warc"] is None and item_errors(good_item) == []  # archive off
    for name in ("20261125T093000123Z.warc.gz", "20261125T093000123Z.worker-h-12-ab.warc.gz"):
        record = {"file": name, "offset": 328, "record_id": WARC_ID}
        assert item_errors(dict(good_item, warc=record)) == []


@pytest.mark.parametrize(
    ("path", "value", "error_path"),
    [
        ("question/asked_on", "2020/06/18", "question/asked_on"),
        ("question/asked_on", "2020-02-30", "question/asked_on"),
        ("replies/0/replied_on", None, "replies/0/replied_on"),
        ("article_id", "17a501", "article_id"),
        ("url", "http://127.0.0.1:8123/en/article/174501?utm_source=x", "url"),
        ("title", "Has <b>markup</b>", "title"),
        ("question/text", "Entity &amp; soup", "question/text"),
        ("question/text", "line one\n\nline three", "question/text"),
        ("question/title", " padded ", "question/title"),
        ("asker/name", "Anonymous", "asker/name"),
        ("asker/gender", "f", "asker/gender"),
        ("asker/age_min", "30", "asker/age_min"),
        ("asker/age_max", 20, "asker/age_max"),  # below age_min 30
        ("more_info", "", "more_info"),
        ("similar_questions/0/url", "/en/article/174518", "similar_questions/0/url"),
        ("related_faqs/0/department", None, "related_faqs/0/department"),
        ("scraped_at", "2026-11-25 09:30:00", "scraped_at"),
        ("content_hash", "abc", "content_hash"),
        ("schema_version", "3.0", "schema_version"),
        ("warc", "20261125T093000123Z.warc.gz", "warc"),
        ("warc", {"file": "../x.warc.gz", "offset": 0, "record_id": WARC_ID}, "warc/file"),
        (
            "warc",
            {"file": "20261125T093000123Z.warc.gz", "offset": -1, "record_id": WARC_ID},
            "warc/offset",
        ),
        ("warc", {"file": "20261125T093000123Z.warc.gz", "offset": 0}, "warc"),
        ("question/asked_on", KeyError, "question"),
        ("unexpected_field", 1, "(item)"),
    ],
)
def test_each_defect_is_reported_at_its_path(
    good_item: dict[str, Any], path: str, value: Any, error_path: str
) -> None:
    errors = item_errors(_mutated(good_item, path, value))
    assert errors, f"{path}={value!r} should be invalid"
    assert error_path in {error["path"] for error in errors}
    assert all(error["message"] for error in errors)


def test_item_errors_never_raise_on_garbage() -> None:
    for garbage in (None, [], "text", 1, {"replies": "x"}):
        assert item_errors(garbage)


def _mutations(item: dict) -> list[dict]:
    """The item with one defect at a time, at every level."""
    import copy

    out = []
    for key in item:
        broken = copy.deepcopy(item)
        broken[key] = {"not": "expected"}
        out.append(broken)
    for path, value in (
        (("question", "asked_on"), "2024-13-45"),
        (("question", "text"), "<b>markup</b>"),
        (("asker", "age_min"), -3),
        (("asker", "gender"), "unknown"),
        (("url",), "not a url"),
        (("scraped_at",), "yesterday"),
        (("content_hash",), "xyz"),
        (("warc", "offset"), "0"),
    ):
        broken = copy.deepcopy(item)
        target = broken
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        out.append(broken)
    if item["replies"]:
        broken = copy.deepcopy(item)
        broken["replies"][0]["replied_on"] = None
        broken["replies"][0]["extra"] = 1
        out.append(broken)
    return out


@pytest.mark.slow  # seconds: thousands of generated items through both validators
def test_the_fast_validator_gives_jsonschemas_verdicts() -> None:
    """jsonschema-rs decides, jsonschema explains: they agree on valid and broken items."""
    from qa_scraper.delivery.validation import fast_validator, item_validator

    checked = 0
    for expected in load_expected():
        warc = {"file": "20261125T093000123Z.warc.gz", "offset": 0, "record_id": WARC_ID}
        item = dict(expected, scraped_at="2026-11-25T00:00:00Z", content_hash="0" * 64, warc=warc)
        item = stamped(item)
        for candidate in [item, *_mutations(item)]:
            fast = fast_validator().is_valid(candidate)
            slow = not list(item_validator().iter_errors(candidate))
            assert fast == slow, candidate
            checked += 1
    assert checked > 25 * 20
