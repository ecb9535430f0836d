"""The responder header, "<title> <name> reply <department>": of a reply, and of a Similar Q&A
entry ("Dr. Jiang Junyi reply Family Medicine"). Its patterns and the known titles are here,
beside :func:`parse_responder_header` and :func:`header_at`, which the two parts call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa_scraper.caches import cached_text_function
from qa_scraper.pages.cached import cached_property
from qa_scraper.processors import clean_value
from qa_scraper.reading.lines import Line

_MAX_HEADER_LINES = 4
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
KNOWN_TITLE_SET = frozenset(KNOWN_TITLES)  # ("title in KNOWN_TITLES", one hash away)
# (title, its lower case followed by a space: how a header line starting with it reads)
_KNOWN_TITLES_LOWER = [(title.strip(), title.strip().lower() + " ") for title in KNOWN_TITLES]
# The same, by their first word (lower case), longest first as above: a header can only start
# with the titles whose first word is its own first word.
_KNOWN_TITLES_BY_FIRST_WORD: dict[str, list[tuple[str, str]]] = {}
for _title, _title_and_space in _KNOWN_TITLES_LOWER:
    _KNOWN_TITLES_BY_FIRST_WORD.setdefault(_title_and_space.partition(" ")[0], []).append(
        (_title, _title_and_space)
    )
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

    @cached_property
    def clean(self) -> tuple[str | None, str | None, str | None]:
        """(title, name, department), each as :func:`~qa_scraper.processors.clean_value` gives
        it: cleaned once for a header (a cached header serves every reply and entry it heads)."""
        return clean_value(self.title), clean_value(self.name), clean_value(self.department)


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
    return _parse_header(line)


@cached_text_function(4096)
def _parse_header(line: str) -> ResponderHeader | None:
    """:func:`parse_responder_header` once its cheap tests passed, cached: a site's headers
    repeat (a responder replies to many questions, and is named again in Similar Q&A), and the
    header is immutable."""
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
    if not department[0].isupper() or not all(map(_DEPARTMENT_TOKEN.match, department_tokens)):
        return None
    title, name = _split_title(who)
    if not name or not all(map(_NAME_TOKEN.match, name.split())):
        return None
    if not title[0].isupper():
        return None
    return ResponderHeader(title, name, department)


def _split_title(who: list[str]) -> tuple[str, str]:
    joined = " ".join(who)
    lowered = joined.lower()
    for title, title_and_space in _KNOWN_TITLES_BY_FIRST_WORD.get(lowered.partition(" ")[0], ()):
        if lowered.startswith(title_and_space):
            return joined[: len(title)], joined[len(title) + 1 :].strip()
    if who[0].endswith(".") or len(who) == 2:
        return who[0], " ".join(who[1:])
    return " ".join(who[:-2]), " ".join(who[-2:])


def header_at(lines: list[Line], index: int) -> tuple[ResponderHeader | None, int]:
    """A "<title> <name> reply <department>" header starting at ``lines[index]``, possibly
    split over a few lines (title, name and department in separate block elements).
    Returns (header, lines used)."""
    texts: list[str] = []
    words = 0  # words so far (each text's count capped: a sum over the cap is all that matters)
    holds_reply = False
    for line in lines[index : index + _MAX_HEADER_LINES]:
        text = line.text
        words += len(text.split(None, _MAX_HEADER_TOKENS))
        if words > _MAX_HEADER_TOKENS:
            break  # more words than any header (and so have the longer joins)
        texts.append(text)
        # A header holds "repl" (parse_responder_header's first test): joins of the lines
        # before the first that holds it cannot be one.
        if not holds_reply:
            if "repl" not in text.lower():
                continue
            holds_reply = True
        header = parse_responder_header(" ".join(texts))
        if header and (len(texts) == 1 or header.title in KNOWN_TITLE_SET):
            return header, len(texts)
    return None, 1
