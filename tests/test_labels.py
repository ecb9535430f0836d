"""The quick first-character tests beside the label patterns (qa_scraper.pages.labels): each
set holds every character a match of its pattern can start with, as re.I matches it."""

from __future__ import annotations

import re
from re import _constants as sre
from re import _parser

import pytest

from qa_scraper.pages import labels


def first_items(pattern: re.Pattern[str]) -> set[str]:
    """The characters the first item of each alternative of ``pattern`` names (each must be
    a literal or a class of literals: anything else fails the test)."""

    def firsts(sequence: list) -> list:
        sequence = [item for item in sequence if item[0] is not sre.AT]  # "^"
        op, value = sequence[0]
        if op is sre.SUBPATTERN:
            return firsts(list(value[-1]))
        if op is sre.BRANCH:
            return [item for branch in value[1] for item in firsts(list(branch))]
        return [(op, value)]

    chars = set()
    for op, value in firsts(list(_parser.parse(pattern.pattern, pattern.flags))):
        if op is sre.LITERAL:
            chars.add(chr(value))
        else:
            assert op is sre.IN and all(kind is sre.LITERAL for kind, _ in value), (op, value)
            chars.update(chr(code) for _, code in value)
    return chars


@pytest.mark.parametrize(
    ("pattern", "first"),
    [
        (labels.CHROME_LINE, labels.CHROME_LINE_FIRST),
        (labels.SECTION_START, labels.SECTION_START_FIRST),
    ],
)
def test_first_character_sets_hold_every_character_a_match_starts_with(
    pattern: re.Pattern[str], first: frozenset[str]
) -> None:
    assert pattern.flags & re.IGNORECASE
    starts = re.compile("[" + "".join(map(re.escape, sorted(first_items(pattern)))) + "]", re.I)
    matching = {chr(code) for code in range(0x110000) if starts.match(chr(code))}
    assert matching == set(first)
    # and the pattern's own verdict on a line starting with any other character is "no"
    assert not pattern.match("Kadvertisement") and not pattern.match("\u0130more info")
