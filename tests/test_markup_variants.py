"""The extractor keys on visible labels: other markups of the same page give the same item."""
from __future__ import annotations

import pytest

from qa_scraper.pages.article import ArticlePage
from tests.conftest import load_expected, without_run_fields
from tests.markup_variants import RENDERERS

EXPECTED = {item["article_id"]: item for item in load_expected()}


@pytest.mark.parametrize("renderer", sorted(RENDERERS))
@pytest.mark.parametrize("article_id", sorted(EXPECTED))
def test_other_markup_gives_same_item(renderer: str, article_id: str) -> None:
    expected = EXPECTED[article_id]
    html = RENDERERS[renderer](expected)
    page = ArticlePage(expected["url"], html)
    item = without_run_fields(page.to_item())
    assert page.problems == []
    assert item == expected
