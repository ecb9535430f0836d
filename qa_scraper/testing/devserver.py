"""A development server that serves a saved site on 127.0.0.1 like the real one.

    python -m qa_scraper.testing.devserver tests/fixtures/site --port 8123

The site folder holds the saved pages and ``routes.json`` (see
``tests/fixtures/site``): every route's file, status and headers, with
``{{BASE}}`` replaced by this server's own base URL. Like the real site it
answers 301s for old links, 404 for unknown paths, a 503 on the first request
of a flaky article, ignores ``utm_*`` on article pages, and answers 304 to a
matching ``If-None-Match`` / ``If-Modified-Since``.

Tests use :class:`DevSite` in-process: it records every request (path and
headers) so a test can assert what the crawler fetched, and its fault switches
(``site.faults[path] = "reset"``, or ``--fault PATH=NAME`` on the command line)
make a path misbehave in one of the ways listed in :data:`FAULTS`.
"""

from __future__ import annotations

import argparse
import email.utils
import gzip
import hashlib
import json
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

LOOPBACK = "127.0.0.1"
_HOP = "/en/hop/"  # the path of the hops of an endless redirect chain
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
    status: int
    headers: dict[str, str]
    body: bytes
    delay: float = 0.0
    transport: str | None = None  # "reset", "truncate" or "hang": misbehave on the wire


@dataclass
class SeenRequest:
    method: str
    path: str
    status: int
    headers: dict[str, str]
    time: float = field(default_factory=time.monotonic)


@dataclass
class DevSite:
    """The saved site's routing, independent of HTTP (easy to test, easy to change)."""

    root: Path
    base_url: str = ""
    requests: list[SeenRequest] = field(default_factory=list)
    faults: dict[str, str] = field(default_factory=dict)
    file_overrides: dict[str, str] = field(default_factory=dict)
    _flaky_served: set[str] = field(default_factory=set)
    _faults_served: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        spec = json.loads((self.root / "routes.json").read_text(encoding="utf-8"))
        self.placeholder: str = spec.get("base_placeholder", "{{BASE}}")
        self.routes: dict[str, dict[str, Any]] = spec["routes"]
        self.not_found: dict[str, Any] = spec["not_found"]
        self.unavailable: dict[str, Any] = spec["service_unavailable"]

    def _route(self, path: str, query: str) -> dict[str, Any] | None:
        if query and f"{path}?{query}" in self.routes:
            return self.routes[f"{path}?{query}"]
        route = self.routes.get(path)
        if route is None:
            return None
        if route.get("kind") == "article" and query:
            # utm_* is ignored on article pages; any other query is an unknown page
            rest = [
                (k, v)
                for k, v in parse_qsl(query, keep_blank_values=True)
                if not k.startswith("utm_")
            ]
            return route if not rest else None
        if query and route.get("query") != "any":
            return None
        return route

    def respond(self, method: str, target: str, headers: dict[str, str]) -> Reply:
        parts = urlsplit(target)
        fault = self.faults.get(parts.path)
        if (
            fault is None
            and parts.path.startswith(_HOP)
            and "redirect-endless" in self.faults.values()
        ):
            fault = "redirect-endless"  # the rest of an endless chain
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(FAULTS)}")
        reply = self._normal_reply(parts.path, parts.query, headers)
        if fault:
            reply = self._with_fault(fault, parts.path, reply)
        with self._lock:
            self.requests.append(SeenRequest(method, target, reply.status, dict(headers)))
        return reply

    def _normal_reply(self, path: str, query: str, headers: dict[str, str]) -> Reply:
        route = self._route(path, query)
        if route is not None and route.get("flaky"):
            with self._lock:
                first_time = path not in self._flaky_served
                self._flaky_served.add(path)
            if first_time:
                route = self.unavailable
        route = route or self.not_found
        status = int(route["status"])
        out_headers = {k: self._fill(v) for k, v in route.get("headers", {}).items()}
        if status == 200 and self._not_modified(out_headers, headers):
            return Reply(304, out_headers, b"")
        body = self._fill(self._file_text(route["file"])).encode() if route.get("file") else b""
        return Reply(status, out_headers, body)

    def _file_text(self, name: str) -> str:
        if name in self.file_overrides:
            return self.file_overrides[name]
        return (self.root / name).read_text(encoding="utf-8")

    # --- changing the site between runs (tests) ---------------------------------------------
    def change_article(self, article_id: str, html: str, lastmod: str) -> None:
        """Serve new HTML for an article, with a new ETag/Last-Modified and sitemap lastmod."""
        path = f"/en/article/{article_id}"
        route = dict(self.routes[path])
        route["headers"] = dict(route["headers"], **_validators(html))
        self.routes[path] = route
        self.file_overrides[route["file"]] = html
        self._edit_sitemap(article_id, lastmod)

    def add_data(self, path: str, body: str, content_type: str = "application/json") -> None:
        """Serve ``body`` at ``path`` (e.g. the JSON a page's script fetches)."""
        name = f"_data{path}"
        self.routes[path] = {
            "file": name,
            "status": 200,
            "kind": "data",
            "headers": {"Content-Type": content_type, "Cache-Control": "no-store"},
        }
        self.file_overrides[name] = body

    def add_article(self, article_id: str, html: str, lastmod: str) -> None:
        path = f"/en/article/{article_id}"
        self.routes[path] = {
            "file": f"en/article/{article_id}.html",
            "status": 200,
            "kind": "article",
            "query": "utm_* ignored",
            "headers": {"Content-Type": "text/html; charset=utf-8", **_validators(html)},
        }
        self.file_overrides[f"en/article/{article_id}.html"] = html
        self._edit_sitemap(article_id, lastmod)

    def delete_article(
        self, article_id: str, keep_in_sitemap: bool = False, status: int = 404
    ) -> None:
        """Answer 404 (or ``status``, e.g. 410 Gone) for an article; ``keep_in_sitemap``
        leaves its sitemap entry as it was."""
        self.routes.pop(f"/en/article/{article_id}", None)
        if status != 404:
            self.routes[f"/en/article/{article_id}"] = {**self.not_found, "status": status}
        if not keep_in_sitemap:
            self._edit_sitemap(article_id, None)

    def _article_sitemaps(self) -> list[str]:
        return sorted(
            route["file"]
            for route in self.routes.values()
            if route.get("kind") == "sitemap" and "articles" in (route["file"] or "")
        )

    def _edit_sitemap(self, article_id: str, lastmod: str | None) -> None:
        """Set (or, with ``None``, remove) an article's <url> entry in the article sitemaps."""
        entry = re.compile(
            r"<url><loc>[^<]*/en/article/"
            + re.escape(article_id)
            + r"</loc>(?:<lastmod>[^<]*</lastmod>)?</url>\n?"
        )
        new_entry = (
            (
                f"<url><loc>{self.placeholder}/en/article/{article_id}</loc>"
                f"<lastmod>{lastmod}</lastmod></url>\n"
            )
            if lastmod
            else ""
        )
        files = self._article_sitemaps()
        for name in files:
            text = self._file_text(name)
            if entry.search(text):
                self.file_overrides[name] = entry.sub(new_entry, text)
                return
        if new_entry:
            text = self._file_text(files[-1])
            self.file_overrides[files[-1]] = text.replace("</urlset>", new_entry + "</urlset>")

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
            hop = int(path.rsplit("/", 1)[1]) + 1 if path.startswith(_HOP) else 1
            return Reply(302, {**html, "Location": f"{base}{_HOP}{hop}"}, b"")
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

    def _fill(self, text: str) -> str:
        return text.replace(self.placeholder, self.base_url.rstrip("/"))

    @staticmethod
    def _not_modified(response_headers: dict[str, str], request_headers: dict[str, str]) -> bool:
        lowered = {k.lower(): v for k, v in request_headers.items()}
        etag = response_headers.get("ETag")
        if etag and "if-none-match" in lowered:
            return etag in [tag.strip() for tag in lowered["if-none-match"].split(",")]
        modified = response_headers.get("Last-Modified")
        since = lowered.get("if-modified-since")
        if modified and since:
            try:
                return email.utils.parsedate_to_datetime(
                    modified
                ) <= email.utils.parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
        return False

    def paths_fetched(self) -> list[str]:
        with self._lock:
            return [seen.path for seen in self.requests]


def _validators(html: str) -> dict[str, str]:
    """An ETag and Last-Modified for changed content."""
    etag = '"' + hashlib.sha1(html.encode("utf-8")).hexdigest()[:20] + '"'
    return {"ETag": etag, "Last-Modified": email.utils.formatdate(usegmt=True)}


def _handler_for(site: DevSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "qa_scraper-devserver"

        def do_GET(self) -> None:
            self._serve(send_body=True)

        def do_HEAD(self) -> None:
            self._serve(send_body=False)

        def _serve(self, send_body: bool) -> None:
            reply = site.respond(self.command, self.path, dict(self.headers))
            if reply.delay:
                time.sleep(reply.delay)
            if reply.transport == "hang":
                time.sleep(HANG_SECONDS)
                self.close_connection = True
                return
            if reply.transport == "reset":
                # SO_LINGER 0: close() sends a TCP RST instead of a clean FIN.
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
                return
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            body = (
                reply.body[: len(reply.body) // 2] if reply.transport == "truncate" else reply.body
            )
            if send_body and body:
                self.wfile.write(body)
            if reply.transport == "truncate":
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            if getattr(self.server, "verbose", False):
                super().log_message(format, *args)

    return Handler


class DevServer:
    """``DevSite`` over HTTP on 127.0.0.1, in a background thread (a context manager)."""

    def __init__(self, root: str | Path, port: int = 0, verbose: bool = False) -> None:
        self.site = DevSite(Path(root))
        self.httpd = ThreadingHTTPServer((LOOPBACK, port), _handler_for(self.site))
        self.httpd.daemon_threads = True
        self.httpd.verbose = verbose  # type: ignore[attr-defined]
        self.port = self.httpd.server_address[1]
        self.base_url = f"http://{LOOPBACK}:{self.port}/"
        self.site.base_url = self.base_url
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> DevServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", help="folder with routes.json and the saved pages")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="PATH=NAME",
        help="make PATH misbehave; NAME is one of: " + ", ".join(FAULTS),
    )
    args = parser.parse_args(argv)
    server = DevServer(args.site, args.port, verbose=not args.quiet)
    for spec in args.fault:
        path, _, name = spec.partition("=")
        if name not in FAULTS:
            parser.error(f"unknown fault {name!r} in {spec!r}")
        server.site.faults[path] = name
    print(f"Serving {args.site} at {server.base_url} (Ctrl-C to stop)", flush=True)
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()


if __name__ == "__main__":
    main()
