"""The article page as a document: its text, its tree, its visible lines and its landmarks.

:class:`ArticleDocument` is the base of :class:`~qa_scraper.pages.article.ArticlePage`: it
parses the page once, reads its visible lines (:mod:`qa_scraper.reading.lines`, chrome lines
dropped) and finds, once each (cached), the landmarks every field is read between: the
"Share to:" label, the headline above it, the question's own title, "Ask Date:", and the
sections after it ("More Info", "Similar Q&A", "Related FAQ", up to the page chrome). It also
says whether the document is cut short or a "page not found". It reads no field: the field
methods are :class:`~qa_scraper.pages.article.ArticlePage`'s.
"""

from __future__ import annotations

import re

from lxml import etree
from parsel import Selector
from parsel.selector import create_root_node

from qa_scraper.pages import labels
from qa_scraper.pages.asker import looks_like_asker_line
from qa_scraper.pages.cached import cached_property
from qa_scraper.pages.decoding import decode_body
from qa_scraper.pages.problems import Problem
from qa_scraper.reading.lines import Line, visible_lines
from qa_scraper.text import clean_line
from qa_scraper.urls import same_host

HEADLINE_SEPARATOR = re.compile(r"\s+[-–—]\s+")  # "<title> - <department>"
_SHARE_NAMES = frozenset(
    {
        "facebook",
        "line",
        "twitter",
        "x",
        "email",
        "e-mail",
        "copy link",
        "whatsapp",
        "weibo",
        "wechat",
        "linkedin",
        "print",
        "share",
    }
)
_SHARE_SEPARATORS = " |/·•,-\u2022\u00a0"
_HEADLINE_LOOKBACK = 4
_TAG_OPENING = re.compile(r"<[a-z/!]")
# "<body"/"<html" and "</body"/"</html" as lower() would find them: only ASCII letters lower
# to these (the few non-ASCII letters that lower to an ASCII one lower to none of them).
_BODY_OR_HTML_OPENING = re.compile(r"<(?:[bB][oO][dD][yY]|[hH][tT][mM][lL])")
_BODY_OR_HTML_CLOSING = re.compile(r"</(?:[bB][oO][dD][yY]|[hH][tT][mM][lL])")


def _parse_ascii(text: str) -> etree._Element:
    """parsel's ``create_root_node(text, etree.HTMLParser)`` for an ASCII ``text``, parsed from
    the str itself: lxml hands an ASCII str's buffer to libxml2 as UTF-8, where parsel encodes
    a UTF-8 copy and has libxml2 decode it (≈ 0.2 M instructions a page). The same tree
    (tests/test_page_shortcuts.py). lxml refuses a str that opens with an XML declaration
    naming an encoding (``<?xml version="1.0" encoding="UTF-8"?>``, XHTML's prologue): a text
    opening with ``<?xml`` is parsed parsel's way, as a non-ASCII one is (a lone surrogate stays
    an error there)."""
    text = text.strip() or "<html/>"
    if text.startswith("<?xml"):
        return create_root_node(text, etree.HTMLParser)
    parser = etree.HTMLParser(recover=True, huge_tree=True)
    root = etree.fromstring(text, parser=parser)
    return etree.fromstring("<html/>", parser=parser) if root is None else root


class ArticleDocument:
    """An article page's document: ``html`` (decoded when given bytes), ``selector``,
    ``lines``, and the landmarks as indexes into ``lines``.

    ``page_url`` is the URL the page was fetched from.
    """

    def __init__(self, url: str, html: str | bytes, *, content_type: str | None = None) -> None:
        self.page_url = url
        self.replaced_bytes = 0  # bytes the page's charset could not decode (now U+FFFD)
        if isinstance(html, bytes):
            self.html, self.replaced_bytes = decode_body(html, content_type)
        else:
            self.html = html
        self.problems: list[Problem] = []

    # --- parsing -------------------------------------------------------------------------
    @cached_property
    def selector(self) -> Selector:
        # NUL characters make lxml stop reading; they are never visible text.
        text = self.html.replace("\x00", "") or "<html></html>"
        # Parsed as parsel parses it, but into plain lxml elements: lxml.html's element
        # classes cost a Python call for every element the reader walks over.
        if text.isascii():
            return Selector(root=_parse_ascii(text), type="html")
        return Selector(root=create_root_node(text, etree.HTMLParser), type="html")

    @cached_property
    def lines(self) -> list[Line]:
        # The first <body> in document order, as "//body" finds it (without parsel's cost).
        root = next(self.selector.root.iter("body"), self.selector.root)
        if not hasattr(root, "tag"):
            return []
        return [
            line
            for line in visible_lines(root, self.page_url, labels.READER_LANDMARKS)
            if line.text[:1] not in labels.CHROME_LINE_FIRST
            or not labels.CHROME_LINE.match(line.text)
        ]

    def _find(self, pattern: re.Pattern[str], start: int = 0, holding: str = "") -> int | None:
        """The first line from ``start`` that ``pattern`` finds something in. ``holding``: a
        text every match holds; a line without it is not searched (one C-speed test instead
        of trying the pattern at every position of a long line)."""
        for index in range(start, len(self.lines)):
            text = self.lines[index].text
            if holding in text and pattern.search(text):
                return index
        return None

    def truncation(self) -> str | None:
        """Why the document looks cut short, or ``None``.

        Only a document that opened <html> or <body> is expected to close it;
        a tag left open at the very end is a cut in any case.
        """
        tail = self.html[-4096:].rstrip()
        # A tag opened after the tail's last ">" ("<[a-z/!][^>]*$", without the regex
        # trying every "<" of the tail). Only that rest is lowered: lower-casing the whole
        # head and tail cost more than the rest of this check (lowering neither makes nor
        # takes a ">", so the rest is the same).
        if _TAG_OPENING.search(tail[tail.rfind(">") + 1 :].lower()):
            return "the document ends inside a tag"
        # "<body"/"<html" in any case; the lower-case spelling most pages use, first.
        opened = (
            self.html.find("<body", 0, 65536) >= 0
            or self.html.find("<html", 0, 65536) >= 0
            or _BODY_OR_HTML_OPENING.search(self.html, 0, 65536) is not None
        )
        if (
            opened
            and "</body" not in tail
            and "</html" not in tail
            and not _BODY_OR_HTML_CLOSING.search(tail)
        ):
            return "the document ends before </body> and </html>"
        return None

    def is_not_found_page(self) -> bool:
        """A "page not found" answered with 200 (a soft 404).

        No article labels, and a not-found title.
        """
        if self.share_index is not None or self._find(labels.ASK_DATE) is not None:
            return False
        heading = clean_line(
            " ".join(self.selector.xpath("//title//text() | //h1//text()").getall())
        ).lower()
        return bool(
            re.search(r"not found|no longer (?:exists|available)|does not exist|\b404\b", heading)
        )

    # --- landmarks (indexes into self.lines) --------------------------------------------
    @cached_property
    def share_index(self) -> int | None:
        return self._find(labels.SHARE)

    @cached_property
    def headline_index(self) -> int | None:
        """The headline is the "<title> - <department>" line just above "Share to:"."""
        if self.share_index is not None:
            for index in range(
                self.share_index - 1, max(-1, self.share_index - 1 - _HEADLINE_LOOKBACK), -1
            ):
                if HEADLINE_SEPARATOR.search(self.lines[index].text):
                    return index
        heading = clean_line(" ".join(self.selector.xpath("//h1[1]//text()").getall()))
        for index, line in enumerate(self.lines):
            if heading and line.text == heading:
                return index
        return None

    @cached_property
    def question_title_index(self) -> int | None:
        start = self.share_index if self.share_index is not None else self.headline_index
        if start is None:
            return None
        for index in range(start + 1, len(self.lines)):
            if not self._is_share_chrome(self.lines[index]):
                return index
        return None

    def _is_share_chrome(self, line: Line) -> bool:
        """A line made only of share buttons (their text, or links to other hosts)."""
        if line.text.lower() in _SHARE_NAMES:
            return True
        if not line.links or any(same_host(link.url, self.page_url) for link in line.links):
            return False
        if len(" ".join(link.text for link in line.links)) >= len(line.text) - 1:
            return True
        rest = line.text  # the links' texts apart, only separators ("Facebook | LINE")
        for link in line.links:
            rest = rest.replace(link.text, " ", 1)
        return not rest.strip(_SHARE_SEPARATORS)

    @cached_property
    def ask_index(self) -> int | None:
        if self.question_title_index is None:
            return None
        return self._find(labels.ASK_DATE, self.question_title_index + 1, labels.ASK_DATE_HOLDS)

    @cached_property
    def section_starts(self) -> list[tuple[int, re.Pattern[str], Line | None]]:
        """Where each section starts after the question: its label, or a chrome marker
        ("Popular questions", "Disclaimer:", "©") whose lines belong to no section.
        The third value is text that shares the label's line ("More Info: Migraine is ...")."""
        start = (self.ask_index or 0) + 1
        found: list[tuple[int, re.Pattern[str], Line | None]] = []
        # (The labels' set and pattern in locals: this loop runs over most of the page's lines.)
        first_characters, section_start = labels.SECTION_START_FIRST, labels.SECTION_START.match
        for index, line in enumerate(self.lines[start:], start):
            if line.text[:1] not in first_characters or not section_start(line.text):
                continue
            for label in (*labels.SECTION_LABELS, labels.END_OF_CONTENT):
                if label.match(line.text):
                    found.append((index, label, None))
                    break
            else:
                inline = labels.MORE_INFO_INLINE.match(line.text)
                if inline:
                    found.append((index, labels.MORE_INFO, Line(inline.group("rest"), line.links)))
        return found

    @cached_property
    def sections(self) -> dict[re.Pattern[str], list[Line]]:
        """The lines under each section label (:data:`labels.SECTION_LABELS`) up to the next
        label; a section that appears twice is read the first time. Absent ones are absent."""
        found: dict[re.Pattern[str], list[Line]] = {}
        for position, (index, label, first_line) in enumerate(self.section_starts):
            if label is labels.END_OF_CONTENT or label in found:
                continue
            following = self.section_starts[position + 1 :]
            end = following[0][0] if following else len(self.lines)
            found[label] = ([first_line] if first_line else []) + self.lines[index + 1 : end]
        return found

    @cached_property
    def _ask_date(self) -> tuple[str | None, int]:
        """(the text after "Ask Date:", lines it takes: 1, or 2 when the date has its own line)."""
        if self.ask_index is None:
            return None, 0
        date_text = labels.ASK_DATE.search(self.lines[self.ask_index].text).group("rest").strip()
        if not date_text and self.ask_index + 1 < len(self.lines):
            return self.lines[self.ask_index + 1].text, 2
        return date_text, 1

    @cached_property
    def _question_block(self) -> tuple[list[str], str | None]:
        """(the question's lines, the asker text): the lines between the question's title and
        "Ask Date:"; the asker is the text before "Ask Date:" on its line, else the line
        above it when that line looks like one ("Ms. Cai, 30~39 year old female.")."""
        if self.ask_index is None:
            return [], None
        start = self.question_title_index + 1
        ask_line = self.lines[self.ask_index].text
        asker_text = ask_line[: labels.ASK_DATE.search(ask_line).start()].strip()
        end = self.ask_index
        if not asker_text and end - 1 >= start and looks_like_asker_line(self.lines[end - 1].text):
            end -= 1
            asker_text = self.lines[end].text
        return [line.text for line in self.lines[start:end]], asker_text

    @cached_property
    def _reply_region(self) -> list[Line]:
        """The lines after the "Ask Date:" up to the first section label."""
        if self.ask_index is None:
            return []
        start = self.ask_index + self._ask_date[1]
        end = self.section_starts[0][0] if self.section_starts else len(self.lines)
        return self.lines[start:end]
