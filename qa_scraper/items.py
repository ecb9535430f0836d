"""The item, declared once: one class per object of the contract, one attribute per field.

:class:`QAItem` is one Q&A page; :class:`QuestionItem`, :class:`AskerItem`,
:class:`ReplyItem`, :class:`SimilarQuestionItem`, :class:`RelatedFaqItem` and
:class:`WarcPointer` are the objects inside it. The fields are in contract order and each has
its docstring (zyte-common-items style); the type says whether the contract allows ``None``.

The crawl carries items as plain dicts (what Scrapy's pipelines, the JSONL files and the
schema work with), built by the page objects (:mod:`qa_scraper.pages`) with exactly these
keys in this order: :func:`field_names` gives them, :func:`empty_item` the item of a page the
extractor failed on. ``schemas/qa_item.schema.json`` is the published contract;
``tests/test_items.py`` checks that these classes and the schema agree field for field,
recursively (names, order, nullability, docstring = description), and ``docs/schema.md`` is
generated from the schema.

The content hash is defined here too: fields marked ``in_hash=False`` are left out of it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import typing
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson

SCHEMA_VERSION = "2.2"
SOURCE = "doctorqna"
LANGUAGE = "en"

_OUTSIDE_HASH = {"in_hash": False}


@dataclass(kw_only=True)
class QuestionItem:
    """The question as asked."""

    title: str
    """Headline of the question."""
    text: str
    """Full text of the question."""
    asked_on: str
    """Date the question was asked ("Ask Date:")."""


@dataclass(kw_only=True)
class AskerItem:
    """Who asked, as the asker line gives it; each part null when not shown."""

    name: str | None
    """Asker's name; null when not shown or anonymous."""
    age_min: int | None
    """Lower bound of the asker's age in years (the age itself when exact)."""
    age_max: int | None
    """Upper bound of the asker's age in years; null for an open range or when not shown."""
    gender: str | None
    """Asker's gender; null when not shown."""


@dataclass(kw_only=True)
class ReplyItem:
    """One doctor's reply."""

    responder_title: str
    """Responder's title (e.g. Dr.)."""
    responder_name: str
    """Responder's name."""
    department: str
    """Responder's department."""
    text: str
    """Full text of the reply."""
    clinic: str | None
    """Responder's clinic; null when not shown."""
    replied_on: str
    """Date of the reply ("Reply Date:")."""


@dataclass(kw_only=True)
class SimilarQuestionItem:
    """One "Similar Q&A" entry (a link to another article)."""

    article_id: str
    """Article id of the similar question."""
    url: str
    """Canonical URL of the similar question."""
    title: str
    """Its title."""
    question_excerpt: str | None
    """Excerpt of its question as the entry shows it; null when not shown."""
    answer_excerpt: str | None
    """Excerpt of its first answer; null when unanswered."""
    responder_title: str | None
    """Title of the responder shown in the entry; null when unanswered."""
    responder_name: str | None
    """Name of the responder shown in the entry; null when unanswered."""
    department: str | None
    """Department shown in the entry; null when unanswered."""


@dataclass(kw_only=True)
class RelatedFaqItem:
    """One "Related FAQ" link."""

    topic: str
    """The FAQ topic (link text)."""
    department: str
    """The department the topic belongs to."""
    url: str
    """URL of the FAQ page."""


@dataclass(kw_only=True)
class WarcPointer:
    """Where the answer an item was extracted from is archived."""

    file: str
    """The WARC file's name in the run folder: <run>.warc.gz (a distributed run's worker: <run>.worker-<id>.warc.gz)."""  # noqa: E501
    offset: int
    """Byte offset of the record (its own gzip member) in the file."""
    record_id: str
    """The record's WARC-Record-ID."""


@dataclass(kw_only=True)
class QAItem:
    """One Q&A page of doctorqna.com: one line of the JSONL output."""

    schema_version: str = SCHEMA_VERSION
    """Version of this schema, MAJOR.MINOR (see the versioning rule)."""
    source: str = SOURCE
    """The site the item comes from."""
    url: str
    """Canonical URL of the Q&A page: the URL requested, after same-site redirects, without query or fragment (a <link rel=canonical> naming another article is ignored)."""  # noqa: E501
    article_id: str
    """The site's numeric article id, as a string; unique per item."""
    language: str = LANGUAGE
    """Language of the page."""
    title: str
    """Page title: the question's headline."""
    department: str
    """Medical department the question is filed under."""
    question: QuestionItem
    """The question as asked."""
    asker: AskerItem
    """Who asked, as the asker line gives it; each part null when not shown."""
    replies: list[ReplyItem]
    """Doctors' replies, in page order; empty when unanswered."""
    more_info: str | None
    """The "More Info" article text; null when the page has none."""
    similar_questions: list[SimilarQuestionItem]
    """Entries of the "Similar Q&A" section, in page order."""
    related_faqs: list[RelatedFaqItem]
    """Links of the "Related FAQ" section, in page order."""
    scraped_at: str = field(metadata=_OUTSIDE_HASH)
    """When the page was fetched (RFC 3339, UTC)."""
    content_hash: str = field(metadata=_OUTSIDE_HASH)
    """sha256 of the canonical JSON of every other field except scraped_at, warc and run_id, every url in it made site-relative (/en/article/174501): equal content, equal hash, whichever host, port or scheme served it."""  # noqa: E501
    warc: WarcPointer | None = field(metadata=_OUTSIDE_HASH)
    """Where the answer this item was extracted from is archived (QA_ARCHIVE): the run's WARC file, the offset of the record in it, its WARC-Record-ID; null when nothing was archived (archive off). Not part of content_hash."""  # noqa: E501
    run_id: str = field(metadata=_OUTSIDE_HASH)
    """The run that delivered this line (its UTC start time; the name of its files and manifest). Not part of content_hash."""  # noqa: E501


def field_names(item_class: type) -> tuple[str, ...]:
    """The fields of an item class, in contract order (the keys of its dict)."""
    return tuple(entry.name for entry in dataclasses.fields(item_class))


# Fields outside content_hash: when the page was fetched, the hash itself, where the page is
# archived and which run delivered it.
NOT_CONTENT = tuple(
    entry.name for entry in dataclasses.fields(QAItem) if not entry.metadata.get("in_hash", True)
)
_NOT_CONTENT_SET = frozenset(NOT_CONTENT)
# The fields a page object reads (the rest are stamped on by the page, the spider or the run).
PAGE_FIELDS = tuple(name for name in field_names(QAItem) if name not in NOT_CONTENT)


def empty_item(item_class: type = QAItem) -> dict[str, Any]:
    """An item with nothing found: constants set, lists empty, objects with every field
    ``None``, every other field ``None``; only the fields a page reads (:data:`PAGE_FIELDS`)
    for :class:`QAItem`."""
    hints = typing.get_type_hints(item_class)
    empty: dict[str, Any] = {}
    for entry in dataclasses.fields(item_class):
        if item_class is QAItem and entry.name not in PAGE_FIELDS:
            continue
        kind = hints[entry.name]
        if typing.get_origin(kind) is list:
            empty[entry.name] = []
        elif dataclasses.is_dataclass(kind):
            empty[entry.name] = dict.fromkeys(field_names(kind))
        elif entry.default is not dataclasses.MISSING:
            empty[entry.name] = entry.default
        else:
            empty[entry.name] = None
    return empty


# The exact types of an item's scalar values. ``type(value) in SCALAR_TYPES`` rules out a dict
# or a list for most values at the cost of a set lookup: ``isinstance(value, (dict, list))``
# looks up the value's ``__class__`` for every type it is not.
SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})


def content_hash(item: dict[str, Any]) -> str:
    """sha256 of the item's content: every field but scraped_at, content_hash, run_id and warc
    (where the page is archived: the same content fetched again is archived elsewhere), with every
    ``url`` site-relative (``/en/article/174501``), so that the same content read from a
    mirror, another port or host, or over another scheme has the same hash."""
    return read_content(item).hash


class Content(typing.NamedTuple):
    """What :func:`read_content` finds in an item's content (not an item class)."""

    hash: str  # the content hash
    is_ascii: bool  # every text in the content is ASCII (mojibake needs a non-ASCII one)


def read_content(item: dict[str, Any]) -> Content:
    """The item's :func:`content_hash`, and whether its content's texts are all ASCII.

    The canonical JSON is written once with the URLs as they are; each ``"url"`` string that is
    a plain http(s) URL is then made site-relative in that text (a search and a match a URL,
    instead of a Python walk of the item). When one is not plain, the item is walked
    (:func:`_site_relative`) as before. The same text says whether the content is ASCII: the
    JSON is written with ``ensure_ascii=False``, so it is ASCII only if every text is."""
    fields = {k: v for k, v in item.items() if k not in _NOT_CONTENT_SET}
    text = canonical_json(fields)
    relative = _site_relative_json(text)
    if relative is None:
        relative = canonical_json(_site_relative(fields))
    return Content(hashlib.sha256(relative).hexdigest(), text.isascii())


# In canonical JSON (compact separators), a key "url" with a string value is `"url":"` after
# "{" or ",": inside a string every quote is escaped, so neither can start there. The value is
# a plain URL when _PLAIN_URL matches it up to its closing quote (its characters need no
# escaping in JSON): then it is its path, or "/" when it has none.
_URL_KEY = b'"url":"'
_PLAIN_URL_VALUE = re.compile(rb'https?://[A-Za-z0-9.\-]+(?::[0-9]+)?(/[A-Za-z0-9_\-/.]*)?"')
_KEY_OPENERS = b"{,"


def _site_relative_json(text: bytes) -> bytes | None:
    """``canonical_json(_site_relative(value))`` from ``text`` = ``canonical_json(value)``, or
    ``None`` when some ``"url"`` string is not a plain URL (then the caller walks the value).
    A ``"url":"`` not after "{" or "," (the end of a key with an escaped quote) gives ``None``
    too: rare, and the walk is right in every case."""
    found = text.find(_URL_KEY)
    if found < 0:
        return text
    pieces = []
    copied = 0  # text before this was copied
    while found >= 0:
        value = found + len(_URL_KEY)
        plain = _PLAIN_URL_VALUE.match(text, value)
        if plain is None or found == 0 or text[found - 1] not in _KEY_OPENERS:
            return None
        pieces += (text[copied:value], plain.group(1) or b"/")
        copied = plain.end() - 1  # (from the closing quote)
        found = text.find(_URL_KEY, copied)
    pieces.append(text[copied:])
    return b"".join(pieces)


def canonical_json(value: Any) -> bytes:
    """``json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))`` in
    UTF-8, byte for byte: the text content_hash hashes.

    orjson writes it ~2.5x faster, the same for what an item holds (str, int, None, bool, lists,
    dicts with str keys: ``tests/test_item_json.py``); the json module writes what orjson
    refuses (a lone surrogate, an int beyond 64 bits, a key that is not a str). A float is the
    one value the two spell differently (orjson: ``0.00001``, json: ``1e-05``): the item
    schema has none. Dates and dataclasses, which orjson would write, go to the json module,
    which refuses them as before; a UUID or an Enum (which no extractor makes) would be written
    by orjson where the json module refuses it."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | _REFUSE_WHAT_JSON_REFUSES)
    except orjson.JSONEncodeError:
        return _CANONICAL_JSON.encode(value).encode("utf-8")


def item_line(item: Any) -> str:
    """``json.dumps(item, ensure_ascii=False, separators=(",", ":"))``, byte for byte: an item's
    line in the JSONL files (orjson where it writes the same; see :func:`canonical_json`)."""
    try:
        return orjson.dumps(item, option=_REFUSE_WHAT_JSON_REFUSES).decode("utf-8")
    except orjson.JSONEncodeError:
        return _LINE_JSON.encode(item)


# orjson's options that hand dates and dataclasses to the json module (which refuses them).
_REFUSE_WHAT_JSON_REFUSES = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

# The json module's encoders, made once (dumps builds one on every call with arguments).
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
_LINE_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _site_relative(value: Any, key: str | None = None) -> Any:
    """``value`` with every ``url`` in it site-relative. A dict or list with no URL inside is
    returned as it is, not copied (the question, the asker, the replies)."""
    # (A scalar under any other key is itself: no call for the many that are.)
    if isinstance(value, dict):
        if SCALAR_TYPES.issuperset(map(type, value.values())):
            # Scalars only (a list's entry, the question, the asker: most dicts): only its
            # "url" can change, and the values' types are tested in C, not one by one.
            url = value.get("url")
            if not isinstance(url, str):
                return value
            if plain := _PLAIN_URL.fullmatch(url):
                relative = plain.group("path") or "/"  # (below, without a call a URL)
            else:
                relative = _site_relative(url, "url")
            if relative is url:
                return value
            copy = dict(value)
            copy["url"] = relative
            return copy
        copy = None
        for k, v in value.items():
            if k == "url":
                if type(v) is str and (plain := _PLAIN_URL.fullmatch(v)):
                    relative = plain.group("path") or "/"  # (below, without a call a URL)
                else:
                    relative = _site_relative(v, k)
            elif type(v) in SCALAR_TYPES:
                continue  # (no dict or list: said without isinstance's costly "no")
            elif isinstance(v, (dict, list)):
                relative = _site_relative(v, k)
            else:
                continue
            if relative is not v:
                if copy is None:
                    copy = dict(value)
                copy[k] = relative
        return value if copy is None else copy
    if isinstance(value, list):
        copy = None
        for index, v in enumerate(value):
            if isinstance(v, (dict, list)):
                relative = _site_relative(v)
                if relative is not v:
                    if copy is None:
                        copy = list(value)
                    copy[index] = relative
        return value if copy is None else copy
    if key == "url" and isinstance(value, str):
        plain = _PLAIN_URL.fullmatch(value)
        if plain:  # what urlsplit/urlunsplit give it, without their cost (~2.5 us a URL)
            return plain.group("path") or "/"
        parts = urlsplit(value)
        return urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
    return value


# An http(s) URL of plain characters with no query or fragment (the items' URLs are).
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.\-]+(?::[0-9]+)?(?P<path>/[A-Za-z0-9_\-/.]*)?")
