"""``RelatedFaq`` (qa_scraper/pages/faq.py): each field of ``related_faqs[]`` read from inline
HTML."""

from __future__ import annotations

from qa_scraper.pages.faq import RelatedFaq, split_related_faqs
from tests.page_html import lines_of


def faqs(body: str) -> list[RelatedFaq]:
    return split_related_faqs(lines_of(body))


def test_topic_department_and_url_with_the_department_on_the_next_line() -> None:
    [faq] = faqs(
        "<ul><li><a href='/en/faq/neurology/migraine'>Migraine</a><br>(Neurology)</li></ul>"
    )
    assert faq.topic == "Migraine"
    assert faq.department == "Neurology"
    assert faq.url == "https://www.doctorqna.com/en/faq/neurology/migraine"


def test_several_topics_on_one_line_each_with_its_department() -> None:
    found = faqs(
        "<p><a href='/en/faq/neurology/migraine'>Migraine</a> (Neurology)"
        " <a href='/en/faq/pharmacy/painkillers'>Painkillers</a> (Pharmacy)</p>"
    )
    assert [faq.to_item() for faq in found] == [
        {
            "topic": "Migraine",
            "department": "Neurology",
            "url": "https://www.doctorqna.com/en/faq/neurology/migraine",
        },
        {
            "topic": "Painkillers",
            "department": "Pharmacy",
            "url": "https://www.doctorqna.com/en/faq/pharmacy/painkillers",
        },
    ]


def test_the_url_is_canonical() -> None:
    [faq] = faqs(
        "<p><a href='/en/faq/neurology/headache?ref=side#top'>Headache</a> (Neurology)</p>"
    )
    assert faq.url == "https://www.doctorqna.com/en/faq/neurology/headache"


def test_a_topic_without_its_department_is_a_problem_and_the_section_ends_at_other_text() -> None:
    found = faqs(
        "<p><a href='/en/faq/neurology/dizziness'>Dizziness</a></p><p>Popular topics</p>"
        "<p><a href='/en/faq/neurology/migraine'>Migraine</a> (Neurology)</p>"
    )
    [faq] = found  # the section ended at "Popular topics"
    assert (faq.topic, faq.department) == ("Dizziness", None)
    assert [problem.as_dict() for problem in faq.problems("related_faqs/0")] == [
        {"path": "related_faqs/0/department", "message": "no '(<department>)' after topic"}
    ]
