"""Property-based fuzzing of the extractor: mutated saved pages never make it raise, and no
field ever carries markup or script text."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa_scraper.pages.article import ArticlePage
from tests.conftest import has_markup, load_expected, saved_page, string_values

PAGES = [(item["url"], saved_page(f"/en/article/{item['article_id']}")) for item in load_expected()]
INJECTED_SCRIPT = "EVIL_SCRIPT_TEXT"
INJECTED_STYLE = "EVIL_STYLE_TEXT"
# Text that only a page's own <script>/<style> elements hold.
SCRIPT_TEXT = (
    "__PAGE_DATA__",
    "dataLayer",
    "font-family",
    "googletagmanager",
    INJECTED_SCRIPT,
    INJECTED_STYLE,
)
SNIPPETS = [
    "<div>",
    "</div>",
    "<p>",
    "</p>",
    "</span>",
    "<br>",
    "<li>",
    "</ul>",
    "<b>",
    "</a>",
    "<a href='/en/article/999'>",
    "&amp;",
    "&lt;b&gt;",
    "&nbsp;",
    "&#x27;",
    "Share to:",
    "Ask Date: 2020/01/01",
    "Reply Date:",
    "More Info",
    "Similar Q&amp;A",
    "[Read More]",
    "Related FAQ",
    "Dr. Wang Li reply Neurology",
    "(Neurology)",
    "Anonymous, 20~29 year old.",
    "<!-- comment -->",
    "<![CDATA[ x ]]>",
    "\x00",
    "\ufeff",
    "<h1>",
    "<table><tr><td>",
    f"<script>var x='{INJECTED_SCRIPT}<p>';</script>",
    f"<style>.x{{{INJECTED_STYLE}}}</style>",
]


@st.composite
def mutated_pages(draw: st.DrawFn) -> tuple[str, str]:
    url, html = draw(st.sampled_from(PAGES))
    # Mutate the body only, never inside the page's own <script>/<style> elements.
    start = html.index("<body>") + len("<body>")
    end = html.rindex("<script>")
    body = html[start:end]
    tag_starts = [match.start() for match in re.finditer("<", body)] or [0]
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        kind = draw(st.sampled_from(["insert", "delete", "duplicate", "case", "cut"]))
        at = draw(st.sampled_from(tag_starts)) if tag_starts else 0
        at = min(at, len(body))
        if kind == "insert":
            snippet = draw(st.sampled_from(SNIPPETS) | st.text(max_size=20))
            body = body[:at] + snippet + body[at:]
        elif kind == "delete":
            length = draw(st.integers(min_value=1, max_value=400))
            body = body[:at] + body[at + length :]
        elif kind == "duplicate":
            length = draw(st.integers(min_value=1, max_value=2000))
            body = body[:at] + body[at : at + length] + body[at:]
        elif kind == "case":
            length = draw(st.integers(min_value=1, max_value=500))
            body = body[:at] + body[at : at + length].swapcase() + body[at + length :]
        else:
            return url, html[:start] + body[:at]
        tag_starts = [match.start() for match in re.finditer("<", body)] or [0]
    return url, html[:start] + body + html[end:]


@pytest.mark.slow  # seconds: 150 mutated pages
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_pages())
def test_mutated_pages_never_raise_nor_leak_markup_or_script(page_input: tuple[str, str]) -> None:
    url, html = page_input
    page = ArticlePage(url, html)
    item = page.build_item()  # without the safety net: any exception fails the test
    for text in string_values(item):
        assert not has_markup(text), f"markup in a field: {text[:200]!r}"
        assert not any(marker in text for marker in SCRIPT_TEXT), f"script text: {text[:200]!r}"
    for problem in page.problems:
        assert problem.field and problem.reason


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=3000) | st.text(max_size=3000).map(str.encode))
def test_arbitrary_bytes_never_raise(body: bytes) -> None:
    page = ArticlePage("http://127.0.0.1:8123/en/article/1", body, content_type="text/html")
    item = page.build_item()
    assert item["article_id"] == "1"
    assert page.problems
