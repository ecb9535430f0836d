"""Field processors: the one place where raw text found on a page becomes a contract value.

The page objects (:mod:`qa_scraper.pages`) find where a field is on the page, one
method per field; that method passes what it found through one of these
processors, which apply the contract's rules (text rules, dates, ``None`` for
nothing). The content hash is computed here too.

Single values go through itemloaders chains (``MapCompose`` + ``TakeFirst``: a
value, cleaned, ``None`` when nothing is left); line lists through plain functions
(any callable is an itemloaders processor), which spares a chain on the hot path.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from itemloaders.processors import Compose, MapCompose, TakeFirst

from qa_scraper.dates import parse_date
from qa_scraper.text import clean_line, excerpt, text_block

SCHEMA_VERSION = "2.2"
SOURCE = "doctorqna"
LANGUAGE = "en"
NOT_CONTENT = ("scraped_at", "content_hash", "warc", "run_id")  # fields outside content_hash


def _none_if_empty(value: Any) -> Any:
    return None if value in ("", [], None) else value


# One line (titles, names, departments, ids, URLs): cleaned; None when nothing is left.
clean_value = Compose(MapCompose(clean_line, _none_if_empty), TakeFirst())
# A page date ("2021/10/14", "Oct 14, 2021") to "YYYY-MM-DD"; None when unreadable.
date_value = Compose(MapCompose(parse_date), TakeFirst())


def text_value(lines: Iterable[str] | None) -> str | None:
    """Free text read as lines (question, reply, More Info): every text rule; None when empty."""
    return None if lines is None else text_block(lines)


def excerpt_value(lines: Iterable[str] | None) -> str | None:
    """A Similar Q&A teaser, read as lines: the text rules, without its trailing "..."."""
    return None if lines is None else excerpt(lines)


def content_hash(item: dict[str, Any]) -> str:
    """sha256 of the item's content: every field but scraped_at, content_hash, run_id and warc
    (where the page is archived: the same content fetched again is archived elsewhere), with every
    ``url`` site-relative (``/en/article/174501``), so that the same content read from a
    mirror, another port or host, or over another scheme has the same hash."""
    fields = {k: v for k, v in item.items() if k not in NOT_CONTENT}
    canonical = json.dumps(
        _site_relative(fields), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _site_relative(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _site_relative(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_site_relative(v) for v in value]
    if key == "url" and isinstance(value, str):
        parts = urlsplit(value)
        return urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
    return value
