"""The line reader on its own: CSS layout (white-space, display), inline wrappers, and both
sides of the hidden-content rule (qa_scraper.reading.visibility module docstring)."""

from __future__ import annotations

import pytest
from parsel import Selector

from qa_scraper.pages.labels import READER_LANDMARKS
from qa_scraper.reading.lines import visible_lines


def read(body: str, head: str = "") -> list[str]:
    html = f"<html><head>{head}</head><body>{body}</body></html>"
    root = Selector(text=html).xpath("//body")[0].root
    return [line.text for line in visible_lines(root, "http://example.org/", READER_LANDMARKS)]


def sheet(css: str) -> str:
    return f"<style>{css}</style>"


# --- white-space ------------------------------------------------------------------------------
TEXT = "\n   first line\n   second   line\n\n   third\n"
THREE = ["first line", "second line", "third"]
ONE = ["first line second line third"]


@pytest.mark.parametrize(
    "value",
    ["pre", "pre-wrap", "pre-line", "break-spaces", "PRE-LINE !important", "preserve nowrap"],
)
def test_white_space_values_that_keep_line_breaks(value: str) -> None:
    assert read(f'<div style="white-space: {value}">{TEXT}</div>') == THREE


@pytest.mark.parametrize("value", ["normal", "nowrap"])
def test_white_space_values_that_collapse(value: str) -> None:
    assert read(f'<div style="white-space: {value}">{TEXT}</div>') == ONE


def test_white_space_collapse_longhand() -> None:
    assert read(f'<div style="white-space-collapse: preserve-breaks">{TEXT}</div>') == THREE


def test_pre_keeps_breaks_by_default_and_a_style_can_undo_it() -> None:
    assert read(f"<pre>{TEXT}</pre>") == THREE
    assert read(f'<pre style="white-space: normal">{TEXT}</pre>') == ONE


@pytest.mark.parametrize(
    "css, markup",
    [
        (".t{white-space:pre-line}", '<div class="t">{}</div>'),
        ("#q{white-space:pre-wrap}", '<div id="q">{}</div>'),
        ("blockquote{white-space:pre}", "<blockquote>{}</blockquote>"),
        ("div.qa p.body{white-space:pre-line}", '<div class="qa"><p class="body">{}</p></div>'),
        ("div.qa > p.body{white-space:pre-line}", '<div class="qa"><p class="body">{}</p></div>'),
        (
            "section .a.b{white-space:pre-line}",
            '<section><div><p class="b a">{}</p></div></section>',
        ),
        ("[data-kind=text]{white-space:pre-line}", '<p data-kind="text">{}</p>'),
        ("@media screen and (min-width: 10px){.t{white-space:pre-line}}", '<p class="t">{}</p>'),
        ("/* c */ .x:hover, .t { color: red; white-space: pre-line }", '<p class="t">{}</p>'),
    ],
)
def test_white_space_from_page_style_rules(css: str, markup: str) -> None:
    assert read(markup.format(TEXT), head=sheet(css)) == THREE


def test_white_space_is_inherited_and_a_child_can_reset_it() -> None:
    body = f'<div class="t"><span>{TEXT}</span><p class="n">{TEXT}</p></div>'
    assert read(body, sheet(".t{white-space:pre-line}.n{white-space:normal}")) == THREE + [
        "first line second line third"
    ]


def test_cascade_specificity_order_important_and_inline() -> None:
    css = (
        "p.t{white-space:pre-line} p{white-space:normal}"  # the class rule is more specific
        ".u{white-space:pre-line} .u{white-space:normal}"  # later wins at equal specificity
        ".v{white-space:pre-line !important}"
    )  # !important beats the inline style
    body = (
        f'<p class="t">{TEXT}</p><p class="u">{TEXT}</p>'
        f'<p class="v" style="white-space:normal">{TEXT}</p>'
        f'<p class="u" style="white-space:pre">{TEXT}</p>'
    )  # inline beats a normal rule
    collapsed = "first line second line third"
    assert read(body, sheet(css)) == THREE + [collapsed] + THREE + THREE


def test_rules_that_do_not_apply_to_a_screen_are_ignored() -> None:
    css = "@media print{.t{white-space:pre-line;display:none}} .t::before{white-space:pre}"
    assert read(f'<p class="t">{TEXT}</p>', sheet(css)) == ["first line second line third"]
    inert = f"<template><style>.t{{white-space:pre-line}}</style></template><p class='t'>{TEXT}</p>"
    assert read(inert) == ["first line second line third"]
    assert read(f'<p class="t">{TEXT}</p>', '<style media="print">.t{white-space:pre}</style>') == [
        "first line second line third"
    ]


@pytest.mark.parametrize(
    "css",
    [
        "p{white-space:",
        "}}}{{{",
        ".a{{white-space:pre}",
        "@media {",
        "p[{white-space:pre-line}",
        ":nth-child(foo){display:none}",
    ],
)
def test_broken_css_never_raises(css: str) -> None:
    assert read("<p>a</p><p>b</p>", sheet(css)) in (["a", "b"], [])


def test_br_inside_pre_line_text() -> None:
    body = '<p style="white-space:pre-line">one<br>\ntwo\nthree</p>'
    assert read(body) == ["one", "two", "three"]


# --- display -------------------------------------------------------------------------------
def test_display_from_style_rules() -> None:
    css = ".blk{display:block} .gone{display:none} li{display:inline} .in{display:inline}"
    body = (
        '<p>a<span class="blk">b</span>c<span class="gone">X</span></p>'
        '<ul><li>one</li> <li>two</li></ul><div class="in">x</div><div class="in">y</div>'
    )
    assert read(body, sheet(css)) == ["a", "b", "c", "one two", "xy"]


def test_a_style_can_show_an_element_with_the_hidden_attribute() -> None:
    assert read('<p>a</p><p hidden style="display:block">b</p>') == ["a", "b"]


# --- inline wrappers -------------------------------------------------------------------------
FONT = '<font style="vertical-align: inherit;">'


def wrap(text: str) -> str:
    return f"{FONT}{FONT}{text}</font></font>"


def test_inline_fragments_read_as_the_plain_line() -> None:
    assert read(f"<p>{wrap('Ask ')}{wrap('Date:')} {wrap('2021/10/14')}</p>") == [
        "Ask Date: 2021/10/14"
    ]
    assert read(f"<p>{wrap('Ask')} {wrap('Date:')}</p>") == ["Ask Date:"]
    assert read("<p>Hel<b>lo</b> wor<i>ld</i><bdi>!</bdi></p>") == ["Hello world!"]
    assert read("<p><span>Dr.</span>\n  <span>Jiang</span>\n<bdi>Junyi</bdi></p>") == [
        "Dr. Jiang Junyi"
    ]
    assert read(f"<p>{wrap('Reply')}<font> </font>{wrap('Date:')}<span>2020</span></p>") == [
        "Reply Date:2020"
    ]


# --- hidden content: read where it is collapsed content ------------------------------------------
def test_target_of_an_aria_controls_toggle_is_read_without_the_toggle_label() -> None:
    body = (
        '<h2>Reply</h2><p>Teaser</p><div id="rest" style="display:none"><p>Rest</p></div>'
        '<button aria-expanded="false" aria-controls="rest">Read full reply</button>'
    )
    assert read(body) == ["Reply", "Teaser", "Rest"]


def test_hidden_block_beside_a_collapsed_toggle_is_read() -> None:
    body = (
        '<p>Teaser</p><div><a href="#" role="button" aria-expanded="false">Show more</a></div>'
        "<div hidden><p>Rest</p></div>"
    )
    assert read(body) == ["Teaser", "Rest"]


def test_closed_details_body_is_read_and_its_summary_is_a_toggle_label() -> None:
    assert read(
        "<h2>More Info</h2><details><summary>Read full article</summary>"
        "<p>Body one</p><p>Body two</p></details>"
    ) == ["More Info", "Body one", "Body two"]
    assert read("<details><summary>More Info +</summary><p>Body</p></details>") == [
        "More Info +",
        "Body",
    ]


@pytest.mark.parametrize(
    "hider",
    [
        "hidden",
        'style="display:none"',
        'style="visibility:hidden"',
        'class="collapse"',
        'aria-hidden="true" hidden',
    ],
)
def test_hidden_block_right_after_a_section_label_is_its_content(hider: str) -> None:
    body = (
        f"<section><h2>More Info</h2><div {hider}><p>Article one</p>"
        "<span hidden>TRACKER</span><p>Article two</p></div></section><h2>Similar Q&amp;A</h2>"
    )
    assert read(body, sheet(".collapse{display:none}")) == [
        "More Info",
        "Article one",
        "Article two",
        "Similar Q&A",
    ]


def test_label_rule_skips_never_content_between_label_and_container() -> None:
    body = (
        "<h2>More Info</h2><template>T</template><noscript>N</noscript>"
        '<div role="dialog" hidden>D</div><div hidden><p>Article</p></div>'
        '<button aria-expanded="false">Expand</button>'
    )
    assert read(body) == ["More Info", "Article"]


# --- hidden content: never read -------------------------------------------------------------------
def test_hidden_junk_in_the_question_stays_unread() -> None:
    body = (
        '<p>Line one<span style="display:none">TRACK</span></p><div hidden>SPAM</div>'
        '<div style="visibility:hidden">SPAM2</div><p class="x">Line two</p>'
        '<span aria-hidden="true">ICON</span>'
    )
    assert read(body, sheet(".x span{display:none}")) == ["Line one", "Line two"]


def test_hidden_block_after_a_label_is_not_read_when_the_section_has_visible_content() -> None:
    body = "<h2>More Info</h2><div hidden>SPAM</div><p>Visible article</p>"
    assert read(body) == ["More Info", "Visible article"]


def test_hidden_inline_after_a_label_is_not_read() -> None:
    assert read("<h2>More Info</h2><span hidden>SPAM</span>") == ["More Info"]


def test_a_second_hidden_block_after_the_revealed_one_is_not_read() -> None:
    assert read("<h2>More Info</h2><div hidden>Article</div><div hidden>SPAM</div>") == [
        "More Info",
        "Article",
    ]


@pytest.mark.parametrize(
    "chrome",
    [
        "<template><p>TEMPLATE</p></template>",
        "<noscript><p>NOSCRIPT</p></noscript>",
        "<script>var x = 'SCRIPT';</script><style>.s{color:red}</style>",
        "<dialog open><p>DIALOG</p></dialog>",
        "<dialog><p>DIALOG</p></dialog>",
        '<div role="dialog"><p>DIALOG</p></div>',
        '<div role="alertdialog" hidden><p>DIALOG</p></div>',
        '<div aria-modal="true"><p>MODAL</p></div>',
        '<div class="cookie-banner">We use cookies. <button>OK</button></div>',
        '<div aria-label="Cookie consent"><p>COOKIE</p><a href="#">Accept</a></div>',
        "<div><p>This site uses cookies to improve your experience.</p>"
        "<button>Accept</button></div>",
        '<menu><li><a href="/a">MENU</a></li></menu>',
        '<ul role="menu"><li role="menuitem">MENU</li></ul>',
        '<nav><a href="/">NAV</a></nav>',
        "<button>Show more</button>",
        '<span role="button">Expand</span>',
        '<a href="#more" aria-expanded="false" aria-controls="more">Read full article</a>',
        '<a href="#more" aria-expanded="true">Collapse</a>',
    ],
)
@pytest.mark.parametrize("where", ["after_label", "in_text"])
def test_never_content_wherever_it_sits(chrome: str, where: str) -> None:
    if where == "after_label":
        body = f"<section><h2>More Info</h2>{chrome}<div hidden><p>Article</p></div></section>"
        expected = ["More Info", "Article"]
    else:
        body = f"<div><p>Line one</p>{chrome}<p>Line two</p></div>"
        expected = ["Line one", "Line two"]
    assert read(body) == expected


def test_a_toggle_labelled_as_a_section_is_that_section_label() -> None:
    body = (
        '<button aria-expanded="false" aria-controls="m">More Info</button>'
        '<div id="m" hidden><p>Article</p></div>'
    )
    assert read(body) == ["More Info", "Article"]


# --- expanders known by their words ----------------------------------------------------------
def test_hidden_text_beside_a_read_more_link_to_nowhere_is_read_without_the_link() -> None:
    body = (
        '<p>First line</p><p><span style="display:none">Rest one</span>'
        '<a href="#" class="more">Read more</a></p>'
        '<p><span hidden>Rest two</span><a href="javascript:void(0)">Show all</a></p>'
        '<p><button type="button">Continue reading</button><span hidden>Rest three</span></p>'
    )
    assert read(body) == ["First line", "Rest one", "Rest two", "Rest three"]


def test_a_read_more_link_that_goes_somewhere_is_a_link_not_a_toggle() -> None:
    body = '<p><span hidden>SPAM</span><a href="/en/article/1">Read more</a></p>'
    assert read(body) == ["Read more"]


def test_an_expanded_toggle_reveals_nothing_hidden_beside_it() -> None:
    body = '<p><span hidden>SPAM</span><a href="#" aria-expanded="true">Show less</a></p>'
    assert read(body) == []


def test_words_alone_do_not_make_a_toggle_of_longer_text() -> None:
    body = (
        "<p><span hidden>SPAM</span><button>Read more about how we treat migraine in "
        "children and teenagers at our clinic</button></p><p>Show more of your symptoms</p>"
    )
    assert read(body) == ["Show more of your symptoms"]


# --- text drawn by CSS: list markers and generated content -----------------------------------
# (markup, head, the lines Chromium shows): also read by Chromium in tests/test_browser_oracle.py.
CSS_DRAWN_CASES = {
    "ol": ("<ol><li>A</li><li>B</li></ol>", "", ["1. A", "2. B"]),
    "ol_start": ("<ol start=3><li>A</li><li>B</li></ol>", "", ["3. A", "4. B"]),
    "ol_reversed": (
        "<ol reversed><li>A</li><li>B</li><li>C</li></ol>",
        "",
        ["3. A", "2. B", "1. C"],
    ),
    "ol_reversed_start": ("<ol reversed start=10><li>A</li><li>B</li></ol>", "", ["10. A", "9. B"]),
    "li_value": ("<ol><li>A</li><li value=7>B</li><li>C</li></ol>", "", ["1. A", "7. B", "8. C"]),
    "ol_type": (
        "<ol type=a><li>A</li><li>B</li></ol><ol type=I start=4><li>C</li></ol>",
        "",
        ["a. A", "b. B", "IV. C"],
    ),
    "ul_bullets_are_not_text": ("<ul><li>A</li><li>B</li></ul>", "", ["A", "B"]),
    "list_style_none": ("<ol style='list-style:none'><li>A</li></ol>", "", ["A"]),
    "list_style_type_stylesheet": (
        "<ul class=n><li>A</li><li>B</li></ul>",
        sheet("ul.n{list-style-type:decimal}"),
        ["1. A", "2. B"],
    ),
    "marker_beside_first_block": (
        "<ol><li><p>A</p><p>A2</p></li><li><div><b>B</b></div></li></ol>",
        "",
        ["1. A", "A2", "2. B"],
    ),
    "marker_inside": (
        "<ol style='list-style-position:inside'><li>A</li></ol>",
        "",
        ["1. A"],
    ),
    "nested_lists": (
        "<ol><li>A<ol><li>A1</li><li>A2</li></ol></li><li>B</li></ol>",
        "",
        ["1. A", "1. A1", "2. A2", "2. B"],
    ),
    "display_list_item": (
        "<div class=i>A</div><div class=i>B</div>",
        sheet(".i{display:list-item;list-style-type:decimal}"),
        ["1. A", "2. B"],
    ),
    "hidden_item_not_counted": (
        "<ol><li>A</li><li hidden>X</li><li>B</li></ol>",
        "",
        ["1. A", "2. B"],
    ),
    "before_attr": (
        "<p class=d data-label='Ask Date:'>2024-01-02</p>",
        sheet(".d::before{content:attr(data-label) ' '}"),
        ["Ask Date: 2024-01-02"],
    ),
    "before_after_strings": (
        "<p class=q>quoted</p>",
        sheet(".q:before{content:open-quote 'Say: '}.q:after{content:close-quote}"),
        ["\u201cSay: quoted\u201d"],
    ),
    "before_block": (
        "<div class=h>text</div>",
        sheet(".h::before{content:'Label';display:block}"),
        ["Label", "text"],
    ),
    "before_display_none": (
        "<p class=h>text</p>",
        sheet(".h::before{content:'X'} p.h::before{display:none}"),
        ["text"],
    ),
    "content_none_and_url": (
        "<p class=a>A</p><p class=b>B</p>",
        sheet(".a::before{content:none}.b::after{content:url(x.png)}"),
        ["A", "B"],
    ),
    "counter_list_item_in_before": (
        "<ol class=c><li>A</li><li>B</li></ol>",
        sheet(".c{list-style:none}.c li::before{content:counter(list-item) ') '}"),
        ["1) A", "2) B"],
    ),
    "counters_nested": (
        "<ol class=c><li>A<ol class=c><li>A1</li></ol></li></ol>",
        sheet(".c{list-style:none}.c li::before{content:counters(list-item, '.') ' '}"),
        ["1 A", "1.1 A1"],
    ),
    "own_counter": (
        "<div class=s><p>A</p><p>B</p></div>",
        sheet(
            ".s{counter-reset:step 4}"
            ".s p::before{counter-increment:step;content:'Step ' counter(step) ': '}"
        ),
        ["Step 5: A", "Step 6: B"],
    ),
    "marker_content": (
        "<ol class=m><li>A</li></ol>",
        sheet(".m li::marker{content:'Q' counter(list-item) ' '}"),
        ["Q1 A"],
    ),
    "before_in_link": (
        "<p><a href='/x' class=r>Read</a></p>",
        sheet(".r::before{content:'» '}"),
        ["» Read"],
    ),
    "pre_line_generated_break": (
        "<p class=b>X</p>",
        sheet(".b::before{content:'Line\\A two ';white-space:pre}"),
        ["Line", "two X"],
    ),
}


@pytest.mark.parametrize("case", sorted(CSS_DRAWN_CASES))
def test_text_drawn_by_css(case: str) -> None:
    body, head, expected = CSS_DRAWN_CASES[case]
    assert read(body, head) == expected


def test_a_link_keeps_its_own_text_and_the_marker_stays_outside() -> None:
    html = "<html><body><ol><li><a href='/a'>Title</a></li></ol></body></html>"
    root = Selector(text=html).xpath("//body")[0].root
    (line,) = visible_lines(root, "http://example.org/", READER_LANDMARKS)
    assert line.text == "1. Title"
    assert [(link.url, link.text) for link in line.links] == [("http://example.org/a", "Title")]


# --- the walk itself --------------------------------------------------------------------------
def test_the_walk_reads_its_root_and_the_root_tail_never_what_follows_the_root() -> None:
    html = (
        "<html><body><div><p>before</p><div>in <b>it</b></div>tail<p>after</p></div></body></html>"
    )
    root = Selector(text=html).xpath("//body/div/div")[0].root
    lines = visible_lines(root, "http://example.org/", READER_LANDMARKS)
    assert [line.text for line in lines] == ["in it", "tail"]


def test_comments_and_processing_instructions_are_read_as_their_tails_only() -> None:
    assert read("<p>a<!-- note -->b<?php echo 1 ?>c</p><!-- x --><p>d<!-- last --></p>e") == [
        "abc",
        "d",
        "e",
    ]
