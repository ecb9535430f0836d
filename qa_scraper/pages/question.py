"""The question: ``question`` of the contract.

:class:`~qa_scraper.pages.document.ArticleDocument` finds the lines (the title line
under "Share to:", the question's lines and the "Ask Date:" text); each contract field
is one property of :class:`Question`. The asker is :mod:`qa_scraper.pages.asker`.
"""

from __future__ import annotations

from typing import Any

from qa_scraper.items import QuestionItem, field_names
from qa_scraper.pages.cached import cached_property, read_fields
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
        return read_fields(self, self.FIELDS)

    def problems(self) -> list[Problem]:
        if self.date_text and self.asked_on is None:
            return [Problem("question/asked_on", f"unreadable date {self.date_text!r}")]
        return []
