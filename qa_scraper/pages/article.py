"""Page object of an article page: (url, html) in, contract item out.

Pure: no Scrapy engine, no I/O. Every field is anchored on the visible labels
and their order ("Share to:", "Ask Date:", "<title> <name> reply <dept>",
"Reply Date:", "More Info", "Similar Q&A", "[Read More]", "Related FAQ"), read
from the page's visible lines (:mod:`qa_scraper.reading.lines`), never on class
names. What cannot be found is reported in :attr:`ArticlePage.problems`
(field and reason) rather than raised.

Layout, in the style of web-poet page objects (one class per part of the page,
one property per contract field, named after the field; ``to_item()`` builds
the part's dict):

- :class:`ArticlePage` (here): finds the landmarks and sections once (cached),
  and reads ``url``, ``article_id``, ``title``, ``department`` and ``more_info``;
  its ``question``, ``asker``, ``replies``, ``similar_questions`` and
  ``related_faqs`` are the parts below;
- :class:`~qa_scraper.pages.question.Question` (``question.title``, ``.text``,
  ``.asked_on``) and :class:`~qa_scraper.pages.question.Asker` (``asker.name``,
  ``.age_min``, ``.age_max``, ``.gender``) in :mod:`qa_scraper.pages.question`;
- :class:`~qa_scraper.pages.reply.Reply` (``replies[].*``, ``clinic`` included)
  in :mod:`qa_scraper.pages.reply`;
- :class:`~qa_scraper.pages.similar.SimilarQuestion` (``similar_questions[].*``)
  in :mod:`qa_scraper.pages.similar`;
- :class:`~qa_scraper.pages.faq.RelatedFaq` (``related_faqs[].*``) in
  :mod:`qa_scraper.pages.faq`.

Each field property cleans its value with one of the itemloaders processors of
:mod:`qa_scraper.processors`; the item's fields and their order are those of the item classes
of :mod:`qa_scraper.items`.
The labels themselves are in :mod:`qa_scraper.pages.labels`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

import ftfy.badness
from lxml import etree
from parsel import Selector
from parsel.selector import create_root_node
from w3lib.encoding import html_to_unicode

from qa_scraper.items import (
    LANGUAGE,
    PAGE_FIELDS,
    SCHEMA_VERSION,
    SOURCE,
    content_hash,
    empty_item,
)
from qa_scraper.pages import labels
from qa_scraper.pages.cached import cached_property
from qa_scraper.pages.faq import RelatedFaq, split_related_faqs
from qa_scraper.pages.problems import Problem
from qa_scraper.pages.question import Asker, Question
from qa_scraper.pages.reply import Reply, split_replies
from qa_scraper.pages.similar import SimilarQuestion, split_similar_questions
from qa_scraper.processors import clean_value, text_value
from qa_scraper.reading.lines import Line, visible_lines
from qa_scraper.text import clean_line
from qa_scraper.urls import (
    absolute,
    article_id_from_url,
    canonical_article_url,
    canonical_page_url,
    same_host,
)

__all__ = ["ArticlePage", "Problem", "decode_body", "decode_html", "mojibake_problems"]

_HEADLINE_SEPARATOR = re.compile(r"\s+[-–—]\s+")
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
_SITE_NAMES = frozenset({"doctorqna", "doctorqna.com", "doctor qna"})
_TAG_OPENING = re.compile(r"<[a-z/!]")
_CANONICAL_HREFS = etree.XPath(
    "//link[contains(concat(' ', normalize-space(translate(@rel,"
    " 'CANONICAL', 'canonical')), ' '), ' canonical ')]/@href",
    smart_strings=False,
)


def decode_body(body: bytes, content_type: str | None = None) -> tuple[str, int]:
    """Bytes to text, and how many bytes could not be decoded (each became U+FFFD).

    The charset is the BOM's, else the HTTP header's, else the ``<meta>``'s, else
    UTF-8. When that charset reads any non-ASCII character of the page, bytes it
    cannot decode are stray: replaced one by one, the rest read as declared. When
    it reads none (all its non-ASCII bytes fail: a legacy page labelled UTF-8),
    the page is read as Windows-1252 — its ASCII text, the bulk of it, reads the
    same either way.
    """
    encoding, text = html_to_unicode(content_type, body)
    bad = text.count("\ufffd")
    if encoding.replace("-", "").lower().startswith("utf8"):
        bad -= body.count("\ufffd".encode())  # U+FFFD written in the page itself
    if bad <= 0:
        return text, 0
    if any(char > "\x7f" and char != "\ufffd" for char in text):
        return text, bad  # the charset reads the page's other non-ASCII text: stray bytes
    fallback = body.decode("cp1252", errors="replace")
    return fallback, fallback.count("\ufffd")


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """:func:`decode_body`'s text."""
    return decode_body(body, content_type)[0]


def mojibake_problems(item: dict[str, Any], path: str = "") -> list[Problem]:
    """Text fields that read like UTF-8 decoded with the wrong charset ("Î¼g", "Â°C")."""
    problems: list[Problem] = []
    if isinstance(item, dict):
        for key, value in item.items():
            if _may_hold_mojibake(value):
                problems += mojibake_problems(value, f"{path}/{key}" if path else key)
    elif isinstance(item, list):
        for index, value in enumerate(item):
            if _may_hold_mojibake(value):
                problems += mojibake_problems(value, f"{path}/{index}")
    elif isinstance(item, str) and not item.isascii() and ftfy.badness.is_bad(item):
        snippet = ftfy.badness.BADNESS_RE.search(item)
        start = max(0, snippet.start() - 20) if snippet else 0
        problems.append(
            Problem(path, f"text looks mis-decoded (mojibake): {item[start : start + 50]!r}")
        )
    return problems


def _may_hold_mojibake(value: Any) -> bool:
    """A container, or non-ASCII text (ftfy finds no mojibake in ASCII): most values are
    neither, and skipping them saves a call and a path string each."""
    return isinstance(value, (dict, list)) or (isinstance(value, str) and not value.isascii())


class ArticlePage:
    """One article page. ``to_item()`` gives the contract item; ``problems`` what is missing.

    ``page_url`` is the URL the page was fetched from; ``url`` is the item's
    (canonical) URL.
    """

    def __init__(self, url: str, html: str | bytes, *, content_type: str | None = None) -> None:
        self.page_url = url
        self.replaced_bytes = 0  # bytes the page's charset could not decode (now U+FFFD)
        if isinstance(html, bytes):
            self.html, self.replaced_bytes = decode_body(html, content_type)
        else:
            self.html = html
        self.problems: list[Problem] = []

    # The item's constants: fields like the others (one attribute per field).
    schema_version = SCHEMA_VERSION
    source = SOURCE
    language = LANGUAGE

    # --- parsing -------------------------------------------------------------------------
    @cached_property
    def selector(self) -> Selector:
        # NUL characters make lxml stop reading; they are never visible text.
        text = self.html.replace("\x00", "") or "<html></html>"
        # Parsed as parsel parses it, but into plain lxml elements: lxml.html's element
        # classes cost a Python call for every element the reader walks over.
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
            if not labels.CHROME_LINE.match(line.text)
        ]

    def _find(self, pattern: re.Pattern[str], start: int = 0) -> int | None:
        for index in range(start, len(self.lines)):
            if pattern.search(self.lines[index].text):
                return index
        return None

    def truncation(self) -> str | None:
        """Why the document looks cut short, or ``None``.

        Only a document that opened <html> or <body> is expected to close it;
        a tag left open at the very end is a cut in any case.
        """
        tail = self.html[-4096:].rstrip().lower()
        # A tag opened after the tail's last ">" ("<[a-z/!][^>]*$", without the regex
        # trying every "<" of the tail).
        if _TAG_OPENING.search(tail, tail.rfind(">") + 1):
            return "the document ends inside a tag"
        head = self.html[:65536].lower()
        opened = "<body" in head or "<html" in head
        if opened and "</body" not in tail and "</html" not in tail:
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
                if _HEADLINE_SEPARATOR.search(self.lines[index].text):
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
        return self._find(labels.ASK_DATE, self.question_title_index + 1)

    @cached_property
    def section_starts(self) -> list[tuple[int, re.Pattern[str], Line | None]]:
        """Where each section starts after the question: its label, or a chrome marker
        ("Popular questions", "Disclaimer:", "©") whose lines belong to no section.
        The third value is text that shares the label's line ("More Info: Migraine is ...")."""
        start = (self.ask_index or 0) + 1
        found: list[tuple[int, re.Pattern[str], Line | None]] = []
        for index in range(start, len(self.lines)):
            line = self.lines[index]
            if not labels.SECTION_START.match(line.text):
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
        if (
            not asker_text
            and end - 1 >= start
            and labels.looks_like_asker_line(self.lines[end - 1].text)
        ):
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

    # --- fields --------------------------------------------------------------------------
    @cached_property
    def _canonical_link(self) -> str | None:
        """The article URL the page's own <link rel="canonical"> names (on its host)."""
        for href in _CANONICAL_HREFS(self.selector.root):
            url = absolute(self.page_url, href)
            if url and same_host(url, self.page_url) and (canonical := canonical_article_url(url)):
                return canonical
        return None

    @cached_property
    def _canonical_url(self) -> str:
        """The article's identity: the URL it was fetched from (after same-site redirects),
        in canonical form. A canonical link only names the article of a page fetched from
        a URL that is not an article's; one naming another article is ignored
        (:attr:`canonical_conflict`): a page never speaks for another article."""
        own = canonical_article_url(self.page_url)
        return own or self._canonical_link or canonical_page_url(self.page_url)

    @cached_property
    def canonical_conflict(self) -> str | None:
        """The canonical link, when it names another article than the fetched URL's."""
        link, own = self._canonical_link, canonical_article_url(self.page_url)
        if link and own and article_id_from_url(link) != article_id_from_url(own):
            return link
        return None

    @cached_property
    def url(self) -> str | None:
        """The canonical form of the fetched URL (see :attr:`_canonical_url`)."""
        return clean_value(self._canonical_url)

    @cached_property
    def article_id(self) -> str | None:
        return clean_value(article_id_from_url(self._canonical_url))

    @cached_property
    def title(self) -> str | None:
        return clean_value(self._headline[0])

    @cached_property
    def department(self) -> str | None:
        return clean_value(self._headline[1])

    @cached_property
    def _headline(self) -> tuple[str | None, str | None]:
        """(title, department) from "<title> - <department>"; the <title> when no headline."""
        if self.headline_index is not None:
            text = self.lines[self.headline_index].text
        else:
            text = self._page_title()
        if not text:
            return None, None
        parts = _HEADLINE_SEPARATOR.split(text)
        if len(parts) >= 2:
            return " - ".join(parts[:-1]), parts[-1]
        return text, self._department_elsewhere()

    def _page_title(self) -> str:
        """The <title> without a trailing " | DoctorQnA" (or " - DoctorQnA")."""
        title = clean_line(self.selector.xpath("//title/text()").get())
        parts = [part.strip() for part in re.split(r"\s[|–—-]\s", title)]
        while len(parts) > 1 and parts[-1].lower() in _SITE_NAMES:
            parts.pop()
        return " - ".join(parts)

    def _department_elsewhere(self) -> str | None:
        """No " - <department>" in the headline: a department link between the headline and
        "Share to:", else the <title>'s suffix, else the breadcrumb."""
        if self.headline_index is not None and self.share_index is not None:
            for line in self.lines[self.headline_index + 1 : self.share_index]:
                for link in line.links:
                    if "/department/" in urlsplit(link.url).path and link.text:
                        return link.text
        parts = _HEADLINE_SEPARATOR.split(self._page_title())
        if len(parts) >= 2:
            return parts[-1]
        # The department link nearest before the headline (a breadcrumb).
        anchors = self.selector.xpath("(//h1)[1]") or self.selector.xpath(
            "(//*[starts-with(normalize-space(text()), 'Share to')])[1]"
        )
        if anchors:
            crumb = anchors[0].xpath("preceding::a[contains(@href, '/department/')][1]")
            text = clean_line(" ".join(crumb.xpath(".//text()").getall())) if crumb else ""
            if text:
                return text
        return None

    @cached_property
    def question(self) -> Question:
        title_line = (
            self.lines[self.question_title_index].text
            if self.question_title_index is not None
            else None
        )
        return Question(title_line, self._question_block[0], self._ask_date[0])

    @cached_property
    def asker(self) -> Asker:
        return Asker(self._question_block[1] or "")

    @cached_property
    def replies(self) -> list[Reply]:
        return split_replies(self._reply_region)

    @cached_property
    def more_info(self) -> str | None:
        """The "More Info" section's text; ``None`` when the page has none."""
        return text_value([line.text for line in self.sections.get(labels.MORE_INFO, [])])

    @cached_property
    def similar_questions(self) -> list[SimilarQuestion]:
        return split_similar_questions(self.sections.get(labels.SIMILAR_QA, []))

    @cached_property
    def related_faqs(self) -> list[RelatedFaq]:
        return split_related_faqs(self.sections.get(labels.RELATED_FAQ, []))

    # --- the item ------------------------------------------------------------------------
    def to_item(self, scraped_at: dt.datetime | None = None) -> dict[str, Any]:
        """The contract item. Missing information is ``None`` and listed in ``problems``.

        Never raises: an unexpected failure of the extractor itself becomes a
        problem on the page (and an item with nothing but its URL).
        """
        try:
            return self.build_item(scraped_at)
        except Exception as error:
            self.problems = [Problem("(page)", f"extractor error: {type(error).__name__}: {error}")]
            url = canonical_article_url(self.page_url) or canonical_page_url(self.page_url)
            item = empty_item()  # the item class's fields: constants, None, [] ...
            item["url"], item["article_id"] = url, article_id_from_url(url)
            return _stamped(item, scraped_at)

    def build_item(self, scraped_at: dt.datetime | None = None) -> dict[str, Any]:
        """:meth:`to_item` without its safety net (the fuzz tests call this one)."""
        problems: list[Problem] = []
        if truncated := self.truncation():
            problems.append(Problem("(page)", f"truncated page: {truncated}"))
        if self.question_title_index is None:
            problems.append(
                Problem("question/title", "no 'Share to:' label (nor headline) on the page")
            )
        if self.ask_index is None:
            problems.append(Problem("question/asked_on", "no 'Ask Date:' label on the page"))
        # One method per field, named after it (PAGE_FIELDS: the item class's order).
        item = _stamped({name: _plain(getattr(self, name)) for name in PAGE_FIELDS}, scraped_at)
        for position, reply in enumerate(self.replies):
            problems += reply.problems(f"replies/{position}")
        for position, entry in enumerate(self.similar_questions):
            problems += entry.problems(f"similar_questions/{position}")
        for position, faq in enumerate(self.related_faqs):
            problems += faq.problems(f"related_faqs/{position}")
        problems += self.question.problems()
        if labels.MORE_INFO in self.sections and self.more_info is None:
            problems.append(Problem("more_info", "'More Info' label with no text under it"))
        self.problems = problems + mojibake_problems(item)
        return item


def _plain(value: Any) -> Any:
    """A field's value as the item holds it: a page part as its dict, a list of parts as a
    list of dicts."""
    if isinstance(value, list):
        return [_plain(entry) for entry in value]
    to_item = getattr(value, "to_item", None)
    return to_item() if to_item else value


def _stamped(item: dict[str, Any], scraped_at: dt.datetime | None) -> dict[str, Any]:
    """The item with its scraped_at (RFC 3339, UTC) and content hash."""
    moment = (scraped_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    item["scraped_at"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    item["content_hash"] = content_hash(item)
    item["warc"] = None  # where the page is archived: the spider knows (the page does not)
    return item
