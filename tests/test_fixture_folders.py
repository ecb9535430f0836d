"""The saved pages are folders: page.html, expected.json and meta.json, and they agree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import (
    FIXTURES,
    PLACEHOLDER,
    ROUTES,
    SITE,
    assert_items_equal,
    item_differences,
    load_expected,
    page_folders,
)

FOLDERS = page_folders()
ARTICLE_ROUTES = {path: route for path, route in ROUTES.items() if route.get("kind") == "article"}


def test_one_folder_per_article_route() -> None:
    spec = json.loads((SITE / "routes.json").read_text(encoding="utf-8"))
    assert len(FOLDERS) == len(ARTICLE_ROUTES) == spec["articles"] == 25
    assert [folder.name for folder in FOLDERS] == sorted(
        "article-" + path.rsplit("/", 1)[1] for path in ARTICLE_ROUTES
    )
    assert [item["article_id"] for item in load_expected()] == [
        folder.name.removeprefix("article-") for folder in FOLDERS
    ]
    assert not (SITE / "en" / "article").exists()  # page.html is the only copy


@pytest.mark.parametrize("folder", FOLDERS, ids=[folder.name for folder in FOLDERS])
def test_folder_is_page_expected_and_meta(folder: Path) -> None:
    assert sorted(path.name for path in folder.iterdir()) == [
        "expected.json",
        "meta.json",
        "page.html",
    ]
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    assert list(meta) == ["url", "content_type"]
    assert meta["url"] == expected["url"] == f"{PLACEHOLDER}/en/article/{expected['article_id']}"
    assert folder.name == f"article-{expected['article_id']}"
    # the dev server serves this very file at that URL, with that content type
    route = ROUTES[meta["url"].removeprefix(PLACEHOLDER)]
    assert (route["status"], route["kind"]) == (200, "article")
    assert (SITE / route["file"]).resolve() == (folder / "page.html").resolve()
    assert route["headers"]["Content-Type"] == meta["content_type"]
    html = (folder / "page.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{meta["url"]}">' in html


@pytest.mark.parametrize("folder", FOLDERS, ids=[folder.name for folder in FOLDERS])
def test_json_files_are_stored_as_written(folder: Path) -> None:
    """Pretty-printed, UTF-8, contract field order: rewriting one gives no spurious diff."""
    for name in ("expected.json", "meta.json"):
        text = (folder / name).read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n", (
            f"{folder.relative_to(FIXTURES)}/{name} is not as json.dumps(indent=2) writes it"
        )


def test_expected_urls_are_made_absolute_against_the_base() -> None:
    [item] = [
        item for item in load_expected("http://example.test:9/") if item["article_id"] == "174501"
    ]
    urls = [item["url"]] + [
        entry["url"] for entry in item["similar_questions"] + item["related_faqs"]
    ]
    assert item["url"] == "http://example.test:9/en/article/174501"
    assert all(url.startswith("http://example.test:9/en/") for url in urls)
    assert not any(PLACEHOLDER in url for url in urls)


def test_a_differing_field_is_named_with_expected_and_actual() -> None:
    expected = load_expected()[0]
    actual = json.loads(json.dumps(expected))
    actual["question"]["text"] = actual["question"]["text"].replace("e", "E", 1)
    actual["replies"][0]["clinic"] = "Headache Clinic"
    del actual["similar_questions"][-1]
    actual["extra"] = 1
    assert item_differences(json.loads(json.dumps(expected)), expected) == []
    assert_items_equal(json.loads(json.dumps(expected)), expected)

    differences = item_differences(actual, expected)
    count = len(expected["similar_questions"])
    assert differences[0].startswith("question/text: expected ")
    assert "first difference at character" in differences[0]
    assert differences[1] == (
        f"replies/0/clinic: expected {expected['replies'][0]['clinic']!r}, got 'Headache Clinic'"
    )
    assert differences[2] == f"similar_questions: expected {count} entries, got {count - 1}"
    assert differences[3].startswith(
        f"similar_questions/{count - 1}: missing, expected {{'article_id': "
    )
    assert differences[4:] == ["extra: not expected, got 1"]
    with pytest.raises(
        AssertionError, match=r"^article 174501: 5 difference\(s\) from expected\n"
    ) as raised:
        assert_items_equal(actual, expected, "article 174501")
    assert str(raised.value).splitlines()[1:] == ["  " + line for line in differences]
