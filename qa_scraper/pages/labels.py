"""The visible labels of an article page: the fixed words the site prints, the anchors every
field is read between ("Share to:", "Ask Date:", "Reply Date:", the section labels,
"[Read More]", the page chrome that ends the content).

A part's own syntax lives beside the part: the asker line in :mod:`qa_scraper.pages.asker`,
the "<title> <name> reply <department>" header in :mod:`qa_scraper.pages.responder`, the
"(<department>)" after a FAQ topic in :mod:`qa_scraper.pages.faq`.

All matching is case-insensitive and tolerant of extra white space (lines are
already whitespace-normalized by :mod:`qa_scraper.reading.lines`).
"""

from __future__ import annotations

import re

from qa_scraper.reading.visibility import Landmarks

SHARE = re.compile(r"^share\s*to\b", re.I)
ASK_DATE = re.compile(r"\bask(?:ed)?\s*(?:date|on)\s*:\s*(?P<rest>.*)$", re.I)
ASK_DATE_HOLDS = ":"  # every ASK_DATE match holds it: a line without it needs no search
REPLY_DATE = re.compile(r"^repl(?:y|ied)\s*(?:date|on)\s*:\s*(?P<rest>.*)$", re.I)
# Section labels may carry an expander or arrow symbol ("More Info +", "Related FAQ ›").
_LABEL_END = r"[\s:+\-–—›»>▼▾▶►…]*$"
MORE_INFO = re.compile(r"^more\s*info(?:rmation)?" + _LABEL_END, re.I)
MORE_INFO_INLINE = re.compile(r"^more\s*info(?:rmation)?\s*:\s*(?P<rest>\S.*)$", re.I)
SIMILAR_QA = re.compile(r"^similar\s*q\s*(?:&|and)\s*a" + _LABEL_END, re.I)
RELATED_FAQ = re.compile(r"^related\s*faqs?" + _LABEL_END, re.I)
READ_MORE = re.compile(r"^\[\s*read\s*more\s*\]\s*(?P<title>.*)$", re.I)
# Lines that start page chrome (sidebar, footer): they end the section before them.
END_OF_CONTENT = re.compile(
    r"^(?:popular\s*questions\b|disclaimer\s*:|©|\(c\)\s*\d{4}|copyright\b|all rights reserved)",
    re.I,
)
# Lines that are chrome wherever they appear (ads between sections).
CHROME_LINE = re.compile(r"^(?:advertisement\b|sponsored\s*:|\[ad\])", re.I)
# Every character that re.I matches to its first characters ("ſ" matches "s"): a line that
# starts with none of them is no chrome line, without a regex call (tests/test_labels.py
# derives the set from the pattern, over all of Unicode).
CHROME_LINE_FIRST = frozenset("aAsS\u017f[")
SECTION_LABELS = (MORE_INFO, SIMILAR_QA, RELATED_FAQ)
# Matches where any of the section labels, END_OF_CONTENT or MORE_INFO_INLINE matches: one
# test that rules out most lines at once.
SECTION_START = re.compile(
    "|".join(
        f"(?:{label.pattern})" for label in (*SECTION_LABELS, END_OF_CONTENT, MORE_INFO_INLINE)
    ),
    re.I,
)
# Every character a SECTION_START match can start with (as CHROME_LINE_FIRST).
SECTION_START_FIRST = frozenset("mMsS\u017frRpPdDcCaA\u00a9(")

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
