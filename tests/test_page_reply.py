"""``Reply`` (qa_scraper/pages/reply.py): each field of ``replies[]`` read from inline HTML."""

from __future__ import annotations

from qa_scraper.pages.reply import Reply, split_replies
from tests.page_html import lines_of


def reply(body: str) -> Reply:
    [only] = split_replies(lines_of(body))
    return only


def test_responder_title_name_and_department_from_the_header() -> None:
    part = reply(
        "<h3>Dr. Jiang Junyi reply Neurology</h3><p>Rest.</p><p>Reply Date: 2021/10/14</p>"
    )
    assert (part.responder_title, part.responder_name, part.department) == (
        "Dr.",
        "Jiang Junyi",
        "Neurology",
    )


def test_a_known_title_of_several_words_and_a_header_split_over_elements() -> None:
    part = reply(
        "<div>Physical Therapist</div><div>Xie Yating</div><div>reply Rehabilitation</div>"
        "<p>Stretch daily.</p><p>Reply Date: 2021/10/14</p>"
    )
    assert (part.responder_title, part.responder_name, part.department) == (
        "Physical Therapist",
        "Xie Yating",
        "Rehabilitation",
    )
    assert part.text == "Stretch daily."


def test_text_is_the_whole_reply_signature_included_honorific_breaks_rejoined() -> None:
    part = reply(
        "<h3>Dr. Jiang Junyi reply Neurology</h3><p>Hello Mr.<br>Zheng,</p>"
        "<p>Keep a  headache diary.</p><p>Sincerely,<br>Dr.<br>Jiang Junyi</p>"
        "<p>Reply Date: 2021/10/14</p>"
    )
    assert part.text == "Hello Mr. Zheng,\nKeep a headache diary.\nSincerely,\nDr. Jiang Junyi"


def test_clinic_is_the_last_line_after_the_signature() -> None:
    part = reply(
        "<h3>Dr. Jiang Junyi reply Neurology</h3><p>Rest.</p><p>Dr.<br>Jiang Junyi</p>"
        "<p>Department of Neurology</p><p>Taipei City Hospital</p><p>Reply Date: 2021/10/14</p>"
    )
    assert part.clinic == "Taipei City Hospital"  # the last line, not the one after the name


def test_no_clinic_when_the_signature_ends_the_reply_or_there_is_none() -> None:
    signed = reply(
        "<h3>Dr. Jiang Junyi reply Neurology</h3><p>Rest.</p><p>Dr. Jiang Junyi</p>"
        "<p>Reply Date: 2021/10/14</p>"
    )
    unsigned = reply(
        "<h3>Dr. Jiang Junyi reply Neurology</h3><p>Rest.</p><p>Taipei City Hospital</p>"
        "<p>Reply Date: 2021/10/14</p>"
    )
    assert signed.clinic is None
    assert unsigned.clinic is None


def test_replied_on_from_reply_date_on_its_line_or_the_next() -> None:
    same_line = reply(
        "<h3>Nurse Wang Li reply Family Medicine</h3><p>Hi.</p><p>Reply Date: 2021/10/14</p>"
    )
    next_line = reply(
        "<h3>Nurse Wang Li reply Family Medicine</h3><p>Hi.</p><p>Reply Date:</p><p>Oct 4, 2021</p>"
    )
    assert same_line.replied_on == "2021-10-14"
    assert next_line.replied_on == "2021-10-04"
    assert same_line.problems("replies/0") == next_line.problems("replies/0") == []


def test_replied_on_missing_or_unreadable_is_none_and_a_problem() -> None:
    first, second = split_replies(
        lines_of(
            "<h3>Dr. Jiang Junyi reply Neurology</h3><p>Hello.</p>"
            "<h3>Nurse Wang Li reply Family Medicine</h3><p>Hi.</p><p>Reply Date: 2021/13/45</p>"
        )
    )
    assert (first.replied_on, second.replied_on) == (None, None)
    assert [problem.as_dict() for problem in first.problems("replies/0")] == [
        {"path": "replies/0/replied_on", "message": "no 'Reply Date:' after the reply"}
    ]
    assert [problem.as_dict() for problem in second.problems("replies/1")] == [
        {"path": "replies/1/replied_on", "message": "unreadable date '2021/13/45'"}
    ]


def test_to_item_has_the_item_class_fields_in_order() -> None:
    part = reply(
        "<h3>Dr. Jiang Junyi reply Neurology</h3><p>Rest.</p><p>Reply Date: 2021/10/14</p>"
    )
    assert part.to_item() == {
        "responder_title": "Dr.",
        "responder_name": "Jiang Junyi",
        "department": "Neurology",
        "text": "Rest.",
        "clinic": None,
        "replied_on": "2021-10-14",
    }
