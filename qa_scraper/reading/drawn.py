"""The text CSS draws for an element during the line reader's walk: list markers, counters and
``::before``/``::after`` content, as :mod:`qa_scraper.reading.generated` computes them, for
:mod:`qa_scraper.reading.lines` (its walk calls these only for list elements and elements the
page's style declares something on).
"""

from __future__ import annotations

from lxml import etree

from qa_scraper.reading import generated
from qa_scraper.reading.builder import LineBuilder, emit_text
from qa_scraper.reading.css import (
    BLOCK_DISPLAY,
    COLLAPSES,
    HIDDEN_VISIBILITY,
    INHERIT,
    KEEPS_BREAKS,
    PageStyle,
    tag_name,
)


class DrawnText:
    """One reading's generated text: the page's style, its counters, the lines being built."""

    def __init__(self, style: PageStyle, out: LineBuilder) -> None:
        self.style = style
        self.out = out
        self.counters = generated.Counters()

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

    def emit_pseudo(self, node: etree._Element, pseudo: str, breaks: bool, depth: int) -> None:
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
