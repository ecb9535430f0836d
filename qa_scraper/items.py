"""Item loaders: the one place where each field's raw text becomes its value.

The page object (:mod:`qa_scraper.pages.article`) finds where a field is on
the page; the loader's processors turn what it found into the contract's
value (text rules, dates, null for "Anonymous", ...).
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from itemloaders import ItemLoader
from itemloaders.processors import Compose, Identity, MapCompose, TakeFirst

from qa_scraper.dates import parse_date
from qa_scraper.text import clean_line, excerpt, text_block

SCHEMA_VERSION = "1.0"
SOURCE = "doctorqna"
LANGUAGE = "en"


def _none_if_empty(value: Any) -> Any:
    return None if value in ("", [], None) else value


class _Loader(ItemLoader):
    """Single values: cleaned line, first non-empty one wins."""

    default_item_class = dict
    default_input_processor = MapCompose(clean_line, _none_if_empty)
    default_output_processor = TakeFirst()

    def load(self, fields: tuple[str, ...]) -> dict[str, Any]:
        """The loaded item with every field present (``None`` when not found), in order."""
        loaded = self.load_item()
        return {name: loaded.get(name) for name in fields}


class ReplyLoader(_Loader):
    FIELDS = ("responder_title", "responder_name", "department", "text", "clinic", "replied_on")
    text_in = Identity()
    text_out = Compose(text_block)
    replied_on_in = MapCompose(parse_date)


class SimilarQuestionLoader(_Loader):
    FIELDS = ("article_id", "url", "title", "question_excerpt", "answer_excerpt",
              "responder_title", "responder_name", "department")
    question_excerpt_in = answer_excerpt_in = Identity()
    question_excerpt_out = answer_excerpt_out = Compose(excerpt)


class RelatedFaqLoader(_Loader):
    FIELDS = ("topic", "department", "url")


class ArticleLoader(_Loader):
    """Flat fields of the article; :func:`assemble_article` nests them per the contract."""

    FIELDS = ("url", "article_id", "title", "department", "question_title", "question_text",
              "asked_on", "asker_name", "age_min", "age_max", "gender", "replies",
              "more_info", "similar_questions", "related_faqs")
    question_text_in = more_info_in = Identity()
    question_text_out = more_info_out = Compose(text_block)
    asked_on_in = MapCompose(parse_date)
    age_min_in = age_max_in = gender_in = Identity()
    replies_in = similar_questions_in = related_faqs_in = Identity()
    replies_out = similar_questions_out = related_faqs_out = Identity()


def assemble_article(flat: dict[str, Any], scraped_at: str) -> dict[str, Any]:
    """The contract's item, keys in contract order, with its content hash."""
    item: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "source": SOURCE,
        "url": flat["url"],
        "article_id": flat["article_id"],
        "language": LANGUAGE,
        "title": flat["title"],
        "department": flat["department"],
        "question": {
            "title": flat["question_title"],
            "text": flat["question_text"],
            "asked_on": flat["asked_on"],
        },
        "asker": {
            "name": flat["asker_name"],
            "age_min": flat["age_min"],
            "age_max": flat["age_max"],
            "gender": flat["gender"],
        },
        "replies": flat["replies"] or [],
        "more_info": flat["more_info"],
        "similar_questions": flat["similar_questions"] or [],
        "related_faqs": flat["related_faqs"] or [],
    }
    item["scraped_at"] = scraped_at
    item["content_hash"] = content_hash(item)
    return item


def content_hash(item: dict[str, Any]) -> str:
    """sha256 of the item's content: every field but scraped_at and content_hash."""
    fields = {k: v for k, v in item.items() if k not in ("scraped_at", "content_hash")}
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
