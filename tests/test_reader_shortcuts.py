"""The line reader's shortcuts give what the general rule they skip gives, over many generated
inputs (qa_scraper.reading)."""

from __future__ import annotations

import copy
import dataclasses
import random

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from qa_scraper.pages.labels import READER_LANDMARKS
from qa_scraper.reading import css, generated, lines, visibility
from qa_scraper.reading.builder import Line, LineBuilder, Link
from qa_scraper.reading.lines import visible_lines
from qa_scraper.urls import absolute


def _every_attribute_rule(node: etree._Element, tag: str) -> bool:
    """only_plain_attributes as its docstring states it, with no shortcut: none of the slow
    path's attributes, no link to nowhere, no class or id naming chrome."""
    keys = node.keys()
    if any(key in visibility._SLOW_PATH_ATTRIBUTES for key in keys):
        return False
    if tag == "a" and visibility.goes_nowhere(node):
        return False
    names = f"{node.get('class') or ''} {node.get('id') or ''}"
    return not (names.strip() and visibility.CHROME_NAME.search(names))


def test_only_plain_attributes_shortcuts_give_the_general_rule() -> None:
    names = ["", " ", "reply", "nav", "Sidebar", "x-ad", "ad_x", "header", "\u017fidebar", "a b"]
    values = {
        "class": names,
        "id": names,
        "href": ["", " ", "#", " #top", "JavaScript:void(0)", "/en/a", "https://x.test/", "a"],
        "role": ["button", "navigation", ""],
        "hidden": [""],
        "aria-hidden": ["true", "false"],
        "aria-label": ["Close", ""],
        "aria-expanded": ["false"],
        "title": ["nav", "x"],
        "lang": ["en"],
    }
    rng = random.Random(21)
    seen_single = 0
    for _ in range(5000):
        tag = rng.choice(["a", "span", "div", "p", "li"])
        node = etree.Element(tag)
        for key in rng.sample(sorted(values), rng.choice([1, 1, 1, 2, 3])):
            node.set(key, rng.choice(values[key]))
        keys = node.keys()
        seen_single += len(keys) == 1
        assert visibility.only_plain_attributes(node, tag, keys) == _every_attribute_rule(
            node, tag
        ), etree.tostring(node)
    assert seen_single > 2000  # the one-attribute shortcut was exercised


def test_lines_built_without_their_init_hold_every_field_of_line() -> None:
    """LineBuilder sets text, links and marker on a Line made without __init__: a field added
    to Line must be set there too (else the lines would lack it)."""
    assert [field.name for field in dataclasses.fields(Line)] == ["text", "links", "marker"]
    html = "<html><body><ol start='3'><li><a href='/en/a'>Title</a></li></ol><p>x</p></body></html>"
    root = etree.fromstring(html, etree.HTMLParser()).find("body")
    lines = visible_lines(root, "http://example.org/", READER_LANDMARKS)
    assert lines == [Line("3. Title", [Link("http://example.org/en/a", "Title")], "3."), Line("x")]


_URL_PIECES = [
    "/",
    "a",
    "en",
    ".",
    "..",
    "-",
    "_",
    "?",
    "=",
    "&",
    "%20",
    "#",
    ":",
    "//",
    "x.y",
    " ",
    "é",
]


@settings(max_examples=400, deadline=None)
@given(
    base=st.sampled_from(
        ["http://127.0.0.1:8123/en/article/1", "https://x.test", "http://h/a/b?c", "ftp://h/"]
    ),
    href=st.lists(st.sampled_from(_URL_PIECES), max_size=8).map("".join)
    | st.sampled_from(["http://", "https://x.test/a/./b", "HTTP://X/a", "http://h:80/?q=1"]),
)
def test_links_fast_paths_resolve_as_urls_absolute(base: str, href: str) -> None:
    """LineBuilder's plain-link shortcut (cached by href) gives what urls.absolute gives."""
    for _ in range(2):  # (the second time from the caches)
        assert LineBuilder(base)._absolute(href) == absolute(base, href)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="ab :kKſ\u212a\u0130\u0131dte Ask Date:sharemore infoRELATED", max_size=60),
    st.integers(0, 2),
)
def test_cached_searches_give_the_search(text: str, repeat: int) -> None:
    """visibility._found caches a search by text (short texts only), and with words runs the
    regex only when the text holds one: the same answer."""
    long_text = text * (1 + 2100 // max(len(text), 1)) if repeat == 2 else text
    article = READER_LANDMARKS.article
    for _ in range(2):
        for pattern in (article, READER_LANDMARKS.question, visibility.COOKIE_TEXT):
            assert visibility._found(pattern, long_text) == (pattern.search(long_text) is not None)
        found = visibility._found(article, long_text, READER_LANDMARKS.article_words)
        assert found == (article.search(long_text) is not None)


_OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("text"), st.sampled_from(["a", " b ", " ", "\n", "\xa0", "c d", "&lt;"])),
        st.tuples(st.just("newline")),
        st.tuples(st.just("space")),
        st.tuples(st.just("start_link"), st.sampled_from(["/en/a", "#", None])),
        st.tuples(st.just("end_link")),
        st.tuples(st.just("marker"), st.sampled_from(["1. ", "ii. ", " "]), st.booleans()),
        st.tuples(st.just("flush_marker")),
        st.tuples(
            st.just("link"),
            st.sampled_from(["/en/a", "#", None, "https://x.test/b"]),
            st.sampled_from([None, "a", " b ", " ", "\n", "c &lt;d"]),
        ),
    ),
    max_size=30,
)


@settings(max_examples=500, deadline=None)
@given(_OPERATIONS)
def test_the_walks_inline_text_and_line_ends_are_the_builders(operations: list[tuple]) -> None:
    """The walk appends text to LineBuilder.parts itself while the builder is not busy, ends
    a line only when it holds something, and reads a link holding one text node with link()
    when the builder is not busy: the lines (and their links) are those of text(),
    newline(), start_link() and end_link()."""
    builders = LineBuilder("http://example.org/"), LineBuilder("http://example.org/")
    for inline, builder in enumerate(builders):
        open_links = 0
        for name, *arguments in operations:
            if name == "end_link" and not open_links:
                continue
            open_links += {"start_link": 1, "end_link": -1}.get(name, 0)
            if inline and name == "text" and not builder.busy:
                if builder.parts or not arguments[0].isspace():
                    builder.parts.append(arguments[0])
            elif inline and name == "newline":
                if builder.parts:
                    builder.newline()
            elif name == "link":  # a link holding one text node: link() when not busy
                href, text = arguments
                if inline and not builder.busy:
                    builder.link(href, text)
                else:
                    builder.start_link(href)
                    builder.text(text)
                    builder.end_link()
            else:
                getattr(builder, name)(*arguments)
        for _ in range(open_links):
            builder.end_link()
        builder.newline()
    assert builders[0].lines == builders[1].lines


def test_layout_by_tag_is_the_fast_paths_layout() -> None:
    """The walk's fast path takes an element's layout from one table: none for the special
    tags, else block, a line break, a table cell or inline, as the tag sets say."""
    tags = css.BLOCK_TAGS | css.CELL_TAGS | visibility.SPECIAL_TAGS | {"br", "span", "x-y", "a"}
    for tag in tags:
        if tag in visibility.SPECIAL_TAGS:
            expected = None
        elif tag in css.BLOCK_TAGS:
            expected = css.BLOCK
        elif tag == "br":
            expected = lines._BR
        elif tag in css.CELL_TAGS:
            expected = css.CELL
        else:
            expected = css.INLINE
        assert lines._LAYOUT_BY_TAG.get(tag, css.INLINE) == expected, tag
        assert lines._tag_entry(tag) == (tag, expected, tag in lines._LIST_TAGS, tag == "a")


def test_the_walks_class_only_check_is_only_plain_attributes() -> None:
    """The walk tells an element with only a class attribute plain without calling
    only_plain_attributes: where it does, the general rule says plain too."""
    words = ["", " ", "reply", "nav", "Sidebar", "x-ad", "ad_x", "header", "\u017fidebar", "a b"]
    words += ["cookie-banner", "site-footer", "menu-item", "promo", "sponsored", "q"]
    rng = random.Random(7)
    inline_plain = 0
    for _ in range(3000):
        tag = rng.choice(["a", "span", "div", "p", "li"])
        node = etree.Element(tag)
        node.set("class", " ".join(rng.sample(words, rng.choice([1, 2, 3]))))
        keys = node.keys()
        if (
            keys == lines._CLASS_ONLY
            and tag != "a"
            and not visibility.names_look_like_chrome(node.get("class") or "")
        ):
            inline_plain += 1
            assert _every_attribute_rule(node, tag), etree.tostring(node)
        else:
            assert not (tag != "a" and _every_attribute_rule(node, tag)), etree.tostring(node)
    assert inline_plain > 300
    hrefs = ["", " ", "#", " #top", "JavaScript:void(0)", "/en/a", "https://x.test/", "a"]
    for href in hrefs:
        node = etree.Element("a", href=href)
        if node.keys() == lines._HREF_ONLY and not visibility.goes_nowhere(node):
            assert _every_attribute_rule(node, "a"), href
        else:
            assert not _every_attribute_rule(node, "a"), href


def test_counters_deepest_lets_the_walk_skip_leave_only_where_it_ends_nothing() -> None:
    """The walk calls Counters.leave(depth) only when Counters.deepest reaches depth: over
    many generated walks, the counters in scope are those of calling it at every element end."""
    rng = random.Random(9)
    for _ in range(2000):
        always, asked = generated.Counters(), generated.Counters()
        depth = 0
        for _ in range(rng.randint(1, 40)):
            action = rng.random()
            name = rng.choice(["list-item", "c", "d"])
            if action < 0.4:  # an element starts at `depth`, with counter changes or none
                change, value = rng.choice(["reset", "increment", "set", None]), rng.randint(-2, 5)
                if change:
                    for counters in (always, asked):
                        getattr(counters, change)(name, value, depth)
                depth += 1
            elif depth > 0:  # the innermost open element ends (as the walk asks leave())
                depth -= 1
                always.leave(depth + 1)
                if asked.instances and asked.deepest > depth:
                    asked.leave(depth + 1)
            assert asked.instances == always.instances
            tops = [stack[-1][1] for stack in asked.instances.values()]
            assert asked.deepest >= max(tops, default=-1)


def _random_document(rng: random.Random) -> etree._Element:
    """A page of nested elements (h1s among them), text, tails, comments and a PI."""
    pieces = ["", "a", " b ", "Ask Date:", "é…", "&amp;", "x\ny", "保"]
    html = ["<html><body>"]
    depth = 0
    for _ in range(rng.randint(1, 40)):
        choice = rng.random()
        if choice < 0.35 or depth == 0:
            tag = rng.choice(["div", "p", "span", "h1", "header", "a", "li", "section"])
            html.append(f"<{tag}>{rng.choice(pieces)}")
            depth += 1
        elif choice < 0.7:
            html.append(f"</{rng.choice(['div', 'p', 'span', 'h1', 'header', 'a'])}>")
            depth -= 1
        elif choice < 0.8:
            html.append(f"<!--{rng.choice(pieces)}-->")
        elif choice < 0.85:
            html.append("<?pi data?>")
        else:
            html.append(rng.choice(pieces) + "<br>")
    html.append("</body></html>")
    return etree.fromstring("".join(html), etree.HTMLParser())


def test_string_value_and_holds_h1_give_the_xpath_answers() -> None:
    """visibility._STRING_VALUE (text serialisation) is XPath string(); Visibility._holds_h1
    (one set of the page's h1 holders) is "a descendant h1", for every element of many pages."""
    string_value = etree.XPath("string()")
    rng = random.Random(3)
    held = 0
    for _ in range(300):
        document = _random_document(rng)
        page = visibility.Visibility(document, css.PageStyle(document), READER_LANDMARKS)
        for element in document.iter(etree.Element):
            assert visibility._STRING_VALUE(element) == string_value(element)
            holds = element.find(".//h1") is not None
            assert page._holds_h1(element) == holds, etree.tostring(element)
            held += holds
    assert held > 300


def test_the_walk_ends_at_a_root_with_following_siblings() -> None:
    """The walk knows its root has ended when no element is open: a root followed by siblings
    reads as the same element alone in a page."""
    rng = random.Random(11)
    checked = 0
    for _ in range(200):
        document = _random_document(rng)
        body = document.find("body")
        if body is None or not len(body):
            continue
        root = body[0]
        alone = etree.fromstring("<html><body></body></html>", etree.HTMLParser())
        copied = copy.deepcopy(root)  # (with its tail, which the walk reads too)
        alone.find("body").append(copied)
        assert copied.getnext() is None
        base = "http://example.org/"
        in_place = visible_lines(root, base, READER_LANDMARKS)
        assert in_place == visible_lines(copied, base, READER_LANDMARKS)
        checked += root.getnext() is not None
    assert checked > 50
