"""``Asker`` (qa_scraper/pages/asker.py): each field of ``asker`` read from inline HTML."""

from __future__ import annotations

import pytest

from tests.page_html import article

QUESTION = "<h2>Morning headaches</h2><p>I wake up with a headache.</p>"


@pytest.mark.parametrize(
    ("html", "name", "age_min", "age_max", "gender"),
    [
        (
            "<p>Ms. Cai, 30~39 year old female.</p><p>Ask Date: 2021/10/14</p>",
            "Ms. Cai",
            30,
            39,
            "female",
        ),
        (  # on the "Ask Date:" line; "70+": no upper bound
            "<p>Mr. Zheng, 70+ year old male. Ask Date: 2021/10/14</p>",
            "Mr. Zheng",
            70,
            None,
            "male",
        ),
        ("<p>Anonymous, 20~29 year old.</p><p>Ask Date: 2021/10/14</p>", None, 20, 29, None),
        ("<p>30~39 year old woman.</p><p>Ask Date: 2021/10/14</p>", None, 30, 39, "female"),
        ("<p>Ask Date: 2021/10/14</p>", None, None, None, None),  # no asker line
    ],
)
def test_name_ages_and_gender_from_the_asker_line(
    html: str, name: str | None, age_min: int | None, age_max: int | None, gender: str | None
) -> None:
    asker = article(QUESTION + html).asker
    assert asker.name == name
    assert asker.age_min == age_min
    assert asker.age_max == age_max
    assert asker.gender == gender


def test_a_question_line_is_not_taken_for_the_asker_line() -> None:
    page = article(QUESTION + "<p>Is it serious, doctor?</p><p>Ask Date: 2021/10/14</p>")
    assert page.asker.to_item() == {"name": None, "age_min": None, "age_max": None, "gender": None}
    assert page.question.text == "I wake up with a headache.\nIs it serious, doctor?"
