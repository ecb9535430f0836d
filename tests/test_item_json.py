"""orjson writes content_hash's text and the items' lines exactly as the json module did
(qa_scraper/items.py, issue 21): the hash of the same content must not move."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_scraper.items import NOT_CONTENT, canonical_json, item_line
from qa_scraper.pages.article import ArticlePage
from tests.conftest import load_expected, saved_page


@dataclasses.dataclass
class Dated:
    n: int


def json_canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def json_line(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# Any text but lone surrogates (no str from a page holds one: see the fallback test), every
# control character, quote, backslash, U+2028/U+2029 and astral characters included.
texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
keys = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | texts,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=1000, deadline=None)
@given(values)
def test_what_an_item_can_hold_is_written_byte_for_byte_as_the_json_module_writes_it(
    value: Any,
) -> None:
    assert canonical_json(value) == json_canonical(value)
    assert item_line(value) == json_line(value)


def test_the_saved_pages_items_and_the_recorded_truth_are_written_the_same() -> None:
    expected = load_expected()
    items = [
        ArticlePage(e["url"], saved_page(f"/en/article/{e['article_id']}")).to_item()
        for e in expected
    ]
    for value in [*items, *expected]:
        assert canonical_json(value) == json_canonical(value)
        assert item_line(value) == json_line(value)


def test_content_hash_is_the_sha256_of_the_json_module_s_text() -> None:
    item = ArticlePage(*_first_saved_page()).to_item()
    fields = {k: v for k, v in item.items() if k not in NOT_CONTENT}
    fields["url"] = "/en/article/" + item["article_id"]
    fields["similar_questions"] = [
        {**entry, "url": entry["url"] and "/" + entry["url"].split("/", 3)[3]}
        for entry in item["similar_questions"]
    ]
    fields["related_faqs"] = [
        {**entry, "url": entry["url"] and "/" + entry["url"].split("/", 3)[3]}
        for entry in item["related_faqs"]
    ]
    assert item["content_hash"] == hashlib.sha256(json_canonical(fields)).hexdigest()


def _first_saved_page() -> tuple[str, str]:
    expected = load_expected()[0]
    return expected["url"], saved_page(f"/en/article/{expected['article_id']}")


def test_what_orjson_refuses_is_written_by_the_json_module() -> None:
    for value in (
        {"text": "lone \udc80 surrogate"},
        {"big": 2**70},
        {"key": {1: "int key"}},
        [{"b": 1, "a": 2**64}],
    ):
        assert item_line(value) == json_line(value)
        if "surrogate" not in str(value):
            assert canonical_json(value) == json_canonical(value)
    # what neither writes: the same error as before (TypeError), orjson's dates included
    for value in (
        {"when": dt.date(2020, 1, 2)},
        {"when": dt.datetime(2020, 1, 2, 3, 4)},
        [Dated(1)],
        {"set": {1}},
    ):
        with pytest.raises(TypeError):
            json_line(value)
        with pytest.raises(TypeError):
            item_line(value)
        with pytest.raises(TypeError):
            canonical_json(value)
    # (json's own text for a lone surrogate, not encodable in UTF-8: content_hash raises)
    try:
        canonical_json({"text": "\udc80"})
    except UnicodeEncodeError:
        pass
    else:
        raise AssertionError("a lone surrogate has no UTF-8 text")
