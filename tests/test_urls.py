"""URL kinds and canonical forms."""

from __future__ import annotations

import pytest

from qa_scraper.urls import (
    PageKind,
    absolute,
    article_id_from_url,
    canonical_article_url,
    canonical_url,
    page_kind,
    same_host,
)

BASE = "http://127.0.0.1:8123"


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (f"{BASE}/en/article/174501", f"{BASE}/en/article/174501"),
        (f"{BASE}/en/article/174501/", f"{BASE}/en/article/174501"),
        (f"{BASE}/en/article/174501?utm_source=list&utm_medium=web", f"{BASE}/en/article/174501"),
        (f"{BASE}/en/article/174501?page=2#replies", f"{BASE}/en/article/174501"),
        (f"{BASE}/article.php?id=174507", f"{BASE}/en/article/174507"),
        (f"{BASE}/article.php?utm_source=x&id=174507", f"{BASE}/en/article/174507"),
        (f"{BASE}/article.php?id=abc", None),
        (f"{BASE}/en/faq/neurology/migraine", None),
    ],
)
def test_canonical_article_url(url: str, canonical: str | None) -> None:
    assert canonical_article_url(url) == canonical
    if canonical:
        assert article_id_from_url(url) == canonical.rsplit("/", 1)[1]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"{BASE}/en/latest?page=2&utm_source=x#top", f"{BASE}/en/latest?page=2"),
        (f"{BASE}/en/department/neurology?utm_campaign=y", f"{BASE}/en/department/neurology"),
        (f"{BASE}/en/faq/neurology/migraine?utm_source=faq", f"{BASE}/en/faq/neurology/migraine"),
    ],
)
def test_canonical_page_url_keeps_only_pagination(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/en/article/1", PageKind.ARTICLE),
        ("/article.php?id=1", PageKind.ARTICLE),
        ("/en/department/neurology", PageKind.LISTING),
        ("/en/latest", PageKind.LISTING),
        ("/en/faq/neurology/migraine", PageKind.FAQ),
        ("/", PageKind.HOME),
        ("/en/", PageKind.HOME),
        ("/en/search", None),
        ("/en/member/login", None),
        ("/en/doctor/dr-x", None),
    ],
)
def test_page_kind(path: str, kind: PageKind | None) -> None:
    assert page_kind(BASE + path) is kind


def test_absolute_ignores_non_http_links() -> None:
    assert absolute(BASE + "/en/", "/en/article/1") == BASE + "/en/article/1"
    for href in (
        "javascript:alert(1)",
        "mailto:a@b",
        "#top",
        "",
        None,
        "data:text/html,x",
        "ftp://host/x",
    ):
        assert absolute(BASE + "/en/", href) is None


def test_same_host() -> None:
    assert same_host("http://a.example/x", "http://a.example:80/y")
    assert same_host("https://a.example/x", "https://a.example:443/")
    assert not same_host("http://a.example/x", "http://a.example:8080/")
    assert not same_host("http://a.example/x", "http://b.example/x")
    assert not same_host("http://a.example:bad/x", "http://a.example/x")
