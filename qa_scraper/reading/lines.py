"""Turn an HTML document into the lines a browser shows, with their links.

Extraction keys on visible labels and their order, not on markup, so every
page object reads this list of lines instead of walking the DOM.

Layout, as a browser renders it:

- Block boxes (``<div>``, ``<p>``, headings, list items, table rows ... or any
  element a style makes ``display: block``/``list-item``/``table``/``flex``...)
  and ``<br>`` end a line; inline boxes (``<span>``, ``<font>``, ``<b>``,
  ``<bdi>``...) do not: text split over several inline elements reads exactly
  as one text, with no space added and none taken away; table cells are
  separated by a space.
- White space collapses, except where CSS ``white-space`` (``pre``,
  ``pre-wrap``, ``pre-line``, ``break-spaces``; or ``white-space-collapse:
  preserve``/``preserve-breaks``) keeps line breaks: there a newline inside a
  text node ends the line. ``<pre>`` does so by default. The value comes from
  the cascade of inline ``style`` attributes and the page's own ``<style>``
  rules (tag, class, id, attribute selectors and combinators: parsed with
  tinycss2, matched with cssselect, specificity, source order and
  ``!important`` honoured; inherited as CSS inherits it).

Text drawn by CSS (:mod:`qa_scraper.reading.generated`): ``::before``/``::after``/``::marker``
``content`` (strings, ``attr()``, counters) and list markers ("3. " of ``<ol start=3>``) are
read where Chromium draws them; a bullet glyph (disc, circle, square) is not text.

Hidden content (the rule):

An element is *hidden* when it has the ``hidden`` attribute, ``display: none``,
``visibility: hidden|collapse`` (inline or from a ``<style>`` rule) or
``aria-hidden="true"``; hidden elements are not read, with one exception:
content the page has *collapsed* until a reader expands it is read as the reader
would see it after expanding. Collapsed content is (1) the body of a
``<details>`` element, open or closed; (2) a hidden element whose id is named by
an ``aria-controls`` attribute, or a hidden element right beside (its previous
or next sibling) a collapsed disclosure control: one marked
``aria-expanded="false"``, or a button or link to nowhere (no href, ``#...``,
``javascript:``) whose whole text is an expander's words ("Read more", "Show
all", "Expand", "Continue reading") and has no ``aria-expanded="true"``; (3) a
hidden block that comes right after a section label line ("More Info", "Similar
Q&A", "Related FAQ") when nothing else visible follows it inside its parent,
i.e. the section would otherwise be empty. Hidden elements inside revealed
content follow the same rule again, so a hidden tracking span inside it stays
unread; hidden elements anywhere else (a hidden tracking span or "spam" div in
the question, with no expander beside it) are never read. Never content,
wherever it sits and whether hidden or not: ``<template>``, ``<noscript>``,
``<script>``, ``<style>`` and embedded objects; dialogs and modals
(``<dialog>``, ``role="dialog"``/``alertdialog``, ``aria-modal="true"``); cookie
and consent banners; menus (``<nav>``, ``<menu>``,
``role="navigation"``/``menu``/``menubar``); and the labels of toggle controls
(``<button>``, ``<summary>``, ``role="button"``, any element carrying
``aria-expanded`` or ``aria-controls``, a link to nowhere saying "Read more":
e.g. "Show more", "Expand", "Read full article"), except a control whose whole
text is a section label ("More Info", "Similar Q&A +"), which is read as that
label. The only way chrome is kept is broken nesting that put the question
itself inside it (it holds the headline or a "Share to:"/"Ask Date:" label).

Other obvious page chrome (forms, sidebars, page-level header and footer, ads)
never produces a line either. Class and id names are used only as a fast path
for chrome: with every class and id stripped, the label-driven parser still
finds the same content because it only reads lines between the labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

import cssselect
import tinycss2
from cssselect import HTMLTranslator, SelectorError
from cssselect.xpath import ExpressionError
from lxml import etree

from qa_scraper.pages import labels
from qa_scraper.reading import generated
from qa_scraper.text import clean_line
from qa_scraper.urls import absolute

BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "html",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
        "legend",
        "listing",
        "xmp",
        "plaintext",
    ]
)
CELL_TAGS = frozenset({"td", "th"})
# Tags whose text keeps its line breaks by default (the UA stylesheet's white-space: pre).
PRE_TAGS = frozenset({"pre", "listing", "xmp", "plaintext"})
# Never visible text.
INVISIBLE_TAGS = frozenset(
    [
        "head",
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "canvas",
        "video",
        "audio",
        "map",
        "select",
        "textarea",
        "input",
    ]
)
# Chrome by its very element (unless broken nesting put the article inside it).
CHROME_TAGS = frozenset(["form", "label", "nav", "aside"])
CHROME_ROLES = frozenset({"navigation", "search", "complementary"})
# Never content, wherever they sit (unless they hold the question itself: broken nesting).
MENU_TAGS = frozenset({"menu"})
MENU_ROLES = frozenset({"menu", "menubar"})
DIALOG_ROLES = frozenset({"dialog", "alertdialog"})
TOGGLE_TAGS = frozenset({"button", "summary"})
TOGGLE_ROLES = frozenset({"button", "switch"})
HEADING_TAGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
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
# A word every ARTICLE_LANDMARK match contains: a quick test that rules out most text.
_LANDMARK_WORDS = ("date", "share", "more", "similar", "related")
# The non-ASCII letters that re.IGNORECASE matches to an ASCII letter and lower() does not
# lower to it (İ, ı, ſ; the Kelvin sign lowers to "k" anyway).
_IGNORECASE_FOLDS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
# The question itself: only broken nesting puts it inside a dialog, menu or button.
QUESTION_LANDMARK = re.compile(r"ask\s*date\s*:|share\s*to\s*:", re.IGNORECASE)
# The words of an expander: a link to nowhere or a button saying these is a toggle control.
TOGGLE_WORDS = re.compile(
    r"^(?:(?:read|show|see|view|load)\s+(?:more|less|all|full|the\s+full|entire|whole|rest)\b"
    r".{0,40}|expand\b.{0,30}|collapse\b.{0,30}|continue\s+reading\b.{0,30}|more|less|"
    r"(?:show|see|view|read)\s+(?:answer|reply|article)\b.{0,30})$",
    re.IGNORECASE,
)
COOKIE_NAME = re.compile(r"cookie|consent|gdpr", re.IGNORECASE)
COOKIE_TEXT = re.compile(
    r"\b(?:we|site|website|page)\s+uses?\s+cookies\b|\bcookies?\s+(?:policy|settings|"
    r"preferences|consent)\b|\baccept\s+(?:all\s+)?cookies\b|\bby\s+continuing\s+to\s+"
    r"(?:browse|use)\b.*\bcookies?\b",
    re.IGNORECASE | re.DOTALL,
)

# --- CSS ------------------------------------------------------------------------------------
_CSS_PROPERTIES = frozenset(
    {
        "display",
        "visibility",
        "white-space",
        "white-space-collapse",
        "content",
        "counter-reset",
        "counter-increment",
        "counter-set",
        "list-style",
        "list-style-type",
        "list-style-position",
    }
)
# Properties whose value keeps its letter case (strings, attribute and counter names).
_CASE_KEPT = frozenset({"content", "counter-reset", "counter-increment", "counter-set"})
# The pseudo-elements whose generated text a browser draws: their declarations are kept under
# "<pseudo>:<property>" on the element that carries them.
_PSEUDO_ELEMENTS = frozenset({"before", "after", "marker"})
_KEEPS_BREAKS = frozenset(
    {
        "pre",
        "pre-wrap",
        "pre-line",
        "break-spaces",
        "preserve",
        "preserve-breaks",
        "preserve-spaces",
    }
)
_COLLAPSES = frozenset({"normal", "nowrap", "collapse", "initial"})
_INHERIT = frozenset({"inherit", "unset"})
_BLOCK_DISPLAY = frozenset(
    {
        "block",
        "list-item",
        "table",
        "flex",
        "grid",
        "flow-root",
        "table-row",
        "table-row-group",
        "table-header-group",
        "table-footer-group",
        "table-caption",
        "run-in",
    }
)
_INLINE_DISPLAY = frozenset(
    {
        "inline",
        "inline-block",
        "inline-flex",
        "inline-grid",
        "inline-table",
        "contents",
        "ruby",
        "initial",
    }
)
_HIDDEN_VISIBILITY = frozenset({"hidden", "collapse"})
_TRANSLATOR = HTMLTranslator()
# XPath expressions compiled once (element.xpath() compiles its expression on every call).
_STRING_VALUE = etree.XPath("string()")
_STYLED = etree.XPath("//*[@style]")
_ARIA_CONTROLS = etree.XPath("//@aria-controls")

# (important, inline, specificity, source order): the greater wins, as in the CSS cascade.
_Priority = tuple[bool, bool, tuple[int, int, int], int]
_Declarations = tuple[tuple[str, str, bool], ...]


def _declarations(tokens: list) -> _Declarations:
    """The (property, value, important) of the properties the reader uses, lower-cased."""
    found = []
    for item in tinycss2.parse_blocks_contents(tokens, skip_comments=True, skip_whitespace=True):
        if item.type == "declaration" and item.lower_name in _CSS_PROPERTIES:
            value = tinycss2.serialize(item.value).strip()
            if item.lower_name not in _CASE_KEPT:
                value = value.lower()
            found.append((item.lower_name, value, bool(item.important)))
    return tuple(found)


@lru_cache(maxsize=4096)
def _inline_declarations(style: str) -> _Declarations:
    return _declarations(tinycss2.parse_component_value_list(style, skip_comments=True))


def _rules(nodes: list, out: list[tuple[str, _Declarations]]) -> None:
    for node in nodes:
        if node.type == "qualified-rule":
            declarations = _declarations(node.content)
            if declarations:
                out.append((tinycss2.serialize(node.prelude).strip(), declarations))
        elif (
            node.type == "at-rule"
            and node.content is not None
            and node.lower_at_keyword in ("media", "supports", "layer", "container")
        ):
            if node.lower_at_keyword == "media" and not _media_applies(
                tinycss2.serialize(node.prelude)
            ):
                continue
            _rules(
                tinycss2.parse_blocks_contents(
                    node.content, skip_comments=True, skip_whitespace=True
                ),
                out,
            )


def _media_applies(query: str) -> bool:
    """A screen reader of the page: print-only (or speech-only) media rules do not apply."""
    query = query.strip().lower()
    if not query:
        return True
    return any(
        not re.match(r"^(?:only\s+)?(?:print|speech)\b", part.strip())
        and not re.match(r"^not\s+(?:all|screen)\b", part.strip())
        for part in query.split(",")
    )


@lru_cache(maxsize=256)
def _stylesheet(css: str) -> tuple[tuple[str, _Declarations], ...]:
    """The rules of a stylesheet that set a property the reader uses (parsed once per text)."""
    out: list[tuple[str, _Declarations]] = []
    _rules(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True), out)
    return tuple(out)


@lru_cache(maxsize=2048)
def _selectors(group: str) -> tuple[tuple[etree.XPath, tuple[int, int, int], str], ...]:
    """Each selector of a group as a compiled XPath with its specificity and its
    pseudo-element ("" for the element itself, else "before"/"after"/"marker"); selectors
    that cannot match a static page (``:hover``, other pseudo-elements, unknown syntax) are
    left out."""
    compiled = []
    try:
        parsed = cssselect.parse(group)
    except SelectorError:
        return ()
    for selector in parsed:
        pseudo = selector.pseudo_element
        if pseudo is not None and (not isinstance(pseudo, str) or pseudo not in _PSEUDO_ELEMENTS):
            continue
        selector.pseudo_element = None
        try:
            xpath = etree.XPath(_TRANSLATOR.selector_to_xpath(selector))
        except (ExpressionError, SelectorError, etree.XPathSyntaxError):
            continue
        finally:
            selector.pseudo_element = pseudo
        compiled.append((xpath, selector.specificity(), pseudo or ""))
    return tuple(compiled)


class PageStyle:
    """The declared values of ``display``, ``visibility`` and ``white-space`` on each element,
    after the cascade. Every rule is matched once per page (one XPath run over the tree),
    not once per element."""

    def __init__(self, document: etree._Element) -> None:
        self.declared: dict[etree._Element, dict[str, tuple[_Priority, str]]] = {}
        order = 0
        for style in document.iter("style"):
            if _in_inert_subtree(style) or not _media_applies(style.get("media") or ""):
                continue
            for group, declarations in _stylesheet("".join(style.itertext())):
                for xpath, specificity, pseudo in _selectors(group):
                    order += 1
                    try:
                        matched = xpath(document)
                    except etree.XPathError:
                        continue
                    for element in matched:
                        for name, value, important in declarations:
                            if pseudo:
                                name = f"{pseudo}:{name}"
                            self._declare(
                                element, name, value, (important, False, specificity, order)
                            )
        for element in _STYLED(document):
            style = element.get("style")
            if style:
                for name, value, important in _inline_declarations(style):
                    self._declare(element, name, value, (important, True, (0, 0, 0), 0))

    def _declare(self, element: etree._Element, name: str, value: str, priority: _Priority) -> None:
        values = self.declared.setdefault(element, {})
        current = values.get(name)
        if current is None or priority >= current[0]:
            values[name] = (priority, value)

    def get(self, element: etree._Element) -> dict[str, tuple[_Priority, str]] | None:
        return self.declared.get(element)


def _in_inert_subtree(element: etree._Element) -> bool:
    return any(_tag(ancestor) in ("template", "noscript") for ancestor in element.iterancestors())


# --- lines ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Link:
    url: str
    text: str


@dataclass
class Line:
    text: str
    links: list[Link] = field(default_factory=list)
    marker: str = ""  # the list marker the line starts with ("3."), part of ``text``

    @property
    def content(self) -> str:
        """The line without its list marker (a title in a numbered list is still the title)."""
        return self.text[len(self.marker) :].lstrip() if self.marker else self.text

    def link_covering_line(self) -> Link | None:
        """The link whose text is the whole line (a title link, a "[Read More]"), the list
        marker drawn before it apart."""
        for link in self.links:
            if link.text and link.text in (self.text, self.content):
                return link
        return None


# Links that urljoin would not change, or only prefix with the page's origin: plain
# characters; in a relative link no dot segment, query, fragment or parameters to resolve
# (an absolute one keeps its dots, and a non-empty query is put back as it was).
_PLAIN_ABSOLUTE_URL = re.compile(
    r"https?://[A-Za-z0-9.\-]+(?::[0-9]+)?/[A-Za-z0-9_\-/.]*(?:\?[A-Za-z0-9_\-.%=&+]+)?"
)
_PLAIN_ROOT_PATH = re.compile(r"/(?:[A-Za-z0-9_\-][A-Za-z0-9_\-/]*)?")


class _LineBuilder:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.lines: list[Line] = []
        self._parts: list[str] = []
        self._marker = ""
        self._line_marker = ""  # the marker the line being built starts with
        self._links: list[Link] = []
        self._open_links: list[tuple[str | None, list[str]]] = []
        self._urls: dict[str, str | None] = {}  # href -> absolute URL (pages repeat links)
        # The fast paths of _absolute() need a base that urljoin can read (else it raises).
        self._fast_urls = True
        self._origin = None
        try:
            base = urlsplit(base_url)
        except ValueError:
            self._fast_urls = False
        else:
            if base.scheme in ("http", "https") and base.netloc:
                self._origin = f"{base.scheme}://{base.netloc}"

    def text(self, value: str | None) -> None:
        if value:
            if self._marker and not value.isspace():
                if not "".join(self._parts).strip():
                    self._line_marker = self._marker
                self._parts.append(self._marker)  # beside the item's first text, not in a link
                self._marker = ""
            self._parts.append(value)
            for _, link_parts in self._open_links:
                link_parts.append(value)

    def start_link(self, href: str | None) -> None:
        if href is None:
            url = None
        elif href in self._urls:
            url = self._urls[href]
        else:
            url = self._urls[href] = self._absolute(href)
        self._open_links.append((url, []))

    def _absolute(self, href: str) -> str | None:
        """:func:`qa_scraper.urls.absolute`, without urljoin for the plain links most are."""
        if self._fast_urls:
            if _PLAIN_ABSOLUTE_URL.fullmatch(href):
                return href
            if self._origin and _PLAIN_ROOT_PATH.fullmatch(href):
                return self._origin + href
        return absolute(self.base_url, href)

    def end_link(self) -> None:
        url, parts = self._open_links.pop()
        self._add_link(url, parts)

    def _add_link(self, url: str | None, parts: list[str]) -> None:
        text = clean_line("".join(parts))
        if url:
            self._links.append(Link(url, text))

    def marker(self, value: str, inside: bool = False) -> None:
        """A list marker: drawn inside the item, it is text where it stands; outside, it
        prefixes the item's first line of text."""
        if inside:
            if not "".join(self._parts).strip():
                self._line_marker = value
            self._parts.append(value)
        else:
            self._marker = (self._marker + value) if self._marker else value

    def flush_marker(self) -> None:
        """The item ended without text: its marker is drawn alone."""
        if self._marker:
            marker, self._marker = self._marker, ""
            self._parts.append(marker)

    def space(self) -> None:
        self._parts.append(" ")

    def newline(self) -> None:
        if not self._parts:
            return  # nothing since the last line (then no open link has text either)
        # A block boundary inside a link: the link's text so far belongs to this line.
        for index, (url, parts) in enumerate(self._open_links):
            if parts:
                self._add_link(url, parts)
                self._open_links[index] = (url, [])
        text = clean_line("".join(self._parts))
        if text:
            marker = clean_line(self._line_marker)
            if marker and not text.startswith(marker):
                marker = ""
            self.lines.append(Line(text, self._links, marker))
            self._links = []
        self._parts = []
        self._line_marker = ""

    def last_line(self) -> str | None:
        return self.lines[-1].text if self.lines else None


def _tag(node: etree._Element) -> str | None:
    tag = node.tag
    if not isinstance(tag, str):
        return None  # comment or processing instruction
    return tag.rsplit("}", 1)[-1].lower()


def _goes_nowhere(element: etree._Element) -> bool:
    href = (element.get("href") or "").strip().lower()
    return not href or href.startswith(("#", "javascript:"))


def _is_word_toggle(element: etree._Element, tag: str | None) -> bool:
    """A link to nowhere or a button whose whole text is an expander's ("Read more")."""
    role = (element.get("role") or "").strip().lower()
    if not ((tag == "a" and _goes_nowhere(element)) or tag == "button" or role in TOGGLE_ROLES):
        return False
    text = clean_line(_STRING_VALUE(element))
    return len(text) <= 60 and TOGGLE_WORDS.match(text) is not None


def _is_collapsed_toggle(element: etree._Element) -> bool:
    """A disclosure control that is collapsed (``aria-expanded="false"``, or an expander's
    words without ``aria-expanded="true"``), or a wrapper holding nothing but one."""
    expanded = element.get("aria-expanded")
    if expanded is not None:
        return expanded == "false"
    if _is_word_toggle(element, _tag(element)):
        return True
    text = clean_line(_STRING_VALUE(element))
    if len(text) > 60:
        return False  # a wrapper holding more than a control's label
    for control in element.iterfind(".//*"):
        if control.get("aria-expanded") == "false" or _is_word_toggle(control, _tag(control)):
            return text == clean_line(_STRING_VALUE(control))
    return False


def _is_section_label(text: str) -> bool:
    return any(label.match(text) for label in labels.SECTION_LABELS)


_BLOCK, _CELL, _INLINE, _NONE = "block", "cell", "inline", "none"
# What ends with an open element (bit flags): an ::after, a list item, a reversed list.
_PSEUDO, _ITEM, _LIST = 1, 2, 4
# Tags that take part in the list-item counter by themselves (the UA's list styles).
_LIST_TAGS = frozenset({"ol", "ul", "menu", "dir", "li"})
# How the walk closes an element it did not read, and a <br>.
_SKIPPED, _BR = "skipped", "br"
# Tags that need no check beyond their attributes and style: neither invisible, chrome,
# menu, dialog, toggle nor pre-formatted by themselves.
_NEVER_TAGS = TOGGLE_TAGS | MENU_TAGS | {"dialog"}
_NEVER_ATTRIBUTES = frozenset(
    {"role", "aria-expanded", "aria-controls", "aria-modal", "aria-label"}
)
# Attributes that the checks of the walk's slow path read (besides class and id).
_SLOW_PATH_ATTRIBUTES = _NEVER_ATTRIBUTES | {"hidden", "aria-hidden"}
_SPECIAL_TAGS = (
    INVISIBLE_TAGS
    | CHROME_TAGS
    | MENU_TAGS
    | TOGGLE_TAGS
    | PRE_TAGS
    | PAGE_LEVEL_ONLY_TAGS
    | {"dialog"}
)


def _only_plain_attributes(node: etree._Element, tag: str, keys: list[str]) -> bool:
    """Attributes that none of :meth:`_Reader._never_read`, :meth:`_Reader.display`,
    :meth:`_Reader.is_hidden` and :meth:`_Reader._is_chrome` acts on: none of
    :data:`_SLOW_PATH_ATTRIBUTES`, no link to nowhere, no class or id naming chrome."""
    if not _SLOW_PATH_ATTRIBUTES.isdisjoint(keys):
        return False
    if tag == "a" and _goes_nowhere(node):
        return False
    return not _names_look_like_chrome(f"{node.get('class') or ''} {node.get('id') or ''}")


class _Reader:
    """One page's reading: its style, the ids toggles control, the walk."""

    def __init__(self, root: etree._Element, base_url: str) -> None:
        document = root.getroottree().getroot()
        if document is None:
            document = root
        self.style = PageStyle(document)
        self.controlled_ids = frozenset(
            name for value in _ARIA_CONTROLS(document) for name in str(value).split()
        )
        self.root = root
        self.out = _LineBuilder(base_url)
        self.counters = generated.Counters()

    # -- computed style ----------------------------------------------------------------
    def display(self, node: etree._Element, tag: str) -> str:
        declared = self.style.get(node)
        value = declared["display"][1] if declared and "display" in declared else None
        if value is not None and value not in _INHERIT:
            first = value.split()[0] if value.split() else ""
            if first == "none":
                return _NONE
            if first in _BLOCK_DISPLAY:
                return _BLOCK
            if first == "table-cell":
                return _CELL
            if first in _INLINE_DISPLAY:
                return _INLINE
        if node.get("hidden") is not None:
            return _NONE  # the UA's [hidden] { display: none }, unless a style overrides it
        if tag in BLOCK_TAGS:
            return _BLOCK
        if tag in CELL_TAGS:
            return _CELL
        return _INLINE

    def keeps_breaks(self, node: etree._Element, tag: str, inherited: bool) -> bool:
        declared = self.style.get(node)
        if declared:
            for name in ("white-space-collapse", "white-space"):
                if name in declared:
                    words = declared[name][1].split()
                    if any(word in _KEEPS_BREAKS for word in words):
                        return True
                    if any(word in _COLLAPSES for word in words):
                        return False
        return True if tag in PRE_TAGS else inherited

    def is_hidden(self, node: etree._Element, display: str) -> bool:
        if display == _NONE or node.get("aria-hidden") == "true":
            return True
        declared = self.style.get(node)
        return bool(
            declared
            and "visibility" in declared
            and declared["visibility"][1] in _HIDDEN_VISIBILITY
        )

    # -- the hidden-content rule -------------------------------------------------------
    def is_collapsed_content(self, node: etree._Element, tag: str) -> bool:
        """Hidden until a reader expands it, and where content belongs (module docstring)."""
        node_id = node.get("id")
        if node_id and node_id in self.controlled_ids:
            return True
        beside = (
            next(node.itersiblings(etree.Element, preceding=True), None),
            next(node.itersiblings(etree.Element), None),
        )
        for sibling in beside:
            if sibling is not None and _is_collapsed_toggle(sibling):
                return True
        if tag not in BLOCK_TAGS:
            return False
        self.out.newline()
        last = self.out.last_line()
        return last is not None and _is_section_label(last) and not self._visible_text_follows(node)

    def _visible_text_follows(self, node: etree._Element) -> bool:
        if (node.tail or "").strip():
            return True
        for sibling in node.itersiblings():
            tag = _tag(sibling)
            if (
                tag is not None
                and not self._never_read(sibling, tag)
                and not self.is_hidden(sibling, self.display(sibling, tag))
                and clean_line(_STRING_VALUE(sibling))
            ):
                return True
            if (sibling.tail or "").strip():
                return True
        return False

    def _never_read(self, node: etree._Element, tag: str, keys: list[str] | None = None) -> bool:
        """Never content wherever it sits: invisible tags, dialogs, menus, cookie banners,
        toggle labels (module docstring); chrome holding the question itself is kept."""
        if tag in INVISIBLE_TAGS:
            return True
        if keys is None:
            keys = node.keys()
        if tag == "a" and _goes_nowhere(node) and _is_word_toggle(node, tag):
            return True
        if tag not in _NEVER_TAGS and _NEVER_ATTRIBUTES.isdisjoint(keys):
            text = node.text
            if not text or "ookie" not in text or not self._is_cookie_notice(node):
                return False
        role = (node.get("role") or "").strip().lower()
        is_toggle = (
            tag in TOGGLE_TAGS
            or role in TOGGLE_ROLES
            or node.get("aria-expanded") is not None
            or node.get("aria-controls") is not None
        ) and tag not in HEADING_TAGS
        never = (
            is_toggle
            or tag == "dialog"
            or role in DIALOG_ROLES
            or (node.get("aria-modal") or "").lower() == "true"
            or tag in MENU_TAGS
            or role in MENU_ROLES
            or bool(COOKIE_NAME.search(node.get("aria-label") or ""))
            or self._is_cookie_notice(node)
        )
        if not never:
            return False
        text = clean_line(_STRING_VALUE(node))
        if is_toggle and _is_section_label(text):
            return False  # an expander labelled "More Info" is the section's label
        return node.find(".//h1") is None and not QUESTION_LANDMARK.search(text)

    @staticmethod
    def _is_cookie_notice(node: etree._Element) -> bool:
        """A cookie notice without a telling class: its own text asks to accept cookies and
        a button to do so sits beside it."""
        own = node.text or ""
        if "ookie" not in own or not COOKIE_TEXT.search(own):
            return False
        parent = node.getparent()
        scope = parent if parent is not None else node
        return scope.find(".//button") is not None or scope.find(".//*[@role='button']") is not None

    def _is_chrome(self, node: etree._Element, tag: str) -> bool:
        names = f"{node.get('class') or ''} {node.get('id') or ''}"
        role = (node.get("role") or "").strip().lower()
        looks_like_chrome = (
            tag in CHROME_TAGS
            or role in CHROME_ROLES
            or (
                tag in PAGE_LEVEL_ONLY_TAGS
                and not any(
                    _tag(ancestor) in CONTENT_ANCESTORS for ancestor in node.iterancestors()
                )
            )
            or _names_look_like_chrome(names)
        )
        if not looks_like_chrome:
            return False
        # A page <header> holding the headline, or broken HTML (an unclosed banner <div>)
        # putting the article inside chrome: keep it then.
        holds_article = node.find(".//h1") is not None or _has_article_landmark(_STRING_VALUE(node))
        return not holds_article

    # -- generated text (qa_scraper.reading.generated) ----------------------------------
    def list_style(
        self, node: etree._Element, tag: str, inherited: tuple[str, str]
    ) -> tuple[str, str]:
        """This element's (list-style-type, list-style-position): declared, the ``type``
        attribute, the UA's for a list owner, else inherited."""
        style_type, position = inherited
        if tag in generated.UA_LIST_STYLE_TYPE:
            style_type = generated.UA_LIST_STYLE_TYPE[tag]
        if tag in ("ol", "li"):
            hinted = generated.TYPE_ATTRIBUTE.get((node.get("type") or "").strip())
            if hinted:
                style_type = hinted
        declared = self.style.get(node)
        if declared:
            shorthand = declared.get("list-style")
            if shorthand is not None:
                short_type, short_position = generated.list_style(shorthand[1])
                long_type = declared.get("list-style-type")
                if short_type and (long_type is None or shorthand[0] >= long_type[0]):
                    style_type = short_type
                long_position = declared.get("list-style-position")
                if short_position and (long_position is None or shorthand[0] >= long_position[0]):
                    position = short_position
            for name, index in (("list-style-type", 0), ("list-style-position", 1)):
                value = declared.get(name)
                if (
                    value is not None
                    and (shorthand is None or value[0] > shorthand[0])
                    and value[1] not in _INHERIT
                ):
                    if index == 0:
                        style_type = value[1]
                    else:
                        position = value[1]
        return style_type, position

    def is_list_item(self, node: etree._Element, tag: str) -> bool:
        declared = self.style.get(node)
        if declared and "display" in declared and declared["display"][1] not in _INHERIT:
            return "list-item" in declared["display"][1].split()
        return tag == "li"

    def start_counters(
        self, node: etree._Element, tag: str, depth: int, list_item: bool, parent: str
    ) -> None:
        """Counter changes of an element, in CSS order: reset, increment, set (the UA's
        list-item counter included)."""
        counters = self.counters
        declared = self.style.get(node) or {}
        if tag in generated.LIST_OWNERS:
            reversed_list = tag == "ol" and node.get("reversed") is not None
            start = generated.integer_attribute(node.get("start")) if tag == "ol" else None
            if reversed_list:
                first = start if start is not None else self._owned_items(node)
                counters.reset("list-item", first + 1, depth)
            else:
                counters.reset("list-item", (start if start is not None else 1) - 1, depth)
        if "counter-reset" in declared:
            for name, value in generated.counter_changes(declared["counter-reset"][1], 0):
                counters.reset(name, value, depth)
        incremented = set()
        if "counter-increment" in declared:
            for name, value in generated.counter_changes(declared["counter-increment"][1], 1):
                counters.increment(name, value, depth)
                incremented.add(name)
        if list_item and "list-item" not in incremented:
            counters.increment("list-item", -1 if parent == "reversed" else 1, depth)
        if list_item and tag == "li":
            value = generated.integer_attribute(node.get("value"))
            if value is not None:
                counters.set("list-item", value, depth)
        if "counter-set" in declared:
            for name, value in generated.counter_changes(declared["counter-set"][1], 0):
                counters.set(name, value, depth)

    @staticmethod
    def _owned_items(node: etree._Element) -> int:
        """The list items whose list owner is ``node`` (a reversed list counts down from it)."""
        count = 0
        for item in node.iter("li"):
            owner = next(
                (a for a in item.iterancestors() if _tag(a) in generated.LIST_OWNERS), None
            )
            if owner is node:
                count += 1
        return count

    def pseudo_text(self, node: etree._Element, pseudo: str) -> tuple[str, bool] | None:
        """The text a ``::before``/``::after`` draws and whether it is a block; None if none."""
        declared = self.style.get(node)
        if not declared or f"{pseudo}:content" not in declared:
            return None
        display = declared.get(f"{pseudo}:display")
        if display and display[1].split()[:1] == ["none"]:
            return None
        visibility = declared.get(f"{pseudo}:visibility")
        if visibility and visibility[1] in _HIDDEN_VISIBILITY:
            return None
        text = generated.content_text(
            declared[f"{pseudo}:content"][1], node.attrib, self.counters, marker=False
        )
        if not text:
            return None
        block = bool(display) and display[1].split()[0] in _BLOCK_DISPLAY
        return text, block

    def marker(self, node: etree._Element, list_style: tuple[str, str]) -> str:
        """The list marker's text as drawn ("3. "), or "" (none, or only a bullet glyph)."""
        declared = self.style.get(node)
        text = None
        if declared and "marker:content" in declared:
            text = generated.content_text(
                declared["marker:content"][1], node.attrib, self.counters, marker=True
            )
        if text is None:
            text = generated.marker_text(self.counters.value("list-item"), list_style[0])
        return "" if generated.is_bullet(text) else text

    def _emit_pseudo(self, node: etree._Element, pseudo: str, breaks: bool, depth: int) -> None:
        declared = self.style.get(node) or {}
        if f"{pseudo}:content" in declared:  # a generated box: its own counter changes
            for prop, default, change in (
                ("counter-reset", 0, self.counters.reset),
                ("counter-increment", 1, self.counters.increment),
                ("counter-set", 0, self.counters.set),
            ):
                if f"{pseudo}:{prop}" in declared:
                    for name, value in generated.counter_changes(
                        declared[f"{pseudo}:{prop}"][1], default
                    ):
                        change(name, value, depth)
        drawn = self.pseudo_text(node, pseudo)
        if drawn is None:
            return
        text, block = drawn
        for name in ("white-space-collapse", "white-space"):
            if f"{pseudo}:{name}" in declared:
                words = declared[f"{pseudo}:{name}"][1].split()
                if any(word in _KEEPS_BREAKS for word in words):
                    breaks = True
                    break
                if any(word in _COLLAPSES for word in words):
                    breaks = False
                    break
        if block:
            self.out.newline()
        _emit_text(self.out, text, breaks)
        if block:
            self.out.newline()

    # -- the walk ----------------------------------------------------------------------
    def read(self) -> list[Line]:
        """The visible lines in document order (lxml's iterwalk: no recursion limit, and the
        walk itself in C)."""
        out = self.out
        declared_style = self.style.declared
        if _tag(self.root) is None:  # a comment or processing instruction: only its tail
            _emit_text(out, self.root.tail, False)
            out.newline()
            return out.lines
        # Per open element: (tag, layout, whether its parent keeps line breaks, whether it
        # does, its list style, what ends with it). Layout _SKIPPED: the element is not read
        # (its subtree is skipped). What ends with it: 0, or _PSEUDO (an ::after to draw),
        # _ITEM (a list item whose marker may still be pending), _LIST (a reversed list).
        open_elements: list[tuple[str, str, bool, bool, tuple[str, str], int]] = []
        walker = etree.iterwalk(self.root, events=("start", "end", "comment", "pi"))
        top_style = ("disc", "outside")
        for event, node in walker:
            if event == "end":
                tag, layout, parent_breaks, breaks, _, ends = open_elements.pop()
                if layout == _SKIPPED:
                    if tag in BLOCK_TAGS:
                        out.newline()
                else:
                    if ends & _PSEUDO:
                        self._emit_pseudo(node, "after", breaks, len(open_elements) + 1)
                    if ends & _ITEM:
                        out.flush_marker()
                    if tag == "a":
                        out.end_link()
                    if layout == _BLOCK:
                        out.newline()
                if self.counters:
                    self.counters.leave(len(open_elements) + 1)
                if node.tail:  # (most tails are empty: no call for them)
                    _emit_text(out, node.tail, parent_breaks)
                continue
            if open_elements:
                parent_entry = open_elements[-1]
                parent_breaks, parent_style = parent_entry[3], parent_entry[4]
                parent_list = "reversed" if parent_entry[5] & _LIST else ""
            else:
                parent_breaks, parent_style, parent_list = False, top_style, ""
            tag = _tag(node)
            if tag is None:  # a comment or processing instruction
                _emit_text(out, node.tail, parent_breaks)
                continue
            text = node.text
            keys = node.keys()
            ends = 0
            if (
                tag not in _SPECIAL_TAGS
                and node not in declared_style
                and (not text or "ookie" not in text)
                and (not keys or _only_plain_attributes(node, tag, keys))
            ):
                # Fast path: no attribute that matters, no style, no special tag: layout by
                # tag alone (what the checks below would conclude, without running them).
                display = _BLOCK if tag in BLOCK_TAGS else _CELL if tag in CELL_TAGS else _INLINE
                breaks = parent_breaks
            else:
                if self._never_read(node, tag, keys):
                    display = _SKIPPED
                else:
                    display = self.display(node, tag)
                    if (
                        self.is_hidden(node, display) and not self.is_collapsed_content(node, tag)
                    ) or self._is_chrome(node, tag):
                        display = _SKIPPED
                if display == _SKIPPED:
                    walker.skip_subtree()
                    open_elements.append(
                        (tag, _SKIPPED, parent_breaks, parent_breaks, parent_style, 0)
                    )
                    continue
                if display == _NONE:  # collapsed content, revealed: its natural layout
                    display = (
                        _BLOCK if tag in BLOCK_TAGS else _CELL if tag in CELL_TAGS else _INLINE
                    )
                breaks = self.keeps_breaks(node, tag, parent_breaks)
            if tag == "br":
                out.newline()
                walker.skip_subtree()
                open_elements.append((tag, _BR, parent_breaks, breaks, parent_style, 0))
                continue
            if display == _BLOCK:
                out.newline()
            elif display == _CELL:
                out.space()
            style = parent_style
            marker = ""
            if tag in _LIST_TAGS or node in declared_style:
                style = self.list_style(node, tag, parent_style)
                list_item = self.is_list_item(node, tag)
                self.start_counters(node, tag, len(open_elements), list_item, parent_list)
                if tag == "ol" and node.get("reversed") is not None:
                    ends |= _LIST
                if list_item:
                    marker = self.marker(node, style)
                    ends |= _ITEM
            if marker:
                out.marker(marker, inside=style[1] == "inside")
            if tag == "a":
                out.start_link(node.get("href"))
            if node in declared_style:
                self._emit_pseudo(node, "before", breaks, len(open_elements) + 1)
                ends |= _PSEUDO
            if text:
                _emit_text(out, text, breaks)
            open_elements.append((tag, display, parent_breaks, breaks, style, ends))
        out.newline()
        return out.lines


def visible_lines(root: etree._Element, base_url: str) -> list[Line]:
    """The visible lines of ``root`` in document order (styles from its whole document)."""
    return _Reader(root, base_url).read()


def _emit_text(out: _LineBuilder, value: str | None, keeps_breaks: bool) -> None:
    if not value:
        return
    if not keeps_breaks:
        out.text(value)
        return
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    first, *rest = value.split("\n")
    out.text(first)
    for piece in rest:
        out.newline()
        out.text(piece)


def _has_article_landmark(text: str) -> bool:
    """``ARTICLE_LANDMARK.search(text)``, its regex (slow over long chrome text) run only when
    the text holds one of its words."""
    folded = (text if text.isascii() else text.translate(_IGNORECASE_FOLDS)).lower()
    if not any(word in folded for word in _LANDMARK_WORDS):
        return False
    return ARTICLE_LANDMARK.search(text) is not None


@lru_cache(maxsize=8192)
def _names_look_like_chrome(names: str) -> bool:
    """Class and id words that name chrome (cached: pages repeat the same few names)."""
    return bool(names.strip()) and CHROME_NAME.search(names) is not None
