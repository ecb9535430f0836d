"""A development server that serves a saved site on 127.0.0.1 like the real one.

    python -m qa_scraper.devserver tests/fixtures/site --port 8123

The site folder holds the saved pages and ``routes.json`` (see
``tests/fixtures/site``): every route's file, status and headers, with
``{{BASE}}`` replaced by this server's own base URL. Like the real site it
answers 301s for old links, 404 for unknown paths, a 503 on the first request
of a flaky article, ignores ``utm_*`` on article pages, and answers 304 to a
matching ``If-None-Match`` / ``If-Modified-Since``.

Tests use :class:`DevSite` in-process: it records every request (path and
headers) so a test can assert what the crawler fetched.
"""
from __future__ import annotations

import argparse
import email.utils
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

LOOPBACK = "127.0.0.1"


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
    _flaky_served: set[str] = field(default_factory=set)
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
            rest = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True)
                    if not k.startswith("utm_")]
            return route if not rest else None
        if query and route.get("query") != "any":
            return None
        return route

    def respond(self, method: str, target: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(target)
        route = self._route(parts.path, parts.query)
        if route is not None and route.get("flaky"):
            with self._lock:
                first_time = parts.path not in self._flaky_served
                self._flaky_served.add(parts.path)
            if first_time:
                route = self.unavailable
        route = route or self.not_found
        status = int(route["status"])
        out_headers = {k: self._fill(v) for k, v in route.get("headers", {}).items()}
        if status == 200 and self._not_modified(out_headers, headers):
            status, body = 304, b""
        elif route.get("file"):
            body = self._fill((self.root / route["file"]).read_text(encoding="utf-8")).encode()
        else:
            body = b""
        with self._lock:
            self.requests.append(SeenRequest(method, target, status, dict(headers)))
        return status, out_headers, body

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
                return email.utils.parsedate_to_datetime(modified) <= \
                    email.utils.parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
        return False

    def paths_fetched(self) -> list[str]:
        with self._lock:
            return [seen.path for seen in self.requests]


def _handler_for(site: DevSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "qa_scraper-devserver"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self._serve(send_body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._serve(send_body=False)

        def _serve(self, send_body: bool) -> None:
            status, headers, body = site.respond(self.command, self.path, dict(self.headers))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body and body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
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

    def __enter__(self) -> "DevServer":
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
    args = parser.parse_args(argv)
    server = DevServer(args.site, args.port, verbose=not args.quiet)
    print(f"Serving {args.site} at {server.base_url} (Ctrl-C to stop)", flush=True)
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()


if __name__ == "__main__":
    main()
