"""The page's own CSS, as far as the reader needs it: the cascade of declared values.

The UA's defaults by tag (block boxes, table cells, pre-formatted text), the page's
``<style>`` sheets (parsed with tinycss2; ``@media`` print/speech rules left out, ``@supports``,
``@layer`` and ``@container`` read through) and inline ``style`` attributes, matched with
cssselect (tag, class, id, attribute selectors and combinators), with specificity, source
order and ``!important`` honoured. Only the properties the reader uses are kept: ``display``,
``visibility``, ``white-space`` (and ``white-space-collapse``), ``content``, the counters and
the list style; declarations on ``::before``/``::after``/``::marker`` are kept under
"<pseudo>:<property>" on their element. :class:`PageStyle` holds the result for one page and
answers the computed values the walk asks for (display, whether line breaks are kept).
"""

from __future__ import annotations

import re

import cssselect
import tinycss2
from cssselect import HTMLTranslator, SelectorError
from cssselect.xpath import ExpressionError
from lxml import etree

from qa_scraper.caches import cached_text_function

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
KEEPS_BREAKS = frozenset(
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
COLLAPSES = frozenset({"normal", "nowrap", "collapse", "initial"})
INHERIT = frozenset({"inherit", "unset"})
BLOCK_DISPLAY = frozenset(
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
INLINE_DISPLAY = frozenset(
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
HIDDEN_VISIBILITY = frozenset({"hidden", "collapse"})
_TRANSLATOR = HTMLTranslator()
# XPath expressions compiled once (element.xpath() compiles its expression on every call).
# The style attributes (their parent is the element): a third of the time of "//*[@style]";
# "//*/@style" (elements only: nothing else has attributes) is a quarter quicker than "//@style".
_STYLE_ATTRIBUTES = etree.XPath("//*/@style")
# What display() answers.
BLOCK, CELL, INLINE, NONE = "block", "cell", "inline", "none"

# (important, inline, specificity, source order): the greater wins, as in the CSS cascade.
Priority = tuple[bool, bool, tuple[int, int, int], int]
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


@cached_text_function(4096)
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


@cached_text_function(256, longest=100_000)
def _stylesheet(css: str) -> tuple[tuple[str, _Declarations], ...]:
    """The rules of a stylesheet that set a property the reader uses (parsed once per text)."""
    out: list[tuple[str, _Declarations]] = []
    _rules(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True), out)
    return tuple(out)


@cached_text_function(2048)
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
        self.declared: dict[etree._Element, dict[str, tuple[Priority, str]]] = {}
        order = 0
        for style in document.iter("style"):
            if in_inert_subtree(style) or not _media_applies(style.get("media") or ""):
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
        for style in _STYLE_ATTRIBUTES(document):
            if style:
                element = style.getparent()
                for name, value, important in _inline_declarations(str(style)):
                    self._declare(element, name, value, (important, True, (0, 0, 0), 0))

    def _declare(self, element: etree._Element, name: str, value: str, priority: Priority) -> None:
        values = self.declared.setdefault(element, {})
        current = values.get(name)
        if current is None or priority >= current[0]:
            values[name] = (priority, value)

    def get(self, element: etree._Element) -> dict[str, tuple[Priority, str]] | None:
        return self.declared.get(element)

    # -- computed values -------------------------------------------------------------------
    def display(self, node: etree._Element, tag: str) -> str:
        """BLOCK, CELL, INLINE or NONE: the declared ``display``, else ``hidden``, else the
        UA's by tag."""
        declared = self.get(node)
        value = declared["display"][1] if declared and "display" in declared else None
        if value is not None and value not in INHERIT:
            first = value.split()[0] if value.split() else ""
            if first == "none":
                return NONE
            if first in BLOCK_DISPLAY:
                return BLOCK
            if first == "table-cell":
                return CELL
            if first in INLINE_DISPLAY:
                return INLINE
        if node.get("hidden") is not None:
            return NONE  # the UA's [hidden] { display: none }, unless a style overrides it
        if tag in BLOCK_TAGS:
            return BLOCK
        if tag in CELL_TAGS:
            return CELL
        return INLINE

    def keeps_breaks(self, node: etree._Element, tag: str, inherited: bool) -> bool:
        """Whether a newline in the element's text ends the line (``white-space``)."""
        declared = self.get(node)
        if declared:
            for name in ("white-space-collapse", "white-space"):
                if name in declared:
                    words = declared[name][1].split()
                    if any(word in KEEPS_BREAKS for word in words):
                        return True
                    if any(word in COLLAPSES for word in words):
                        return False
        return True if tag in PRE_TAGS else inherited


def in_inert_subtree(element: etree._Element) -> bool:
    return any(
        tag_name(ancestor) in ("template", "noscript") for ancestor in element.iterancestors()
    )


def tag_name(node: etree._Element) -> str | None:
    """The element's tag, lower case without namespace; None for a comment or PI."""
    tag = node.tag
    if not isinstance(tag, str):
        return None  # comment or processing instruction
    return tag.rsplit("}", 1)[-1].lower()
