"""Builders for core tests: fixed-seed keys, signed documents, in-memory sovereign folders.

Seeds follow the conformance vectors ("a" = bytes 0..31, "b" = 32..63, ...). Keys exist only
in memory; nothing here writes a private key anywhere.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, UTC
from pathlib import Path
from typing import Any

from publisher import crypto
from publisher.canonical import signed_bytes
from publisher.keyfile import format_public_key_file
from publisher.limits import DEFAULT_LIMITS
from publisher.source import Entry
from publisher.timestamps import format_z
from publisher.verify.sovereign import SovereignResult, verify_sovereign

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Key:
    seed: bytes
    key_id: str

    @property
    def public(self) -> str:
        return crypto.public_key_of(self.seed)

    def signature(self, document: dict[str, Any], kind: str) -> dict[str, str]:
        return {"key_id": self.key_id, "sig": crypto.sign(self.seed, signed_bytes(document, kind))}


def seed(n: int) -> bytes:
    return bytes((32 * n + i) % 256 for i in range(32))


def sign(document: dict[str, Any], kind: str, *keys: Key) -> dict[str, Any]:
    """A copy of `document` with signatures by `keys` replacing any it had."""
    doc = copy.deepcopy(document)
    doc["signatures"] = []
    doc["signatures"] = [k.signature(doc, kind) for k in keys]
    return doc


def tamper(document: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy with fields changed after signing (signatures untouched)."""
    doc = copy.deepcopy(document)
    doc.update(changes)
    return doc


@dataclass
class SovereignKeys:
    sid: str
    root: Key
    na: Key

    @classmethod
    def make(cls, sid: str, n: int) -> SovereignKeys:
        return cls(sid, Key(seed(2 * n + 10), f"{sid}-root"), Key(seed(2 * n + 11), f"{sid}-na"))


def make_genesis(k: SovereignKeys, **over: Any) -> dict[str, Any]:
    body = {
        "network_name": k.sid, "network_version": "v0.1", "root_public_key": k.root.public,
        "network_authority": {"public_key": k.na.public, "valid_from": format_z(NOW - timedelta(days=100)),
                              "valid_to": format_z(NOW - timedelta(days=10))},
        "allowed_crypto_suites": ["ed25519", "x25519"], "allowed_transports": ["quic", "wireguard"],
        "policy_manifest": {"hash": "sha256:placeholder", "url": None}, "bootstrap_anchors": [],
        "signatures": [],
    }
    body.update(over)
    return sign(body, "genesis-block", k.root)


def make_treaty(issuer: SovereignKeys, subject_id: str, subject_key: str, *, signer: Key | None = None,
                **over: Any) -> dict[str, Any]:
    body = {
        "treaty_id": f"treaty-{issuer.sid}-{subject_id}", "issuer_sovereign_id": issuer.sid,
        "subject_sovereign_id": subject_id, "subject_public_keys": [subject_key],
        "scope": {"allowed_roles": ["role:client"], "accepted_statuses": ["active"], "claims": {}},
        "status": "active", "issued_at": format_z(NOW - timedelta(days=5)),
        "valid_from": format_z(NOW - timedelta(days=5)), "expires_at": format_z(NOW + timedelta(days=200)),
        "issued_by": issuer.na.key_id, "metadata": {}, "signatures": [],
    }
    body.update(over)
    return sign(body, "recognition-treaty", signer or issuer.na)


def make_feed(issuer: SovereignKeys, ids: list[str], *, signer: Key | None = None, **over: Any) -> dict[str, Any]:
    body = {
        "feed_id": f"feed-{issuer.sid}", "issuer_sovereign_id": issuer.sid, "sequence": len(ids),
        "issued_at": format_z(NOW - timedelta(days=1)), "revoked_attestation_ids": sorted(ids),
        "revocation_reasons": {i: "key_compromise" for i in ids}, "issued_by": issuer.na.key_id,
        "signatures": [],
    }
    body.update(over)
    return sign(body, "revocation-feed", signer or issuer.na)


def make_roll_call(k: SovereignKeys, parties: list[dict[str, Any]] | None = None,
                   custody: str = "customer-held", **over: Any) -> dict[str, Any]:
    body = {
        "sovereign_id": k.sid, "custody_model": custody,
        "parties": parties if parties is not None else [
            {"name": f"{k.sid} operator", "roles": ["operator"],
             "holds_keys": ["root", "network-authority", "operator"], "contact": "mailto:ops@example.org"}],
        "issued_at": format_z(NOW - timedelta(days=2)), "issued_by": k.na.key_id, "signatures": [],
    }
    body.update(over)
    return sign(body, "roll-call", k.na)


def make_identity(k: SovereignKeys, **over: Any) -> dict[str, Any]:
    body = {"sovereign_id": k.sid, "network_name": k.sid, "root_public_key": k.root.public,
            "network_authority_public_key": k.na.public, "endpoints": [f"https://{k.sid}.example"],
            "metadata": {"display_name": k.sid.title()}}
    body.update(over)
    return body


def dump(value: Any) -> bytes:
    return (json.dumps(value, indent=2) + "\n").encode("utf-8")


@dataclass
class Folder:
    """A sovereign folder as path -> bytes, verified in memory by the pure per-sovereign step."""

    keys: SovereignKeys
    files: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def complete(cls, k: SovereignKeys) -> Folder:
        folder = cls(k)
        folder.put("keys/root.pub", format_public_key_file(k.root.public, "root").encode())
        folder.put("keys/na.pub", format_public_key_file(k.na.public, "network-authority").encode())
        folder.put("genesis.signed.json", make_genesis(k))
        folder.put("sovereign.json", make_identity(k))
        folder.put("roll-call.json", make_roll_call(k))
        return folder

    def put(self, relative: str, value: Any) -> Folder:
        self.files[f"sovereigns/{self.keys.sid}/{relative}"] = value if isinstance(value, bytes) else dump(value)
        return self

    def verify(self, lock_pin: str | None = None) -> SovereignResult:
        entries = [Entry(p, "file", len(b)) for p, b in sorted(self.files.items())]
        return verify_sovereign(self.keys.sid, entries, self.files.__getitem__, lock_pin, DEFAULT_LIMITS)

    def write(self, root: Path) -> None:
        for path, data in self.files.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


def codes(result: SovereignResult | Any, severity: str | None = "error") -> list[str]:
    findings = result.findings
    return sorted(f.code for f in findings if severity is None or f.severity.value == severity)
