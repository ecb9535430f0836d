"""One "Related FAQ" link: ``related_faqs[]`` of the contract.

:func:`split_related_faqs` reads the section's lines into :class:`RelatedFaq`
parts: topic links, each followed by "(<department>)" on the same line (one or
several topics a line) or on the next line. Each contract field of an entry is
one property of :class:`RelatedFaq`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from qa_scraper.items import RelatedFaqItem, field_names
from qa_scraper.pages.cached import cached_property, read_fields
from qa_scraper.pages.problems import Problem
from qa_scraper.processors import clean_value
from qa_scraper.reading.lines import Line
from qa_scraper.urls import PageKind, canonical_page_url, page_kind

# "(<department>)" after a topic: on a line of its own, or on the topic's line.
FAQ_DEPARTMENT = re.compile(r"^\((?P<department>[^()]+)\)$")
DEPARTMENT_AFTER_TOPIC = re.compile(r"\s*\((?P<department>[^()]+)\)")


@dataclass(eq=False)
class RelatedFaq:
    """One entry: the topic link's text and URL, the "(<department>)" text after it."""

    link_text: str
    href: str
    department_text: str | None = None

    FIELDS = field_names(RelatedFaqItem)

    @cached_property
    def topic(self) -> str | None:
        return clean_value(self.link_text)

    @cached_property
    def department(self) -> str | None:
        return clean_value(self.department_text)

    @cached_property
    def url(self) -> str | None:
        return clean_value(canonical_page_url(self.href))

    def to_item(self) -> dict[str, Any]:
        return read_fields(self, self.FIELDS)

    def problems(self, path: str) -> list[Problem]:
        if self.department is None:
            return [Problem(f"{path}/department", "no '(<department>)' after topic")]
        return []


def split_related_faqs(section: list[Line]) -> list[RelatedFaq]:
    """The entries of the "Related FAQ" section's lines; they end at the first line
    that is neither a topic link line nor a "(<department>)" line."""
    entries: list[RelatedFaq] = []
    for line in section:
        # (A match starts with "(": the pattern is not tried on the other lines.)
        department = line.text[:1] == "(" and FAQ_DEPARTMENT.match(line.text)
        if department and entries and entries[-1].department_text is None:
            entries[-1].department_text = department.group("department")
            continue
        topics = [link for link in line.links if page_kind(link.url) is PageKind.FAQ]
        if not topics:
            break
        cursor = 0
        for link in topics:
            found = line.text.find(link.text, cursor) if link.text else -1
            cursor = found + len(link.text) if found >= 0 else cursor
            after = DEPARTMENT_AFTER_TOPIC.match(line.text, cursor)
            if after:
                cursor = after.end()
            entries.append(
                RelatedFaq(link.text, link.url, after.group("department") if after else None)
            )
    return entries
