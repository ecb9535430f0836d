"""Text rules of the item contract: how every text field of the item is cleaned.

Every free-text field goes through :func:`text_block`; single-line values
(titles, names, labels) go through :func:`clean_line`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

# Removed from every line: zero-width and other invisible format characters that only
# break matching, and control characters other than tab/newline (they may come from
# broken encodings). One pattern, so one pass over the text.
_INVISIBLE_OR_CONTROL = re.compile(
    "[\u200b\u200c\u200d\u2060\ufeff\u00ad\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
)
# A line ending with an honorific: the site breaks the line right after it.
_TRAILING_HONORIFIC = re.compile(r"(?:^|\s)(?:Dr|Mr|Ms|Mrs|Prof)\.$")
_LONGEST_HONORIFIC = len(" Prof.")
_HONORIFIC_ENDINGS = frozenset({"r.", "s.", "f."})  # the last two characters of a match
_TRAILING_ELLIPSIS = "..."
# Left-over entities (double-encoded on the page) and tag-like text: never in a field.
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);")
_TAG_LIKE = re.compile(r"<[A-Za-z!/?][^<>]*>?")
# Texts clean_line gives back as they are (a bounded memo): the page objects clean once more
# the lines the reader cleaned, and looking a string up (its hash is kept in it once
# computed) costs less than the tests over its characters.
_CLEAN: set[str] = set()
_MAX_CLEAN = 4096


def clean_line(value: str | None) -> str:
    """Strip a line and collapse inner white space (nbsp included) to one space.

    Text that only looks like markup once decoded (``&amp;lt;b&amp;gt;`` on the
    page) is decoded once more and any tag-like run removed, so no field can
    carry markup or script.
    """
    if not value:
        return ""
    if value in _CLEAN:
        return value
    if not value.isprintable():
        # (Printable text has neither: the format characters of the pattern are not
        # printable, nor are controls; most text is printable, and the test is quicker.)
        value = _INVISIBLE_OR_CONTROL.sub("", value)
    elif "&" not in value and "<" not in value:
        # Printable text (its only white space is " ": every other space character is not
        # printable) with nothing to decode or remove: clean once its spaces are single inner
        # ones (lines read from the page already are, and every field cleans them once more:
        # the second time finds them in the memo).
        if "  " in value or value[0] == " " or value[-1] == " ":
            value = " ".join(value.split())
        if len(_CLEAN) >= _MAX_CLEAN:
            _CLEAN.clear()
        _CLEAN.add(value)
        return value
    if "&" in value and _ENTITY.search(value):
        value = html.unescape(value)
    if "<" in value:
        value = _TAG_LIKE.sub(" ", value)
    # str.split() splits on exactly the characters regex \s matches (str.isspace()):
    # the same as collapsing runs of \s to one space and stripping, only faster.
    return " ".join(value.split())


def forget_clean_texts() -> None:
    _CLEAN.clear()


def join_honorific_lines(lines: Iterable[str]) -> list[str]:
    """Re-join "Hello Dr." / "Jiang, ..." into one line, as the contract asks.

    Empty lines are dropped first, so the join works across them too.
    """
    joined: list[str] = []
    pending = ""
    for raw in lines:
        line = clean_line(raw)
        if not line:
            continue
        line = f"{pending} {line}" if pending else line
        # Only the last few characters can match ("\sProf." is the longest match): search
        # there, not the whole line. (From a position, "^" matches only at position 0.) A match
        # ends with the line's last two characters, "r." (Dr, Mr), "s." (Ms, Mrs) or "f."
        # (Prof): a clean line has no newline for "$" to match before, so a line that does not
        # end with one of them (most sentences) needs no search.
        if line[-2:] in _HONORIFIC_ENDINGS and _TRAILING_HONORIFIC.search(
            line, max(0, len(line) - _LONGEST_HONORIFIC)
        ):
            pending = line
        else:
            joined.append(line)
            pending = ""
    if pending:
        joined.append(pending)
    return joined


def text_block(lines: Iterable[str]) -> str | None:
    """Apply every text rule to visible lines; ``None`` when nothing is left."""
    text = "\n".join(join_honorific_lines(lines))
    return text or None


def excerpt(lines: Iterable[str]) -> str | None:
    """A teaser text: the text rules, then without its trailing "..." (or "…")."""
    text = "\n".join(join_honorific_lines(lines))  # text_block's text, without its call
    if not text:
        return None
    if text.endswith(_TRAILING_ELLIPSIS):
        text = text[: -len(_TRAILING_ELLIPSIS)]
    elif text.endswith("\u2026"):
        text = text[:-1]
    return text.rstrip() or None
