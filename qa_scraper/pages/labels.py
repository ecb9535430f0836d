"""The visible labels of an article page: the anchors of every field.

All matching is case-insensitive and tolerant of extra white space (lines are
already whitespace-normalized by :mod:`qa_scraper.reading.lines`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa_scraper.reading.visibility import Landmarks

SHARE = re.compile(r"^share\s*to\b", re.I)
ASK_DATE = re.compile(r"\bask(?:ed)?\s*(?:date|on)\s*:\s*(?P<rest>.*)$", re.I)
REPLY_DATE = re.compile(r"^repl(?:y|ied)\s*(?:date|on)\s*:\s*(?P<rest>.*)$", re.I)
# Section labels may carry an expander or arrow symbol ("More Info +", "Related FAQ ›").
_LABEL_END = r"[\s:+\-–—›»>▼▾▶►…]*$"
MORE_INFO = re.compile(r"^more\s*info(?:rmation)?" + _LABEL_END, re.I)
MORE_INFO_INLINE = re.compile(r"^more\s*info(?:rmation)?\s*:\s*(?P<rest>\S.*)$", re.I)
SIMILAR_QA = re.compile(r"^similar\s*q\s*(?:&|and)\s*a" + _LABEL_END, re.I)
RELATED_FAQ = re.compile(r"^related\s*faqs?" + _LABEL_END, re.I)
READ_MORE = re.compile(r"^\[\s*read\s*more\s*\]\s*(?P<title>.*)$", re.I)
FAQ_DEPARTMENT = re.compile(r"^\((?P<department>[^()]+)\)$")
DEPARTMENT_AFTER_TOPIC = re.compile(r"\s*\((?P<department>[^()]+)\)")
# Lines that start page chrome (sidebar, footer): they end the section before them.
END_OF_CONTENT = re.compile(
    r"^(?:popular\s*questions\b|disclaimer\s*:|©|\(c\)\s*\d{4}|copyright\b|all rights reserved)",
    re.I,
)
# Lines that are chrome wherever they appear (ads between sections).
CHROME_LINE = re.compile(r"^(?:advertisement\b|sponsored\s*:|\[ad\])", re.I)
SECTION_LABELS = (MORE_INFO, SIMILAR_QA, RELATED_FAQ)
# Matches where any of the section labels, END_OF_CONTENT or MORE_INFO_INLINE matches: one
# test that rules out most lines at once.
SECTION_START = re.compile(
    "|".join(
        f"(?:{label.pattern})" for label in (*SECTION_LABELS, END_OF_CONTENT, MORE_INFO_INLINE)
    ),
    re.I,
)

# What the reader's visibility rules (qa_scraper.reading.visibility) look for: text showing
# that chrome holds the article itself (broken nesting), the question itself, the sections.
ARTICLE_LANDMARK = re.compile(
    r"(?:ask|reply)\s*date\s*:|share\s*to\s*:|more\s*info|similar\s*q\s*&\s*a|related\s*faq",
    re.IGNORECASE,
)
QUESTION_LANDMARK = re.compile(r"ask\s*date\s*:|share\s*to\s*:", re.IGNORECASE)
READER_LANDMARKS = Landmarks(
    article=ARTICLE_LANDMARK,
    # a word every ARTICLE_LANDMARK match contains: a quick test that rules out most text
    article_words=("date", "share", "more", "similar", "related"),
    question=QUESTION_LANDMARK,
    section_labels=SECTION_LABELS,
)

# "<name>, <age> year old <gender>." (name "Anonymous" when not given).
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

# "<title> <name> reply <department>"
REPLY_HEADER = re.compile(r"^(?P<who>.+?)\s+repl(?:y|ied)\s*:?\s+(?P<department>.+)$", re.I)
KNOWN_TITLES = sorted(
    """Dr.|Doctor|Prof.|Professor|Pharmacist|Clinical Pharmacist|Nutritionist|Dietitian|
    Registered Dietitian|Nurse|Nurse Practitioner|Midwife|Psychologist|Clinical Psychologist|
    Counseling Psychologist|Counselor|Physical Therapist|Physiotherapist|Occupational Therapist|
    Speech Therapist|Speech-Language Pathologist|Respiratory Therapist|Therapist|Social Worker|
    Optometrist|Audiologist|Dentist|Medical Technologist|Radiologic Technologist|
    Chinese Medicine Practitioner|Case Manager|Health Educator""".replace("\n", "").split("|"),
    key=len,
    reverse=True,
)
# (title, its lower case followed by a space: how a header line starting with it reads)
_KNOWN_TITLES_LOWER = [(title.strip(), title.strip().lower() + " ") for title in KNOWN_TITLES]
_NAME_TOKEN = re.compile(r"^[A-Z][\w.'’-]*$")
_DEPARTMENT_TOKEN = re.compile(r"^[\w&/'’.,()+-]+$")
_MAX_WHO_TOKENS = 7
_MAX_DEPARTMENT_TOKENS = 6
# Words of the longest header: who, "reply" (and a ":" apart), the department (and a "." apart).
_MAX_HEADER_TOKENS = _MAX_WHO_TOKENS + 2 + _MAX_DEPARTMENT_TOKENS + 1


@dataclass(frozen=True)
class ResponderHeader:
    title: str
    name: str
    department: str


def parse_responder_header(line: str) -> ResponderHeader | None:
    """Parse "<title> <name> reply <department>", or ``None`` if the line is not one.

    A known title ("Physical Therapist", "Dr.") is taken whole; an unknown one
    is the first word when it ends with "." and otherwise every word before the
    last two (names on this site are a family name and a given name).
    """
    if "repl" not in line.lower():
        return None  # the cheap test first: the regex tries every split of the line
    if len(line.split(None, _MAX_HEADER_TOKENS)) > _MAX_HEADER_TOKENS:
        return None  # longer than any header (a teaser line joined with the next ones)
    match = REPLY_HEADER.match(line)
    if not match:
        return None
    who = match.group("who").split()
    department = match.group("department").strip().rstrip(".").strip()
    department_tokens = department.split()
    if not (2 <= len(who) <= _MAX_WHO_TOKENS) or not (
        1 <= len(department_tokens) <= _MAX_DEPARTMENT_TOKENS
    ):
        return None
    if not department[0].isupper() or not all(
        _DEPARTMENT_TOKEN.match(token) for token in department_tokens
    ):
        return None
    title, name = _split_title(who)
    if not name or not all(_NAME_TOKEN.match(token) for token in name.split()):
        return None
    if not title[0].isupper():
        return None
    return ResponderHeader(title, name, department)


def _split_title(who: list[str]) -> tuple[str, str]:
    joined = " ".join(who)
    lowered = joined.lower()
    for title, title_and_space in _KNOWN_TITLES_LOWER:
        if lowered.startswith(title_and_space):
            return joined[: len(title)], joined[len(title) + 1 :].strip()
    if who[0].endswith(".") or len(who) == 2:
        return who[0], " ".join(who[1:])
    return " ".join(who[:-2]), " ".join(who[-2:])


@dataclass(frozen=True)
class Demographics:
    name: str | None
    age_min: int | None
    age_max: int | None
    gender: str | None


_ASKER_AFTER_NAME = re.compile(r"^[^,]{1,60},\s*(?:\d{1,3}\s*[~～〜\-–+]|(?:fe)?male\b)", re.I)
_MAX_ASKER_LINE = 100


def looks_like_asker_line(text: str) -> bool:
    """ "Ms. Cai, 30~39 year old female." (or a part of it) on a line of its own."""
    if len(text) > _MAX_ASKER_LINE:
        return False
    return bool(ANONYMOUS.match(text) or AGE_WORDS.search(text) or _ASKER_AFTER_NAME.match(text))


def parse_asker(text: str) -> Demographics:
    """Parse "<name>, <age> year old <gender>." (any part may be missing): the four values
    at once, as :class:`qa_scraper.pages.question.Asker` reads them (one property each)."""
    from qa_scraper.pages.question import Asker

    asker = Asker(text)
    return Demographics(asker.name, asker.age_min, asker.age_max, asker.gender)
