"""The dev server's fault switches: the ways a path can be made to misbehave
(:data:`FAULTS`), and the reply each gives instead of the normal one.

``site.faults[path] = "reset"`` in a test, or ``--fault PATH=NAME`` on the command line
(:mod:`qa_scraper.testing.devserver`).
"""

from __future__ import annotations

import gzip
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOP_PATH = "/en/hop/"  # the path of the hops of an endless redirect chain
HANG_SECONDS = 6.0  # "timeout": longer than the tests' DOWNLOAD_TIMEOUT, bounded all the same
SLOW_SECONDS = 1.5
HUGE_BYTES = 3 * 1024 * 1024
BOMB_BYTES = 64 * 1024 * 1024  # what the gzip bomb inflates to (about 64 KiB on the wire)
FAULTS = {
    "slow": f"answers normally after {SLOW_SECONDS} s",
    "timeout": f"sends nothing for {HANG_SECONDS} s, then closes",
    "reset": "resets the connection without answering",
    "truncated": "announces the full Content-Length, sends half, closes",
    "cut": "200 with the page cut in half and a Content-Length that matches (a lying server)",
    "cut-once": "like cut the first time, then the page",
    "500": "500 Internal Server Error",
    "502": "502 Bad Gateway",
    "503": "503 with Retry-After: 1, every time",
    "429": "429 with Retry-After: 1, every time",
    "429-once": "429 with Retry-After: 1 the first time, then the page",
    "redirect-loop": "302 to itself",
    "redirect-endless": "302 to /en/hop/N, which redirects to /en/hop/N+1… (never loops)",
    "redirect-offsite": "302 to another host",
    "redirect-private": "302 to a private address",
    "soft404": "200 with the not-found page",
    "huge": f"the page padded to {HUGE_BYTES} bytes",
    "gzip-bomb": f"Content-Encoding: gzip inflating to {BOMB_BYTES} bytes",
    "bad-html": "the page without its asker line and Ask Date",
    "not-html": "200 text/html whose body is PNG bytes",
    "xml-bomb": "an XML sitemap with nested entity definitions (billion laughs)",
}
_BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + ']>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    "<url><loc>&lol9;</loc></url></urlset>"
).encode()


@dataclass
class Reply:
    """What the dev site answers to one request (a fault may change it)."""

    status: int
    headers: dict[str, str]
    body: bytes
    delay: float = 0.0
    transport: str | None = None  # "reset", "truncate" or "hang": misbehave on the wire


class FaultReplies:
    """The fault replies of :class:`~qa_scraper.testing.devsite.DevSite` (a mixin: it reads
    the site's base URL, root, not-found route and lock, and fills in its base URL with
    ``_fill``)."""

    base_url: str
    root: Path
    not_found: dict[str, Any]
    _faults_served: set[str]
    _lock: threading.Lock

    def _with_fault(self, fault: str, path: str, normal: Reply) -> Reply:
        html = {"Content-Type": "text/html; charset=utf-8"}
        base = self.base_url.rstrip("/")
        if fault == "slow":
            normal.delay = SLOW_SECONDS
            return normal
        if fault in ("timeout", "reset", "truncated"):
            normal.transport = {"timeout": "hang", "reset": "reset", "truncated": "truncate"}[fault]
            return normal
        if fault in ("500", "502"):
            return Reply(int(fault), html, b"<html><body>Server error</body></html>")
        if fault in ("429-once", "cut-once"):
            with self._lock:
                first_time = path not in self._faults_served
                self._faults_served.add(path)
            if not first_time:
                return normal
            fault = fault.removesuffix("-once")
        if fault == "cut":
            return Reply(normal.status, normal.headers, normal.body[: len(normal.body) // 2])
        if fault in ("503", "429"):
            return Reply(
                int(fault), {**html, "Retry-After": "1"}, b"<html><body>Busy</body></html>"
            )
        if fault == "redirect-endless":
            hop = int(path.rsplit("/", 1)[1]) + 1 if path.startswith(HOP_PATH) else 1
            return Reply(302, {**html, "Location": f"{base}{HOP_PATH}{hop}"}, b"")
        if fault.startswith("redirect-"):
            target = {
                "redirect-loop": f"{base}{path}",
                "redirect-offsite": f"http://offsite.invalid{path}",
                "redirect-private": f"http://10.0.0.1{path}",
            }[fault]
            return Reply(302, {**html, "Location": target}, b"")
        if fault == "soft404":
            return Reply(
                200,
                html,
                self._fill(
                    (self.root / self.not_found["file"]).read_text(encoding="utf-8")
                ).encode(),
            )
        if fault == "huge":
            padding = b"<!-- " + b"x" * HUGE_BYTES + b" -->"
            body = (
                normal.body.replace(b"</body>", padding + b"</body>")
                if b"</body>" in normal.body
                else normal.body + padding
            )
            return Reply(normal.status, normal.headers, body)
        if fault == "gzip-bomb":
            bomb = gzip.compress(b"\0" * BOMB_BYTES, compresslevel=9)
            return Reply(200, {**html, "Content-Encoding": "gzip"}, bomb)
        if fault == "bad-html":
            body = re.sub(rb'<p class="asker-info">.*?</p>', b"", normal.body, flags=re.S)
            return Reply(200, normal.headers, body)
        if fault == "not-html":
            return Reply(200, html, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
        if fault == "xml-bomb":
            return Reply(200, {"Content-Type": "application/xml"}, _BILLION_LAUGHS)
        raise AssertionError(fault)
