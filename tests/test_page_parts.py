"""The page-object layout (qa_scraper.pages.article docstring): each part of an item has one
class, and each of its contract fields is one property of that class, named after the field.
The fields of each part are its item class's (qa_scraper.items, checked against the schema by
tests/test_items.py); tests/test_page_<part>.py read each field from inline HTML."""

from __future__ import annotations

import pytest

from qa_scraper.items import (
    PAGE_FIELDS,
    AskerItem,
    QuestionItem,
    RelatedFaqItem,
    ReplyItem,
    SimilarQuestionItem,
    field_names,
)
from qa_scraper.pages.article import ArticlePage
from qa_scraper.pages.asker import Asker
from qa_scraper.pages.faq import RelatedFaq
from qa_scraper.pages.question import Question
from qa_scraper.pages.reply import Reply
from qa_scraper.pages.similar import SimilarQuestion


@pytest.mark.parametrize(
    ("part", "item_class"),
    [
        (Question, QuestionItem),
        (Asker, AskerItem),
        (Reply, ReplyItem),
        (SimilarQuestion, SimilarQuestionItem),
        (RelatedFaq, RelatedFaqItem),
    ],
)
def test_each_field_of_a_part_is_one_property_named_after_it(part: type, item_class: type) -> None:
    assert field_names(item_class) == part.FIELDS
    for name in part.FIELDS:
        assert hasattr(part, name), f"{part.__name__} has no {name}"


def test_each_article_field_is_one_attribute_of_the_article_page() -> None:
    for name in PAGE_FIELDS:
        assert hasattr(ArticlePage, name), f"ArticlePage has no {name}"
