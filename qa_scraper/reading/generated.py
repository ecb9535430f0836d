"""Text that CSS draws and the HTML does not hold: list markers and generated content.

What Chromium draws, reproduced for the line reader (:mod:`qa_scraper.reading.lines`):

- ``content`` on ``::before``, ``::after`` and ``::marker``: strings, ``attr(name)``,
  ``counter(name[, style])``, ``counters(name, separator[, style])``, ``open-quote`` /
  ``close-quote`` (curly double quotes); ``none``/``normal`` draw nothing (``normal`` on
  ``::marker`` draws the list marker); an image (``url()``) or anything else draws no text.
- CSS counters: ``counter-reset``, ``counter-increment``, ``counter-set`` with the scope rules
  of CSS Lists 3 (a counter lives on the element that creates it and is seen by its following
  siblings and their descendants), and the implicit ``list-item`` counter: every list owner
  (``ol``, ``ul``, ``menu``, ``dir``) resets it (``<ol start>``; ``reversed`` counts down from
  the number of its items), every list item (``<li>`` or ``display: list-item``) increments it
  by one (minus one in a reversed list), and ``<li value>`` sets it.
- List markers: ``list-style-type`` (also from the ``list-style`` shorthand and the ``type``
  attribute of ``ol``/``li``; inherited, ``decimal`` for ``ol`` and ``disc`` for ``ul`` by
  default) gives "N. " for a counter style (decimal, decimal-leading-zero, lower/upper
  alpha/latin/roman, lower-greek; any other counter style reads as decimal), nothing for
  ``none``. A marker that is only a bullet symbol (disc, circle, square, "•", "-", …) is a
  glyph, not text: neither reader gives it. A marker outside the item's box (the default
  ``list-style-position: outside``) is drawn beside the item's first line of text, so it
  prefixes that line even when the text sits in a block inside the item.
"""

from __future__ import annotations

from functools import lru_cache

import tinycss2

from qa_scraper.caches import cached_text_function

LIST_OWNERS = frozenset({"ol", "ul", "menu", "dir"})
UA_LIST_STYLE_TYPE = {"ol": "decimal", "ul": "disc", "menu": "disc", "dir": "disc"}
# <ol type>/<li type>: the UA's presentational hints.
TYPE_ATTRIBUTE = {
    "1": "decimal",
    "a": "lower-alpha",
    "A": "upper-alpha",
    "i": "lower-roman",
    "I": "upper-roman",
}
_SYMBOLS = {"disc": "\u2022", "circle": "\u25e6", "square": "\u25aa"}
_SYMBOL_STYLES = frozenset(_SYMBOLS) | {"disclosure-open", "disclosure-closed"}
# List styles whose marker (marker_text) is a bullet glyph or nothing: is_bullet() of it.
GLYPH_STYLES = _SYMBOL_STYLES | {"none"}
# Characters a bullet-only marker is made of.
_BULLET_CHARS = frozenset(
    "\u2022\u25e6\u25aa\u25ab\u25a0\u25a1\u2023\u2043\u25cf\u25cb\u25c6\u25c7"
    "\u25ba\u25b8\u25b6\u25bc\u25be\u2013\u2014-*\u00b7\u2219\u2713\u2714>"
)
_ROMAN = (
    (1000, "m"),
    (900, "cm"),
    (500, "d"),
    (400, "cd"),
    (100, "c"),
    (90, "xc"),
    (50, "l"),
    (40, "xl"),
    (10, "x"),
    (9, "ix"),
    (5, "v"),
    (4, "iv"),
    (1, "i"),
)
_GREEK = "αβγδεζηθικλμνξοπρστυφχψω"
_LATIN = "abcdefghijklmnopqrstuvwxyz"


def _alphabetic(value: int, letters: str) -> str:
    out = ""
    while value > 0:
        value -= 1
        out = letters[value % len(letters)] + out
        value //= len(letters)
    return out


def format_counter(value: int, style: str) -> str:
    """The counter's value in a counter style, as a browser draws it (without suffix)."""
    if style == "none":
        return ""
    if style in _SYMBOLS:
        return _SYMBOLS[style]
    if style in ("disclosure-open", "disclosure-closed"):
        return "\u25be" if style == "disclosure-open" else "\u25b8"
    if style == "decimal-leading-zero":
        return f"-{-value:02d}" if value < 0 else f"{value:02d}"
    if style in ("lower-alpha", "lower-latin", "upper-alpha", "upper-latin") and value >= 1:
        text = _alphabetic(value, _LATIN)
        return text.upper() if style.startswith("upper") else text
    if style == "lower-greek" and value >= 1:
        return _alphabetic(value, _GREEK)
    if style in ("lower-roman", "upper-roman") and 1 <= value <= 3999:
        out, rest = "", value
        for amount, numeral in _ROMAN:
            while rest >= amount:
                out += numeral
                rest -= amount
        return out.upper() if style == "upper-roman" else out
    return str(value)


def marker_text(value: int, style: str) -> str:
    """The text of a list marker: "N. " for a counter style, a symbol and a space for a
    bullet style, "" for none; a string style is drawn as written."""
    if style.startswith(('"', "'")):
        strings = [t.value for t in _tokens(style) if t.type == "string"]
        return strings[0] if strings else ""
    if style == "none":
        return ""
    if style in _SYMBOL_STYLES:
        return format_counter(value, style) + " "
    return format_counter(value, style) + ". "


def is_bullet(text: str) -> bool:
    """A marker that is only a bullet glyph: not read as text."""
    stripped = "".join(text.split())
    return not stripped or all(char in _BULLET_CHARS for char in stripped)


@cached_text_function(1024)
def _tokens(value: str) -> tuple:
    return tuple(tinycss2.parse_component_value_list(value, skip_comments=True))


def list_style(value: str) -> tuple[str | None, str | None]:
    """(type, position) from a ``list-style`` shorthand; None where it does not say."""
    style_type = position = None
    for token in _tokens(value):
        if token.type == "ident":
            word = token.lower_value
            if word in ("inside", "outside"):
                position = word
            elif word not in ("inherit", "initial", "unset"):
                style_type = style_type or word
        elif token.type == "string":
            style_type = tinycss2.serialize([token])
    if style_type == "none" and position is None:
        return "none", None
    return style_type, position


@lru_cache(maxsize=1024)
def counter_changes(value: str, default: int) -> tuple[tuple[str, int], ...]:
    """``counter-reset``/``-increment``/``-set`` as (name, number) pairs; () for none."""
    out: list[tuple[str, int]] = []
    for token in _tokens(value):
        if token.type == "ident":
            if token.lower_value in ("none", "inherit", "initial", "unset"):
                continue
            out.append((token.value, default))
        elif token.type == "number" and token.is_integer and out:
            out[-1] = (out[-1][0], int(token.int_value))
    return tuple(out)


class Counters:
    """The CSS counters in scope during a walk in document order.

    An instance is (name, value, depth): created by an element at ``depth``, seen by that
    element, its descendants, its following siblings and their descendants; it ends when the
    element's parent ends (:meth:`leave`)."""

    def __init__(self) -> None:
        self.instances: dict[str, list[list[int]]] = {}
        # At least the greatest depth of an instance in scope (-1: none): leave(depth) has
        # nothing to end when it is less than depth (the walk asks before calling it).
        self.deepest = -1

    def __bool__(self) -> bool:
        return bool(self.instances)

    def reset(self, name: str, value: int, depth: int) -> None:
        stack = self.instances.setdefault(name, [])
        if stack and stack[-1][1] == depth:
            stack[-1][0] = value  # a sibling's counter of that name: replaced
        else:
            stack.append([value, depth])
            self.deepest = max(self.deepest, depth)

    def increment(self, name: str, amount: int, depth: int) -> None:
        stack = self.instances.get(name)
        if not stack:
            self.reset(name, 0, depth)
            stack = self.instances[name]
        stack[-1][0] += amount

    def set(self, name: str, value: int, depth: int) -> None:
        stack = self.instances.get(name)
        if not stack:
            self.reset(name, value, depth)
        else:
            stack[-1][0] = value

    def value(self, name: str) -> int:
        stack = self.instances.get(name)
        return stack[-1][0] if stack else 0

    def values(self, name: str) -> list[int]:
        return [instance[0] for instance in self.instances.get(name, ())] or [0]

    def leave(self, depth: int) -> None:
        """An element at ``depth - 1`` ended: the counters its children created end."""
        for stack in self.instances.values():
            if stack[-1][1] >= depth:
                break
        else:
            return  # (most elements end with no counter of their children's in scope)
        for name in list(self.instances):
            stack = self.instances[name]
            while stack and stack[-1][1] >= depth:
                stack.pop()
            if not stack:
                del self.instances[name]
        self.deepest = max((stack[-1][1] for stack in self.instances.values()), default=-1)


def content_text(value: str, attributes, counters: Counters, *, marker: bool) -> str | None:
    """The text a ``content`` value draws; None for ``normal`` (and ``none`` on a marker
    means no marker: ""). ``attributes`` is the host element's attribute mapping."""
    parts: list[str] = []
    for token in _tokens(value):
        kind = token.type
        if kind == "whitespace":
            continue
        if kind == "literal" and token.value == "/":
            break  # the alternative text for speech follows
        if kind == "string":
            parts.append(token.value)
        elif kind == "ident":
            word = token.lower_value
            if word == "normal":
                return None
            if word == "none":
                return ""
            if word == "open-quote":
                parts.append("\u201c")
            elif word == "close-quote":
                parts.append("\u201d")
        elif kind == "function":
            arguments = [a for a in token.arguments if a.type not in ("whitespace", "comment")]
            name = token.lower_name
            if name == "attr" and arguments and arguments[0].type == "ident":
                parts.append(attributes.get(arguments[0].value.lower()) or "")
            elif name == "counter" and arguments and arguments[0].type == "ident":
                style = _style_argument(arguments[1:])
                parts.append(format_counter(counters.value(arguments[0].value), style))
            elif (
                name == "counters"
                and len(arguments) >= 3
                and arguments[0].type == "ident"
                and arguments[2].type == "string"
            ):
                style = _style_argument(arguments[3:])
                numbers = counters.values(arguments[0].value)
                parts.append(
                    arguments[2].value.join(format_counter(number, style) for number in numbers)
                )
    return "".join(parts)


def _style_argument(rest: list) -> str:
    for token in rest:
        if token.type == "ident":
            return token.lower_value
    return "decimal"


def integer_attribute(value: str | None) -> int | None:
    """An HTML integer attribute (``start``, ``value``): leading digits, else None."""
    if value is None:
        return None
    value = value.strip()
    sign = -1 if value.startswith("-") else 1
    digits = value.lstrip("+-")
    end = 0
    while end < len(digits) and digits[end].isdigit():
        end += 1
    return sign * int(digits[:end]) if end else None
