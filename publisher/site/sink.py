"""Where built files go: kept in memory (tests, verify-site) or written straight into the
staging directory of a publish (the CLI), so a 10,000-sovereign site never sits in memory.

Stage: output of `publisher.site.build`. Either sink records the sha256 of every file it
takes (the manifest's listing). `DirectorySink` only ever writes below its root (a path with
`..` or an absolute path is refused) and is used on a fresh staging directory that
`publisher.site.publish` swaps into place only after the whole build succeeded; worker
processes forked by the builder write into the same directory (disjoint paths).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any


def json_bytes(value: Any) -> bytes:
    """Exports as compact sorted JSON (the C encoder: indentation would be ten times slower at
    10,000 sovereigns); trust bundles keep the reference CLI's indented form."""
    return (json.dumps(value, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class MemorySink:
    """Every file as bytes in `files`."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.digests: dict[str, str] = {}

    def put(self, path: str, data: bytes) -> None:
        self.files[path] = data
        self.digests[path] = sha256(data)

    def fork(self) -> MemorySink:
        """An empty sink of the same kind, for a worker process (its files travel back as bytes)."""
        return MemorySink()

    def merge(self, other: MemorySink) -> None:
        self.files.update(other.files)
        self.digests.update(other.digests)


class DirectorySink:
    """Files written under `root` as they come; only their digests stay in memory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.files: dict[str, bytes] = {}      # always empty: the bytes are on disk
        self.digests: dict[str, str] = {}
        self._made: set[str] = set()

    def put(self, path: str, data: bytes) -> None:
        if path.startswith("/") or ".." in path.split("/"):
            raise ValueError(f"refusing to write outside the site: {path[:120]!r}")
        folder = path.rpartition("/")[0]
        if folder and folder not in self._made:
            os.makedirs(self.root / folder, exist_ok=True)
            self._made.add(folder)
        fd = os.open(self.root / path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        self.digests[path] = sha256(data)

    def fork(self) -> DirectorySink:
        return DirectorySink(self.root)

    def merge(self, other: DirectorySink) -> None:
        self.digests.update(other.digests)


Sink = MemorySink | DirectorySink
