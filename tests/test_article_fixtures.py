"""Every saved article page gives exactly its expected item, with and without class/id."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from qa_scraper.delivery.validation import item_errors
from qa_scraper.items import QAItem, QuestionItem, content_hash, field_names
from qa_scraper.pages.article import ArticlePage
from tests.conftest import (
    assert_items_equal,
    load_expected,
    saved_page,
    stamped,
    strip_class_and_id,
    without_run_fields,
)

EXPECTED = {item["article_id"]: item for item in load_expected()}
FETCHED_AT = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)


def extract(article_id: str, html: str) -> tuple[dict, ArticlePage]:
    page = ArticlePage(EXPECTED[article_id]["url"], html)
    return page.to_item(scraped_at=FETCHED_AT), page


@pytest.mark.parametrize("article_id", sorted(EXPECTED))
def test_saved_page_gives_expected_item(article_id: str) -> None:
    item, page = extract(article_id, saved_page(f"/en/article/{article_id}"))
    assert page.problems == []
    assert_items_equal(without_run_fields(item), EXPECTED[article_id], f"article {article_id}")
    assert item["scraped_at"] == "2026-11-25T09:30:00Z"
    assert item["content_hash"] == content_hash(item)
    assert item_errors(stamped(item)) == []


@pytest.mark.parametrize("article_id", sorted(EXPECTED))
def test_saved_page_without_class_and_id_gives_same_item(article_id: str) -> None:
    html = strip_class_and_id(saved_page(f"/en/article/{article_id}"))
    assert ' class="' not in html and ' id="' not in html
    item, page = extract(article_id, html)
    assert page.problems == []
    assert_items_equal(
        without_run_fields(item), EXPECTED[article_id], f"article {article_id} without class/id"
    )


def test_item_keys_follow_the_contract_order() -> None:
    """The page's fields in the item class's order, then the stamps (run_id comes from the
    run); tests/test_items.py checks that order against the schema."""
    item, _ = extract("174501", saved_page("/en/article/174501"))
    assert list(item) == [name for name in field_names(QAItem) if name != "run_id"]
    assert list(item["question"]) == list(field_names(QuestionItem))


def test_content_hash_is_independent_of_fetch_time_and_key_order() -> None:
    html = saved_page("/en/article/174534")
    first = ArticlePage(EXPECTED["174534"]["url"], html).to_item(scraped_at=FETCHED_AT)
    later = ArticlePage(EXPECTED["174534"]["url"], html).to_item(
        scraped_at=FETCHED_AT + dt.timedelta(days=3)
    )
    assert first["content_hash"] == later["content_hash"]
    reordered = json.loads(json.dumps(dict(reversed(list(first.items())))))
    assert content_hash(reordered) == first["content_hash"]
    changed = dict(first, title=first["title"] + "!")
    assert content_hash(changed) != first["content_hash"]


def test_page_accepts_bytes_and_uses_the_declared_charset() -> None:
    html = saved_page("/en/article/174501")
    item = ArticlePage(EXPECTED["174501"]["url"], html.encode("utf-8")).to_item()
    assert_items_equal(without_run_fields(item), EXPECTED["174501"], "article 174501 from bytes")


def test_canonical_link_wins_over_a_tracking_url() -> None:
    url = EXPECTED["174501"]["url"] + "?utm_source=list&utm_medium=web#top"
    item = ArticlePage(url, saved_page("/en/article/174501")).to_item()
    assert item["url"] == EXPECTED["174501"]["url"]
    assert item["article_id"] == "174501"


def test_legacy_similar_links_are_canonical() -> None:
    item, _ = extract("174501", saved_page("/en/article/174501"))
    urls = [entry["url"] for entry in item["similar_questions"]]
    assert all("article.php" not in url and "?" not in url for url in urls)
