"""URL knowledge of the site: which path is which page, and canonical forms.

The spider decides what to follow from these kinds; the page objects use the
canonical forms for every URL they put into an item.
"""

from __future__ import annotations

import re
from enum import Enum
from urllib.parse import SplitResult, parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from qa_scraper.caches import cached_text_function

ARTICLE_PATH = re.compile(r"^/en/article/(\d+)/?$")
LEGACY_ARTICLE_PATH = re.compile(r"^/article\.php$")
FAQ_PATH = re.compile(r"^/en/faq/[^/]+/[^/]+/?$")
DEPARTMENT_PATH = re.compile(r"^/en/department/[^/]+/?$")
LATEST_PATH = re.compile(r"^/en/latest/?$")
HOME_PATHS = {"", "/", "/en", "/en/"}
# An http(s) URL of plain characters with no query or fragment (most links are): urlsplit
# gives its scheme and host as "origin" and its path as "path" (no query, no fragment).
_PLAIN_URL = re.compile(
    r"(?P<origin>https?://[A-Za-z0-9.\-]+(?::[0-9]+)?)(?P<path>/[A-Za-z0-9_\-/.]*)?"
)
# Listing pagination is the only query that names a different page.
_LISTING_QUERY_KEYS = {"page"}
# The functions of a URL alone are cached (4,096 URLs of at most 2,000 characters): a site's
# pages link the same articles, FAQ topics and departments over and over, and a lookup costs
# less than a match.
_URL_CACHE = 4096


class PageKind(str, Enum):
    ARTICLE = "article"
    LISTING = "listing"
    FAQ = "faq"
    HOME = "home"


@cached_text_function(_URL_CACHE)
def article_id_from_url(url: str) -> str | None:
    """The article id of an article URL in either its current or legacy form."""
    plain = _PLAIN_URL.fullmatch(url)
    if plain:  # (a path alone: no legacy ?id=; ARTICLE_PATH on it, without urlsplit's cost)
        match = ARTICLE_PATH.match(plain["path"] or "")
        return match.group(1) if match else None
    return _article_id(urlsplit(url))


def _article_id(parts: SplitResult) -> str | None:
    match = ARTICLE_PATH.match(parts.path)
    if match:
        return match.group(1)
    if LEGACY_ARTICLE_PATH.match(parts.path):
        ids = [value for key, value in parse_qsl(parts.query) if key == "id"]
        if ids and ids[0].isdigit():
            return ids[0]
    return None


@cached_text_function(_URL_CACHE)
def canonical_article_url(url: str) -> str | None:
    """``scheme://host/en/article/<id>`` for any article link, else ``None``.

    Drops every query string and fragment (utm_* and the rest) and maps the
    legacy ``/article.php?id=N`` form to the URL its 301 points to.
    """
    plain = _PLAIN_URL.fullmatch(url)
    if plain:  # what urlsplit and urlunsplit give it, without their cost
        match = ARTICLE_PATH.match(plain["path"] or "")
        return f"{plain['origin']}/en/article/{match.group(1)}" if match else None
    parts = urlsplit(url)
    article_id = _article_id(parts)
    if article_id is None:
        return None
    return urlunsplit((parts.scheme, parts.netloc, f"/en/article/{article_id}", "", ""))


@cached_text_function(_URL_CACHE)
def canonical_page_url(url: str) -> str:
    """Any other page: no fragment, no tracking query, only a listing's ``page``."""
    if _PLAIN_URL.fullmatch(url):
        return url  # no query or fragment to drop: urlsplit + urlunsplit give it back
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k in _LISTING_QUERY_KEYS]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def canonical_url(url: str) -> str:
    return canonical_article_url(url) or canonical_page_url(url)


@cached_text_function(_URL_CACHE)
def page_kind(url: str) -> PageKind | None:
    """What a URL's page is, by path; ``None`` for pages the crawl never needs."""
    plain = _PLAIN_URL.fullmatch(url)
    if plain:  # (a path alone: no legacy ?id=, and no urlsplit)
        path = plain["path"] or ""
        if ARTICLE_PATH.match(path):
            return PageKind.ARTICLE
    else:
        parts = urlsplit(url)
        path = parts.path
        if _article_id(parts):
            return PageKind.ARTICLE
    if path.startswith("/en/faq/"):  # (no other kind's path starts so: one test, not three)
        return PageKind.FAQ if FAQ_PATH.match(path) else None
    if DEPARTMENT_PATH.match(path) or LATEST_PATH.match(path):
        return PageKind.LISTING
    if FAQ_PATH.match(path):
        return PageKind.FAQ
    if path in HOME_PATHS:
        return PageKind.HOME
    return None


def absolute(base: str, href: str | None) -> str | None:
    """Resolve ``href`` against ``base``; ``None`` for non-http(s) links."""
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    url = urljoin(base, href)
    if urlsplit(url).scheme not in ("http", "https"):
        return None
    return url


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str | None, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # a port that is not a number
        return parts.hostname, -1
    return parts.hostname, port or _DEFAULT_PORTS.get(parts.scheme)


def same_host(url: str, other: str) -> bool:
    """Same host name and port (an explicit default port counts as the default)."""
    return _origin(url) == _origin(other)
