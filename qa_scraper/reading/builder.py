"""Lines from the pieces of text a walk gives, in order: the :class:`Line` type and its builder.

The walk (:mod:`qa_scraper.reading.lines`) hands :class:`LineBuilder` text, line ends, spaces
between cells, link starts and ends, and list markers; a line is its text with white space
collapsed (:func:`qa_scraper.text.clean_line`), the links whose text it holds, and the list
marker it starts with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from qa_scraper.caches import cached_text_function
from qa_scraper.text import clean_line, forget_clean_texts
from qa_scraper.urls import absolute


# (slots: lines and links are made by the hundred a page; slots make them quicker to build.)
@dataclass(frozen=True, slots=True)
class Link:
    url: str
    text: str


@dataclass(slots=True)
class Line:
    text: str
    links: list[Link] = field(default_factory=list)
    marker: str = ""  # the list marker the line starts with ("3."), part of ``text``

    @property
    def content(self) -> str:
        """The line without its list marker (a title in a numbered list is still the title)."""
        return self.text[len(self.marker) :].lstrip() if self.marker else self.text

    def link_covering_line(self) -> Link | None:
        """The link whose text is the whole line (a title link, a "[Read More]"), the list
        marker drawn before it apart."""
        for link in self.links:
            if link.text and link.text in (self.text, self.content):
                return link
        return None


# Links that urljoin would not change, or only prefix with the page's origin: plain
# characters; in a relative link no dot segment (no segment starts with a dot: "/a.php" is
# plain, "/a/./b" is not), fragment or parameters to resolve (an absolute one keeps its
# dots, and a non-empty query is put back as it was).
_PLAIN_ABSOLUTE_URL = re.compile(
    r"https?://[A-Za-z0-9.\-]+(?::[0-9]+)?/[A-Za-z0-9_\-/.]*(?:\?[A-Za-z0-9_\-.%=&+]+)?"
)
_PLAIN_ROOT_PATH = re.compile(
    r"/(?:[A-Za-z0-9_\-][A-Za-z0-9_\-.]*(?:/+[A-Za-z0-9_\-][A-Za-z0-9_\-.]*)*/*)?"
    r"(?:\?[A-Za-z0-9_\-.%=&+]+)?"
)

_ABSOLUTE, _ROOT_PATH = 1, 2


@cached_text_function(4096)
def _plain_kind(href: str) -> int:
    """_ABSOLUTE, _ROOT_PATH or 0 (neither pattern), cached: a site's pages repeat most of their
    links (menus, departments, footers), and a match costs more than the lookup."""
    if _PLAIN_ABSOLUTE_URL.fullmatch(href):
        return _ABSOLUTE
    return _ROOT_PATH if _PLAIN_ROOT_PATH.fullmatch(href) else 0


_new = object.__new__
# Link(url, text) without the frozen dataclass's __init__ (object.__setattr__ a field: it costs
# twice as much): the slots' own setters.
_set_url, _set_link_text = Link.url.__set__, Link.text.__set__  # type: ignore[attr-defined]


class LineBuilder:
    """One reading's lines, built from the walk's pieces."""

    def __init__(self, base_url: str) -> None:
        # clean_line's memo of clean texts serves the page being read (its fields clean its
        # lines once more): one page's texts at a time.
        forget_clean_texts()
        self.base_url = base_url
        self.lines: list[Line] = []
        self.parts: list[str] = []  # the line being read (the same list from line to line)
        # A link is open or a list marker waits for its item's text: text() must be called.
        # Else it only appends a piece (not white space starting a line), which the walk does.
        self.busy = False
        self._marker = ""
        self._line_marker = ""  # the marker the line being built starts with
        self._links: list[Link] = []
        self._open_links: list[tuple[str | None, list[str]]] = []
        self._urls: dict[str, str | None] = {}  # href -> absolute URL (pages repeat links)
        # The fast paths of _absolute() need a base that urljoin can read (else it raises).
        self._fast_urls = True
        self._origin = None
        try:
            base = urlsplit(base_url)
        except ValueError:
            self._fast_urls = False
        else:
            if base.scheme in ("http", "https") and base.netloc:
                self._origin = f"{base.scheme}://{base.netloc}"

    def text(self, value: str | None) -> None:
        if value:
            if not self.parts and not self._open_links and value.isspace():
                # White space that starts a line (the newline between two blocks, mostly):
                # the line's clean_line() would drop it, no link holds it, and it draws no
                # marker; a line with nothing else then needs no join and no clean_line().
                return
            if self._marker and not value.isspace():
                if not "".join(self.parts).strip():
                    self._line_marker = self._marker
                self.parts.append(self._marker)  # beside the item's first text, not in a link
                self._marker = ""
                self.busy = bool(self._open_links)
            self.parts.append(value)
            for _, link_parts in self._open_links:
                link_parts.append(value)

    def start_link(self, href: str | None) -> None:
        self._open_links.append((None if href is None else self._url(href), []))
        self.busy = True

    def link(self, href: str | None, text: str | None) -> None:
        """A whole link whose text is one text node, read while the builder is not busy:
        start_link(href), text(text), end_link() in one call (most links are)."""
        if text:
            self.parts.append(text)  # (inside a link even white space starting a line is kept)
        if href is not None:
            self._add_link(self._url(href), text)

    def _url(self, href: str) -> str | None:
        """The href's absolute URL, worked out once a page (pages repeat their links)."""
        url = self._urls.get(href, False)
        if url is False:
            url = self._urls[href] = self._absolute(href)
        return url

    def _absolute(self, href: str) -> str | None:
        """:func:`qa_scraper.urls.absolute`, without urljoin for the plain links most are."""
        if self._fast_urls:
            kind = _plain_kind(href)
            if kind == _ABSOLUTE:
                return href
            if kind == _ROOT_PATH and self._origin:
                return self._origin + href
        return absolute(self.base_url, href)

    def end_link(self) -> None:
        url, parts = self._open_links.pop()
        self._add_link(url, "".join(parts))
        self.busy = bool(self._open_links or self._marker)

    def _add_link(self, url: str | None, text: str | None) -> None:
        """A link of the line being read, its text cleaned (none without a URL)."""
        if url:
            link = _new(Link)
            _set_url(link, url)
            _set_link_text(link, clean_line(text))
            self._links.append(link)

    def marker(self, value: str, inside: bool = False) -> None:
        """A list marker: drawn inside the item, it is text where it stands; outside, it
        prefixes the item's first line of text."""
        if inside:
            if not "".join(self.parts).strip():
                self._line_marker = value
            self.parts.append(value)
        else:
            self._marker = (self._marker + value) if self._marker else value
            self.busy = True

    def flush_marker(self) -> None:
        """The item ended without text: its marker is drawn alone."""
        if self._marker:
            marker, self._marker = self._marker, ""
            self.parts.append(marker)
            self.busy = bool(self._open_links)

    def space(self) -> None:
        self.parts.append(" ")

    def newline(self) -> None:
        parts = self.parts
        if not parts:
            return  # nothing since the last line (then no open link has text either)
        # A block boundary inside a link: the link's text so far belongs to this line.
        if self._open_links:
            for index, (url, link_parts) in enumerate(self._open_links):
                if link_parts:
                    self._add_link(url, "".join(link_parts))
                    self._open_links[index] = (url, [])
        text = clean_line("".join(parts))
        parts.clear()
        if text:
            # Line(text, self._links, marker), without a call to the __init__ that sets these.
            line = _new(Line)
            line.text = text
            line.links = self._links
            self._links = []
            if self._line_marker:
                marker = clean_line(self._line_marker)
                line.marker = marker if text.startswith(marker) else ""
                self._line_marker = ""
            else:
                line.marker = ""
            self.lines.append(line)
        elif self._line_marker:
            self._line_marker = ""

    def last_line(self) -> str | None:
        return self.lines[-1].text if self.lines else None


def emit_text(out: LineBuilder, value: str | None, keeps_breaks: bool) -> None:
    """A text node's text; where line breaks are kept, each newline in it ends the line."""
    if not value:
        return
    if not keeps_breaks:
        out.text(value)
        return
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    first, *rest = value.split("\n")
    out.text(first)
    for piece in rest:
        out.newline()
        out.text(piece)
