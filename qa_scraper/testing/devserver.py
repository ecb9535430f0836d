"""A development server that serves a saved site on 127.0.0.1 like the real one.

    python -m qa_scraper.testing.devserver tests/fixtures/site --port 8123

The site (its routes, the real site's redirects, 404s and 304s) is
:class:`~qa_scraper.testing.devsite.DevSite`; this module serves it over HTTP. Tests use
:class:`DevServer` in-process (``server.site`` records every request); its fault switches
(``site.faults[path] = "reset"``, or ``--fault PATH=NAME`` on the command line) make a path
misbehave in one of the ways listed in :data:`~qa_scraper.testing.faults.FAULTS`.
"""

from __future__ import annotations

import argparse
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from qa_scraper.testing.devsite import DevSite
from qa_scraper.testing.faults import FAULTS, HANG_SECONDS, Reply

# What tests and benchmarks import from here (the site and its replies live in devsite/faults).
__all__ = ["FAULTS", "LOOPBACK", "DevServer", "DevSite", "Reply", "main"]

LOOPBACK = "127.0.0.1"


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
    if not (Path(args.site) / "routes.json").is_file():
        parser.exit(
            2,
            f"devserver: {args.site}: no routes.json there. Give the saved site's folder"
            " (tests/fixtures/site in the project's checkout)\n",
        )
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
