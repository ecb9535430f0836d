"""An answer's bytes to text: the charset it declares, and what to do when that is wrong."""

from __future__ import annotations

from w3lib.encoding import html_to_unicode


def decode_body(body: bytes, content_type: str | None = None) -> tuple[str, int]:
    """Bytes to text, and how many bytes could not be decoded (each became U+FFFD).

    The charset is the BOM's, else the HTTP header's, else the ``<meta>``'s, else
    UTF-8. When that charset reads any non-ASCII character of the page, bytes it
    cannot decode are stray: replaced one by one, the rest read as declared. When
    it reads none (all its non-ASCII bytes fail: a legacy page labelled UTF-8),
    the page is read as Windows-1252 — its ASCII text, the bulk of it, reads the
    same either way.
    """
    encoding, text = html_to_unicode(content_type, body)
    bad = text.count("\ufffd")
    if encoding.replace("-", "").lower().startswith("utf8"):
        bad -= body.count("\ufffd".encode())  # U+FFFD written in the page itself
    if bad <= 0:
        return text, 0
    if any(char > "\x7f" and char != "\ufffd" for char in text):
        return text, bad  # the charset reads the page's other non-ASCII text: stray bytes
    fallback = body.decode("cp1252", errors="replace")
    return fallback, fallback.count("\ufffd")
