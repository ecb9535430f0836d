"""The page-object layout (qa_scraper.pages.article docstring): each part of an item has one
class, and each of its contract fields is one property of that class, named after the field."""

from __future__ import annotations

import json

import pytest

from qa_scraper.delivery.validation import SCHEMA_PATH
from qa_scraper.pages.article import ArticlePage
from qa_scraper.pages.asker import Asker
from qa_scraper.pages.faq import RelatedFaq
from qa_scraper.pages.question import Question
from qa_scraper.pages.reply import Reply
from qa_scraper.pages.similar import SimilarQuestion

SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
RUN_AND_CONSTANT_FIELDS = {
    "schema_version",
    "source",
    "language",
    "scraped_at",
    "content_hash",
    "warc",
    "run_id",
}


@pytest.mark.parametrize(
    ("part", "schema"),
    [
        (Question, SCHEMA["properties"]["question"]),
        (Asker, SCHEMA["properties"]["asker"]),
        (Reply, SCHEMA["$defs"]["reply"]),
        (SimilarQuestion, SCHEMA["$defs"]["similar_question"]),
        (RelatedFaq, SCHEMA["$defs"]["related_faq"]),
    ],
)
def test_each_field_of_a_part_is_one_property_named_after_it(part: type, schema: dict) -> None:
    assert list(part.FIELDS) == list(schema["properties"])
    for name in part.FIELDS:
        assert hasattr(part, name), f"{part.__name__} has no {name}"


def test_each_article_field_is_one_property_of_the_article_page() -> None:
    for name in set(SCHEMA["properties"]) - RUN_AND_CONSTANT_FIELDS:
        assert hasattr(ArticlePage, name), f"ArticlePage has no {name}"
