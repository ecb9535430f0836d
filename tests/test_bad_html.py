"""The extractor under bad HTML: a correct item where the information is there, otherwise a
rejection naming the field and the reason; never an exception."""

from __future__ import annotations

import re

import pytest

from qa_scraper.delivery.validation import item_errors
from qa_scraper.pages.article import ArticlePage
from tests.conftest import (
    assert_items_equal,
    has_markup,
    load_expected,
    saved_page,
    stamped,
    string_values,
    without_run_fields,
)

EXPECTED = {item["article_id"]: item for item in load_expected()}
ARTICLE = "174534"  # two replies, every section present
URL = EXPECTED[ARTICLE]["url"]
HTML = saved_page(f"/en/article/{ARTICLE}")


def extract(html: str | bytes, **kwargs) -> tuple[dict, list[tuple[str, str]]]:
    page = ArticlePage(URL, html, **kwargs)
    item = page.to_item()
    return item, [(problem.field, problem.reason) for problem in page.problems]


def problem_fields(problems: list[tuple[str, str]]) -> set[str]:
    return {field for field, _ in problems}


def assert_rejected_or_correct(item: dict, problems: list) -> None:
    """The two acceptable outcomes: no problem and a valid item, or named problems."""
    if problems:
        assert all(field and reason for field, reason in problems)
    else:
        assert item_errors(stamped(item)) == []
    assert not [text for text in string_values(item) if has_markup(text)]


# --- truncation ----------------------------------------------------------------------------
SECTION_MARKERS = [
    "<h1>",
    "Share to:",
    "question-title",
    "Ask Date:",
    'id="reply-1"',
    'id="reply-2"',
    "Reply Date:",
    "More Info",
    "Similar Q&amp;A",
    "[Read More]",
    "Related FAQ",
    "</main>",
    "<footer",
]


@pytest.mark.parametrize("marker", SECTION_MARKERS)
def test_page_cut_at_a_section_boundary_is_rejected_as_truncated(marker: str) -> None:
    cut = HTML[: HTML.index(marker)]
    item, problems = extract(cut)
    assert (
        "(page)",
        "truncated page: the document ends before </body> and </html>",
    ) in problems or ("(page)", "truncated page: the document ends inside a tag") in problems
    assert_rejected_or_correct(item, problems)


def test_page_cut_at_every_200th_character_never_raises() -> None:
    for end in range(0, len(HTML), 200):
        page = ArticlePage(URL, HTML[:end])
        item = page.build_item()  # no safety net: a bug here must fail the test
        assert page.problems, f"cut at {end} went unnoticed"
        assert_rejected_or_correct(item, [(p.field, p.reason) for p in page.problems])


def test_page_cut_mid_tag_is_rejected() -> None:
    cut = HTML[: HTML.index("Reply Date:") - 12]  # inside <p class="reply-date">
    _, problems = extract(cut)
    assert ("(page)", "truncated page: the document ends inside a tag") in problems


def test_data_before_the_cut_is_kept_in_the_rejected_item() -> None:
    item, _ = extract(HTML[: HTML.index("Similar Q&amp;A")])
    expected = EXPECTED[ARTICLE]
    assert item["question"] == expected["question"]
    assert item["replies"] == expected["replies"]


# --- broken tags -----------------------------------------------------------------------------
def test_unclosed_divs_and_stray_closing_tags_give_the_same_item() -> None:
    broken = HTML.replace("</div>", "").replace("<br>", "<br></p></span></li>")
    broken = broken.replace('<p class="asker-info">', '</b></i><p class="asker-info">')
    item, problems = extract(broken)
    assert problems == []
    assert_items_equal(without_run_fields(item), EXPECTED[ARTICLE])


def test_the_sample_page_with_broken_html_is_extracted() -> None:
    # 174501 has an unclosed div and a stray </p> in its reply.
    page = ArticlePage(EXPECTED["174501"]["url"], saved_page("/en/article/174501"))
    assert_items_equal(without_run_fields(page.to_item()), EXPECTED["174501"])
    assert page.problems == []


# --- missing and duplicated sections ---------------------------------------------------------
def test_missing_asker_line_is_rejected_with_reason() -> None:
    html = re.sub(r'<p class="asker-info">.*?</p>', "", HTML)
    item, problems = extract(html)
    assert ("question/asked_on", "no 'Ask Date:' label on the page") in problems
    assert item["question"]["asked_on"] is None


def test_missing_reply_date_is_rejected_with_reason() -> None:
    html = HTML.replace('<p class="reply-date">Reply Date: 2017/10/04</p>', "")
    item, problems = extract(html)
    assert problems == [("replies/0/replied_on", "no 'Reply Date:' after the reply")]
    # the next reply header still starts a new reply
    assert [reply["responder_name"] for reply in item["replies"]] == [
        "Zhou Chengyu",
        "Peng Zhiyuan",
    ]
    assert item["replies"][1] == EXPECTED[ARTICLE]["replies"][1]


def test_unreadable_reply_date_is_rejected_with_reason() -> None:
    _, problems = extract(HTML.replace("Reply Date: 2017/10/04", "Reply Date: soon"))
    assert problems == [("replies/0/replied_on", "unreadable date 'soon'")]


def test_missing_more_info_is_a_valid_item_with_null() -> None:
    html = re.sub(r'<section class="more-info">.*?</section>', "", HTML, flags=re.S)
    item, problems = extract(html)
    assert problems == []
    assert item["more_info"] is None
    assert_items_equal(without_run_fields(item), dict(EXPECTED[ARTICLE], more_info=None))


def test_empty_similar_section_is_an_empty_list() -> None:
    html = re.sub(
        r'(<section class="similar-qa"><h2>Similar Q&amp;A</h2>).*?(</section>)',
        r"\1\2",
        HTML,
        flags=re.S,
    )
    item, problems = extract(html)
    assert problems == []
    assert item["similar_questions"] == []
    assert item["related_faqs"] == EXPECTED[ARTICLE]["related_faqs"]


@pytest.mark.parametrize("section", ["more-info", "similar-qa", "related-faq"])
def test_duplicated_section_keeps_the_first(section: str) -> None:
    block = re.search(rf'<section class="{section}">.*?</section>', HTML, flags=re.S).group(0)
    item, problems = extract(HTML.replace(block, block + block))
    assert problems == []
    expected = EXPECTED[ARTICLE]
    assert item["more_info"] == expected["more_info"]
    assert item["similar_questions"] == expected["similar_questions"]
    assert item["related_faqs"] == expected["related_faqs"]


def test_unanswered_question_has_no_replies() -> None:
    html = re.sub(r'<div class="reply-box".*?Reply Date: [0-9/]+</p></div>', "", HTML, flags=re.S)
    html = html.replace(
        '</div>\n<div class="ad-block">',
        '</div>\n<div><p>This question has not been answered yet.</p></div><div class="ad-block">',
        1,
    )
    item, problems = extract(html)
    assert problems == []
    assert item["replies"] == []


# --- labels, titles, entities ------------------------------------------------------------------
def test_labels_in_other_case_with_extra_spaces_and_nbsp() -> None:
    html = (
        HTML.replace("Share to:", "SHARE&nbsp;&nbsp;TO :")
        .replace("Ask Date:", "ask&nbsp;date:")
        .replace("Reply Date:", "REPLY  DATE:")
        .replace("<h2>More Info</h2>", "<h2> more&nbsp;INFO </h2>")
        .replace("<h2>Similar Q&amp;A</h2>", "<h2>SIMILAR Q &amp; A</h2>")
        .replace("[Read More]", "[ READ&nbsp;MORE ]")
        .replace("<h2>Related FAQ</h2>", "<h2>related faq</h2>")
        .replace('<span class="reply-label">reply</span>', "<span>REPLY</span>")
    )
    item, problems = extract(html)
    assert problems == []
    assert_items_equal(without_run_fields(item), EXPECTED[ARTICLE])


def test_unknown_reply_title_is_kept() -> None:
    html = HTML.replace(
        '<span class="doctor-title">Dr.</span></a> <a class="doctor-name" '
        'href="/en/doctor/dr-peng-zhiyuan">Peng Zhiyuan',
        '<span>Acupuncturist</span></a> <a href="/x">Peng Zhiyuan',
    )
    item, problems = extract(html)
    assert problems == []
    assert item["replies"][1]["responder_title"] == "Acupuncturist"
    assert item["replies"][1]["responder_name"] == "Peng Zhiyuan"


def test_entity_soup_decodes_to_text_without_markup() -> None:
    soup = (
        "Fish &amp;amp; chips &lt;b&gt;bold&lt;/b&gt; &amp;lt;script&amp;gt;alert(1)"
        "&amp;lt;/script&amp;gt; &#x27;q&#39; &quot;d&quot; &nbsp;caf&eacute; &hellip; "
        "5 &lt; 7 &unknown; &#0; &#xD800;"
    )
    html = HTML.replace("Doctor hello, I am a truck driver.", soup)
    item, problems = extract(html)
    assert problems == []
    first_line = item["question"]["text"].split("\n")[0]
    assert first_line.startswith("Fish & chips bold alert(1) 'q' \"d\" café … 5 < 7 &unknown;")
    assert "<" not in first_line.replace("5 < 7", "")
    assert_rejected_or_correct(item, problems)
    assert item_errors(stamped(item)) == []


def test_script_and_style_inside_content_are_not_text() -> None:
    html = HTML.replace(
        "<br>MRI showed",
        "<script>var leak = 'SCRIPT_TEXT';</script>"
        "<style>.leak{color:red}</style><noscript>NOSCRIPT_TEXT</noscript>"
        "<template>TEMPLATE_TEXT</template><br>MRI showed",
    )
    item, problems = extract(html)
    assert problems == []
    assert_items_equal(without_run_fields(item), EXPECTED[ARTICLE])


def test_two_megabyte_question_text() -> None:
    sentence = "My back hurts when I lift heavy boxes at work every single day. "
    huge = sentence * (2_000_000 // len(sentence))
    html = HTML.replace("Doctor hello, I am a truck driver.", huge)
    item, problems = extract(html)
    assert problems == []
    assert len(item["question"]["text"]) > 2_000_000
    assert item["replies"] == EXPECTED[ARTICLE]["replies"]
    assert item_errors(stamped(item)) == []


# --- encodings and non-HTML bodies -------------------------------------------------------------
def test_non_utf8_bytes_with_a_wrong_declared_charset() -> None:
    html = HTML.replace("Doctor hello", "Doctor hello café – naïve")
    body = html.encode("cp1252")  # the page still declares <meta charset="utf-8">
    item, problems = extract(body, content_type="text/html; charset=utf-8")
    assert problems == []
    assert item["question"]["text"].startswith("Doctor hello café – naïve")


def test_bytes_in_the_declared_legacy_charset() -> None:
    html = HTML.replace('<meta charset="utf-8">', '<meta charset="windows-1252">')
    html = html.replace("Doctor hello", "Doctor hello café")
    item, problems = extract(html.encode("cp1252"))
    assert problems == []
    assert item["question"]["text"].startswith("Doctor hello café")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"",
        b'{"error": "not html"}',
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"\x00" * 100,
        b"<html><body></body></html>",
        b"<?xml version='1.0'?><rss></rss>",
        b"<html><body><h1>Only a headline - Neurology</h1></body></html>",
    ],
)
def test_empty_or_non_html_body_is_rejected_with_reasons(body: bytes) -> None:
    page = ArticlePage(URL, body, content_type="text/html")
    item = page.build_item()
    fields = {problem.field for problem in page.problems}
    assert {"question/title", "question/asked_on"} <= fields
    assert item["url"] == URL and item["article_id"] == ARTICLE
    assert item_errors(item)  # the schema agrees it is not an item


def test_soft_404_page_is_recognised() -> None:
    not_found = saved_page("/en/article/174501").replace("{{BASE}}", "")
    assert not ArticlePage(URL, HTML).is_not_found_page()
    assert not ArticlePage(URL, not_found).is_not_found_page()
    from tests.conftest import SITE

    page = ArticlePage(URL, (SITE / "404.html").read_text(encoding="utf-8"))
    assert page.is_not_found_page()


def test_missing_share_bar_falls_back_to_the_headline() -> None:
    html = re.sub(r'<div class="share-bar">.*?</div>', "", HTML, flags=re.S)
    item, problems = extract(html)
    assert problems == []
    assert_items_equal(without_run_fields(item), EXPECTED[ARTICLE])


def test_asker_line_without_age_on_its_own_line() -> None:
    html = HTML.replace(
        'Mr. Xie, 40~49 year old male. <span class="ask-date">',
        'Mr. Xie, male.<div class="ask-date">',
    ).replace("Ask Date: 2017/10/03</span>", "Ask Date: 2017/10/03</div>")
    item, problems = extract(html)
    assert problems == []
    assert item["asker"] == {"name": "Mr. Xie", "age_min": None, "age_max": None, "gender": "male"}
    assert item["question"] == EXPECTED[ARTICLE]["question"]


def test_headline_in_a_page_level_header_is_kept() -> None:
    headline = re.search(r'<div class="article-header">(<h1>.*?</h1>)</div>', HTML).group(1)
    html = HTML.replace(f'<div class="article-header">{headline}</div>', "")
    html = html.replace("<body>", f"<body><header>{headline}</header>")  # outside <main>
    html = re.sub(r"<title>.*?</title>", "<title>DoctorQnA</title>", html)
    item, problems = extract(html)
    assert problems == []
    assert_items_equal(without_run_fields(item), EXPECTED[ARTICLE])


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<HTML><BODY><p>Text</p></BODY></HTML>", None),
        ("<Html><Body><p>Text</p></bOdY>", None),
        ("<p>Text</p></HTML>\n", None),
        ("<HTML><BODY><p>Text</p>", "the document ends before </body> and </html>"),
        ("<!DOCTYPE html>\n<hTmL><p>Text</p>", "the document ends before </body> and </html>"),
        ("<p>Text</p>", None),  # never opened: not expected to close
        ("<HTML><BODY><p>Text</p><DIV", "the document ends inside a tag"),
        ("<p>Text</p></BODY><!--", "the document ends inside a tag"),
        ("<p>Text</p></HTML> x < 3", None),
        ("<p>Text</p></BODY></HTML><\u0130", "the document ends inside a tag"),  # "İ" lowers to "i̇"
        ("<p>\u0130\u212a \u03a3</p><BODY>x", "the document ends before </body> and </html>"),
    ],
)
def test_truncation_reads_tag_names_in_any_letter_case(html: str, reason: str | None) -> None:
    page = ArticlePage(URL, html)
    assert page.truncation() == reason
