"""Preview a built site over HTTP on the loopback interface only (127.0.0.1).

A plain static file server with the headers a real host should send too: the site's
Content-Security-Policy (also as a header, so frame-ancestors applies), nosniff, and no
referrer. It binds 127.0.0.1 and nothing else; it is a preview, not a production server.

A site directory is not trusted input (`verify-site` exists because it can be tampered with):
the server serves regular files inside it only (no symlink, however it resolves, no pipe,
which would block a request thread forever, no directory listing), and answers only requests
addressed to the loopback host, so a web page whose name was rebound to 127.0.0.1 cannot read
through it.
"""
from __future__ import annotations

import functools
import os
import stat
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


class SiteHandler(SimpleHTTPRequestHandler):
    # A connection that sends nothing for this long is closed: each holds a thread, and a
    # client that opens connections and never finishes a request would hold them all.
    timeout = 30.0
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

    def send_head(self) -> Any:
        if not self._addressed_to_loopback():
            self.send_error(HTTPStatus.MISDIRECTED_REQUEST, "this preview answers only to 127.0.0.1 and localhost")
            return None
        if not self._servable(self.translate_path(self.path)):
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        return super().send_head()

    def _addressed_to_loopback(self) -> bool:
        host = self.headers.get("Host")
        if host is None:          # HTTP/1.0 without a Host header: nothing for a browser to rebind
            return True
        name, _, port = host.strip().partition(":")     # an IPv6 literal is no loopback name here
        return name.lower() in ("127.0.0.1", "localhost") and port in ("", str(getattr(self.server, "server_port", "")))

    def _servable(self, path: str) -> bool:
        """True for a regular file inside the site reached without a symlink, or a directory
        whose index.html is one; anything else is answered as not found. A directory without
        an index is not listed (a static host lists none either, and a tampered site's names
        are not for the web); a NUL, which no file name holds, is not found either."""
        root = str(self.directory)
        if "\0" in path:
            return False
        if os.path.realpath(path) != os.path.normpath(path) or not (path == root or path.startswith(root + os.sep)):
            return False
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            return True           # missing: the normal 404 follows
        if stat.S_ISDIR(mode):
            try:
                return stat.S_ISREG(os.lstat(os.path.join(path, "index.html")).st_mode)
            except OSError:
                return False      # no index: no listing
        return stat.S_ISREG(mode)

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        """Never list a directory (`_servable` already refuses one without an index)."""
        self.send_error(HTTPStatus.NOT_FOUND, "File not found")


def make_server(directory: str | Path, port: int = 8000) -> ThreadingHTTPServer:
    """A server for `directory` on 127.0.0.1:`port` (0 picks a free port); call serve_forever()."""
    handler = functools.partial(SiteHandler, directory=str(Path(directory).resolve()))
    server = ThreadingHTTPServer((LOOPBACK, port), handler)
    server.daemon_threads = True
    return server
