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


def test_the_fast_paths_give_what_urlsplit_and_urljoin_give() -> None:
    """The plain-URL fast paths (no urlsplit, no urljoin) against the slow paths, on plain
    and not-so-plain links: relative with dots, dot segments, queries, legacy ids, case,
    Unicode digits, trailing slashes and newlines."""
    import random
    from urllib.parse import urljoin, urlsplit, urlunsplit

    from qa_scraper.reading.builder import LineBuilder
    from qa_scraper.urls import DEPARTMENT_PATH, FAQ_PATH, HOME_PATHS, LATEST_PATH, _article_id

    hrefs = [
        "/en/article/174507",
        "/en/article/174507/",
        "/en/article/174507//",
        "/article.php?id=174507",
        "/article.php?id=174507&utm=x",
        "/en/faq/neurology/migraine",
        "/en/faq/neurology/migraine/",
        "/en/faq/neurology",
        "/en/faq/neurology/migraine/more",
        "/en/faq/",
        "/a/./b",
        "/a/../b",
        "/a/.hidden",
        "/a//b",
        "//other.host/en/article/1",
        "/?q=1",
        "/x?",
        "/x.y/z.php?a=b+c%20d",
        "/en/article/\u0661\u0662",
        "/en/article/12\n",
        "relative/path",
        "./here",
        "/",
        "",
        "HTTP://h.example/en/article/5",
        "http://H.example:8080/en/article/5",
        "https://h.example/en/article/5?utm=1#x",
        "http://h.example/en/department/neurology",
        "http://h.example",
        "http://h.example/en",
    ]
    rng = random.Random(21)
    alphabet = list("/aZ9.-_?=&%+#;:") + ["en/", "article/", "123", "..", "./"]
    hrefs += ["/" + "".join(rng.choices(alphabet, k=rng.randint(0, 12))) for _ in range(3000)]
    for base in ("http://127.0.0.1:8123/en/article/174501", "https://www.example.com/x/y?z=1"):
        builder = LineBuilder(base)
        for href in hrefs:
            assert builder._absolute(href) == absolute(base, href), (base, href)
            url = urljoin(base, href)
            parts = urlsplit(url)
            article_id = _article_id(parts)
            assert article_id_from_url(url) == article_id, url
            expected = (
                urlunsplit((parts.scheme, parts.netloc, f"/en/article/{article_id}", "", ""))
                if article_id
                else None
            )
            assert canonical_article_url(url) == expected, url
            path = parts.path
            expected_kind = (
                PageKind.ARTICLE
                if article_id
                else PageKind.LISTING
                if DEPARTMENT_PATH.match(path) or LATEST_PATH.match(path)
                else PageKind.FAQ
                if FAQ_PATH.match(path)
                else PageKind.HOME
                if path in HOME_PATHS
                else None
            )
            assert page_kind(url) is expected_kind, url
