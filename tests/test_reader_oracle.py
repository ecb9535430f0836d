"""The line reader against an independent reading of the same HTML: the html-text library.

html-text turns HTML into text on its own (lxml's Cleaner drops scripts, styles, comments and
embeds; every other element's text is kept, with a newline after block tags). Every line the
extractor reads must appear in html-text's output, in the same order, after normalising white
space on both sides (runs of white space become one space; invisible format characters, which
the contract removes, are removed). This makes a regression of the reader show up apart from
the fields: a lost, reordered, duplicated or wrongly joined line fails here.

What the two deliberately read differently, and how the comparison allows for it:
- html-text does no CSS: it collapses ``white-space: pre-line`` text into one line. Lines are
  compared as substrings of its whole normalised output, so each pre-line line still matches.
- html-text reads hidden content (it has no notion of ``hidden``/``display:none``), template,
  noscript, dialogs, cookie banners and button labels; the extractor reads a subset of those
  (the hidden-content rule in :mod:`qa_scraper.reading.visibility`). Reading less is allowed by the
  direction of the check (ours must be in theirs), so nothing needs skipping for it.
- html-text guesses a space between two adjacent inline elements (``<a>A</a><a>B</a>`` gives
  "A B") where a browser shows none ("AB"). On the saved pages the check is exact; on the
  markup variants, which glue fragments on purpose (translation wrappers, link lists), an
  extra space in html-text's output between two of our characters is allowed, but every space
  of ours must be there: a spurious space inserted by the reader still fails.
- html-text reads only the HTML: text drawn by CSS (list markers, ``::before``/``::after``
  content) is not in its output. The markup variants made of such text (``CSS_DRAWN``) are
  left out here; tests/test_browser_oracle.py checks every variant against Chromium.
"""

from __future__ import annotations

import re

import html_text
import pytest

from qa_scraper.pages.article import ArticlePage
from tests.conftest import load_expected, saved_page
from tests.markup_variants import CSS_DRAWN, RENDERERS

EXPECTED = {item["article_id"]: item for item in load_expected()}
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", _INVISIBLE.sub("", text)).strip()


def oracle_text(html: str) -> str:
    # guess_punct_space=False: a space between every two text chunks, never a guess that
    # removes one; guess_layout keeps block boundaries as white space.
    return normalise(html_text.extract_text(html, guess_layout=True, guess_punct_space=False))


def missing_lines(html: str, url: str, *, extra_spaces_allowed: bool) -> list[str]:
    """Our lines that are not found in html-text's output in order."""
    oracle = oracle_text(html)
    lines = ArticlePage(url, html).lines
    assert lines, "the reader read nothing"
    missing, position = [], 0
    for line in lines:
        text = normalise(line.text)
        if extra_spaces_allowed:
            pattern = " ?".join(re.escape(char) for char in text)
            found = re.compile(pattern).search(oracle, position)
            start, end = (found.start(), found.end()) if found else (-1, -1)
        else:
            start = oracle.find(text, position)
            end = start + len(text)
        if start < 0:
            missing.append(text)
        else:
            position = end
    return missing


@pytest.mark.parametrize("article_id", sorted(EXPECTED))
def test_every_line_of_a_saved_page_is_in_html_texts_reading(article_id: str) -> None:
    html = saved_page(f"/en/article/{article_id}")
    assert missing_lines(html, EXPECTED[article_id]["url"], extra_spaces_allowed=False) == []


@pytest.mark.parametrize("renderer", sorted(set(RENDERERS) - CSS_DRAWN))
@pytest.mark.parametrize("article_id", ["174501", "174534", "174618"])
def test_every_line_of_a_markup_variant_is_in_html_texts_reading(
    renderer: str, article_id: str
) -> None:
    html = RENDERERS[renderer](EXPECTED[article_id])
    assert missing_lines(html, EXPECTED[article_id]["url"], extra_spaces_allowed=True) == []


def test_html_text_guesses_a_space_a_browser_does_not_show() -> None:
    html = "<html><body><p>Hello <b>wor</b>ld</p><p>Second line</p></body></html>"
    url = "http://127.0.0.1:8123/en/article/1"
    assert "Hello wor ld" in oracle_text(html)
    assert missing_lines(html, url, extra_spaces_allowed=False) == ["Hello world"]
    assert missing_lines(html, url, extra_spaces_allowed=True) == []


@pytest.mark.parametrize("damage", ["spurious_space", "lost_break", "extra_text"])
def test_the_oracle_catches_a_damaged_reader(monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    from qa_scraper.pages import document
    from qa_scraper.reading.lines import Line, visible_lines

    def damaged(root, base_url, landmarks):
        lines = visible_lines(root, base_url, landmarks)
        index = next(i for i, line in enumerate(lines) if "Ask Date" in line.text)
        text = lines[index].text
        if damage == "spurious_space":
            lines[index] = Line(text.replace("Date", "Da te"))
        elif damage == "lost_break":  # two lines read as one, in the wrong order
            lines[index - 1 : index + 1] = [Line(f"{text} {lines[index - 1].text}")]
        else:
            lines[index] = Line(text + " SCRIPT_TEXT")
        return lines

    monkeypatch.setattr(document, "visible_lines", damaged)
    html = saved_page("/en/article/174534")
    assert missing_lines(html, EXPECTED["174534"]["url"], extra_spaces_allowed=True)
