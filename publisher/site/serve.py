"""Preview a built site over HTTP on the loopback interface only (127.0.0.1).

A plain static file server with the headers a real host should send too: the site's
Content-Security-Policy (also as a header, so frame-ancestors applies), nosniff, and no
referrer. It binds 127.0.0.1 and nothing else; it is a preview, not a production server.
"""
from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


class SiteHandler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".json": "application/json",
                      ".js": "text/javascript", ".svg": "image/svg+xml", ".bundle-hash": "text/plain"}

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the CLI prints the URL once
        pass


def make_server(directory: str | Path, port: int = 8000) -> ThreadingHTTPServer:
    """A server for `directory` on 127.0.0.1:`port` (0 picks a free port); call serve_forever()."""
    handler = functools.partial(SiteHandler, directory=str(Path(directory).resolve()))
    server = ThreadingHTTPServer((LOOPBACK, port), handler)
    server.daemon_threads = True
    return server
