"""The page parts' shortcuts give what the rule they skip gives (qa_scraper.pages, text.py,
items.py; issue 21): each is checked against the plain rule it replaced, written out here,
over many generated inputs."""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from parsel.selector import create_root_node

from qa_scraper.caches import LONGEST_CACHED
from qa_scraper.items import _site_relative, _site_relative_json, canonical_json, read_content
from qa_scraper.pages import mojibake, responder
from qa_scraper.pages.article import ArticlePage
from qa_scraper.pages.cached import cached_property, read_fields
from qa_scraper.pages.document import _parse_ascii
from qa_scraper.pages.faq import RelatedFaq
from qa_scraper.pages.responder import (
    KNOWN_TITLES,
    _split_title,
    header_at,
    parse_responder_header,
)
from qa_scraper.pages.similar import SimilarQuestion
from qa_scraper.reading.builder import Line
from qa_scraper.text import _TRAILING_HONORIFIC, clean_line, join_honorific_lines
from tests.conftest import FIXTURES, load_expected, saved_page

# --- read_fields: getattr, field by field ------------------------------------------------


class _Part:
    FIELDS = ("constant", "computed", "plain", "shadowed")
    constant = "c"

    def __init__(self) -> None:
        self.calls = 0
        self.__dict__["shadowed"] = "from the instance"

    @cached_property
    def computed(self) -> int:
        self.calls += 1
        return self.calls

    @property
    def plain(self) -> str:
        return "p"

    @cached_property
    def shadowed(self) -> str:
        raise AssertionError("the instance's own value is read")


def test_read_fields_gives_what_getattr_gives_and_caches_as_cached_property_does() -> None:
    part = _Part()
    assert read_fields(part, _Part.FIELDS) == {
        "constant": "c",
        "computed": 1,
        "plain": "p",
        "shadowed": "from the instance",
    }
    assert part.computed == 1 and part.__dict__["computed"] == 1  # computed once, kept
    assert read_fields(part, _Part.FIELDS, str)["computed"] == "1"  # converted as it is read
    assert part.calls == 1


class _Subclass(_Part):
    @cached_property
    def computed(self) -> int:
        return -1


def test_read_fields_reads_what_the_class_holds_now(monkeypatch) -> None:
    assert read_fields(_Part(), _Part.FIELDS)["computed"] == 1
    monkeypatch.setattr(_Part, "computed", property(lambda part: "patched"))
    assert read_fields(_Part(), _Part.FIELDS)["computed"] == "patched"
    monkeypatch.undo()
    assert read_fields(_Part(), _Part.FIELDS)["computed"] == 1
    # A subclass that defines only some of the fields: each is read as getattr reads it.
    assert read_fields(_Subclass(), _Part.FIELDS) == {
        "constant": "c",
        "computed": -1,
        "plain": "p",
        "shadowed": "from the instance",
    }


def test_read_fields_of_the_saved_pages_parts_are_their_getattr_values() -> None:
    for expected in load_expected():
        url = expected["url"]
        html = saved_page(f"/en/article/{expected['article_id']}")
        page, other = ArticlePage(url, html), ArticlePage(url, html)
        parts = [page.question, page.asker, *page.replies, *page.similar_questions]
        parts += page.related_faqs
        twins = [other.question, other.asker, *other.replies, *other.similar_questions]
        twins += other.related_faqs
        for part, twin in zip(parts, twins, strict=True):
            assert part.to_item() == {name: getattr(twin, name) for name in twin.FIELDS}
    assert isinstance(SimilarQuestion.__dict__["title"], cached_property)
    assert isinstance(RelatedFaq.__dict__["topic"], cached_property)


# --- the responder header: by first word, and header_at ----------------------------------


def _split_title_every_title(who: list[str]) -> tuple[str, str]:
    """_split_title trying every known title in turn (before issue 21's fourth round)."""
    joined = " ".join(who)
    lowered = joined.lower()
    for title, title_and_space in responder._KNOWN_TITLES_LOWER:
        if lowered.startswith(title_and_space):
            return joined[: len(title)], joined[len(title) + 1 :].strip()
    if who[0].endswith(".") or len(who) == 2:
        return who[0], " ".join(who[1:])
    return " ".join(who[:-2]), " ".join(who[-2:])


def _header_at_every_join(lines: list[Line], index: int) -> tuple[Any, int]:
    """header_at as it read before issue 21's fourth round."""
    cap = responder._MAX_HEADER_TOKENS
    if len(lines[index].text.split(None, cap)) > cap:
        return None, 1
    texts = [line.text for line in lines[index : index + responder._MAX_HEADER_LINES]]
    first = next((i for i, text in enumerate(texts) if "repl" in text.lower()), None)
    if first is None:
        return None, 1
    words = sum(len(text.split(None, cap)) for text in texts[:first])
    for count in range(first + 1, len(texts) + 1):
        words += len(texts[count - 1].split(None, cap))
        if words > cap:
            break
        header = parse_responder_header(" ".join(texts[:count]))
        if header and (count == 1 or header.title in KNOWN_TITLES):
            return header, count
    return None, 1


_WORDS = [
    *(title.strip() for title in KNOWN_TITLES),
    *(title.strip().upper() for title in KNOWN_TITLES[:6]),
    "dr.",
    "DR.",
    "Dr",
    "Prof",
    "Clinical",
    "Nurse",
    "Speech-Language",
    "Jiang",
    "Junyi",
    "Xu",
    "O'Neil",
    "Lin",
    "reply",
    "Reply",
    "replied:",
    "REPLIED",
    "repl",
    "Neurology",
    "Family Medicine",
    "Ear, Nose & Throat",
    "neurology.",
    "Dear",
    "Hello",
    "İstanbul",
    "ſ",
    "\u00a0",
    "a",
    "...",
]
_texts = st.lists(st.sampled_from(_WORDS), min_size=1, max_size=9).map(" ".join)


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=9))
def test_split_title_by_first_word_is_split_title_over_every_title(who: list[str]) -> None:
    who = " ".join(who).split()
    if who:
        assert _split_title(who) == _split_title_every_title(who)


@settings(max_examples=3000, deadline=None)
@given(
    st.lists(_texts | st.sampled_from(["", "x " * 20]), min_size=1, max_size=6),
    st.integers(0, 5),
)
def test_header_at_is_the_header_at_of_every_join(texts: list[str], index: int) -> None:
    lines = [Line(text) for text in texts]
    index = min(index, len(lines) - 1)
    assert header_at(lines, index) == _header_at_every_join(lines, index)


def test_header_at_still_finds_headers_split_over_lines() -> None:
    lines = [Line(text) for text in ["Dr.", "Jiang Junyi", "reply", "Family Medicine", "x"]]
    header, used = header_at(lines, 0)
    assert (header.title, header.name, header.department, used) == (
        "Dr.",
        "Jiang Junyi",
        "Family Medicine",
        4,
    )


# --- text rules: the honorific test only for lines ending with "." -------------------------


def _join_honorific_lines_searching_every_line(lines: list[str]) -> list[str]:
    joined: list[str] = []
    pending = ""
    for raw in lines:
        line = clean_line(raw)
        if not line:
            continue
        line = f"{pending} {line}" if pending else line
        if _TRAILING_HONORIFIC.search(line):
            pending = line
        else:
            joined.append(line)
            pending = ""
    if pending:
        joined.append(pending)
    return joined


_line_text = st.text(
    st.sampled_from(list("Dr.Ms.Prof \n\t\u00a0\u2028&amp;<b>x\u200bK\u017f")), max_size=14
) | st.sampled_from(["Hello Dr.", "Dr.\n", "Ms. \n", "Mrs.", "xProf.", "Prof.\u2028"])


@settings(max_examples=3000, deadline=None)
@given(st.lists(_line_text, max_size=6))
def test_join_honorific_lines_is_the_search_on_every_line(lines: list[str]) -> None:
    assert join_honorific_lines(lines) == _join_honorific_lines_searching_every_line(lines)


# --- content hash: site-relative URLs without a call per URL --------------------------------

_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.\-]+(?::[0-9]+)?(?P<path>/[A-Za-z0-9_\-/.]*)?")


def _site_relative_by_call(value: Any, key: str | None = None) -> Any:
    """_site_relative with a call for every URL (before issue 21's fourth round)."""
    if isinstance(value, dict):
        copy = None
        for k, v in value.items():
            if k == "url" or isinstance(v, (dict, list)):
                relative = _site_relative_by_call(v, k)
                if relative is not v:
                    if copy is None:
                        copy = dict(value)
                    copy[k] = relative
        return value if copy is None else copy
    if isinstance(value, list):
        copy = None
        for index, v in enumerate(value):
            if isinstance(v, (dict, list)):
                relative = _site_relative_by_call(v)
                if relative is not v:
                    if copy is None:
                        copy = list(value)
                    copy[index] = relative
        return value if copy is None else copy
    if key == "url" and isinstance(value, str):
        plain = _PLAIN_URL.fullmatch(value)
        if plain:
            return plain.group("path") or "/"
        parts = urlsplit(value)
        return urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
    return value


_urls = st.sampled_from(
    [
        "http://127.0.0.1:8123/en/article/5",
        "https://doctorqna.com",
        "https://doctorqna.com/en/faq/a/b?x=1#y",
        "/en/article/5",
        "",
    ]
) | st.text(max_size=12)
_scalars = st.none() | st.integers() | st.text(max_size=5) | _urls
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["url", "title", "x"]), inner, max_size=3)
    ),
    max_leaves=20,
)


@settings(max_examples=2000, deadline=None)
@given(_values)
def test_site_relative_is_the_walk_with_a_call_per_url(value: Any) -> None:
    result, reference = _site_relative(value), _site_relative_by_call(value)
    assert result == reference
    assert (result is value) == (reference is value)  # copied exactly when the walk copied


# --- content hash: URLs made site-relative in the canonical JSON text -----------------------

_keys = st.sampled_from(["url", "title", "x", 'a"url', "u\u00e9rl"])
_json_values = st.recursive(
    _scalars | st.sampled_from(["h\u00e9", "http://\u00e9.example/a", "https://h:80/a/./b"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=20,
)


def _content_hash_by_walk(item: dict[str, Any]) -> str:
    """content_hash before issue 21's fifth round: the walk, then the canonical JSON."""
    fields = {k: v for k, v in item.items() if k not in ("scraped_at", "content_hash", "warc")}
    return hashlib.sha256(canonical_json(_site_relative(fields))).hexdigest()


@settings(max_examples=3000, deadline=None)
@given(st.dictionaries(_keys | st.sampled_from(["scraped_at", "warc"]), _json_values, max_size=4))
def test_content_is_the_walks_hash_and_says_whether_all_is_ascii(item: dict[str, Any]) -> None:
    try:
        reference = _content_hash_by_walk(item)
    except UnicodeEncodeError:  # (a lone surrogate: refused the same way)
        return
    content = read_content(item)
    assert content.hash == reference
    fields = {k: v for k, v in item.items() if k not in ("scraped_at", "warc")}
    assert content.is_ascii == canonical_json(fields).isascii()
    if content.is_ascii:  # what build_item skips the mojibake walk for
        assert mojibake.mojibake_problems(fields) == []


def test_a_url_that_is_not_plain_or_a_key_ending_in_url_is_left_to_the_walk() -> None:
    plain = canonical_json({"url": "https://h:8/a/b", "x": [{"url": "http://h"}]})
    assert _site_relative_json(plain) == b'{"url":"/a/b","x":[{"url":"/"}]}'
    assert _site_relative_json(canonical_json({"url": "/en/article/5"})) is None
    assert _site_relative_json(canonical_json({"url": "https://h/a?q=1"})) is None
    assert _site_relative_json(canonical_json({'a"url': "https://h/a"})) is None
    for value in ({'a"url': "https://h/a"}, {"url": "https://h/a?q=1#f"}):
        assert read_content(value).hash == _content_hash_by_walk(value)


# --- parsing: an ASCII page parsed from the str itself ---------------------------------------

_markup_pieces = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<html>",
        "</html>",
        "<body>",
        "<head>",
        "<title>",
        "<br>",
        "<!-- x -->",
        "<script>",
        "</script>",
        "<style>",
        "&amp;",
        "&#233;",
        "&nbsp;",
        "<?xml version='1.0'?>",
        "<![CDATA[x]]>",
        "<meta charset=big5>",
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<?xml-stylesheet href='a.css' encoding='x'?>",
        "<a href='/x'>",
        "</a>",
        "<",
        ">",
        "/",
        " ",
        "\n",
        "\t",
        "text",
        "Ask Date:",
        "<div class=x>",
        "</div>",
        "<!DOCTYPE html>",
    ]
)


def _tree(root: Any) -> bytes:
    tree = root.getroottree()
    return etree.tostring(tree) + str(tree.docinfo.encoding).encode()


@settings(max_examples=2000, deadline=None)
@given(st.lists(_markup_pieces, max_size=12).map("".join))
def test_an_ascii_text_is_parsed_to_the_tree_parsel_makes(text: str) -> None:
    text = text or "<html></html>"  # (as ArticleDocument.selector gives it)
    assert _tree(_parse_ascii(text)) == _tree(create_root_node(text, etree.HTMLParser))


def test_the_saved_pages_ascii_or_not_are_parsed_to_the_tree_parsel_makes() -> None:
    htmls = [path.read_text(encoding="utf-8") for path in FIXTURES.rglob("*.html")]
    assert sum(html.isascii() for html in htmls) >= 100
    assert sum(not html.isascii() for html in htmls) >= 10
    for html in htmls:
        selector = ArticlePage("http://127.0.0.1/en/article/1", html).selector
        assert _tree(selector.root) == _tree(create_root_node(html, etree.HTMLParser))


def test_an_xhtml_page_with_an_encoding_declaration_is_read() -> None:
    # lxml refuses a str opening with an XML declaration that names an encoding; such a page
    # was an "extractor error" reject (hostile test of issue 21's fifth round).
    url = "http://127.0.0.1/en/article/174506"
    html = saved_page("/en/article/174506")
    assert html.isascii()
    expected = ArticlePage(url, html).to_item()["question"]
    for prologue in ('<?xml version="1.0" encoding="UTF-8"?>\n', " <?xml encoding='big5'?>"):
        xhtml = prologue + html
        page = ArticlePage(url, xhtml)
        assert page.to_item()["question"] == expected
        assert not [problem for problem in page.problems if problem.field == "(page)"]
        assert _tree(page.selector.root) == _tree(create_root_node(xhtml, etree.HTMLParser))


def test_text_caches_hold_short_texts_only() -> None:
    from qa_scraper import urls

    long_url = "http://127.0.0.1/en/faq/topic?q=" + "x" * LONGEST_CACHED
    short_url = "http://127.0.0.1/en/faq/topic?q=" + "y" * 10
    for function in (urls.canonical_page_url, urls.page_kind, urls.canonical_article_url):
        function.cache_clear()
        assert function(long_url) == function.__wrapped__(long_url)
        assert function.cache_info().currsize == 0  # computed, not kept
        assert function(short_url) == function.__wrapped__(short_url)
        assert function.cache_info().currsize == 1
    responder._parse_header.cache_clear()
    header = "Dr. " + "A" * LONGEST_CACHED + " Lin reply Family Medicine"
    assert responder._parse_header(header) == responder._parse_header.__wrapped__(header)
    assert responder._parse_header.cache_info().currsize == 0
    # The reader's caches: hrefs, class and id names, style attributes, selectors, CSS values.
    from qa_scraper.reading import builder, css, generated, visibility

    long_texts = {
        builder._plain_kind: "/" + "a" * LONGEST_CACHED,
        visibility.names_look_like_chrome: "nav " * LONGEST_CACHED,
        css._inline_declarations: "display:block;" * LONGEST_CACHED,
        css._selectors: "p" + " " * LONGEST_CACHED,
        generated._tokens: "x" * (LONGEST_CACHED + 1),
        css._stylesheet: "p{display:block}" * 10_000,
    }
    for function, text in long_texts.items():
        function.cache_clear()
        if function is css._selectors:  # (compiled XPaths compare by their path)
            assert [(x.path, *rest) for x, *rest in function(text)] == [
                (x.path, *rest) for x, *rest in function.__wrapped__(text)
            ]
        else:  # (tinycss2's tokens compare by identity: their reprs hold their values)
            assert repr(function(text)) == repr(function.__wrapped__(text))
        assert function.cache_info().currsize == 0
        function("p")
        assert function.cache_info().currsize == 1


# --- mojibake: scalars ruled out by their exact type ----------------------------------------


def _mojibake_problems_by_isinstance(item: Any, path: str = "") -> list[Any]:
    """mojibake_problems testing every value with isinstance (before issue 21's fourth round)."""

    def may_hold(value: Any) -> bool:
        return isinstance(value, (dict, list)) or (isinstance(value, str) and not value.isascii())

    problems: list[Any] = []
    if isinstance(item, dict):
        for key, value in item.items():
            if may_hold(value):
                problems += _mojibake_problems_by_isinstance(
                    value, f"{path}/{key}" if path else key
                )
    elif isinstance(item, list):
        for index, value in enumerate(item):
            if may_hold(value):
                problems += _mojibake_problems_by_isinstance(value, f"{path}/{index}")
    elif isinstance(item, str) and not item.isascii() and mojibake._is_bad(item):
        problems.append(path)
    return problems


class _Text(str):
    pass


_mojibake_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.sampled_from(["Î¼g", "Â°C", "plain", "μg", "â€™", "ok’", ""])
    | st.text(max_size=6)
    | st.sampled_from(["Î¼g", "plain"]).map(_Text)
)
_mojibake_values = st.recursive(
    _mojibake_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["a", "url", "text"]), inner, max_size=3)
    ),
    max_leaves=20,
)


@settings(max_examples=2000, deadline=None)
@given(_mojibake_values)
def test_mojibake_problems_are_those_the_isinstance_walk_finds(value: Any) -> None:
    found = [problem.field for problem in mojibake.mojibake_problems(value)]
    assert found == _mojibake_problems_by_isinstance(value)


# --- "Ask Date:": lines without a ":" are not searched -------------------------------------


@settings(max_examples=3000, deadline=None)
@given(
    st.lists(
        st.sampled_from(["Ask", "asked", "ASK", "Date", "on", ":", " ", "\u00a0", "x", "\u017f"]),
        max_size=8,
    ).map("".join)
)
def test_every_ask_date_match_holds_its_required_text(text: str) -> None:
    from qa_scraper.pages import labels

    if labels.ASK_DATE.search(text):
        assert labels.ASK_DATE_HOLDS in text
    assert labels.ASK_DATE.search("Mr. Lin, 60~69 year old male. Ask Date: 2016/08/12")


# --- Similar Q&A: the canonical URL the splitter made is the one of the entry's link --------


def test_similar_entries_keep_the_canonical_url_of_their_own_link() -> None:
    from qa_scraper.urls import canonical_article_url

    kept = 0
    for expected in load_expected():
        page = ArticlePage(expected["url"], saved_page(f"/en/article/{expected['article_id']}"))
        for entry in page.similar_questions:
            if entry.canonical_href is not None:
                kept += 1
                assert entry.canonical_href == canonical_article_url(entry.href)
            assert entry._canonical_url == (
                canonical_article_url(entry.href) if entry.href else None
            )
    assert kept > 50


# --- "[Read More]" and "(<department>)": only lines starting with their bracket are tried ----


@settings(max_examples=3000, deadline=None)
@given(
    st.lists(
        st.sampled_from(["[", "(", ")", "]", "read", "MORE", " ", "\u00a0", "x", "Neurology"]),
        max_size=7,
    ).map("".join)
)
def test_read_more_and_faq_department_matches_start_with_their_bracket(text: str) -> None:
    from qa_scraper.pages import labels
    from qa_scraper.pages.faq import FAQ_DEPARTMENT

    if labels.READ_MORE.match(text):
        assert text[:1] == "["
    if FAQ_DEPARTMENT.match(text):
        assert text[:1] == "("
    assert labels.READ_MORE.match("[Read More] Title") and FAQ_DEPARTMENT.match("(Neurology)")


# --- caches of pure functions: the cached call gives what the function gives ---------------

_url_texts = st.sampled_from(
    [
        "http://127.0.0.1:8123/en/article/174501",
        "http://127.0.0.1:8123/en/article/174501/?utm_source=x#r",
        "https://doctorqna.com/article.php?id=7",
        "https://doctorqna.com/article.php?x=1&id=abc",
        "http://127.0.0.1:8123/en/faq/neurology/migraine",
        "http://127.0.0.1:8123/en/f\taq/neurology/migraine",
        "http://127.0.0.1:8123/en/department/neurology?page=2&utm=x#top",
        "http://127.0.0.1:8123/en/latest/",
        "https://doctorqna.com",
        "/en/article/5",
        "",
    ]
) | st.text(st.sampled_from(list("htps:/.enarticlfq?=&#1 \t")), max_size=30)


@settings(max_examples=1000, deadline=None)
@given(st.lists(_url_texts, max_size=4))
def test_cached_url_functions_give_what_the_functions_give(texts: list[str]) -> None:
    from qa_scraper import urls

    cached = (
        urls.article_id_from_url,
        urls.canonical_article_url,
        urls.canonical_page_url,
        urls.page_kind,
    )
    for function in cached:
        assert function.cache_info().maxsize == 4096  # bounded: a crawl sees every URL once
        for text in texts + texts:  # (the second time from the cache)
            assert function(text) == function.__wrapped__(text)


_header_lines = st.lists(
    st.sampled_from(
        ["Dr.", "Jiang", "Junyi", "reply", "replied:", "Neurology", "Family", "x", "&"]
    ),
    min_size=1,
    max_size=8,
).map(" ".join) | st.sampled_from(
    ["Dr. Jiang Junyi reply Neurology", "Physical Therapist Li Ming reply Rehabilitation"]
)


@settings(max_examples=1000, deadline=None)
@given(st.lists(_header_lines, max_size=4))
def test_cached_responder_header_is_the_parse_of_the_line(lines: list[str]) -> None:
    import dataclasses

    responder._parse_header.cache_clear()
    first = [parse_responder_header(line) for line in lines]  # computed
    assert [parse_responder_header(line) for line in lines] == first  # from the cache
    for header in first:
        if header is not None:  # shared between pages: it can never be changed
            try:
                header.name = "changed"  # type: ignore[misc]
            except dataclasses.FrozenInstanceError:
                pass
            else:
                raise AssertionError("a cached header must be immutable")
    assert responder._parse_header.cache_info().maxsize == 4096


_header_parts = st.text(st.sampled_from(list("Dr. Li&amp;<b>\u00a0\u200bx")), max_size=10)


@settings(max_examples=1000, deadline=None)
@given(_header_parts, _header_parts, _header_parts)
def test_a_headers_clean_values_are_clean_value_of_its_parts(
    title: str, name: str, department: str
) -> None:
    from qa_scraper.processors import clean_value

    header = responder.ResponderHeader(title, name, department)
    assert header.clean == (clean_value(title), clean_value(name), clean_value(department))
    # (kept in the instance: equality and hashing still see the three parts only)
    assert header == responder.ResponderHeader(title, name, department)
    assert hash(header) == hash(responder.ResponderHeader(title, name, department))


def test_replies_and_similar_entries_read_their_responder_through_the_headers_clean_values() -> (
    None
):
    from qa_scraper.processors import clean_value

    seen = 0
    for expected in load_expected():
        page = ArticlePage(expected["url"], saved_page(f"/en/article/{expected['article_id']}"))
        for part in [*page.replies, *page.similar_questions]:
            if part.header is None:
                continue
            seen += 1
            assert (part.responder_title, part.responder_name, part.department) == (
                clean_value(part.header.title),
                clean_value(part.header.name),
                clean_value(part.header.department),
            )
    assert seen > 50
