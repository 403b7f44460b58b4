"""Generate signed test coalitions in a temporary directory (never committed).

Keys come from fixed seeds (sha256 of a label), live only in memory, and are never written;
treaty ids are uuid5 of fixed names, so the same call gives the same bytes. `write_coalition`
takes plain specs, so tests can make a 500-sovereign coalition or one full of hostile strings.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from publisher import crypto
from publisher.canonical import content_digest, signed_bytes
from publisher.timestamps import format_z

NAMESPACE = uuid.UUID("0b3c6c1e-7c1f-4d0a-9a55-5f1e2d3c4b5a")


class Key:
    def __init__(self, label: str) -> None:
        self._seed = hashlib.sha256(label.encode("utf-8")).digest()
        self.key_id = f"key-{hashlib.sha256(label.encode()).hexdigest()[:8]}"
        self.public = crypto.public_key_of(self._seed)

    def sign(self, document: dict[str, Any], kind: str) -> dict[str, Any]:
        document["signatures"] = [{"key_id": self.key_id, "sig": crypto.sign(self._seed, signed_bytes(document, kind))}]
        return document


@dataclass
class TreatySpec:
    subject: str
    days_ago: float = 10
    days: float = 365
    name: str = ""
    treaty_id: str | None = None          # default: uuid5 of (issuer, subject, name)
    revoked: str | None = None            # row revocation reason
    roles: tuple[str, ...] = ("role:client",)
    claims: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    in_rows_only: bool = False            # published only inside recognition-treaties.json


@dataclass
class SovereignSpec:
    id: str
    display_name: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    endpoints: tuple[str, ...] = ()
    treaties: list[TreatySpec] = field(default_factory=list)
    parties: list[dict[str, Any]] | None = None
    feed: dict[str, str] | None = None    # revoked attestation id -> reason


def _write(path: Path, value: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, ensure_ascii=True) + "\n", encoding="utf-8")


def _genesis(spec: SovereignSpec, root: Key, na: Key, now: datetime) -> dict[str, Any]:
    created = now - timedelta(days=400)
    return root.sign({
        "network_name": spec.id, "network_version": "v1.0", "root_public_key": root.public,
        "network_authority": {"public_key": na.public, "valid_from": format_z(created),
                              "valid_to": format_z(created + timedelta(days=90))},
        "allowed_crypto_suites": ["ed25519", "x25519"], "allowed_transports": ["quic", "wireguard"],
        "policy_manifest": {"hash": "sha256:placeholder", "url": None}, "bootstrap_anchors": [], "signatures": [],
    }, "genesis-block")


def _treaty(spec: SovereignSpec, t: TreatySpec, na: Key, subject_key: str, now: datetime) -> dict[str, Any]:
    issued = now - timedelta(days=t.days_ago)
    return na.sign({
        "treaty_id": t.treaty_id or str(uuid.uuid5(NAMESPACE, f"{spec.id}|{t.subject}|{t.name}")),
        "issuer_sovereign_id": spec.id, "subject_sovereign_id": t.subject, "subject_public_keys": [subject_key],
        "scope": {"allowed_roles": list(t.roles), "accepted_statuses": ["active"], "claims": t.claims},
        "status": "active", "issued_at": format_z(issued), "valid_from": format_z(issued),
        "expires_at": format_z(issued + timedelta(days=t.days)), "issued_by": na.key_id,
        "metadata": t.metadata, "signatures": [],
    }, "recognition-treaty")


def write_sovereign(repo: Path, spec: SovereignSpec, na_keys: dict[str, Key], now: datetime) -> tuple[str, str]:
    """Write one sovereign folder; returns (root public key, genesis digest)."""
    root, na = Key(f"{spec.id}/root"), na_keys[spec.id]
    base = repo / "sovereigns" / spec.id
    genesis = _genesis(spec, root, na, now)
    _write(base / "genesis.signed.json", genesis)
    _write(base / "sovereign.json", {
        "sovereign_id": spec.id, "network_name": spec.id, "root_public_key": root.public,
        "network_authority_public_key": na.public, "endpoints": list(spec.endpoints),
        "metadata": {**({"display_name": spec.display_name} if spec.display_name else {}), **spec.metadata}})
    rows = []
    for t in spec.treaties:
        subject_key = na_keys[t.subject].public if t.subject in na_keys else Key(f"{t.subject}/na").public
        body = _treaty(spec, t, na, subject_key, now)
        if not t.in_rows_only:
            _write(base / "treaties" / f"{body['treaty_id']}.json", body)
        revoked = t.revoked is not None
        rows.append({"treaty": body, "status": "revoked" if revoked else "active",
                     "revoked_at": (now - timedelta(days=1)).isoformat() if revoked else None,
                     "revocation_reason": t.revoked})
    _write(base / "recognition-treaties.json", {"count": len(rows), "recognition_treaties": rows})
    parties = spec.parties if spec.parties is not None else [
        {"name": f"{spec.id} operator", "roles": ["operator"], "holds_keys": ["root", "network-authority", "operator"],
         "contact": f"mailto:ops@{spec.id}.example"}]
    _write(base / "roll-call.json", na.sign({
        "sovereign_id": spec.id, "custody_model": "customer-held", "parties": parties,
        "issued_at": format_z(now - timedelta(days=3)), "issued_by": na.key_id, "signatures": []}, "roll-call"))
    if spec.feed is not None:
        ids = sorted(spec.feed)
        _write(base / "revocation-feed.json", na.sign({
            "feed_id": str(uuid.uuid5(NAMESPACE, f"{spec.id}-feed")), "issuer_sovereign_id": spec.id,
            "sequence": len(ids), "issued_at": format_z(now - timedelta(days=1)), "revoked_attestation_ids": ids,
            "revocation_reasons": {i: spec.feed[i] for i in ids}, "issued_by": na.key_id, "signatures": []},
            "revocation-feed"))
    return root.public, content_digest(genesis)


def write_coalition(repo: Path, specs: list[SovereignSpec], now: datetime, *,
                    coalition: dict[str, Any] | None = None,
                    member_fields: dict[str, dict[str, Any]] | None = None) -> Path:
    """Write sovereigns/, coalition.json and trust.lock for `specs` under `repo`."""
    na_keys = {s.id: Key(f"{s.id}/na") for s in specs}
    pins: dict[str, str] = {}
    digests: dict[str, str] = {}
    for spec in specs:
        pins[spec.id], digests[spec.id] = write_sovereign(repo, spec, na_keys, now)
    _write(repo / "coalition.json", {
        "name": "Synthetic Coalition", "description": "Generated for tests.",
        "operator": {"name": "Test Secretariat", "contact": "mailto:secretariat@synthetic.example"},
        "change_channel": "https://synthetic.example/changes",
        "members": [{"sovereign_id": s.id, "genesis_sha256": digests[s.id], **(member_fields or {}).get(s.id, {})}
                    for s in specs],
        **(coalition or {})})
    _write(repo / "trust.lock", {"lock_version": 1, "sovereigns": {
        sid: {"root_public_key": pins[sid], "first_seen_commit": None, "first_seen_at": None} for sid in sorted(pins)}})
    return repo


def ring_coalition(count: int, now: datetime) -> list[SovereignSpec]:
    """`count` sovereigns, each recognizing its next three (mod count), a few revoked or expiring,
    every tenth with a revocation feed: a connected graph with ~3 edges per sovereign."""
    ids = [f"sov-{i:05d}" for i in range(count)]
    specs = []
    for i, sid in enumerate(ids):
        treaties = []
        for step in (1, 2, 7):
            t = TreatySpec(subject=ids[(i + step) % count], name=f"step{step}", days_ago=10 + (i + step) % 40)
            if (i + step) % 17 == 0:
                t.revoked = "member_departed"
            if (i + step) % 13 == 0:
                t.days = t.days_ago + 2           # expires within 2 days
            treaties.append(t)
        specs.append(SovereignSpec(id=sid, display_name=f"Sovereign {i}", treaties=treaties,
                                   endpoints=(f"https://na.{sid}.example",),
                                   feed={f"att-{sid}-1": "key_compromise"} if i % 10 == 0 else None))
    return specs
