"""`handshake serve [DIR] [--port N]`: preview a built site on http://127.0.0.1:N/ (loopback only)."""
from __future__ import annotations

import argparse
from pathlib import Path

from publisher.cli import EXIT_OK, UsageError
from publisher.cli.common import repo_path
from publisher.site.serve import LOOPBACK, make_server


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="preview a built site on 127.0.0.1",
                       description="Serve a built site on the loopback interface (127.0.0.1 only) for preview.")
    p.add_argument("directory", nargs="?", help="site directory (default: the repository's _site, where "
                                                "handshake build writes it; found from a folder inside it too)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    directory = Path(args.directory) if args.directory is not None else repo_path(None) / "_site"
    if not (directory / "index.html").is_file():
        raise UsageError(f"{directory} has no index.html: build the site first (handshake build)")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a port number")
    try:
        server = make_server(directory, args.port)
    except OSError as exc:
        raise UsageError(f"cannot listen on {LOOPBACK}:{args.port}: {exc.strerror or exc}") from exc
    host, port = server.server_address[:2]
    host = host.decode() if isinstance(host, bytes) else host
    print(f"serving {directory.resolve()} at http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK
