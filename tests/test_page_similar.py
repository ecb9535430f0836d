"""``SimilarQuestion`` (qa_scraper/pages/similar.py): each field of ``similar_questions[]``
read from inline HTML."""

from __future__ import annotations

from qa_scraper.pages.similar import SimilarQuestion, split_similar_questions
from tests.page_html import lines_of

ENTRY = (
    "<div><h3><a href='/en/article/174518'>Forgetfulness in Old Age</a></h3>"
    "<p>I am 76 years old. Lately I often forget...</p>"
    "<div><span>Dr.</span> <span>Jiang Junyi</span> <span>reply</span> <span>Neurology</span></div>"
    "<p>Occasionally misplacing objects is common...</p>"
    "<a href='/en/article/174518'>[Read More] Forgetfulness in Old Age</a></div>"
)


def entries(body: str) -> list[SimilarQuestion]:
    return split_similar_questions(lines_of(body))


def test_article_id_url_and_title_from_the_title_link() -> None:
    [entry] = entries(ENTRY)
    assert entry.article_id == "174518"
    assert entry.url == "https://www.doctorqna.com/en/article/174518"
    assert entry.title == "Forgetfulness in Old Age"


def test_a_legacy_or_tracking_link_gives_the_canonical_url() -> None:
    [legacy] = entries("<p><a href='/article.php?id=174507'>Hand tremor</a></p><p>Teaser...</p>")
    [tracked] = entries(
        "<p><a href='/en/article/174512?utm_source=list#top'>Burning feet</a></p><p>Teaser</p>"
    )
    assert (legacy.article_id, legacy.url) == (
        "174507",
        "https://www.doctorqna.com/en/article/174507",
    )
    assert tracked.url == "https://www.doctorqna.com/en/article/174512"


def test_excerpts_are_the_teasers_without_their_trailing_dots() -> None:
    [entry] = entries(ENTRY)
    assert entry.question_excerpt == "I am 76 years old. Lately I often forget"
    assert entry.answer_excerpt == "Occasionally misplacing objects is common"


def test_responder_fields_from_the_entry_header() -> None:
    [entry] = entries(ENTRY)
    assert (entry.responder_title, entry.responder_name, entry.department) == (
        "Dr.",
        "Jiang Junyi",
        "Neurology",
    )


def test_an_unanswered_entry_has_no_answer_and_no_responder() -> None:
    [entry] = entries("<p><a href='/en/article/174541'>Dry eyes</a></p><p>My eyes burn...</p>")
    assert entry.question_excerpt == "My eyes burn"
    assert entry.to_item() == {
        "article_id": "174541",
        "url": "https://www.doctorqna.com/en/article/174541",
        "title": "Dry eyes",
        "question_excerpt": "My eyes burn",
        "answer_excerpt": None,
        "responder_title": None,
        "responder_name": None,
        "department": None,
    }


def test_a_plain_title_takes_its_url_from_read_more_and_footer_text_is_no_entry() -> None:
    found = entries(
        "<p>Knee pain when running</p><p>My knee hurts...</p>"
        "<p><a href='/en/article/174525'>[Read More]</a></p><p>See all questions</p>"
    )
    [entry] = found
    assert (entry.title, entry.url) == (
        "Knee pain when running",
        "https://www.doctorqna.com/en/article/174525",
    )
    assert entry.question_excerpt == "My knee hurts"


def test_an_entry_without_an_article_link_is_a_problem() -> None:
    [entry] = entries("<p><a href='/en/latest'>[Read More] Knee pain</a></p>")  # not an article
    assert entry.url is None and entry.article_id is None
    assert [problem.as_dict() for problem in entry.problems("similar_questions/0")] == [
        {"path": "similar_questions/0/url", "message": "entry has no article link"}
    ]
