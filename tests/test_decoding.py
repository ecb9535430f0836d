"""Bytes to text (issue 8, defect 4): one bad byte is replaced, not a reason to re-read the whole
page in another charset; text that reads like mis-decoded UTF-8 is flagged, not delivered."""

from __future__ import annotations

import re

from qa_scraper.delivery.validation import item_errors
from qa_scraper.pages.article import ArticlePage
from qa_scraper.pages.decoding import decode_body
from tests.conftest import saved_page, stamped

URL = "http://127.0.0.1:8123/en/article/174501"
UTF8 = "text/html; charset=utf-8"


def page_with_question_prefix(prefix: bytes) -> bytes:
    html = saved_page("/en/article/174501").encode("utf-8")
    return re.sub(rb'(<div class="question-text">)', lambda m: m.group(1) + prefix, html, count=1)


def test_one_invalid_byte_is_replaced_and_the_rest_read_as_declared() -> None:
    body = page_with_question_prefix("Take 5 μg at 38°C, ".encode() + b"\xff" + b" then ")
    page = ArticlePage(URL, body, content_type=UTF8)
    item = page.to_item()
    assert page.problems == []
    assert item["question"]["text"].startswith("Take 5 μg at 38°C, \ufffd then ")
    assert page.replaced_bytes == 1
    assert item_errors(stamped(item)) == []


def test_a_legacy_page_labelled_utf8_is_read_as_windows_1252() -> None:
    text = "<html><body><p>caf\u00e9 na\u00efve 38\u00b0C \u2013 \u201cok\u201d</p></body></html>"
    assert decode_body(text.encode("cp1252"), UTF8) == (text, 0)


def test_a_clean_page_reports_no_replacement() -> None:
    body = page_with_question_prefix("Take 5 μg. ".encode())
    page = ArticlePage(URL, body, content_type=UTF8)
    assert page.replaced_bytes == 0 and "\ufffd" not in page.html


def test_mojibake_in_a_text_field_is_a_problem_with_its_path() -> None:
    body = page_with_question_prefix("Take 5 Î¼g at 38Â°C. ".encode())  # UTF-8 read as cp1252
    page = ArticlePage(URL, body, content_type=UTF8)
    page.to_item()
    [problem] = page.problems
    assert problem.field == "question/text"
    assert "mojibake" in problem.reason and "Î¼g" in problem.reason


def test_ordinary_non_ascii_text_is_not_taken_for_mojibake() -> None:
    body = page_with_question_prefix("Naïve café – “quoted” ≥ 7 ± 0.5 µg, Ångström. ".encode())
    page = ArticlePage(URL, body, content_type=UTF8)
    page.to_item()
    assert page.problems == []


def test_the_quick_mojibake_check_agrees_with_ftfy_on_every_text_tried() -> None:
    """The pre-check (one character class derived from ftfy's pattern) only ever rules out
    text that ftfy.badness.is_bad() also finds clean: texts made of the pattern's own
    characters, ASCII and common non-ASCII text, in many combinations."""
    import random

    import ftfy.badness

    from qa_scraper.pages import mojibake

    assert mojibake._MOJIBAKE_CHARACTERS is not None  # the pre-check is in use
    assert mojibake._LONGEST_MATCH is not None  # and so is the search around its characters
    pattern_chars = sorted({char for char in ftfy.badness.BADNESS_RE.pattern if ord(char) > 127})
    alphabet = pattern_chars + list("aeAZ .,?!-:(1") + list("…’–—é°×µ€Ã¢ÂβВГ")
    rng = random.Random(21)
    texts = [
        "Take 5 Î¼g at 38Â°C.",
        "â€™",
        "Naïve café – “quoted” ≥ 7 ± 0.5 µg, Ångström.",
        "Hello… it’s fine",
    ]
    texts += ["".join(rng.choices(alphabet, k=rng.randint(1, 8))) for _ in range(30000)]
    # longer texts, mostly ASCII: the search around each telling character
    texts += [
        "".join(rng.choices(alphabet + list("abcdefgh ijklmnop") * 20, k=rng.randint(20, 200)))
        for _ in range(5000)
    ]
    texts += ["Ã " + "x" * 50, "y" * 50 + "\nÃ ", "z" * 40 + "Â°C" + "z" * 40]
    # the longest match (Windows-1251 over Latin-1 mojibake), inside a longer text
    texts += ["q" * 30 + "ГўВЂВxa" + "q" * 30, "q" * 30 + "ГўВЂВ™a" + "q" * 30]
    verdicts = [mojibake._is_bad(text) for text in texts]
    assert verdicts == [ftfy.badness.is_bad(text) for text in texts]
    assert any(verdicts) and not all(verdicts)  # both answers were tried
    assert mojibake._MOJIBAKE_CHARACTERS.search("Hello… it’s fine") is None  # and it rules out
