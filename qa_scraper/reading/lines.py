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

from qa_scraper.reading import generated
from qa_scraper.reading.builder import Line, LineBuilder, Link, emit_text
from qa_scraper.reading.css import (
    BLOCK,
    BLOCK_DISPLAY,
    BLOCK_TAGS,
    CELL,
    CELL_TAGS,
    COLLAPSES,
    HIDDEN_VISIBILITY,
    INHERIT,
    INLINE,
    KEEPS_BREAKS,
    NONE,
    PageStyle,
    tag_name,
)
from qa_scraper.reading.visibility import (
    SPECIAL_TAGS,
    Landmarks,
    Visibility,
    only_plain_attributes,
)

__all__ = ["Landmarks", "Line", "Link", "visible_lines"]

# What ends with an open element (bit flags): an ::after, a list item, a reversed list.
_PSEUDO, _ITEM, _LIST = 1, 2, 4
# Tags that take part in the list-item counter by themselves (the UA's list styles).
_LIST_TAGS = frozenset({"ol", "ul", "menu", "dir", "li"})
# How the walk closes an element it did not read, and a <br>.
_SKIPPED, _BR = "skipped", "br"
# Tag as the parser spells it -> tag_name()'s (lower case, no namespace), for the tags seen.
_TAG_NAMES: dict[str, str] = {}
_MAX_TAG_NAMES = 4096


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
        self.counters = generated.Counters()

    def _last_line(self) -> str | None:
        """The last line read, once the line being read is ended."""
        self.out.newline()
        return self.out.last_line()

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
                    and value[1] not in INHERIT
                ):
                    if index == 0:
                        style_type = value[1]
                    else:
                        position = value[1]
        return style_type, position

    def is_list_item(self, node: etree._Element, tag: str) -> bool:
        declared = self.style.get(node)
        if declared and "display" in declared and declared["display"][1] not in INHERIT:
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
                (a for a in item.iterancestors() if tag_name(a) in generated.LIST_OWNERS),
                None,
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
        if visibility and visibility[1] in HIDDEN_VISIBILITY:
            return None
        text = generated.content_text(
            declared[f"{pseudo}:content"][1], node.attrib, self.counters, marker=False
        )
        if not text:
            return None
        block = bool(display) and display[1].split()[0] in BLOCK_DISPLAY
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
            if list_style[0] in generated.GLYPH_STYLES:
                return ""  # what marker_text draws is a glyph (or nothing): never text
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
                if any(word in KEEPS_BREAKS for word in words):
                    breaks = True
                    break
                if any(word in COLLAPSES for word in words):
                    breaks = False
                    break
        if block:
            self.out.newline()
        emit_text(self.out, text, breaks)
        if block:
            self.out.newline()

    # -- the walk ----------------------------------------------------------------------
    def read(self) -> list[Line]:
        """The visible lines in document order (lxml's iterwalk: no recursion limit, and the
        walk itself in C)."""
        out = self.out
        declared_style = self.style.declared
        if tag_name(self.root) is None:  # a comment or processing instruction: only its tail
            emit_text(out, self.root.tail, False)
            out.newline()
            return out.lines
        # Bound methods and sets as locals: the loop runs once per element and event.
        newline, add_text = out.newline, out.text
        counters = self.counters
        visibility = self.visibility
        tag_names = _TAG_NAMES
        # Per open element: (tag, layout, whether its parent keeps line breaks, whether it
        # does, its parent's list style and "reversed" or "", what ends with it). Layout
        # _SKIPPED: the element is not read (its subtree is skipped). What ends with it: 0, or
        # _PSEUDO (an ::after to draw), _ITEM (a list item whose marker may still be pending),
        # _LIST (a reversed list).
        open_elements: list[tuple[str, str, bool, bool, tuple[str, str], str, int]] = []
        push, pop = open_elements.append, open_elements.pop
        walker = etree.iterwalk(self.root, events=("start", "end", "comment", "pi"))
        # The open element's (keeps line breaks, list style, "reversed" or ""): the parent of
        # the next element that starts.
        parent_breaks, parent_style, parent_list = False, ("disc", "outside"), ""
        for event, node in walker:
            if event == "end":
                tag, layout, parent_breaks, breaks, parent_style, parent_list, ends = pop()
                if layout == _SKIPPED:
                    if tag in BLOCK_TAGS:
                        newline()
                else:
                    if ends:
                        if ends & _PSEUDO:
                            self._emit_pseudo(node, "after", breaks, len(open_elements) + 1)
                        if ends & _ITEM:
                            out.flush_marker()
                    if tag == "a":
                        out.end_link()
                    if layout == BLOCK:
                        newline()
                if counters.instances:
                    counters.leave(len(open_elements) + 1)
                tail = node.tail
                if tail:  # (most tails are empty: no call for them)
                    if parent_breaks:
                        emit_text(out, tail, True)
                    else:
                        add_text(tail)
                continue
            tag = node.tag
            if tag.__class__ is not str:  # a comment or processing instruction
                emit_text(out, node.tail, parent_breaks)
                continue
            name = tag_names.get(tag)
            if name is None:
                name = tag_name(node)
                if len(tag_names) < _MAX_TAG_NAMES:
                    tag_names[tag] = name
            tag = name
            text = node.text
            keys = node.keys()
            ends = 0
            if (
                tag not in SPECIAL_TAGS
                and (not declared_style or node not in declared_style)
                and (not text or "ookie" not in text)
                and (not keys or only_plain_attributes(node, tag, keys))
            ):
                # Fast path: no attribute that matters, no style, no special tag: layout by
                # tag alone (what the checks below would conclude, without running them).
                breaks = parent_breaks
                if tag in BLOCK_TAGS:
                    display = BLOCK
                    newline()
                elif tag == "br":
                    newline()
                    walker.skip_subtree()
                    push((tag, _BR, breaks, breaks, parent_style, parent_list, 0))
                    continue
                elif tag in CELL_TAGS:
                    display = CELL
                    out.space()
                else:
                    display = INLINE
            else:
                if visibility.never_read(node, tag, keys):
                    display = _SKIPPED
                else:
                    display = self.style.display(node, tag)
                    if (
                        visibility.is_hidden(node, display)
                        and not visibility.is_collapsed_content(node, tag, self._last_line)
                    ) or visibility.is_chrome(node, tag):
                        display = _SKIPPED
                if display == _SKIPPED:
                    walker.skip_subtree()
                    push(
                        (
                            tag,
                            _SKIPPED,
                            parent_breaks,
                            parent_breaks,
                            parent_style,
                            parent_list,
                            0,
                        )
                    )
                    continue
                if display == NONE:  # collapsed content, revealed: its natural layout
                    display = BLOCK if tag in BLOCK_TAGS else CELL if tag in CELL_TAGS else INLINE
                breaks = self.style.keeps_breaks(node, tag, parent_breaks)
                if tag == "br":
                    newline()
                    walker.skip_subtree()
                    push((tag, _BR, parent_breaks, breaks, parent_style, parent_list, 0))
                    continue
                if display == BLOCK:
                    newline()
                elif display == CELL:
                    out.space()
            style = parent_style
            if tag in _LIST_TAGS or (declared_style and node in declared_style):
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
            if declared_style and node in declared_style:
                self._emit_pseudo(node, "before", breaks, len(open_elements) + 1)
                ends |= _PSEUDO
            if text:
                if breaks:
                    emit_text(out, text, True)
                else:
                    add_text(text)
            push((tag, display, parent_breaks, breaks, parent_style, parent_list, ends))
            parent_breaks, parent_style = breaks, style
            parent_list = "reversed" if ends & _LIST else ""
        out.newline()
        return out.lines


def visible_lines(root: etree._Element, base_url: str, landmarks: Landmarks) -> list[Line]:
    """The visible lines of ``root`` in document order (styles from its whole document);
    ``landmarks`` are the site's labels the visibility rules need
    (:data:`qa_scraper.pages.labels.READER_LANDMARKS`)."""
    return _Reader(root, base_url, landmarks).read()
