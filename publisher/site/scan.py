"""The redaction scan of files the builder publishes, wherever they are built (the builder or a
page worker): `scan_site` on each file, a large file's findings remembered under its exact
bytes (the coalition-wide exports are walked as JSON, seconds at 10,000 sovereigns).
"""
from __future__ import annotations

import hashlib
from functools import partial
from collections.abc import Callable, Mapping, Sequence

from publisher.cache import Cache
from publisher.checks.redaction import scan_site, scan_spliced
from publisher.findings import Finding
from publisher.site import render_cache
from publisher.site.sink import Writer


def _remembered(path: str, data: bytes, cache: Cache | None, scan: Callable[[], list[Finding]]) -> list[Finding]:
    if cache is None or len(data) < render_cache.SCAN_CACHE_MIN:
        return scan()
    key = render_cache.digest("scan", path, hashlib.sha256(data).hexdigest())
    found = render_cache.load(cache, render_cache.SCAN_KIND, key)
    if not isinstance(found, list):
        found = scan()
        render_cache.store(cache, render_cache.SCAN_KIND, key, found)
    return found


def scan_files(files: Mapping[str, bytes], cache: Cache | None) -> list[Finding]:
    out: list[Finding] = []
    for path, data in files.items():
        out.extend(_remembered(path, data, cache, partial(scan_site, {path: data})))
    return out


def scan_export(path: str, data: bytes, skeleton: bytes, items: Sequence[bytes], memo: dict[bytes, list[Finding]],
                cache: Cache | None) -> list[Finding]:
    """The scan of an export whose `active_treaties` are the JSON texts `items` spliced into
    `skeleton` (`redaction.scan_spliced`: the same findings, each distinct treaty walked once
    for both exports that hold it)."""
    return _remembered(path, data, cache, partial(scan_spliced, path, data, skeleton, "active_treaties", items, memo))


class Scanned:
    """A writer that scans what passes through it into `leaks`."""

    def __init__(self, sink: Writer, cache: Cache | None) -> None:
        self.sink, self.cache = sink, cache
        self.leaks: list[Finding] = []

    def put(self, path: str, data: bytes) -> None:
        self.leaks.extend(scan_files({path: data}, self.cache))
        self.sink.put(path, data)

    def put_export(self, path: str, data: bytes, skeleton: bytes, items: Sequence[bytes],
                   memo: dict[bytes, list[Finding]]) -> None:
        """`put` for an export spliced from `skeleton` and `items` (see `scan_export`)."""
        self.leaks.extend(scan_export(path, data, skeleton, items, memo, self.cache))
        self.sink.put(path, data)
