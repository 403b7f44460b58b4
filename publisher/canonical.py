"""The one place that knows which bytes are signed and hashed (FORMATS §1.3).

Canonical JSON is Python's `json.dumps(value, sort_keys=True, separators=(",", ":"),
ensure_ascii=True)` encoded as UTF-8, pinned byte for byte by the genesis-mesh conformance
vectors. The signed form of a document drops its top-level `signatures` and, for two kinds,
an optional field when it is null or absent. Nothing is normalised: a document is verified as
received (the strict profile, FORMATS §1.4).
"""
from __future__ import annotations

import hashlib
from typing import Any
from collections.abc import Mapping

from publisher.jsontext import sorted_json

# Fields a kind leaves out of its signed form when null/absent (FORMATS §1.3).
OMIT_WHEN_NONE: Mapping[str, tuple[str, ...]] = {
    "revocation-feed": ("revoked_grant_ids",),
    "key-succession-record": ("previous_succession_digest",),
}


def canonical_bytes(value: Any) -> bytes:
    """The canonical JSON of `value` as UTF-8 (`jsontext.sorted_json`: the standard library's
    bytes, written by orjson where they are provably the same)."""
    return sorted_json(value)


def canonical_json(value: Any) -> str:
    return canonical_bytes(value).decode("ascii")      # ensure_ascii: always ASCII


def signed_bytes(document: Mapping[str, Any], kind: str) -> bytes:
    """The exact bytes an Ed25519 signature over `document` covers."""
    omit = OMIT_WHEN_NONE.get(kind, ())
    body = {
        k: v for k, v in document.items()
        if k != "signatures" and not (k in omit and v is None)
    }
    return canonical_bytes(body)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_digest(value: Any) -> str:
    """`sha256:<hex>` of a value's canonical JSON (genesis pins, config fingerprints)."""
    return "sha256:" + sha256_hex(canonical_bytes(value))
