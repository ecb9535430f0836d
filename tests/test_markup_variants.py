"""The extractor keys on visible labels: other markups of the same page give the same item."""

from __future__ import annotations

import pytest

from qa_scraper.pages.article import ArticlePage
from tests.conftest import assert_items_equal, load_expected, without_run_fields
from tests.markup_variants import NEVER_CONTENT_MARKERS, RENDERERS, drawn

EXPECTED = {item["article_id"]: item for item in load_expected()}


@pytest.mark.parametrize("renderer", sorted(RENDERERS))
@pytest.mark.parametrize("article_id", sorted(EXPECTED))
def test_other_markup_gives_same_item(renderer: str, article_id: str) -> None:
    expected = EXPECTED[article_id]
    html = RENDERERS[renderer](expected)
    page = ArticlePage(expected["url"], html)
    item = without_run_fields(page.to_item())
    assert page.problems == []
    assert_items_equal(drawn(item), drawn(expected), f"article {article_id} as {renderer}")


@pytest.mark.parametrize(
    "article_id", sorted(a for a, item in EXPECTED.items() if item["more_info"])
)
def test_more_info_as_last_section_stops_at_unmarked_page_chrome(article_id: str) -> None:
    """No Similar Q&A, no Related FAQ: the sidebar and footer (plain <div>s, no class) that
    follow "More Info" are not part of it."""
    expected = dict(EXPECTED[article_id], similar_questions=[], related_faqs=[])
    html = RENDERERS["div_soup"](expected)
    assert "Similar Q&amp;A" not in html and "Popular questions" in html
    page = ArticlePage(expected["url"], html)
    assert_items_equal(
        drawn(without_run_fields(page.to_item())),
        drawn(expected),
        f"article {article_id} as div_soup, More Info last",
    )
    assert page.problems == []


@pytest.mark.parametrize("article_id", sorted(EXPECTED))
def test_similar_as_last_section_ignores_unmarked_footer_text(article_id: str) -> None:
    expected = dict(EXPECTED[article_id], related_faqs=[])
    page = ArticlePage(expected["url"], RENDERERS["compact"](expected))
    assert_items_equal(
        drawn(without_run_fields(page.to_item())),
        drawn(expected),
        f"article {article_id} as compact, Similar Q&A last",
    )
    assert page.problems == []


@pytest.mark.parametrize("renderer", ["collapsed_more_info", "collapsed_more_info_no_ids"])
@pytest.mark.parametrize("article_id", sorted(EXPECTED))
def test_hidden_chrome_around_collapsed_content_never_leaks(renderer: str, article_id: str) -> None:
    html = RENDERERS[renderer](EXPECTED[article_id])
    assert "HIDDEN_SPAM_TEXT" in html and "MODAL_TEXT" in html
    page = ArticlePage(EXPECTED[article_id]["url"], html)
    texts = [line.text for line in page.lines]
    assert not [text for text in texts if any(marker in text for marker in NEVER_CONTENT_MARKERS)]
