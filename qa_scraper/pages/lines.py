"""Turn an HTML document into the lines a browser shows, with their links.

Extraction keys on visible labels and their order, not on markup, so every
page object reads this list of lines instead of walking the DOM. Block
elements and ``<br>`` end a line, inline elements do not; invisible content
(scripts, styles, templates, hidden elements) and obvious page chrome
(navigation, forms, sidebars, ads, cookie banners) never produce a line.

Class and id names are used only as a fast path for chrome: with every class
and id stripped, the label-driven parser still finds the same content
because it only reads lines between the labels.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from qa_scraper.text import clean_line
from qa_scraper.urls import absolute

BLOCK_TAGS = frozenset(
    """address article aside blockquote body caption center dd details dialog dir div dl dt
    fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html li main
    menu nav ol p pre section summary table tbody tfoot thead tr ul legend""".split()
)
CELL_TAGS = frozenset({"td", "th"})
# Never visible text.
INVISIBLE_TAGS = frozenset(
    """head script style noscript template iframe object embed svg math canvas video audio
    map select textarea input""".split()
)
# Chrome by its very element (unless broken nesting put the article inside it).
CHROME_TAGS = frozenset("form button label nav aside dialog".split())
# Page-level header/footer are chrome; inside an article they hold content.
PAGE_LEVEL_ONLY_TAGS = frozenset({"header", "footer"})
CONTENT_ANCESTORS = frozenset({"article", "main", "section"})
# Fast path only: class/id words that name chrome on most sites.
CHROME_NAME = re.compile(
    r"(?:^|[\s_-])(?:ad|ads|advert\w*|advertisement|sponsor\w*|cookie\w*|consent|gdpr|"
    r"sidebar|popular\w*|footer|copyright|navbar|nav|menu|social|newsletter|promo\w*)"
    r"(?:$|[\s_-])",
    re.IGNORECASE,
)
ARTICLE_LANDMARK = re.compile(
    r"(?:ask|reply)\s*date\s*:|share\s*to\s*:|more\s*info|similar\s*q\s*&\s*a|related\s*faq",
    re.IGNORECASE,
)
SECTION_TOGGLE = re.compile(r"^(?:more\s*info|similar\s*q|related\s*faq)", re.IGNORECASE)
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


@dataclass(frozen=True)
class Link:
    url: str
    text: str


@dataclass
class Line:
    text: str
    links: list[Link] = field(default_factory=list)

    def link_covering_line(self) -> Link | None:
        """The link whose text is the whole line (a title link, a "[Read More]")."""
        for link in self.links:
            if link.text and link.text == self.text:
                return link
        return None


class _LineBuilder:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.lines: list[Line] = []
        self._parts: list[str] = []
        self._links: list[Link] = []
        self._open_links: list[tuple[str | None, list[str]]] = []

    def text(self, value: str | None) -> None:
        if value:
            self._parts.append(value)
            for _, link_parts in self._open_links:
                link_parts.append(value)

    def start_link(self, href: str | None) -> None:
        self._open_links.append((absolute(self.base_url, href), []))

    def end_link(self) -> None:
        url, parts = self._open_links.pop()
        self._add_link(url, parts)

    def _add_link(self, url: str | None, parts: list[str]) -> None:
        text = clean_line("".join(parts))
        if url:
            self._links.append(Link(url, text))

    def space(self) -> None:
        self._parts.append(" ")

    def newline(self) -> None:
        # A block boundary inside a link: the link's text so far belongs to this line.
        for index, (url, parts) in enumerate(self._open_links):
            if parts:
                self._add_link(url, parts)
                self._open_links[index] = (url, [])
        text = clean_line("".join(self._parts))
        if text:
            self.lines.append(Line(text, self._links))
            self._links = []
        self._parts = []


def _tag(node: etree._Element) -> str | None:
    tag = node.tag
    if not isinstance(tag, str):
        return None  # comment or processing instruction
    return tag.rsplit("}", 1)[-1].lower()


def _is_chrome(node: etree._Element, tag: str) -> bool:
    if tag in INVISIBLE_TAGS:
        return True
    if node.get("hidden") is not None or node.get("aria-hidden") == "true":
        return True
    if HIDDEN_STYLE.search(node.get("style") or ""):
        return True
    if tag == "button" and SECTION_TOGGLE.match(clean_line(node.xpath("string()"))):
        return False  # an expander labelled "More Info" is the section's label
    names = f"{node.get('class') or ''} {node.get('id') or ''}"
    looks_like_chrome = (
        tag in CHROME_TAGS
        or (tag in PAGE_LEVEL_ONLY_TAGS
            and not any(_tag(ancestor) in CONTENT_ANCESTORS for ancestor in node.iterancestors()))
        or (bool(names.strip()) and bool(CHROME_NAME.search(names)))
    )
    if not looks_like_chrome:
        return False
    # A page <header> holding the headline, or broken HTML (an unclosed banner <div>)
    # putting the article inside chrome: keep it then.
    holds_article = node.find(".//h1") is not None or \
        ARTICLE_LANDMARK.search(node.xpath("string()")) is not None
    return not holds_article


def visible_lines(root: etree._Element, base_url: str) -> list[Line]:
    """The visible lines of ``root`` in document order (iterative: no recursion limit)."""
    out = _LineBuilder(base_url)
    pre_depth = 0
    stack: list[tuple[etree._Element, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        tag = _tag(node)
        if closing:
            if tag == "a":
                out.end_link()
            elif tag == "pre":
                pre_depth -= 1
            if tag in BLOCK_TAGS:
                out.newline()
            _emit_text(out, node.tail, pre_depth)
            continue
        if tag is None or _is_chrome(node, tag):
            if tag in BLOCK_TAGS:
                out.newline()
            _emit_text(out, node.tail, pre_depth)
            continue
        if tag == "br":
            out.newline()
            _emit_text(out, node.tail, pre_depth)
            continue
        if tag in BLOCK_TAGS:
            out.newline()
        elif tag in CELL_TAGS:
            out.space()
        if tag == "a":
            out.start_link(node.get("href"))
        elif tag == "pre":
            pre_depth += 1
        _emit_text(out, node.text, pre_depth)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    out.newline()
    return out.lines


def _emit_text(out: _LineBuilder, value: str | None, pre_depth: int) -> None:
    if not value:
        return
    if pre_depth <= 0:
        out.text(value)
        return
    first, *rest = value.split("\n")
    out.text(first)
    for piece in rest:
        out.newline()
        out.text(piece)
