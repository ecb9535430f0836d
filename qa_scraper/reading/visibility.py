"""What the reader does not read: hidden content, page chrome, and content collapsed until a
reader expands it (read as it reads once expanded).

The rule:

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

The site's own labels that these rules need (the section labels, the labels that show the
article itself sits inside chrome) are not written here: the page object passes them in as
:class:`Landmarks` (:data:`qa_scraper.pages.labels.READER_LANDMARKS`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial

from lxml import etree

from qa_scraper.caches import LONGEST_CACHED, cached_text_function
from qa_scraper.reading.css import (
    BLOCK_TAGS,
    HIDDEN_VISIBILITY,
    NONE,
    PRE_TAGS,
    PageStyle,
    tag_name,
)
from qa_scraper.text import clean_line

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
# The non-ASCII letters that re.IGNORECASE matches to an ASCII letter and lower() does not
# lower to it (İ, ı, ſ; the Kelvin sign lowers to "k" anyway).
_IGNORECASE_FOLDS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
_FOLDED_CHARS = ("\u0130", "\u0131", "\u017f", "\u212a")
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
# An element's string value (XPath ``string()``: the text of its text descendants, in order),
# as libxml2 gives both (xmlNodeGetContent), without an XPath evaluation's set-up (≈ 1 µs).
_STRING_VALUE = partial(etree.tostring, method="text", encoding=str, with_tail=False)
# XPath expressions compiled once (element.xpath() compiles its expression on every call).
_ARIA_CONTROLS = etree.XPath("//*/@aria-controls")  # (quicker than "//@": elements only)
# find(".//*[@role='button']") is not None, in C (find() runs ElementPath's Python code).
_HOLDS_ROLE_BUTTON = etree.XPath("boolean(descendant::*[@role='button'])")


@dataclass(frozen=True)
class Landmarks:
    """The site's labels the visibility rules look for (given by the page object)."""

    # Text showing the article itself is inside chrome (broken nesting): the chrome is kept.
    article: re.Pattern[str]
    # A word every ``article`` match contains (lower case): a quick test before the regex.
    article_words: tuple[str, ...]
    # The question itself: only broken nesting puts it inside a dialog, menu or button.
    question: re.Pattern[str]
    # Section label lines ("More Info"): a hidden block right after one is collapsed content,
    # and a toggle control saying one is read as that label.
    section_labels: tuple[re.Pattern[str], ...]


def goes_nowhere(element: etree._Element) -> bool:
    href = (element.get("href") or "").strip().lower()
    return not href or href.startswith(("#", "javascript:"))


def _is_word_toggle(element: etree._Element, tag: str | None) -> bool:
    """A link to nowhere or a button whose whole text is an expander's ("Read more")."""
    role = (element.get("role") or "").strip().lower()
    if not ((tag == "a" and goes_nowhere(element)) or tag == "button" or role in TOGGLE_ROLES):
        return False
    text = clean_line(_STRING_VALUE(element))
    return len(text) <= 60 and TOGGLE_WORDS.match(text) is not None


def _is_collapsed_toggle(element: etree._Element) -> bool:
    """A disclosure control that is collapsed (``aria-expanded="false"``, or an expander's
    words without ``aria-expanded="true"``), or a wrapper holding nothing but one."""
    expanded = element.get("aria-expanded")
    if expanded is not None:
        return expanded == "false"
    if _is_word_toggle(element, tag_name(element)):
        return True
    text = clean_line(_STRING_VALUE(element))
    if len(text) > 60:
        return False  # a wrapper holding more than a control's label
    for control in element.iterfind(".//*"):
        if control.get("aria-expanded") == "false" or _is_word_toggle(control, tag_name(control)):
            return text == clean_line(_STRING_VALUE(control))
    return False


# Tags that need no check beyond their attributes and style: neither invisible, chrome,
# menu, dialog, toggle nor pre-formatted by themselves.
_NEVER_TAGS = TOGGLE_TAGS | MENU_TAGS | {"dialog"}
_NEVER_ATTRIBUTES = frozenset(
    {"role", "aria-expanded", "aria-controls", "aria-modal", "aria-label"}
)
# Attributes that the checks of the walk's slow path read (besides class and id).
_SLOW_PATH_ATTRIBUTES = _NEVER_ATTRIBUTES | {"hidden", "aria-hidden"}
SPECIAL_TAGS = (
    INVISIBLE_TAGS
    | CHROME_TAGS
    | MENU_TAGS
    | TOGGLE_TAGS
    | PRE_TAGS
    | PAGE_LEVEL_ONLY_TAGS
    | {"dialog"}
)


def only_plain_attributes(node: etree._Element, tag: str, keys: list[str]) -> bool:
    """Attributes that none of :meth:`Visibility.never_read`, :meth:`PageStyle.display`,
    :meth:`Visibility.is_hidden` and :meth:`Visibility.is_chrome` acts on: none of
    :data:`_SLOW_PATH_ATTRIBUTES`, no link to nowhere, no class or id naming chrome."""
    if len(keys) == 1:
        # One attribute, as most elements have (a class, a link's href): the rule below for
        # it alone, without the set test (each key a fresh string to hash) or a names string.
        key = keys[0]
        if key == "href":
            return tag != "a" or not goes_nowhere(node)
        if key == "class" and tag != "a":  # (a link with no href goes nowhere)
            return not names_look_like_chrome(node.get("class") or "")
    if not _SLOW_PATH_ATTRIBUTES.isdisjoint(keys):
        return False
    if tag == "a" and goes_nowhere(node):
        return False
    # (An attribute not in keys is not asked for: lxml's get() costs ~0.1 us a call.)
    class_names = (node.get("class") or "") if "class" in keys else ""
    id_names = (node.get("id") or "") if "id" in keys else ""
    if not class_names and not id_names:
        return True  # (no names: nothing to look up)
    return not names_look_like_chrome(f"{class_names} {id_names}")


class Visibility:
    """One page's visibility rules: its style, the ids toggles control, the site's labels."""

    def __init__(self, document: etree._Element, style: PageStyle, landmarks: Landmarks) -> None:
        self.style = style
        self.landmarks = landmarks
        self.document = document
        self._controlled_ids: frozenset[str] | None = None
        self._h1_holders: set[etree._Element] | None = None

    @property
    def controlled_ids(self) -> frozenset[str]:
        """The ids that ``aria-controls`` attributes name, looked up at the first hidden
        element with an id (most pages have none: no walk over the document for them)."""
        if self._controlled_ids is None:
            self._controlled_ids = frozenset(
                name for value in _ARIA_CONTROLS(self.document) for name in str(value).split()
            )
        return self._controlled_ids

    def is_hidden(self, node: etree._Element, display: str) -> bool:
        if display == NONE or node.get("aria-hidden") == "true":
            return True
        declared = self.style.get(node)
        return bool(
            declared and "visibility" in declared and declared["visibility"][1] in HIDDEN_VISIBILITY
        )

    # -- the hidden-content rule -------------------------------------------------------
    def is_collapsed_content(
        self, node: etree._Element, tag: str, last_line: Callable[[], str | None]
    ) -> bool:
        """Hidden until a reader expands it, and where content belongs (module docstring).
        ``last_line`` ends the line being read and gives the last line read."""
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
        last = last_line()
        return (
            last is not None
            and self._is_section_label(last)
            and not self._visible_text_follows(node)
        )

    def _visible_text_follows(self, node: etree._Element) -> bool:
        if (node.tail or "").strip():
            return True
        for sibling in node.itersiblings():
            tag = tag_name(sibling)
            if (
                tag is not None
                and not self.never_read(sibling, tag)
                and not self.is_hidden(sibling, self.style.display(sibling, tag))
                and clean_line(_STRING_VALUE(sibling))
            ):
                return True
            if (sibling.tail or "").strip():
                return True
        return False

    def never_read(self, node: etree._Element, tag: str, keys: list[str] | None = None) -> bool:
        """Never content wherever it sits: invisible tags, dialogs, menus, cookie banners,
        toggle labels (module docstring); chrome holding the question itself is kept."""
        if tag in INVISIBLE_TAGS:
            return True
        if keys is None:
            keys = node.keys()
        if tag == "a" and goes_nowhere(node) and _is_word_toggle(node, tag):
            return True
        cookie_notice = False  # (known to be one: not asked twice)
        if tag not in _NEVER_TAGS and _NEVER_ATTRIBUTES.isdisjoint(keys):
            text = node.text
            if not text or "ookie" not in text or not self._is_cookie_notice(node):
                return False
            cookie_notice = True
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
            or cookie_notice
            or self._is_cookie_notice(node)
        )
        if not never:
            return False
        text = clean_line(_STRING_VALUE(node))
        if is_toggle and self._is_section_label(text):
            return False  # an expander labelled "More Info" is the section's label
        return not self._holds_h1(node) and not _found(self.landmarks.question, text)

    @staticmethod
    def _is_cookie_notice(node: etree._Element) -> bool:
        """A cookie notice without a telling class: its own text asks to accept cookies and
        a button to do so sits beside it."""
        own = node.text or ""
        if "ookie" not in own or not _found(COOKIE_TEXT, own):
            return False
        parent = node.getparent()
        scope = parent if parent is not None else node
        return next(scope.iterdescendants("button"), None) is not None or _HOLDS_ROLE_BUTTON(scope)

    def is_chrome(self, node: etree._Element, tag: str) -> bool:
        names = f"{node.get('class') or ''} {node.get('id') or ''}"
        role = (node.get("role") or "").strip().lower()
        looks_like_chrome = (
            tag in CHROME_TAGS
            or role in CHROME_ROLES
            or (
                tag in PAGE_LEVEL_ONLY_TAGS
                and not any(
                    tag_name(ancestor) in CONTENT_ANCESTORS for ancestor in node.iterancestors()
                )
            )
            or names_look_like_chrome(names)
        )
        if not looks_like_chrome:
            return False
        # A <header> holding the headline, or an unclosed banner <div> around the article: kept.
        landmarks = self.landmarks
        holds_article = self._holds_h1(node) or _found(
            landmarks.article, _STRING_VALUE(node), landmarks.article_words
        )
        return not holds_article

    def _holds_h1(self, node: etree._Element) -> bool:
        """Whether an ``<h1>`` is inside ``node``: the page's h1 holders, found once (the set
        keeps their proxies alive, so the walk's elements are these)."""
        if self._h1_holders is None:
            self._h1_holders = {a for h1 in self.document.iter("h1") for a in h1.iterancestors()}
        return node in self._h1_holders

    def _is_section_label(self, text: str) -> bool:
        return any(label.match(text) for label in self.landmarks.section_labels)


@cached_text_function(8192)
def names_look_like_chrome(names: str) -> bool:
    """Class and id words that name chrome (cached: pages repeat the same few names)."""
    return bool(names.strip()) and CHROME_NAME.search(names) is not None


def _found(pattern: re.Pattern[str], text: str, words: tuple[str, ...] = ()) -> bool:
    """``pattern.search(text) is not None``, cached for a text of up to 2,000 characters (chrome
    a site repeats on every page: a cookie banner, an ad, a button's label; a case-insensitive
    search trying alternatives at every position costs ≈ 70 ns a character); with ``words``,
    the regex runs only if the text holds one (each match holds one)."""
    return (_search if len(text) <= LONGEST_CACHED else _search.__wrapped__)(pattern, text, words)


@lru_cache(maxsize=1024)
def _search(pattern: re.Pattern[str], text: str, words: tuple[str, ...]) -> bool:
    if words:
        if text.isascii() or not any(char in text for char in _FOLDED_CHARS):
            folded = text.lower()
        else:
            folded = text.translate(_IGNORECASE_FOLDS).lower()  # (slow: a dict lookup a char)
        if not any(word in folded for word in words):
            return False
    return pattern.search(text) is not None
