"""One reply of an article: ``replies[]`` of the contract.

:func:`split_replies` cuts the lines between "Ask Date:" and the first section
label into :class:`Reply` parts: a "<title> <name> reply <department>" header,
the reply's lines, then "Reply Date:". Each contract field of a reply is one
property of :class:`Reply`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qa_scraper.items import ReplyItem, field_names
from qa_scraper.pages import labels
from qa_scraper.pages.cached import cached_property, read_fields
from qa_scraper.pages.problems import Problem
from qa_scraper.pages.responder import (
    KNOWN_TITLE_SET,
    ResponderHeader,
    header_at,
    parse_responder_header,
)
from qa_scraper.processors import clean_value, date_value, joined_text_value
from qa_scraper.reading.lines import Line
from qa_scraper.text import join_honorific_lines


@dataclass(eq=False)
class Reply:
    """One reply: its header, the lines under it and the text after "Reply Date:"
    (``None`` when the page has no "Reply Date:" for it)."""

    header: ResponderHeader
    lines: list[str] = field(default_factory=list)
    date_text: str | None = None

    FIELDS = field_names(ReplyItem)

    @cached_property
    def responder_title(self) -> str | None:
        return self.header.clean[0]  # clean_value(self.header.title)

    @cached_property
    def responder_name(self) -> str | None:
        return self.header.clean[1]  # clean_value(self.header.name)

    @cached_property
    def department(self) -> str | None:
        return self.header.clean[2]  # clean_value(self.header.department)

    @cached_property
    def _joined_lines(self) -> list[str]:
        """The reply's lines, the text rules applied (honorific line breaks rejoined): its
        text and its clinic are read from them, the rules run once."""
        return join_honorific_lines(self.lines)

    @cached_property
    def text(self) -> str | None:
        """The whole reply, signature included."""
        return joined_text_value(self._joined_lines)

    @cached_property
    def clinic(self) -> str | None:
        """The reply's last line, when the responder's signature comes before it; ``None``
        when the signature is the reply's last line, or when there is no signature.

        The signature is the last line that is, or ends with, the responder's name ("Dr.
        Jiang Junyi", with the honorific line breaks rejoined). However many lines follow
        it, the clinic is the last of them, not the one right after the signature."""
        lines = self._joined_lines
        name = self.header.name.lower()
        for index in range(len(lines) - 1, -1, -1):
            line = lines[index].lower()
            if line == name or line.endswith(" " + name):
                return clean_value(lines[-1]) if index < len(lines) - 1 else None
        return None

    @cached_property
    def replied_on(self) -> str | None:
        return date_value(self.date_text)

    def to_item(self) -> dict[str, Any]:
        return read_fields(self, self.FIELDS)

    def problems(self, path: str) -> list[Problem]:
        problems = []
        if self.date_text is None:
            problems.append(Problem(f"{path}/replied_on", "no 'Reply Date:' after the reply"))
        elif self.replied_on is None:
            problems.append(Problem(f"{path}/replied_on", f"unreadable date {self.date_text!r}"))
        if self.text is None:
            problems.append(Problem(f"{path}/text", "reply has no text"))
        return problems


def split_replies(region: list[Line]) -> list[Reply]:
    """The replies in ``region`` (the lines after the question), in page order.

    A reply runs from its header to its "Reply Date:" (the date may be on the
    next line). A new known-title header before that date starts the next reply:
    the first one's date is missing.
    """
    replies: list[Reply] = []
    current: Reply | None = None
    index = 0
    while index < len(region):
        text = region[index].text
        if current is None:
            header, used = header_at(region, index)
            if header:
                current = Reply(header)
                index += used - 1
        elif match := labels.REPLY_DATE.match(text):
            current.date_text = match.group("rest").strip()
            if not current.date_text and index + 1 < len(region):
                index += 1
                current.date_text = region[index].text
            replies.append(current)
            current = None
        elif (header := parse_responder_header(text)) and header.title in KNOWN_TITLE_SET:
            replies.append(current)
            current = Reply(header)
        else:
            current.lines.append(text)
        index += 1
    if current is not None:
        replies.append(current)
    return replies
