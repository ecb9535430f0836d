"""Text that reads like UTF-8 decoded with the wrong charset: a problem of the page's item."""

from __future__ import annotations

import re
from typing import Any

import ftfy.badness

from qa_scraper.items import SCALAR_TYPES
from qa_scraper.pages.problems import Problem


def _required_characters(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """A character class that every match of ``pattern`` holds a character of, or ``None``.

    ftfy's BADNESS_RE is an alternation of a few dozen sequences; searching it is slow on
    long text (it tries each alternative at every position). Each alternative has a position
    that only some non-ASCII characters can fill ("[ÂÃÎÐ]", the "bad" characters ...): the
    smallest such set of each alternative, united, is a class that one fast search rules out
    most text with ("…", "’" and most letters are not in it). Derived from the pattern itself
    (whatever ftfy's version), from the top-level items of each alternative only (each must
    match); ``None`` (no pre-check) when the pattern is not of that shape."""
    try:
        from re import _constants as sre  # the re module's own parser and its node kinds
        from re import _parser

        if pattern.flags & re.IGNORECASE:
            return None
        parsed = list(_parser.parse(pattern.pattern, pattern.flags))
        if len(parsed) == 1 and parsed[0][0] is sre.BRANCH:
            branches = parsed[0][1][1]
        else:
            branches = [parsed]
        required: set[str] = set()
        for branch in branches:
            smallest: set[str] | None = None
            for op, value in branch:
                chars = _class_characters(op, value, sre)
                if (
                    chars
                    and all(ord(char) > 127 for char in chars)
                    and (smallest is None or len(chars) < len(smallest))
                ):
                    smallest = chars
            if smallest is None:
                return None
            required |= smallest
        return re.compile("[" + "".join(re.escape(char) for char in sorted(required)) + "]")
    except Exception:  # another re internals layout: no pre-check, is_bad() on every text
        return None


def _class_characters(op: Any, value: Any, sre: Any) -> set[str] | None:
    """The characters a literal or a plain character class matches; ``None`` for anything
    else (categories such as \\s, negated classes, groups, repeats)."""
    if op is sre.LITERAL:
        return {chr(value)}
    if op is not sre.IN:
        return None
    chars: set[str] = set()
    for item, argument in value:
        if item is sre.LITERAL:
            chars.add(chr(argument))
        elif item is sre.RANGE:
            chars.update(chr(code) for code in range(argument[0], argument[1] + 1))
        else:
            return None
    return chars


def _longest_match(pattern: re.Pattern[str]) -> int | None:
    """The most characters a match of ``pattern`` spans, when a match can be looked for
    around one of its characters alone: a bounded width, and no assertion but "^" (which
    ``search(text, pos)`` matches only at the text's real start). ``None`` otherwise."""
    try:
        from re import _constants as sre
        from re import _parser

        parsed = _parser.parse(pattern.pattern, pattern.flags)
        width = parsed.getwidth()[1]
        pending = [parsed]
        while pending:
            for op, value in pending.pop():
                if op is sre.AT and value is not sre.AT_BEGINNING:
                    return None
                if op in (sre.ASSERT, sre.ASSERT_NOT, sre.GROUPREF, sre.GROUPREF_EXISTS):
                    return None
                if op is sre.BRANCH:
                    pending.extend(value[1])
                elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
                    pending.append(value[2])
                elif op in (sre.SUBPATTERN, sre.ATOMIC_GROUP):
                    pending.append(value[-1])
        return width if width < 64 else None
    except Exception:  # another re internals layout: search the whole text
        return None


_MOJIBAKE_CHARACTERS = _required_characters(ftfy.badness.BADNESS_RE)
_LONGEST_MATCH = _longest_match(ftfy.badness.BADNESS_RE)


def _is_bad(text: str) -> bool:
    """``ftfy.badness.is_bad(text)`` (a search of BADNESS_RE): ruled out by one fast search
    when the text holds none of the characters every match holds; otherwise searched only
    around each of them (a match spans at most ``_LONGEST_MATCH`` characters, one of them
    such a character): over a long text the whole search tries every alternative at every
    position (~0.3 ms for a 2,000-character "More Info" with one "°" in it)."""
    if _MOJIBAKE_CHARACTERS is None:
        return ftfy.badness.is_bad(text)
    found = _MOJIBAKE_CHARACTERS.search(text)
    if found is None:
        return False
    if _LONGEST_MATCH is None:
        return ftfy.badness.is_bad(text)
    search, width = ftfy.badness.BADNESS_RE.search, _LONGEST_MATCH
    while found is not None:
        position = found.start()
        if search(text, max(0, position - width + 1), position + width):
            return True
        found = _MOJIBAKE_CHARACTERS.search(text, position + 1)
    return False


def mojibake_problems(item: dict[str, Any], path: str = "") -> list[Problem]:
    """Text fields that read like UTF-8 decoded with the wrong charset ("Î¼g", "Â°C")."""
    if not path and _all_ascii(item):
        return []  # ftfy finds no mojibake in ASCII: one quick pass instead of the walk
    problems: list[Problem] = []
    if isinstance(item, dict):
        for key, value in item.items():
            if _may_hold_mojibake(value):
                problems += mojibake_problems(value, f"{path}/{key}" if path else key)
    elif isinstance(item, list):
        for index, value in enumerate(item):
            if _may_hold_mojibake(value):
                problems += mojibake_problems(value, f"{path}/{index}")
    elif isinstance(item, str) and not item.isascii() and _is_bad(item):
        snippet = ftfy.badness.BADNESS_RE.search(item)
        start = max(0, snippet.start() - 20) if snippet else 0
        problems.append(
            Problem(path, f"text looks mis-decoded (mojibake): {item[start : start + 50]!r}")
        )
    return problems


def _may_hold_mojibake(value: Any) -> bool:
    """A container, or non-ASCII text (ftfy finds no mojibake in ASCII): most values are
    neither, and skipping them saves a call and a path string each. (Text and the other
    scalars first, by their exact type: isinstance's "no" costs a lookup.)"""
    kind = type(value)
    if kind is str:
        return not value.isascii()
    if kind in SCALAR_TYPES:
        return False
    return isinstance(value, (dict, list)) or (isinstance(value, str) and not value.isascii())


def _all_ascii(value: Any) -> bool:
    """No non-ASCII string anywhere in ``value`` (its dicts and lists, walked without a
    call or a path string per value)."""
    pending = [value]
    while pending:
        value = pending.pop()
        if value is None:
            continue  # (the commonest value that is not text: no isinstance's "no" for it)
        if isinstance(value, str):
            if not value.isascii():
                return False
        elif isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return True
