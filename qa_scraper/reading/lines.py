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
What is not read (hidden content, page chrome) and what is read although hidden (content
collapsed until a reader expands it) is :mod:`qa_scraper.reading.visibility`; the cascade is
:mod:`qa_scraper.reading.css`; lines are assembled by :mod:`qa_scraper.reading.builder`.
"""

from __future__ import annotations

from lxml import etree

from qa_scraper.reading.builder import Line, LineBuilder, Link, emit_text
from qa_scraper.reading.css import (
    BLOCK,
    BLOCK_TAGS,
    CELL,
    CELL_TAGS,
    INLINE,
    NONE,
    PageStyle,
    tag_name,
)
from qa_scraper.reading.drawn import DrawnText
from qa_scraper.reading.visibility import (
    SPECIAL_TAGS,
    Landmarks,
    Visibility,
    goes_nowhere,
    names_look_like_chrome,
    only_plain_attributes,
)

__all__ = ["Landmarks", "Line", "Link", "visible_lines"]

# What ends with an open element (bit flags): an ::after, a list item, a reversed list, a link.
_PSEUDO, _ITEM, _LIST, _LINK = 1, 2, 4, 8
# Tags that take part in the list-item counter by themselves (the UA's list styles).
_LIST_TAGS = frozenset({"ol", "ul", "menu", "dir", "li"})
# How the walk closes an element it did not read, and a <br>.
_SKIPPED, _BR = "skipped", "br"
# The layout of an element by its tag alone (what the fast path gives it): None for the special
# tags (the fast path is not for them), INLINE for a tag not listed.
_LAYOUT_BY_TAG: dict[str, str | None] = {
    **dict.fromkeys(BLOCK_TAGS, BLOCK),
    **dict.fromkeys(CELL_TAGS, CELL),
    "br": _BR,
    **dict.fromkeys(SPECIAL_TAGS, None),
}
# The attribute names of an element that has a class only (most have), of a link with an href only.
_CLASS_ONLY, _HREF_ONLY = ["class"], ["href"]
# Tag as the parser spells it -> (tag_name()'s tag: lower case, no namespace; its layout in
# _LAYOUT_BY_TAG; whether it is a list tag; whether it is a link), for the tags seen.
_TAG_NAMES: dict[str, tuple[str, str | None, bool, bool]] = {}
_MAX_TAG_NAMES = 4096
_NOT_AN_ELEMENT = (None, None, False, False)  # a comment or processing instruction


def _tag_entry(tag: str) -> tuple[str, str | None, bool, bool]:
    return tag, _LAYOUT_BY_TAG.get(tag, INLINE), tag in _LIST_TAGS, tag == "a"


class _Reader:
    """One page's reading: its style, what is visible, the walk."""

    def __init__(self, root: etree._Element, base_url: str, landmarks: Landmarks) -> None:
        document = root.getroottree().getroot()
        if document is None:
            document = root
        self.style = PageStyle(document)
        self.visibility = Visibility(document, self.style, landmarks)
        self.root = root
        self.out = LineBuilder(base_url)
        self.drawn = DrawnText(self.style, self.out)  # list markers, counters, ::before/::after

    def _last_line(self) -> str | None:
        """The last line read, once the line being read is ended."""
        self.out.newline()
        return self.out.last_line()

    # -- the walk ----------------------------------------------------------------------
    def read(self) -> list[Line]:
        """The visible lines in document order.

        The walk goes down the tree with an explicit stack of open elements (no recursion
        limit), to an element's first child (``node[0]``) and its next sibling (``getnext()``:
        lxml makes no iterator for that): an element without children (two thirds of a page's:
        links, spans, paragraphs, line breaks) starts and ends in one step, and only an element
        with children is pushed and popped."""
        out = self.out
        if tag_name(self.root) is None:  # a comment or processing instruction: only its tail
            emit_text(out, self.root.tail, False)
            out.newline()
            return out.lines
        # Bound methods and sets as locals: the loop runs once per element. The line being read
        # (``parts``): a line end with nothing in it is nothing, and text is only appended to
        # it while the builder is not busy (what its newline() and text() would do).
        newline, add_text, parts = out.newline, out.text, out.parts
        append = parts.append
        drawn = self.drawn
        counters = drawn.counters
        counter_instances = counters.instances  # (a dict the counters change, never replace)
        visibility = self.visibility
        declared_style = self.style.declared
        tag_names = _TAG_NAMES
        # Per open element with children: (the element, tag, layout, whether its parent keeps
        # line breaks, whether it does, its parent's list style and "reversed" or "", what ends
        # with it: 0, or _PSEUDO (an ::after to draw), _ITEM (a list item whose marker may still
        # be pending), _LIST (a reversed list)). Layout _SKIPPED: the element is not read (nor
        # its subtree).
        open_elements: list[tuple] = []
        push, pop = open_elements.append, open_elements.pop
        node = self.root
        # The open element's (keeps line breaks, list style, "reversed" or ""): the parent of
        # the next element that starts.
        parent_breaks, parent_style, parent_list = False, ("disc", "outside"), ""
        while True:  # `node` starts
            entry = tag_names.get(node.tag)
            if entry is None:
                if node.tag.__class__ is str:  # a tag not seen yet
                    entry = _tag_entry(tag_name(node))
                    if len(tag_names) < _MAX_TAG_NAMES:
                        tag_names[node.tag] = entry
                else:
                    entry = _NOT_AN_ELEMENT
            tag, layout, list_tag, link = entry
            if tag is None:  # a comment or processing instruction: its tail only
                display, ends = _SKIPPED, 0
            else:
                text = node.text
                keys = node.keys()
                ends = 0
                breaks = parent_breaks
                if (
                    layout is not None
                    and (not declared_style or node not in declared_style)
                    and (not text or "ookie" not in text)
                    and (
                        not keys
                        # (a class alone: only_plain_attributes' first rule, without its call)
                        or (
                            keys == _CLASS_ONLY
                            and tag != "a"
                            and not names_look_like_chrome(node.get("class") or "")
                        )
                        # (a link with an href alone: its rule for a link, without its call)
                        or (link and keys == _HREF_ONLY and not goes_nowhere(node))
                        or only_plain_attributes(node, tag, keys)
                    )
                ):
                    # Fast path: no attribute that matters, no style, no special tag: layout
                    # by tag alone (what the checks below would conclude, without them).
                    display = layout
                    if layout is INLINE:
                        pass
                    elif layout is CELL:
                        out.space()
                    elif parts:  # a block or a <br>
                        newline()
                elif visibility.never_read(node, tag, keys):
                    display = _SKIPPED
                else:
                    display = self.style.display(node, tag)
                    if (
                        visibility.is_hidden(node, display)
                        and not visibility.is_collapsed_content(node, tag, self._last_line)
                    ) or visibility.is_chrome(node, tag):
                        display = _SKIPPED
                    else:
                        if display == NONE:  # collapsed content, revealed: its natural layout
                            display = (
                                BLOCK if tag in BLOCK_TAGS else CELL if tag in CELL_TAGS else INLINE
                            )
                        breaks = self.style.keeps_breaks(node, tag, parent_breaks)
                        if tag == "br":
                            display = _BR
                            if parts:
                                newline()
                        elif display == BLOCK:
                            if parts:
                                newline()
                        elif display == CELL:
                            out.space()
                if display not in (_SKIPPED, _BR):
                    style = parent_style
                    if list_tag or (declared_style and node in declared_style):
                        depth = len(open_elements)
                        style = drawn.list_style(node, tag, parent_style)
                        list_item = drawn.is_list_item(node, tag)
                        drawn.start_counters(node, tag, depth, list_item, parent_list)
                        if tag == "ol" and node.get("reversed") is not None:
                            ends |= _LIST
                        if list_item:
                            marker = drawn.marker(node, style)
                            ends |= _ITEM
                            if marker:
                                out.marker(marker, inside=style[1] == "inside")
                    if link:
                        if (
                            not out.busy
                            and not breaks
                            and not ends
                            and not len(node)
                            and (not declared_style or node not in declared_style)
                        ):
                            # A link with one text node and nothing open: the builder's whole
                            # link in one call (no start, text and end: most links are such).
                            out.link(node.get("href"), text)
                            text = None
                        else:
                            out.start_link(node.get("href"))
                            ends |= _LINK
                    if declared_style and node in declared_style:
                        drawn.emit_pseudo(node, "before", breaks, len(open_elements) + 1)
                        ends |= _PSEUDO
                    if text:
                        if breaks:
                            emit_text(out, text, True)
                        elif out.busy:
                            add_text(text)
                        elif parts or not text.isspace():
                            append(text)
                    if len(node):  # its children next; it ends after them
                        push(
                            (
                                node,
                                tag,
                                display,
                                parent_breaks,
                                breaks,
                                parent_style,
                                parent_list,
                                ends,
                            )
                        )
                        parent_breaks, parent_style = breaks, style
                        parent_list = "reversed" if ends & _LIST else ""
                        node = node[0]
                        continue
            # `node` ends (one without children right after it starts), then each element whose
            # last child it was.
            while True:
                if display == _SKIPPED:
                    if tag in BLOCK_TAGS and parts:
                        newline()
                else:
                    if ends:
                        if ends & _PSEUDO:
                            drawn.emit_pseudo(node, "after", breaks, len(open_elements) + 1)
                        if ends & _ITEM:
                            out.flush_marker()
                        if ends & _LINK:
                            out.end_link()
                    if display == BLOCK and parts:
                        newline()
                if counter_instances and counters.deepest > len(open_elements):
                    counters.leave(len(open_elements) + 1)
                tail = node.tail
                if tail:  # (most tails are empty: no call for them)
                    if parent_breaks:
                        emit_text(out, tail, True)
                    elif out.busy:
                        add_text(tail)
                    elif parts or not tail.isspace():
                        append(tail)
                if not open_elements:  # `node` is the root (all else has its parent open)
                    out.newline()
                    return out.lines
                following = node.getnext()
                if following is not None:
                    node = following
                    break
                (
                    node,
                    tag,
                    display,
                    parent_breaks,
                    breaks,
                    parent_style,
                    parent_list,
                    ends,
                ) = pop()


def visible_lines(root: etree._Element, base_url: str, landmarks: Landmarks) -> list[Line]:
    """The visible lines of ``root`` in document order (styles from its whole document);
    ``landmarks`` are the site's labels the visibility rules need
    (:data:`qa_scraper.pages.labels.READER_LANDMARKS`)."""
    return _Reader(root, base_url, landmarks).read()
