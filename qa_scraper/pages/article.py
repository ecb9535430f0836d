"""Page object of an article page: (url, html) in, contract item out.

Pure: no Scrapy engine, no I/O. Every field is anchored on the visible labels
and their order ("Share to:", "Ask Date:", "<title> <name> reply <dept>",
"Reply Date:", "More Info", "Similar Q&A", "[Read More]", "Related FAQ"), read
from the page's visible lines (:mod:`qa_scraper.pages.lines`), never on class
names. What cannot be found is reported in :attr:`ArticlePage.problems`
(field and reason) rather than raised.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import ftfy.badness
from parsel import Selector
from w3lib.encoding import html_to_unicode

from qa_scraper.items import (
    ArticleLoader,
    RelatedFaqLoader,
    ReplyLoader,
    SimilarQuestionLoader,
    assemble_article,
)
from qa_scraper.pages import labels
from qa_scraper.pages.lines import Line, visible_lines
from qa_scraper.text import clean_line, join_honorific_lines
from qa_scraper.urls import (
    PageKind,
    absolute,
    article_id_from_url,
    canonical_article_url,
    canonical_page_url,
    page_kind,
    same_host,
)

_HEADLINE_SEPARATOR = re.compile(r"\s+[-–—]\s+")
_SHARE_NAMES = frozenset({"facebook", "line", "twitter", "x", "email", "e-mail", "copy link",
                          "whatsapp", "weibo", "wechat", "linkedin", "print", "share"})
_HEADLINE_LOOKBACK = 4
_SITE_NAMES = frozenset({"doctorqna", "doctorqna.com", "doctor qna"})


@dataclass(frozen=True)
class Problem:
    field: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.field, "message": self.reason}


def decode_body(body: bytes, content_type: str | None = None) -> tuple[str, int]:
    """Bytes to text, and how many bytes could not be decoded (each became U+FFFD).

    The charset is the BOM's, else the HTTP header's, else the ``<meta>``'s, else
    UTF-8. Bytes that charset cannot decode are replaced one by one — one bad
    byte never changes how the rest of the page is read. Only when the charset
    fails more often than it reads a non-ASCII character is the declaration
    taken to be wrong (a legacy page labelled UTF-8), and the page read as
    Windows-1252.
    """
    encoding, text = html_to_unicode(content_type, body)
    bad = text.count("\ufffd")
    if encoding.replace("-", "").lower().startswith("utf8"):
        bad -= body.count("\ufffd".encode())  # U+FFFD written in the page itself
    if bad <= 0:
        return text, 0
    read_well = sum(1 for char in text if char > "\x7f" and char != "\ufffd")
    if read_well >= bad:
        return text, bad
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
            problems += mojibake_problems(value, f"{path}/{key}" if path else key)
    elif isinstance(item, list):
        for index, value in enumerate(item):
            problems += mojibake_problems(value, f"{path}/{index}")
    elif isinstance(item, str) and ftfy.badness.is_bad(item):
        snippet = ftfy.badness.BADNESS_RE.search(item)
        start = max(0, snippet.start() - 20) if snippet else 0
        problems.append(Problem(path, "text looks mis-decoded (mojibake): "
                                      f"{item[start:start + 50]!r}"))
    return problems


class ArticlePage:
    """One article page. ``to_item()`` gives the contract item; ``problems`` what is missing."""

    def __init__(self, url: str, html: str | bytes, *, content_type: str | None = None) -> None:
        self.url = url
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
        return Selector(text=self.html.replace("\x00", "") or "<html></html>", type="html")

    @cached_property
    def lines(self) -> list[Line]:
        body = self.selector.xpath("//body")
        root = body[0].root if body else self.selector.root
        if not hasattr(root, "tag"):
            return []
        return [line for line in visible_lines(root, self.url)
                if not labels.CHROME_LINE.match(line.text)]

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
        if re.search(r"<[a-z/!][^>]*$", tail):
            return "the document ends inside a tag"
        head = self.html[:65536].lower()
        opened = "<body" in head or "<html" in head
        if opened and "</body" not in tail and "</html" not in tail:
            return "the document ends before </body> and </html>"
        return None

    def is_not_found_page(self) -> bool:
        """A "page not found" answered with 200 (a soft 404): no article labels, a not-found title."""
        if self.share_index is not None or self._find(labels.ASK_DATE) is not None:
            return False
        heading = clean_line(" ".join(self.selector.xpath(
            "//title//text() | //h1//text()").getall())).lower()
        return bool(re.search(r"not found|no longer (?:exists|available)|does not exist|\b404\b",
                              heading))

    def _problem(self, field: str, reason: str) -> None:
        self.problems.append(Problem(field, reason))

    # --- landmarks (indexes into self.lines) --------------------------------------------
    @cached_property
    def share_index(self) -> int | None:
        return self._find(labels.SHARE)

    @cached_property
    def headline_index(self) -> int | None:
        """The headline is the "<title> - <department>" line just above "Share to:"."""
        if self.share_index is not None:
            for index in range(self.share_index - 1,
                               max(-1, self.share_index - 1 - _HEADLINE_LOOKBACK), -1):
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
        return bool(line.links) and all(not same_host(link.url, self.url) for link in line.links) \
            and len(" ".join(link.text for link in line.links)) >= len(line.text) - 1

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
            for label in (*labels.SECTION_LABELS, labels.END_OF_CONTENT):
                if label.match(line.text):
                    found.append((index, label, None))
                    break
            else:
                inline = labels.MORE_INFO_INLINE.match(line.text)
                if inline:
                    found.append((index, labels.MORE_INFO, Line(inline.group("rest"), line.links)))
        return found

    def _section(self, label: re.Pattern[str]) -> list[Line] | None:
        """The lines under a section label up to the next label; ``None`` if absent."""
        for position, (index, found, first_line) in enumerate(self.section_starts):
            if found is label:
                following = self.section_starts[position + 1 :]
                end = following[0][0] if following else len(self.lines)
                return ([first_line] if first_line else []) + self.lines[index + 1 : end]
        return None

    # --- fields --------------------------------------------------------------------------
    def _canonical_url(self) -> str:
        for href in self.selector.xpath(
            "//link[contains(concat(' ', normalize-space(translate(@rel,"
            " 'CANONICAL', 'canonical')), ' '), ' canonical ')]/@href"
        ).getall():
            url = absolute(self.url, href)
            if url and same_host(url, self.url) and canonical_article_url(url):
                return canonical_article_url(url)
        return canonical_article_url(self.url) or canonical_page_url(self.url)

    def _page_title(self) -> str:
        """The <title> without a trailing " | DoctorQnA" (or " - DoctorQnA")."""
        title = clean_line(self.selector.xpath("//title/text()").get())
        parts = [part.strip() for part in re.split(r"\s[|–—-]\s", title)]
        while len(parts) > 1 and parts[-1].lower() in _SITE_NAMES:
            parts.pop()
        return " - ".join(parts)

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
            "(//*[starts-with(normalize-space(text()), 'Share to')])[1]")
        if anchors:
            crumb = anchors[0].xpath("preceding::a[contains(@href, '/department/')][1]")
            text = clean_line(" ".join(crumb.xpath(".//text()").getall())) if crumb else ""
            if text:
                return text
        return None

    @cached_property
    def _ask_date(self) -> tuple[str | None, int]:
        """(the text after "Ask Date:", lines it takes: 1, or 2 when the date has its own line)."""
        if self.ask_index is None:
            return None, 0
        date_text = labels.ASK_DATE.search(self.lines[self.ask_index].text).group("rest").strip()
        if not date_text and self.ask_index + 1 < len(self.lines):
            return self.lines[self.ask_index + 1].text, 2
        return date_text, 1

    def _question_lines(self) -> tuple[list[str], str | None, str | None]:
        """(question text lines, asker text, ask date text)."""
        if self.ask_index is None:
            return [], None, None
        start = self.question_title_index + 1
        ask_line = self.lines[self.ask_index].text
        date_text, _ = self._ask_date
        asker_text = ask_line[: labels.ASK_DATE.search(ask_line).start()].strip()
        end = self.ask_index
        if not asker_text and end - 1 >= start and labels.looks_like_asker_line(
            self.lines[end - 1].text
        ):
            end -= 1
            asker_text = self.lines[end].text
        return [line.text for line in self.lines[start:end]], asker_text, date_text

    def _reply_region(self) -> list[Line]:
        if self.ask_index is None:
            return []
        start = self.ask_index + self._ask_date[1]
        end = self.section_starts[0][0] if self.section_starts else len(self.lines)
        return self.lines[start:end]

    def _replies(self) -> list[dict[str, Any]]:
        replies: list[dict[str, Any]] = []
        current: _ReplyDraft | None = None
        region = self._reply_region()
        index = 0
        while index < len(region):
            text = region[index].text
            if current is None:
                header, used = _header_at(region, index)
                if header:
                    current = _ReplyDraft(header)
                    index += used - 1
            elif match := labels.REPLY_DATE.match(text):
                current.date = match.group("rest").strip()
                if not current.date and index + 1 < len(region):
                    index += 1
                    current.date = region[index].text
                replies.append(self._load_reply(current, len(replies)))
                current = None
            elif (header := labels.parse_responder_header(text)) and \
                    header.title in labels.KNOWN_TITLES:
                # A new reply header before this reply's date: the date is missing.
                replies.append(self._load_reply(current, len(replies)))
                current = _ReplyDraft(header)
            else:
                current.lines.append(text)
            index += 1
        if current is not None:
            replies.append(self._load_reply(current, len(replies)))
        return replies

    def _load_reply(self, draft: _ReplyDraft, position: int) -> dict[str, Any]:
        loader = ReplyLoader()
        loader.add_value("responder_title", draft.header.title)
        loader.add_value("responder_name", draft.header.name)
        loader.add_value("department", draft.header.department)
        loader.add_value("text", draft.lines)
        loader.add_value("clinic", _clinic(draft))
        loader.add_value("replied_on", draft.date)
        reply = loader.load(ReplyLoader.FIELDS)
        if draft.date is None:
            self._problem(f"replies/{position}/replied_on", "no 'Reply Date:' after the reply")
        elif reply["replied_on"] is None:
            self._problem(f"replies/{position}/replied_on", f"unreadable date {draft.date!r}")
        if reply["text"] is None:
            self._problem(f"replies/{position}/text", "reply has no text")
        return reply

    def _similar_questions(self) -> list[dict[str, Any]]:
        section = self._section(labels.SIMILAR_QA)
        if not section:
            return []
        drafts: list[_SimilarDraft] = []
        current: _SimilarDraft | None = None
        index = 0
        while index < len(section):
            line = section[index]
            index += 1
            read_more = labels.READ_MORE.match(line.text)
            title_link = line.link_covering_line()
            if read_more:
                if current is None:
                    current = _SimilarDraft(title=read_more.group("title") or None)
                    drafts.append(current)
                current.url = current.url or _article_link(line)
                current.title = current.title or read_more.group("title") or None
                current = None
            elif title_link and canonical_article_url(title_link.url) and (
                current is None or current.has_body()
            ):
                current = _SimilarDraft(title=line.text, url=title_link.url)
                drafts.append(current)
            elif current is None:
                # An entry whose title is not a link: its "[Read More]" gives the URL.
                current = _SimilarDraft(title=line.text, plain_title=True)
                drafts.append(current)
            elif current.header is None and (found := _header_at(section, index - 1))[0]:
                current.header = found[0]
                index += found[1] - 1
            elif current.header is None:
                current.question_lines.append(line.text)
            else:
                current.answer_lines.append(line.text)
        # Plain text never closed by a "[Read More]" link is not an entry (footer text).
        drafts = [draft for draft in drafts if draft.url or not draft.plain_title]
        return [self._load_similar(draft, position) for position, draft in enumerate(drafts)]

    def _load_similar(self, draft: _SimilarDraft, position: int) -> dict[str, Any]:
        url = canonical_article_url(draft.url) if draft.url else None
        loader = SimilarQuestionLoader()
        loader.add_value("article_id", article_id_from_url(url) if url else None)
        loader.add_value("url", url)
        loader.add_value("title", draft.title)
        loader.add_value("question_excerpt", draft.question_lines)
        loader.add_value("answer_excerpt", draft.answer_lines)
        if draft.header:
            loader.add_value("responder_title", draft.header.title)
            loader.add_value("responder_name", draft.header.name)
            loader.add_value("department", draft.header.department)
        entry = loader.load(SimilarQuestionLoader.FIELDS)
        if url is None:
            self._problem(f"similar_questions/{position}/url", "entry has no article link")
        return entry

    def _related_faqs(self) -> list[dict[str, Any]]:
        """Topic links, each followed by "(<department>)": on the same line (one or several
        topics a line) or on the next line."""
        section = self._section(labels.RELATED_FAQ) or []
        raw: list[dict[str, Any]] = []
        for line in section:
            department = labels.FAQ_DEPARTMENT.match(line.text)
            if department and raw and raw[-1]["department"] is None:
                raw[-1]["department"] = department.group("department")
                continue
            topics = [link for link in line.links if page_kind(link.url) is PageKind.FAQ]
            if not topics:
                break  # the section's entries end here
            cursor = 0
            for link in topics:
                found = line.text.find(link.text, cursor) if link.text else -1
                cursor = found + len(link.text) if found >= 0 else cursor
                after = labels.DEPARTMENT_AFTER_TOPIC.match(line.text, cursor)
                if after:
                    cursor = after.end()
                raw.append({"topic": link.text, "url": link.url,
                            "department": after.group("department") if after else None})
        return [self._load_faq(entry, position) for position, entry in enumerate(raw)]

    def _load_faq(self, raw: dict[str, Any], position: int) -> dict[str, Any]:
        loader = RelatedFaqLoader()
        loader.add_value("topic", raw["topic"])
        loader.add_value("department", raw["department"])
        loader.add_value("url", canonical_page_url(raw["url"]))
        faq = loader.load(RelatedFaqLoader.FIELDS)
        if faq["department"] is None:
            self._problem(f"related_faqs/{position}/department", "no '(<department>)' after topic")
        return faq

    # --- the item ------------------------------------------------------------------------
    def to_item(self, scraped_at: dt.datetime | None = None) -> dict[str, Any]:
        """The contract item. Missing information is ``None`` and listed in ``problems``.

        Never raises: an unexpected failure of the extractor itself becomes a
        problem on the page (and an item with nothing but its URL).
        """
        try:
            return self.build_item(scraped_at)
        except Exception as error:  # noqa: BLE001 (the crawl must go on; the reason is kept)
            self.problems = [Problem("(page)", f"extractor error: {type(error).__name__}: {error}")]
            url = canonical_article_url(self.url) or canonical_page_url(self.url)
            flat = dict.fromkeys(ArticleLoader.FIELDS)
            flat.update(url=url, article_id=article_id_from_url(url))
            return assemble_article(flat, _rfc3339_utc(scraped_at))

    def build_item(self, scraped_at: dt.datetime | None = None) -> dict[str, Any]:
        """:meth:`to_item` without its safety net (the fuzz tests call this one)."""
        self.problems = []
        if truncated := self.truncation():
            self._problem("(page)", f"truncated page: {truncated}")
        if self.question_title_index is None:
            self._problem("question/title", "no 'Share to:' label (nor headline) on the page")
        if self.ask_index is None:
            self._problem("question/asked_on", "no 'Ask Date:' label on the page")
        url = self._canonical_url()
        title, department = self._headline()
        question_lines, asker_text, date_text = self._question_lines()
        asker = labels.parse_asker(asker_text or "")

        loader = ArticleLoader()
        loader.add_value("url", url)
        loader.add_value("article_id", article_id_from_url(url))
        loader.add_value("title", title)
        loader.add_value("department", department)
        if self.question_title_index is not None:
            loader.add_value("question_title", self.lines[self.question_title_index].text)
        loader.add_value("question_text", question_lines)
        loader.add_value("asked_on", date_text)
        loader.add_value("asker_name", asker.name)
        loader.add_value("age_min", asker.age_min)
        loader.add_value("age_max", asker.age_max)
        loader.add_value("gender", asker.gender)
        loader.add_value("replies", self._replies())
        more_info = self._section(labels.MORE_INFO)
        loader.add_value("more_info", [line.text for line in more_info or []])
        loader.add_value("similar_questions", self._similar_questions())
        loader.add_value("related_faqs", self._related_faqs())
        flat = loader.load(ArticleLoader.FIELDS)

        if date_text and flat["asked_on"] is None:
            self._problem("question/asked_on", f"unreadable date {date_text!r}")
        if more_info is not None and flat["more_info"] is None:
            self._problem("more_info", "'More Info' label with no text under it")
        item = assemble_article(flat, _rfc3339_utc(scraped_at))
        self.problems += mojibake_problems(item)
        return item


def _rfc3339_utc(moment: dt.datetime | None) -> str:
    moment = (moment or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _ReplyDraft:
    header: labels.ResponderHeader
    lines: list[str] = field(default_factory=list)
    date: str | None = None


@dataclass
class _SimilarDraft:
    title: str | None = None
    url: str | None = None
    header: labels.ResponderHeader | None = None
    question_lines: list[str] = field(default_factory=list)
    answer_lines: list[str] = field(default_factory=list)
    plain_title: bool = False  # the title line was not a link

    def has_body(self) -> bool:
        return bool(self.question_lines or self.answer_lines or self.header)


_MAX_HEADER_LINES = 4


def _header_at(lines: list[Line], index: int) -> tuple[labels.ResponderHeader | None, int]:
    """A reply header starting at ``lines[index]``, possibly split over a few lines
    (title, name and department in separate block elements). Returns (header, lines used)."""
    for count in range(1, _MAX_HEADER_LINES + 1):
        if index + count > len(lines):
            break
        joined = " ".join(line.text for line in lines[index : index + count])
        header = labels.parse_responder_header(joined)
        if header and (count == 1 or header.title in labels.KNOWN_TITLES):
            return header, count
    return None, 1


def _article_link(line: Line) -> str | None:
    for link in line.links:
        if canonical_article_url(link.url):
            return link.url
    return None


def _clinic(draft: _ReplyDraft) -> str | None:
    """The line after the responder's signature ("Dr. Jiang Junyi"), when it ends the reply."""
    lines = join_honorific_lines(draft.lines)
    name = draft.header.name.lower()
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index].lower()
        if line == name or line.endswith(" " + name):
            return lines[-1] if index < len(lines) - 1 else None
    return None
