"""Field processors: the one place where raw text found on a page becomes a contract value.

The page objects (:mod:`qa_scraper.pages`) find where a field is on the page, one
method per field; that method passes what it found through one of these
processors, which apply the contract's rules (text rules, dates, ``None`` for
nothing).

Single values go through itemloaders chains (``MapCompose`` + ``TakeFirst``: a
value, cleaned, ``None`` when nothing is left; a string line takes a direct path to the
same result); line lists through plain functions (any callable is an itemloaders
processor), which spares a chain on the hot path.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from itemloaders.processors import Compose, MapCompose, TakeFirst

from qa_scraper.dates import parse_date
from qa_scraper.text import clean_line, excerpt, text_block


def _none_if_empty(value: Any) -> Any:
    return None if value in ("", [], None) else value


# One line (titles, names, departments, ids, URLs): cleaned; None when nothing is left.
_clean_value_chain = Compose(MapCompose(clean_line, _none_if_empty), TakeFirst())


def clean_value(value: Any) -> str | None:
    """:data:`_clean_value_chain`; a string (every value the page parts pass) takes the
    direct path to the chain's result, without the chain's cost (~5 µs a call, some 30
    calls a page: about a fifth of extracting it)."""
    if isinstance(value, str):
        return clean_line(value) or None
    return _clean_value_chain(value)


# A page date ("2021/10/14", "Oct 14, 2021") to "YYYY-MM-DD"; None when unreadable.
_date_value_chain = Compose(MapCompose(parse_date), TakeFirst())


def date_value(value: Any) -> str | None:
    """:data:`_date_value_chain`; a string takes the direct path to the chain's result
    (parse_date's: a date or None), without the chain's cost (~10 us a call: itemloaders
    inspects each function's signature on every call). Should parse_date raise, the chain
    runs after all, so that the error reads as it always did."""
    if isinstance(value, str):
        try:
            return parse_date(value)
        except Exception:  # the chain below raises it again, wrapped as before
            pass
    return _date_value_chain(value)


def text_value(lines: Iterable[str] | None) -> str | None:
    """Free text read as lines (question, reply, More Info): every text rule; None when empty."""
    return None if lines is None else text_block(lines)


def joined_text_value(joined: list[str]) -> str | None:
    """:func:`text_value` of lines given as :func:`~qa_scraper.text.join_honorific_lines`
    returns them (the rules applied, honorific line breaks rejoined): the same value, for a
    part that reads those joined lines for another field too (a reply's clinic), so that
    the rules do not run twice on the same lines."""
    return "\n".join(joined) or None


def excerpt_value(lines: Iterable[str] | None) -> str | None:
    """A Similar Q&A teaser, read as lines: the text rules, without its trailing "..."."""
    return None if lines is None else excerpt(lines)
