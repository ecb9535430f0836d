"""``Question`` (qa_scraper/pages/question.py): each field of ``question`` read from inline
HTML."""

from __future__ import annotations

from tests.page_html import article


def test_title_is_the_line_under_share_to() -> None:
    page = article("<h2>Morning headaches</h2><p>I wake up.</p><p>Ask Date: 2021/10/14</p>")
    assert page.question.title == "Morning headaches"


def test_text_is_the_lines_between_the_title_and_the_asker_line() -> None:
    page = article(
        "<h2>Morning headaches</h2><p>I wake up with a headache.</p><p>It lasts an\n hour.</p>"
        "<p>Ms. Cai, 30~39 year old female.</p><p>Ask Date: 2021/10/14</p>"
    )
    assert page.question.text == "I wake up with a headache.\nIt lasts an hour."


def test_asked_on_from_ask_date_on_its_line_or_the_next() -> None:
    same_line = article("<h2>T</h2><p>Text.</p><p>Ask Date: 2021/10/14</p>")
    next_line = article("<h2>T</h2><p>Text.</p><p>Ask Date:</p><p>Oct 4, 2021</p>")
    assert same_line.question.asked_on == "2021-10-14"
    assert next_line.question.asked_on == "2021-10-04"


def test_an_unreadable_ask_date_is_none_and_a_problem() -> None:
    question = article("<h2>T</h2><p>Text.</p><p>Ask Date: someday</p>").question
    assert question.asked_on is None
    assert [problem.as_dict() for problem in question.problems()] == [
        {"path": "question/asked_on", "message": "unreadable date 'someday'"}
    ]


def test_to_item_has_the_item_class_fields_in_order() -> None:
    page = article("<h2>Morning headaches</h2><p>I wake up.</p><p>Ask Date: 2021/10/14</p>")
    assert list(page.question.to_item().items()) == [
        ("title", "Morning headaches"),
        ("text", "I wake up."),
        ("asked_on", "2021-10-14"),
    ]
