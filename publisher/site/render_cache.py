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
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import markupsafe

from publisher.cache import Cache, code_version
from publisher.resources import resource_dir

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


def load(cache: Cache | None, kind: str, key: str) -> Any | None:
    """The value stored under (kind, key), or None (missing, tampered, corrupt, unreadable)."""
    if cache is None:
        return None
    payload = cache.get_payload(kind, key)
    if payload is None:
        cache.misses += 1
        return None
    try:
        value = pickle.loads(zlib.decompress(payload))   # authenticated: this user's own run wrote it
    except Exception:
        cache.misses += 1
        return None
    cache.hits += 1
    return value


def store(cache: Cache | None, kind: str, key: str, value: Any) -> None:
    if cache is None:
        return
    try:
        payload = zlib.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), 1)
    except (pickle.PicklingError, TypeError, AttributeError):
        return
    cache.put_payload(kind, key, payload)
