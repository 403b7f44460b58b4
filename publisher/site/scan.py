"""The redaction scan of files the builder publishes, wherever they are built (the builder or a
page worker): `scan_site` on each file, a large file's findings remembered under its exact
bytes (the coalition-wide exports are walked as JSON, seconds at 10,000 sovereigns).
"""
from __future__ import annotations

import hashlib
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from functools import partial
from typing import Any
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


# An export waiting for its scan: (path, data, skeleton, items, memo), as `scan_export` takes them.
Export = tuple[str, bytes, bytes, Sequence[bytes], dict[bytes, list[Finding]]]
_LATER: list[Any] = []      # what the forked child of `Scanned.start_later` inherits


def _scan_exports(exports: Sequence[Export], cache: Cache | None) -> list[Finding]:
    return [f for path, data, skeleton, items, memo in exports
            for f in scan_export(path, data, skeleton, items, memo, cache)]


def _scan_exports_in_child() -> list[Finding]:
    exports, cache = _LATER[0]
    return _scan_exports(exports, cache)


class Scanned:
    """A writer that scans what passes through it into `leaks`.

    The coalition-wide exports can be written at once and scanned later (`put_export_later`,
    then `start_later` and `finish_later`): their scan is 3 s of one core at 10,000 sovereigns,
    which a forked child does while this process renders the pages drawn from them. Nothing
    is published before `finish_later` has added the findings to `leaks`."""

    def __init__(self, sink: Writer, cache: Cache | None) -> None:
        self.sink, self.cache = sink, cache
        self.leaks: list[Finding] = []
        self._later: list[Export] = []
        self._pool: ProcessPoolExecutor | None = None
        self._future: Future[list[Finding]] | None = None

    def put(self, path: str, data: bytes) -> None:
        self.leaks.extend(scan_files({path: data}, self.cache))
        self.sink.put(path, data)

    def put_export_later(self, path: str, data: bytes, skeleton: bytes, items: Sequence[bytes],
                         memo: dict[bytes, list[Finding]]) -> None:
        """`put` for an export spliced from `skeleton` and `items` (see `scan_export`), its scan
        left for `start_later` and `finish_later`."""
        self._later.append((path, data, skeleton, items, memo))
        self.sink.put(path, data)

    def start_later(self, fork: bool) -> None:
        """Scan the exports left for later: on a forked child with `fork` (where the platform
        forks), else here and now."""
        if not self._later:
            return
        if fork and "fork" in multiprocessing.get_all_start_methods():
            _LATER[:] = [(self._later, self.cache)]
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
            self._future = self._pool.submit(_scan_exports_in_child)
        else:
            self.leaks.extend(_scan_exports(self._later, self.cache))
            self._later = []

    def finish_later(self) -> None:
        """The child's findings added to `leaks`; a child that failed (killed, out of memory)
        leaves the scan to this process: it is never skipped."""
        if self._future is None:
            return
        future, self._future = self._future, None
        try:
            found = future.result()
        except Exception:
            found = _scan_exports(self._later, self.cache)
        finally:
            self.close()
        self.leaks.extend(found)
        self._later = []

    def close(self) -> None:
        """Let the child go (the build failed before `finish_later`, or it is done)."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        _LATER.clear()
