"""Text rules of the contract, the asker line, the reply header and dates."""

from __future__ import annotations

import html
import random

import pytest

from qa_scraper import text as text_rules
from qa_scraper.dates import parse_date
from qa_scraper.pages.asker import Asker
from qa_scraper.pages.responder import ResponderHeader, parse_responder_header
from qa_scraper.text import clean_line, excerpt, join_honorific_lines, text_block


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  a \t b  ", "a b"),
        ("a\u00a0\u00a0b", "a b"),  # non-breaking spaces become one space
        ("\u200bzero\u200bwidth", "zerowidth"),
        ("“quoted” ‘text’", "“quoted” ‘text’"),  # typographic quotes are kept
        ("", ""),
        (None, ""),
    ],
)
def test_clean_line(raw: str | None, expected: str) -> None:
    assert clean_line(raw) == expected


def test_honorific_line_breaks_are_rejoined() -> None:
    lines = [
        "Hello Dr.",
        "Jiang, my condition improved.",
        "Sincerely,",
        "Dr.",
        "Jiang Junyi",
        "Lao Tao Medical Clinic",
    ]
    assert join_honorific_lines(lines) == [
        "Hello Dr. Jiang, my condition improved.",
        "Sincerely,",
        "Dr. Jiang Junyi",
        "Lao Tao Medical Clinic",
    ]


@pytest.mark.parametrize("honorific", ["Dr.", "Mr.", "Ms.", "Mrs.", "Prof."])
def test_each_honorific_joins_the_next_line(honorific: str) -> None:
    assert join_honorific_lines([f"Dear {honorific}", "Lin,"]) == [f"Dear {honorific} Lin,"]


def test_words_merely_ending_like_an_honorific_do_not_join() -> None:
    # "Mrs." inside a word, or an abbreviation that is not an honorific, ends the line.
    assert join_honorific_lines(["I asked my GP.", "Next line"]) == ["I asked my GP.", "Next line"]
    assert join_honorific_lines(["Dr.Who.", "x"]) == ["Dr.Who.", "x"]


def test_honorific_join_skips_empty_lines_and_a_trailing_honorific_stays() -> None:
    assert join_honorific_lines(["Dear Mr.", "   ", "Lin,"]) == ["Dear Mr. Lin,"]
    assert join_honorific_lines(["Thanks, Dr."]) == ["Thanks, Dr."]


def test_text_block_joins_with_newline_and_drops_empty_lines() -> None:
    assert text_block(["  first  line ", "", "\u00a0", "second\tline"]) == "first line\nsecond line"
    assert text_block(["", " "]) is None


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["Tremor that appears during action...."], "Tremor that appears during action."),
        (["better for a few minutes......"], "better for a few minutes..."),
        (["ends with unicode…"], "ends with unicode"),
        (["no ellipsis"], "no ellipsis"),
        (["like popcorn… and more..."], "like popcorn… and more"),
        (["..."], None),
        ([], None),
    ],
)
def test_excerpt_drops_one_trailing_ellipsis(lines: list[str], expected: str | None) -> None:
    assert excerpt(lines) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Ms. Cai, 30~39 year old female.", ("Ms. Cai", 30, 39, "female")),
        ("Mr. Zheng, 70+ year old male.", ("Mr. Zheng", 70, None, "male")),
        ("Anonymous, 20~29 year old.", (None, 20, 29, None)),
        ("Anonymous, 50~59 year old female", (None, 50, 59, "female")),
        ("Chen, 20~29 year old.", ("Chen", 20, 29, None)),
        ("Lin, 10~19 years old male.", ("Lin", 10, 19, "male")),
        ("Wu, 40-49 year-old female.", ("Wu", 40, 49, "female")),
        ("ANONYMOUS, 60~69 YEAR OLD MALE.", (None, 60, 69, "male")),
        ("Ms. Li.", ("Ms. Li", None, None, None)),
        ("30~39 year old woman.", (None, 30, 39, "female")),
        ("", (None, None, None, None)),
    ],
)
def test_asker_line(line: str, expected: tuple) -> None:
    asker = Asker(line)
    assert (asker.name, asker.age_min, asker.age_max, asker.gender) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Dr. Jiang Junyi reply Neurology", ResponderHeader("Dr.", "Jiang Junyi", "Neurology")),
        (
            "Physical Therapist Xie Yating reply Rehabilitation",
            ResponderHeader("Physical Therapist", "Xie Yating", "Rehabilitation"),
        ),
        (
            "Pharmacist Lin Meiling reply Pharmacy",
            ResponderHeader("Pharmacist", "Lin Meiling", "Pharmacy"),
        ),
        (
            "Nutritionist Chen Yu reply Family Medicine",
            ResponderHeader("Nutritionist", "Chen Yu", "Family Medicine"),
        ),
        (
            "Nurse Wang Li reply Obstetrics and Gynecology",
            ResponderHeader("Nurse", "Wang Li", "Obstetrics and Gynecology"),
        ),
        (
            "Psychologist Huang Jun reply Psychiatry",
            ResponderHeader("Psychologist", "Huang Jun", "Psychiatry"),
        ),
        (
            "Occupational Therapist Lee Ann reply Rehabilitation",
            ResponderHeader("Occupational Therapist", "Lee Ann", "Rehabilitation"),
        ),
        # An unknown multi-word title: every word before the two-word name.
        (
            "Art Therapist Zhou Mei reply Psychiatry",
            ResponderHeader("Art Therapist", "Zhou Mei", "Psychiatry"),
        ),
        (
            "Certified Lactation Consultant Gao Ning reply Pediatrics",
            ResponderHeader("Certified Lactation Consultant", "Gao Ning", "Pediatrics"),
        ),
        # An unknown abbreviated title.
        (
            "Assoc. Prof. Su Weiting reply Ophthalmology",
            ResponderHeader("Assoc.", "Prof. Su Weiting", "Ophthalmology"),
        ),
        (
            "Dr. Ou-Yang Ming reply Ear, Nose & Throat (ENT)",
            ResponderHeader("Dr.", "Ou-Yang Ming", "Ear, Nose & Throat (ENT)"),
        ),
        ("Pharmacist Lin reply Pharmacy", ResponderHeader("Pharmacist", "Lin", "Pharmacy")),
        ("dr. jiang junyi reply neurology", None),  # not a header's shape (lower case)
        ("Thank you for your reply doctor", None),
        ("I read your reply, Doctor, and I agree", None),
        ("Dr. Jiang Junyi", None),
    ],
)
def test_reply_header(line: str, expected: ResponderHeader | None) -> None:
    assert parse_responder_header(line) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021/10/14", "2021-10-14"),
        ("2021-10-14", "2021-10-14"),
        ("2021/1/5", "2021-01-05"),
        ("2021.10.14", "2021-10-14"),
        ("Oct 14, 2021", "2021-10-14"),
        ("October 14, 2021", "2021-10-14"),
        ("14 October 2021", "2021-10-14"),
        ("  2021/10/14 ", "2021-10-14"),
        ("2021/10/14 14:32", "2021-10-14"),
        ("2021-10-14T08:05:00", "2021-10-14"),
        ("2021/10/14 | 1,234 views", "2021-10-14"),
        ("Oct 14, 2021 · 3 replies", "2021-10-14"),
        ("2021年10月14日", "2021-10-14"),
        ("2021/02/30", None),  # no such day
        ("October 2021", None),  # not a full date
        ("yesterday-ish", None),
        ("", None),
        (None, None),
        ("9" * 500, None),
    ],
)
def test_parse_date(text: str | None, expected: str | None) -> None:
    assert parse_date(text) == expected


def test_clean_line_shortcuts_give_what_every_rule_gives() -> None:
    """clean_line returns printable text as it is when nothing in it needs a rule: printable
    text holds no character that the rules remove or collapse (checked over all of Unicode),
    and on text of every kind (ASCII or not, clean or not) it gives what applying every rule
    gives."""
    for code in range(0x110000):
        char = chr(code)
        if char.isprintable():
            assert not text_rules._INVISIBLE_OR_CONTROL.match(char), hex(code)
            assert not char.isspace() or char == " ", hex(code)

    rng = random.Random(21)
    for _ in range(20000):
        value = "".join(rng.choices(_PIECES, k=rng.randint(1, 10)))
        assert clean_line(value) == _every_rule(value), repr(value)


_PIECES = ["a", "Z", "é", "…", "’", "保", " ", "  ", "\u00a0", "\u200b", "\n", "\t", "&amp;"]
_PIECES += ["&lt;b&gt;", "<b>", "&#8203;", "\x7f", "\u3000", "x.", "Dr.", "&amp;lt;", "&", "<"]


def _every_rule(value: str) -> str:
    """clean_line's rules, each applied, with none of its shortcuts (nor its memo)."""
    value = text_rules._INVISIBLE_OR_CONTROL.sub("", value)
    if "&" in value and text_rules._ENTITY.search(value):
        value = html.unescape(value)
    if "<" in value:
        value = text_rules._TAG_LIKE.sub(" ", value)
    return " ".join(value.split())


def test_clean_line_remembers_only_texts_it_gives_back_as_they_are() -> None:
    """clean_line's memo of clean texts (a page's lines are cleaned again by the fields) holds
    only texts that every rule leaves as they are: a text cleaned twice, or cleaned again after
    other texts filled the memo up and it was emptied, gives what every rule gives."""
    rng = random.Random(5)
    values = ["".join(rng.choices(_PIECES, k=rng.randint(1, 8))) for _ in range(3000)]
    values += [f"line {number}" for number in range(text_rules._MAX_CLEAN + 10)]
    for _ in range(2):
        for value in values:
            cleaned = clean_line(value)
            assert cleaned == _every_rule(value), repr(value)
            assert clean_line(cleaned) == _every_rule(cleaned), repr(cleaned)
    assert 0 < len(text_rules._CLEAN) <= text_rules._MAX_CLEAN
    for text in text_rules._CLEAN:
        assert _every_rule(text) == text, repr(text)
    text_rules.forget_clean_texts()
    assert not text_rules._CLEAN
