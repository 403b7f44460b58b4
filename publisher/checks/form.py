"""Canonical-form rules the schemas cannot express (FORMATS §1.3-1.5, strict profile).

A document is valid only in the form the reference writes back after reading it: signed
timestamps in UTC `Z` form, every defaulted field present, feed id lists sorted and unique.
"""
from __future__ import annotations

from typing import Any
from collections.abc import Mapping

from publisher import timestamps
from publisher.findings import Finding, finding, pointer

# Per kind: timestamp fields (dotted paths) and defaulted fields that must be present.
TIMESTAMPS: Mapping[str, tuple[str, ...]] = {
    "genesis-block": ("network_authority.valid_from", "network_authority.valid_to"),
    "recognition-treaty": ("issued_at", "valid_from", "expires_at"),
    "revocation-feed": ("issued_at",),
    "policy-manifest": ("issued_at",),
    "roll-call": ("issued_at",),
    "key-succession-record": ("effective_at", "new_valid_to", "issued_at"),
    "membership-attestation": ("issued_at", "valid_from", "expires_at"),
}

DEFAULTED: Mapping[str, tuple[str, ...]] = {
    "genesis-block": ("allowed_crypto_suites", "allowed_transports", "bootstrap_anchors",
                      "signatures", "policy_manifest.url"),
    "recognition-treaty": ("scope", "scope.allowed_roles", "scope.accepted_statuses", "scope.claims",
                           "status", "metadata", "signatures"),
    "revocation-feed": ("revoked_attestation_ids", "revocation_reasons", "signatures"),
    "policy-manifest": ("allowed_ports", "allowed_services", "routing",
                        "routing.preferred_transports", "routing.max_hops", "signatures"),
    "membership-attestation": ("subject_public_key", "roles", "status", "claims", "signatures"),
    "key-succession-record": ("succession_id", "signatures"),
}

# Integer fields ("name.*" = every item of a list). JSON Schema counts 2.0 as an integer, but the
# reference's model reads it as 2 and writes 2 back: signed as 2.0 it is not the reference's form.
INTEGERS: Mapping[str, tuple[str, ...]] = {
    "revocation-feed": ("sequence",),
    "policy-manifest": ("allowed_ports.*", "routing.max_hops"),
    "key-succession-record": ("key_sequence",),
}

SORTED_UNIQUE: Mapping[str, tuple[str, ...]] = {
    "revocation-feed": ("revoked_attestation_ids", "revoked_grant_ids"),
}


_PARTS: dict[str, tuple[str, ...]] = {}


def _lookup(document: Mapping[str, Any], dotted: str) -> tuple[bool, Any]:
    parts = _PARTS.get(dotted)
    if parts is None:
        parts = _PARTS[dotted] = tuple(dotted.split("."))
    node: Any = document
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def check_form(document: Mapping[str, Any], kind: str, path: str) -> list[Finding]:
    """`doc.non_canonical_form` findings for `document` of `kind` (empty when canonical)."""
    out: list[Finding] = []
    for dotted in TIMESTAMPS.get(kind, ()):
        present, value = _lookup(document, dotted)
        if not present or not isinstance(value, str):
            continue
        canonical = timestamps.is_canonical(value)
        if canonical and value.endswith("Z"):
            continue
        where = pointer(*dotted.split("."))
        if not canonical:
            out.append(finding(path, where, "doc.non_canonical_form",
                               f"timestamp {value[:40]!r} is not in canonical form "
                               "YYYY-MM-DDTHH:MM:SS[.ffffff]Z"))
        elif not value.endswith("Z"):
            # Key successions: the reference's model refuses non-UTC times (payload_invalid).
            code = "doc.malformed" if kind == "key-succession-record" else "doc.timestamp_not_utc"
            out.append(finding(path, where, code,
                               f"timestamp {value[:40]!r} is not UTC 'Z' (RFC-001: signers MUST write UTC 'Z')"))
    for dotted in DEFAULTED.get(kind, ()):
        parent = dotted.rpartition(".")[0]
        parent_present, parent_value = _lookup(document, parent) if parent else (True, document)
        if parent_present and isinstance(parent_value, dict) and not _lookup(document, dotted)[0]:
            out.append(finding(path, pointer(*dotted.split(".")), "doc.non_canonical_form",
                               f"field {dotted!r} is missing; producers must emit every field, "
                               "defaults included, because the signature covers it"))
    for dotted in INTEGERS.get(kind, ()):
        field, _, each = dotted.partition(".*")
        present, value = _lookup(document, field)
        items = (value if isinstance(value, list) else []) if dotted.endswith(".*") else [value]
        if present and any(isinstance(v, float) for v in items):
            out.append(finding(path, pointer(*field.split(".")), "doc.non_canonical_form",
                               f"{field} holds a number written with a fraction or exponent; the "
                               "reference writes an integer"))
    for field in SORTED_UNIQUE.get(kind, ()):
        value = document.get(field)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            if value != sorted(set(value)):
                out.append(finding(path, pointer(field), "doc.non_canonical_form",
                                   f"{field} must be sorted and free of duplicates, as the "
                                   "reference writes it"))
    return out
