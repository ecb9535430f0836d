"""The dev server's saved site, independent of HTTP (easy to test, easy to change).

The site folder holds the saved pages and ``routes.json`` (see ``tests/fixtures/site``):
every route's file, status and headers, with ``{{BASE}}`` replaced by the server's own
base URL. Like the real site it answers 301s for old links, 404 for unknown paths, a 503
on the first request of a flaky article, ignores ``utm_*`` on article pages, and answers
304 to a matching ``If-None-Match`` / ``If-Modified-Since``. :class:`DevSite` records every
request (path and headers) so a test can assert what the crawler fetched; its fault
switches are :mod:`qa_scraper.testing.faults`, its site-changing hooks
:mod:`qa_scraper.testing.site_changes`.
"""

from __future__ import annotations

import email.utils
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from qa_scraper.testing.faults import FAULTS, HOP_PATH, FaultReplies, Reply
from qa_scraper.testing.site_changes import SiteChanges


@dataclass
class SeenRequest:
    method: str
    path: str
    status: int
    headers: dict[str, str]
    time: float = field(default_factory=time.monotonic)


@dataclass
class DevSite(SiteChanges, FaultReplies):
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
            and parts.path.startswith(HOP_PATH)
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
