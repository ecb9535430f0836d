"""Page object of an article page: (url, html) in, contract item out.

Pure: no Scrapy engine, no I/O. Every field is anchored on the visible labels
and their order ("Share to:", "Ask Date:", "<title> <name> reply <dept>",
"Reply Date:", "More Info", "Similar Q&A", "[Read More]", "Related FAQ"), read
from the page's visible lines (:mod:`qa_scraper.reading.lines`), never on class
names. What cannot be found is reported in :attr:`ArticlePage.problems`
(field and reason) rather than raised.

Layout, in the style of web-poet / zyte-common-items page objects (one class per part of the
page, one method per contract field, named after the field; ``to_item()`` builds the part's
dict in the order of its item class, :mod:`qa_scraper.items`):

- :class:`ArticlePage` (here) reads ``url``, ``article_id``, ``title``, ``department`` and
  ``more_info``; its ``question``, ``asker``, ``replies``, ``similar_questions`` and
  ``related_faqs`` are the parts below. The lines and landmarks it reads between are found
  once by its base, :class:`~qa_scraper.pages.document.ArticleDocument`;
- :class:`~qa_scraper.pages.question.Question` (``question.title``, ``.text``,
  ``.asked_on``) in :mod:`qa_scraper.pages.question`;
- :class:`~qa_scraper.pages.asker.Asker` (``asker.name``, ``.age_min``, ``.age_max``,
  ``.gender``) in :mod:`qa_scraper.pages.asker`;
- :class:`~qa_scraper.pages.reply.Reply` (``replies[].*``, ``clinic`` included)
  in :mod:`qa_scraper.pages.reply`;
- :class:`~qa_scraper.pages.similar.SimilarQuestion` (``similar_questions[].*``)
  in :mod:`qa_scraper.pages.similar`;
- :class:`~qa_scraper.pages.faq.RelatedFaq` (``related_faqs[].*``) in
  :mod:`qa_scraper.pages.faq`.

Each field method cleans its value with one of the itemloaders processors of
:mod:`qa_scraper.processors`. The page's landmark labels are in :mod:`qa_scraper.pages.labels`;
each part's own patterns are beside the part.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from qa_scraper.items import (
    LANGUAGE,
    PAGE_FIELDS,
    SCALAR_TYPES,
    SCHEMA_VERSION,
    SOURCE,
    Content,
    empty_item,
    read_content,
)
from qa_scraper.pages import labels
from qa_scraper.pages.asker import Asker
from qa_scraper.pages.cached import cached_property, read_fields
from qa_scraper.pages.document import HEADLINE_SEPARATOR, ArticleDocument
from qa_scraper.pages.faq import RelatedFaq, split_related_faqs
from qa_scraper.pages.mojibake import mojibake_problems
from qa_scraper.pages.problems import Problem
from qa_scraper.pages.question import Question
from qa_scraper.pages.reply import Reply, split_replies
from qa_scraper.pages.similar import SimilarQuestion, split_similar_questions
from qa_scraper.processors import clean_value, text_value
from qa_scraper.text import clean_line
from qa_scraper.urls import (
    absolute,
    article_id_from_url,
    canonical_article_url,
    canonical_page_url,
    same_host,
)

_SITE_NAMES = frozenset({"doctorqna", "doctorqna.com", "doctor qna"})
_CANONICAL_HREFS = etree.XPath(
    "//link[contains(concat(' ', normalize-space(translate(@rel,"
    " 'CANONICAL', 'canonical')), ' '), ' canonical ')]/@href",
    smart_strings=False,
)


class ArticlePage(ArticleDocument):
    """One article page. ``to_item()`` gives the contract item; ``problems`` what is missing.

    ``page_url`` is the URL the page was fetched from; ``url`` is the item's
    (canonical) URL.
    """

    # The item's constants: fields like the others (one attribute per field).
    schema_version = SCHEMA_VERSION
    source = SOURCE
    language = LANGUAGE

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
        parts = HEADLINE_SEPARATOR.split(text)
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
        parts = HEADLINE_SEPARATOR.split(self._page_title())
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
            _stamp(item, scraped_at)
            return item

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
        item = read_fields(self, PAGE_FIELDS, _plain)
        content = _stamp(item, scraped_at)
        for position, reply in enumerate(self.replies):
            problems += reply.problems(f"replies/{position}")
        for position, entry in enumerate(self.similar_questions):
            problems += entry.problems(f"similar_questions/{position}")
        for position, faq in enumerate(self.related_faqs):
            problems += faq.problems(f"related_faqs/{position}")
        problems += self.question.problems()
        if labels.MORE_INFO in self.sections and self.more_info is None:
            problems.append(Problem("more_info", "'More Info' label with no text under it"))
        # (An all-ASCII content holds no mojibake; the stamped fields are ASCII too.)
        self.problems = problems + ([] if content.is_ascii else mojibake_problems(item))
        return item


def _plain(value: Any) -> Any:
    """A field's value as the item holds it: a page part as its dict, a list of parts as a
    list of dicts."""
    if type(value) in SCALAR_TYPES:
        return value
    if isinstance(value, list):
        # (A part's dict made here, not in a call of _plain per entry: the same list.)
        return [
            to_item() if (to_item := getattr(entry, "to_item", None)) else _plain(entry)
            for entry in value
        ]
    to_item = getattr(value, "to_item", None)
    return to_item() if to_item else value


def _stamp(item: dict[str, Any], scraped_at: dt.datetime | None) -> Content:
    """Stamps the item with its scraped_at (RFC 3339, UTC) and content hash; gives what
    :func:`~qa_scraper.items.read_content` found in its content."""
    moment = (scraped_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    item["scraped_at"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    content = read_content(item)
    item["content_hash"] = content.hash
    item["warc"] = None  # where the page is archived: the spider knows (the page does not)
    return content
