"""One "Similar Q&A" entry: ``similar_questions[]`` of the contract.

:func:`split_similar_questions` cuts the section's lines into
:class:`SimilarQuestion` parts: a title (a link to the article, or plain text
closed by a "[Read More]" link), the question teaser, an optional
"<title> <name> reply <department>" line, the answer teaser. Each contract
field of an entry is one property of :class:`SimilarQuestion`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qa_scraper.items import SimilarQuestionItem, field_names
from qa_scraper.pages import labels
from qa_scraper.pages.cached import cached_property, read_fields
from qa_scraper.pages.problems import Problem
from qa_scraper.pages.responder import ResponderHeader, header_at
from qa_scraper.processors import clean_value, excerpt_value
from qa_scraper.reading.lines import Line
from qa_scraper.urls import article_id_from_url, canonical_article_url


@dataclass(eq=False)
class SimilarQuestion:
    """One entry, as read from the section: title text, link, header and teaser lines."""

    title_text: str | None = None
    href: str | None = None
    canonical_href: str | None = None  # canonical_article_url(href), as the splitter found it
    header: ResponderHeader | None = None
    question_lines: list[str] = field(default_factory=list)
    answer_lines: list[str] = field(default_factory=list)
    plain_title: bool = False  # the title line was not a link

    FIELDS = field_names(SimilarQuestionItem)

    def has_body(self) -> bool:
        return bool(self.question_lines or self.answer_lines or self.header)

    @cached_property
    def _canonical_url(self) -> str | None:
        if self.canonical_href is not None:
            return self.canonical_href  # (the splitter made it when it chose the link)
        return canonical_article_url(self.href) if self.href else None

    @cached_property
    def article_id(self) -> str | None:
        url = self._canonical_url
        return clean_value(article_id_from_url(url) if url else None)

    @cached_property
    def url(self) -> str | None:
        return clean_value(self._canonical_url)

    @cached_property
    def title(self) -> str | None:
        return clean_value(self.title_text)

    @cached_property
    def question_excerpt(self) -> str | None:
        return excerpt_value(self.question_lines)

    @cached_property
    def answer_excerpt(self) -> str | None:
        """The lines after the entry's reply header (none without a header)."""
        return excerpt_value(self.answer_lines)

    @cached_property
    def responder_title(self) -> str | None:
        return self.header.clean[0] if self.header else None  # clean_value(header.title)

    @cached_property
    def responder_name(self) -> str | None:
        return self.header.clean[1] if self.header else None  # clean_value(header.name)

    @cached_property
    def department(self) -> str | None:
        return self.header.clean[2] if self.header else None  # clean_value(header.department)

    def to_item(self) -> dict[str, Any]:
        return read_fields(self, self.FIELDS)

    def problems(self, path: str) -> list[Problem]:
        if self._canonical_url is None:
            return [Problem(f"{path}/url", "entry has no article link")]
        return []


def split_similar_questions(section: list[Line]) -> list[SimilarQuestion]:
    """The entries of the "Similar Q&A" section's lines, in page order.

    A link to an article starts an entry (once the current one has a body); a
    "[Read More]" link ends one. Plain text before any entry starts an entry
    whose "[Read More]" gives the URL; plain text never closed by one is not an
    entry (footer text).
    """
    entries: list[SimilarQuestion] = []
    current: SimilarQuestion | None = None
    index = 0
    while index < len(section):
        line = section[index]
        index += 1
        # (A match starts with "[": the pattern is not tried on the other lines.)
        read_more = line.text[:1] == "[" and labels.READ_MORE.match(line.text)
        if read_more:
            if current is None:
                current = SimilarQuestion(title_text=read_more.group("title") or None)
                entries.append(current)
            if not current.href:
                current.href, current.canonical_href = _article_link(line)
            current.title_text = current.title_text or read_more.group("title") or None
            current = None
        elif (
            line.links  # (a line without links has no title link: no calls for teasers)
            and (current is None or current.has_body())
            and (title_link := line.link_covering_line())
            and (canonical := canonical_article_url(title_link.url))
        ):
            current = SimilarQuestion(
                title_text=line.content, href=title_link.url, canonical_href=canonical
            )
            entries.append(current)
        elif current is None:
            current = SimilarQuestion(title_text=line.content, plain_title=True)
            entries.append(current)
        elif current.header is None and (found := header_at(section, index - 1))[0]:
            current.header = found[0]
            index += found[1] - 1
        elif current.header is None:
            current.question_lines.append(line.text)
        else:
            current.answer_lines.append(line.text)
    return [entry for entry in entries if entry.href or not entry.plain_title]


def _article_link(line: Line) -> tuple[str | None, str | None]:
    """The line's first link to an article, and its canonical URL (``None``, ``None``)."""
    for link in line.links:
        if canonical := canonical_article_url(link.url):
            return link.url, canonical
    return None, None
