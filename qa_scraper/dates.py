"""The one date helper: page dates to ISO "YYYY-MM-DD".

The site prints YYYY/MM/DD; a regex fast path handles that (and ISO) without
dateparser, which is slow. Any other spelling ("Oct 14, 2021", "14 October
2021") goes to dateparser, restricted to English and to full dates.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

_YMD = r"(\d{4})\s*[/.\-年]\s*(\d{1,2})\s*[/.\-月]\s*(\d{1,2})\s*日?"
_TIME = r"(?:[\sT]+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?)?"
_NUMERIC_YMD = re.compile(rf"^{_YMD}{_TIME}$", re.I)
# A numeric date inside other text ("2020/06/18 | 1,234 views").
_NUMERIC_YMD_INSIDE = re.compile(rf"(?<!\d){_YMD}(?!\d)")
# What may follow a date on its line: views counters, bullets, pipes.
_TRAILER = re.compile(r"\s*(?:[|·•]|\s{2,}).*$")
_DATEPARSER_SETTINGS = {
    "STRICT_PARSING": True,  # day, month and year must all be present
    "PREFER_DATES_FROM": "past",
    "RETURN_AS_TIMEZONE_AWARE": False,
}
_MAX_DATE_TEXT = 64  # a date label never needs more; longer text is not a date


def parse_date(text: str | None) -> str | None:
    """Return the date in ``text`` as "YYYY-MM-DD", or ``None`` if there is none."""
    if not text:
        return None
    text = " ".join(text.split()).rstrip(".")
    if not text or len(text) > _MAX_DATE_TEXT:
        return None
    match = _NUMERIC_YMD.match(text)
    if match:
        return _iso(*(int(part) for part in match.groups()))
    match = _NUMERIC_YMD_INSIDE.search(text)
    if match:
        return _iso(*(int(part) for part in match.groups()))
    return _parse_with_dateparser(text) or _parse_with_dateparser(_TRAILER.sub("", text))


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _parse_with_dateparser(text: str) -> str | None:
    import dateparser  # imported lazily: it costs ~0.3 s and most pages never need it

    parsed = dateparser.parse(text, languages=["en"], settings=_DATEPARSER_SETTINGS)
    return parsed.date().isoformat() if parsed else None
