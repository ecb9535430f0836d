"""The asker: ``asker`` of the contract, read from the asker line.

"<name>, <age> year old <gender>." ("Ms. Cai, 30~39 year old female.", "Anonymous, 20~29 year
old."; any part may be missing). :class:`~qa_scraper.pages.document.ArticleDocument` finds the
line (:func:`looks_like_asker_line`); each contract field is one property of :class:`Asker`.
The line's patterns are here, beside the part that reads them.
"""

from __future__ import annotations

import re
from typing import Any

from qa_scraper.items import AskerItem, field_names
from qa_scraper.pages.cached import cached_property, read_fields
from qa_scraper.processors import clean_value

# The parts of "<name>, <age> year old <gender>." (name "Anonymous" when not given).
AGE_RANGE = re.compile(r"(?<!\d)(\d{1,3})\s*[~～〜\-–—]\s*(\d{1,3})(?!\d)")
AGE_OPEN = re.compile(r"(?<!\d)(\d{1,3})\s*\+")
AGE_WORDS = re.compile(r"\b(?:years?|yrs?)\s*-?\s*old\b", re.I)
GENDER = re.compile(r"\b(female|male|woman|man|girl|boy)\b", re.I)
GENDER_VALUES = {
    "female": "female",
    "woman": "female",
    "girl": "female",
    "male": "male",
    "man": "male",
    "boy": "male",
}
ANONYMOUS = re.compile(r"^anonymous\b", re.I)
_ASKER_AFTER_NAME = re.compile(r"^[^,]{1,60},\s*(?:\d{1,3}\s*[~～〜\-–+]|(?:fe)?male\b)", re.I)
_MAX_ASKER_LINE = 100


def looks_like_asker_line(text: str) -> bool:
    """ "Ms. Cai, 30~39 year old female." (or a part of it) on a line of its own."""
    if len(text) > _MAX_ASKER_LINE:
        return False
    return bool(ANONYMOUS.match(text) or AGE_WORDS.search(text) or _ASKER_AFTER_NAME.match(text))


class Asker:
    """``asker.*``, read from "<name>, <age> year old <gender>." (any part may be missing;
    "Anonymous" for no name): the text before "Ask Date:" or the line above it."""

    FIELDS = field_names(AskerItem)

    def __init__(self, text: str) -> None:
        text = text.strip().rstrip(".").strip()
        name_part, _, details = text.partition(",")
        if not details and (AGE_WORDS.search(name_part) or AGE_RANGE.search(name_part)):
            name_part, details = "", name_part  # "30~39 year old female": no name
        self.name_text = name_part.strip()
        self.details = details  # "30~39 year old female"

    @cached_property
    def name(self) -> str | None:
        if ANONYMOUS.match(self.name_text):
            return None
        return clean_value(self.name_text)

    @cached_property
    def age_min(self) -> int | None:
        """ "10~19" gives 10, "70+" gives 70."""
        if match := AGE_RANGE.search(self.details):
            return int(match.group(1))
        if match := AGE_OPEN.search(self.details):
            return int(match.group(1))
        return None

    @cached_property
    def age_max(self) -> int | None:
        """ "10~19" gives 19; an open range ("70+") has none."""
        if match := AGE_RANGE.search(self.details):
            return int(match.group(2))
        return None

    @cached_property
    def gender(self) -> str | None:
        if match := GENDER.search(self.details):
            return GENDER_VALUES[match.group(1).lower()]
        return None

    def to_item(self) -> dict[str, Any]:
        return read_fields(self, self.FIELDS)
