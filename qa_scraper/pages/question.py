"""The question and its asker: ``question`` and ``asker`` of the contract.

:class:`~qa_scraper.pages.article.ArticlePage` finds the lines (the title line
under "Share to:", the question's lines, the asker line and the "Ask Date:"
text); each contract field is one property of :class:`Question` or :class:`Asker`.
"""

from __future__ import annotations

from typing import Any

from qa_scraper.items import AskerItem, QuestionItem, field_names
from qa_scraper.pages import labels
from qa_scraper.pages.cached import cached_property
from qa_scraper.pages.problems import Problem
from qa_scraper.processors import clean_value, date_value, text_value


class Question:
    """``question.title``, ``question.text`` and ``question.asked_on``."""

    FIELDS = field_names(QuestionItem)

    def __init__(self, title_line: str | None, lines: list[str], date_text: str | None) -> None:
        self.title_line = title_line  # the asker's own title: the line under "Share to:"
        self.lines = lines  # between that title and the asker line / "Ask Date:"
        self.date_text = date_text  # after "Ask Date:" (or on the next line)

    @cached_property
    def title(self) -> str | None:
        return clean_value(self.title_line)

    @cached_property
    def text(self) -> str | None:
        return text_value(self.lines)

    @cached_property
    def asked_on(self) -> str | None:
        return date_value(self.date_text)

    def to_item(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.FIELDS}

    def problems(self) -> list[Problem]:
        if self.date_text and self.asked_on is None:
            return [Problem("question/asked_on", f"unreadable date {self.date_text!r}")]
        return []


class Asker:
    """``asker.*``, read from "<name>, <age> year old <gender>." (any part may be missing;
    "Anonymous" for no name): the text before "Ask Date:" or the line above it."""

    FIELDS = field_names(AskerItem)

    def __init__(self, text: str) -> None:
        text = text.strip().rstrip(".").strip()
        name_part, _, details = text.partition(",")
        if not details and (
            labels.AGE_WORDS.search(name_part) or labels.AGE_RANGE.search(name_part)
        ):
            name_part, details = "", name_part  # "30~39 year old female": no name
        self.name_text = name_part.strip()
        self.details = details  # "30~39 year old female"

    @cached_property
    def name(self) -> str | None:
        if labels.ANONYMOUS.match(self.name_text):
            return None
        return clean_value(self.name_text)

    @cached_property
    def age_min(self) -> int | None:
        """ "10~19" gives 10, "70+" gives 70."""
        if match := labels.AGE_RANGE.search(self.details):
            return int(match.group(1))
        if match := labels.AGE_OPEN.search(self.details):
            return int(match.group(1))
        return None

    @cached_property
    def age_max(self) -> int | None:
        """ "10~19" gives 19; an open range ("70+") has none."""
        if match := labels.AGE_RANGE.search(self.details):
            return int(match.group(2))
        return None

    @cached_property
    def gender(self) -> str | None:
        if match := labels.GENDER.search(self.details):
            return labels.GENDER_VALUES[match.group(1).lower()]
        return None

    def to_item(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.FIELDS}
