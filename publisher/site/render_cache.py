"""Incremental builds: rendered files remembered under a digest of exactly what they render from.

Stage: between the view models and the output. A page (or a sovereign's group of pages and
exports) is keyed by `digest(...)` of its view models and export values, the site-wide
`site` dict, the template files and `publisher.cache.code_version()` (this package's source,
the schemas, the Python and library versions). Whatever the page shows comes from those
inputs, so an entry is stale only if its key is wrong, never because time or another file
changed. A no-change build renders nothing; a one-file change renders only the pages whose
models changed.

The source commit is not part of the models: pages are rendered with two markers (`COMMIT`,
`SHORT`) that `finish` replaces with the commit in the final bytes, so a new commit does not
invalidate every page for its footer. The markers contain U+2063, which `render.visible`
writes as the visible text `\\u2063` in every `{{ }}` output, so no document string can forge
one. Entries are stored through `publisher.cache.Cache` (HMAC-sealed with a per-user secret:
a tampered, foreign or corrupt entry is a miss and the page is rendered again) and
zlib-compressed. Never raises on a cache failure.
"""
from __future__ import annotations

import hashlib
import io
import pickle
import threading
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import markupsafe

from publisher.cache import Cache, code_version
from publisher.resources import resource_dir


def _zstandard() -> Any:
    try:
        import zstandard as module
    except ImportError:    # a dependency; without its wheel the cache falls back to zlib
        return None
    return module


zstandard: Any = _zstandard()

RENDER_VERSION = "site-render/v2"
UNIT_KIND = "site-unit"          # a sovereign's pages and exports
PAGE_KIND = "site-page"          # one coalition-wide page
SCAN_KIND = "site-scan"          # redaction findings of one large file's exact bytes
SCAN_CACHE_MIN = 64 * 1024       # smaller files are scanned faster than a cache entry is read

COMMIT = markupsafe.Markup("\u2063hs-commit\u2063")
SHORT = markupsafe.Markup("\u2063hs-short\u2063")
_COMMIT_B, _SHORT_B = COMMIT.encode("utf-8"), SHORT.encode("utf-8")
_MARK_PREFIX = "\u2063hs-".encode("utf-8")


@lru_cache(maxsize=4)
def template_version(template_dir: str | None = None) -> str:
    """Digest of every template and static file."""
    root = Path(template_dir) if template_dir is not None else resource_dir("site_template")
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def pickled(value: Any) -> bytes:
    """`value` pickled without the memo: the bytes depend on the values only (plain dicts, lists,
    strings, numbers, datetimes and frozen dataclasses; no sets), never on which objects happen
    to be shared, so a model rebuilt from a cached verification gives the same key."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(value)
    return out.getvalue()


def digest(*parts: Any) -> str:
    """The cache key of a rendering: its inputs, the templates and the code."""
    h = hashlib.sha256(f"{RENDER_VERSION}\0{code_version()}\0{template_version()}\0".encode())
    h.update(pickled(parts))
    return h.hexdigest()


def finish(data: bytes, commit: bytes, short: bytes) -> bytes:
    """Rendered bytes with the commit markers replaced by the build's source commit."""
    if _MARK_PREFIX not in data:
        return data
    return data.replace(_COMMIT_B, commit).replace(_SHORT_B, short)


def commit_texts(source_commit: str | None) -> tuple[bytes, bytes]:
    """What the markers stand for: the full commit, and the 12-digit form of the footer."""
    return (source_commit or "").encode("utf-8"), (source_commit or "working tree")[:12].encode("utf-8")


# A cold build compresses every unit it renders (about 1.3 GB at 10,000 sovereigns): zlib at
# level 1 took 0.67 ms for a 140 KB unit, zstd at level 3 takes 0.18 ms for a third fewer bytes
# and reads back six times faster. An entry is decoded by its first bytes, so entries written
# by either codec stay readable (a zstd entry without the wheel is a miss).
ZSTD_LEVEL = 3
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_codecs = threading.local()      # zstd contexts are not shared between threads


def _zstd() -> tuple[Any, Any] | None:
    if zstandard is None:
        return None
    codecs = getattr(_codecs, "zstd", None)
    if codecs is None:
        codecs = _codecs.zstd = (zstandard.ZstdCompressor(level=ZSTD_LEVEL), zstandard.ZstdDecompressor())
    return codecs


def compress(data: bytes) -> bytes:
    codecs = _zstd()
    return codecs[0].compress(data) if codecs is not None else zlib.compress(data, 1)


def decompress(data: bytes) -> bytes:
    """The bytes `compress` took (ValueError-like exceptions for anything else)."""
    if data.startswith(_ZSTD_MAGIC):
        codecs = _zstd()
        if codecs is None:
            raise ValueError("a zstd entry, and zstandard is not installed")
        return bytes(codecs[1].decompress(data))
    return zlib.decompress(data)


def load(cache: Cache | None, kind: str, key: str) -> Any | None:
    """The value stored under (kind, key), or None (missing, tampered, corrupt, unreadable)."""
    if cache is None:
        return None
    payload = cache.get_payload(kind, key)
    if payload is None:
        cache.misses += 1
        return None
    try:
        value = pickle.loads(decompress(payload))   # authenticated: this user's own run wrote it
    except Exception:
        cache.misses += 1
        return None
    cache.hits += 1
    return value


def store(cache: Cache | None, kind: str, key: str, value: Any) -> None:
    if cache is None:
        return
    try:
        payload = compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    except (pickle.PicklingError, TypeError, AttributeError):
        return
    cache.put_payload(kind, key, payload)
