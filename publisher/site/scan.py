"""The redaction scan of files the builder publishes, wherever they are built (the builder or a
page worker): `scan_site` on each file, a large file's findings remembered under its exact
bytes (the coalition-wide exports are walked as JSON, seconds at 10,000 sovereigns).
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping

from publisher.cache import Cache
from publisher.checks.redaction import scan_site
from publisher.findings import Finding
from publisher.site import render_cache
from publisher.site.sink import Writer


def scan_files(files: Mapping[str, bytes], cache: Cache | None) -> list[Finding]:
    out: list[Finding] = []
    for path, data in files.items():
        if cache is None or len(data) < render_cache.SCAN_CACHE_MIN:
            out.extend(scan_site({path: data}))
            continue
        key = render_cache.digest("scan", path, hashlib.sha256(data).hexdigest())
        found = render_cache.load(cache, render_cache.SCAN_KIND, key)
        if not isinstance(found, list):
            found = scan_site({path: data})
            render_cache.store(cache, render_cache.SCAN_KIND, key, found)
        out.extend(found)
    return out


class Scanned:
    """A writer that scans what passes through it into `leaks`."""

    def __init__(self, sink: Writer, cache: Cache | None) -> None:
        self.sink, self.cache = sink, cache
        self.leaks: list[Finding] = []

    def put(self, path: str, data: bytes) -> None:
        self.leaks.extend(scan_files({path: data}, self.cache))
        self.sink.put(path, data)
