"""Synthetic coalition documents for the benchmark: one sovereign's files from its index.

Pure and deterministic: `build_sovereign(index, scale)` returns the sovereign's files as they
stand after it joined, the single-sovereign updates applied later in history, and the
(public key, message, signature) triples of its final state (the signature floor's payloads).
Keys are derived from a fixed public seed: they sign benchmark data only, are never written
anywhere, and make every run produce the same bytes. Documents follow `scripts/make_demo.py`
so the verifier finds no error; treaties cover every lifecycle state.
"""
from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, UTC
from functools import lru_cache
from typing import Any

import nacl.signing

from publisher.canonical import content_digest, signed_bytes
from publisher.keyfile import format_public_key_file
from publisher.timestamps import format_z

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
NAMESPACE = uuid.UUID("0b7e2a4c-5d1f-4c3b-8e9a-7f6d5c4b3a21")
ROTATE_EVERY = 10          # every tenth sovereign has rotated its NA key once
UPDATE_KINDS = ("add-treaty", "revoke", "feed")


@dataclass(frozen=True)
class Scale:
    """Corpus size: sovereigns, treaties per sovereign, commits (a feed per sovereign)."""

    name: str
    sovereigns: int
    treaties_per_sovereign: int
    commits: int
    join_batches: int          # commits that add sovereigns (the rest are one-sovereign updates)

    @property
    def updates(self) -> int:
        return max(0, self.commits - self.join_batches)


SCALES = {
    "tiny": Scale("tiny", 12, 4, 24, 3),
    "small": Scale("small", 500, 10, 500, 10),
    "medium": Scale("medium", 2_000, 10, 2_000, 20),
    "full": Scale("full", 10_000, 10, 10_000, 100),
}


def sovereign_id(index: int) -> str:
    return f"sov-{index:05d}"


@lru_cache(maxsize=4096)
def _key(sid: str, role: str) -> nacl.signing.SigningKey:
    return nacl.signing.SigningKey(hashlib.sha256(f"handshake-bench/v1/{sid}/{role}".encode()).digest())


def public(sid: str, role: str) -> str:
    return base64.b64encode(bytes(_key(sid, role).verify_key)).decode("ascii")


def current_na(sid: str, index: int) -> str:
    return public(sid, "na-2" if index % ROTATE_EVERY == 3 else "na-1")


def dump(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=True) + "\n").encode("utf-8")


@dataclass
class SovereignOut:
    """What one worker returns for one sovereign."""

    index: int
    sid: str
    root_public_key: str
    genesis_digest: str
    files: dict[str, bytes]                              # as joined (relative to the repo)
    updates: list[tuple[str, dict[str, bytes]]]          # (kind, changed files), in order
    payloads: list[tuple[bytes, bytes, bytes]] = field(default_factory=list)  # final state only

    def final_files(self) -> dict[str, bytes]:
        files = dict(self.files)
        for _, changed in self.updates:
            files.update(changed)
        return files


class _Signer:
    def __init__(self, sid: str, role: str, key_id: str) -> None:
        self.key, self.key_id, self.public = _key(sid, role), key_id, public(sid, role)

    def sign(self, document: dict[str, Any], kind: str) -> tuple[dict[str, Any], tuple[bytes, bytes, bytes]]:
        message = signed_bytes(document, kind)
        sig = self.key.sign(message).signature
        document.setdefault("signatures", []).append(
            {"key_id": self.key_id, "sig": base64.b64encode(sig).decode("ascii")})
        return document, (bytes(self.key.verify_key), message, sig)


def _updates_for(index: int, scale: Scale) -> list[str]:
    """Update kinds applied to this sovereign after it joined (at most one of each kind)."""
    count = scale.updates // scale.sovereigns + (1 if index < scale.updates % scale.sovereigns else 0)
    return [UPDATE_KINDS[(index + m) % len(UPDATE_KINDS)] for m in range(min(count, len(UPDATE_KINDS)))]


def _treaty_plan(index: int, k: int, scale: Scale) -> dict[str, Any]:
    """Subject and lifecycle of treaty k of sovereign `index` (state spread by a hash)."""
    count = scale.sovereigns
    stride = max(1, count // (scale.treaties_per_sovereign + 1))
    subject = (index + 1 + k * stride) % count
    external = count < 2 or subject == index or (index * 31 + k) % 50 == 7
    h = (index * 7 + k * 13) % 100
    days = 5 + (index + 3 * k) % 180
    plan = {"subject": subject, "external": external, "issued": NOW - timedelta(days=days),
            "days": 365.0, "status": "active", "valid_from": None}
    if 80 <= h < 85:
        plan.update(issued=NOW - timedelta(days=363), days=365.0)            # expiring soon
    elif 85 <= h < 90:
        plan.update(issued=NOW - timedelta(days=420), days=365.0)            # expired
    elif 95 <= h < 97:
        plan.update(valid_from=NOW + timedelta(days=14))                      # not yet valid
    elif 97 <= h < 100:
        plan.update(status="suspended")
    return plan


def build_sovereign(index: int, scale: Scale) -> SovereignOut:
    """All files of sovereign `index`: as joined, later updates, and its final signatures."""
    sid = sovereign_id(index)
    base = f"sovereigns/{sid}"
    root = _Signer(sid, "root", f"{sid}-root")
    na1 = _Signer(sid, "na-1", f"{sid}-na-1")
    rotated = index % ROTATE_EVERY == 3
    created = NOW - timedelta(days=500)
    payloads: list[tuple[bytes, bytes, bytes]] = []
    genesis, p = root.sign({
        "network_name": sid, "network_version": "v1.0", "root_public_key": root.public,
        "network_authority": {"public_key": na1.public, "valid_from": format_z(created),
                              "valid_to": format_z(created + timedelta(days=3 * 365))},
        "allowed_crypto_suites": ["ed25519", "x25519"], "allowed_transports": ["quic", "wireguard"],
        "policy_manifest": {"hash": "sha256:" + "0" * 64, "url": None}, "bootstrap_anchors": [],
        "signatures": [],
    }, "genesis-block")
    payloads.append(p)
    successions, na = [], na1
    if rotated:
        na = _Signer(sid, "na-2", f"{sid}-na-2")
        effective = NOW - timedelta(days=450)
        record: dict[str, Any] = {
            "succession_id": str(uuid.uuid5(NAMESPACE, f"{sid}:succession:1")), "sovereign_id": sid,
            "key_sequence": 2, "previous_key_id": na1.key_id, "previous_public_key": na1.public,
            "new_key_id": na.key_id, "new_public_key": na.public, "effective_at": format_z(effective),
            "new_valid_to": format_z(effective + timedelta(days=3 * 365)),
            "issued_at": format_z(effective - timedelta(days=2)), "signatures": [],
        }
        for signer in (root, na, na1):
            payloads.append(signer.sign(record, "key-succession-record")[1])
        successions.append(record)
    files: dict[str, bytes] = {
        f"{base}/keys/root.pub": format_public_key_file(root.public, "root", root.key_id).encode(),
        f"{base}/keys/na.pub": format_public_key_file(na.public, "network-authority", na.key_id).encode(),
        f"{base}/genesis.signed.json": dump(genesis),
        f"{base}/sovereign.json": dump({
            "sovereign_id": sid, "network_name": sid, "root_public_key": root.public,
            "network_authority_public_key": na.public, "endpoints": [f"https://na.{sid}.example"],
            "metadata": {"display_name": f"Sovereign {index:05d}"}}),
        f"{base}/key-history.json": dump(_key_history(sid, root, na1, na, genesis, successions)),
    }
    kinds = _updates_for(index, scale)
    treaties, rows, late = _treaties(index, scale, sid, na, payloads, "add-treaty" in kinds)
    texts = {t["treaty_id"]: json.dumps(t, indent=2, ensure_ascii=True) for t in treaties}
    policy = _recognition_policy(sid, treaties, rows)
    roll_call, p = na.sign({
        "sovereign_id": sid, "custody_model": "customer-held", "parties": [{
            "name": f"Operator of {sid}", "roles": ["operator", "na-host"],
            "holds_keys": ["root", "network-authority", "operator"], "contact": f"mailto:trust@{sid}.example"}],
        "issued_at": format_z(NOW - timedelta(days=3)), "issued_by": na.key_id, "signatures": []}, "roll-call")
    payloads.append(p)
    files[f"{base}/roll-call.json"] = dump(roll_call)
    files[f"{base}/recognition-policy.json"] = dump(policy)
    feed_versions = 2 if "feed" in kinds else 1
    feeds = [_feed(sid, index, na, n) for n in range(1, feed_versions + 1)]
    payloads.append(feeds[-1][1])
    files[f"{base}/revocation-feed.json"] = dump(feeds[0][0])
    initial = [t for t in treaties if t["treaty_id"] != late]
    for body in initial:
        files[f"{base}/treaties/{body['treaty_id']}.json"] = (texts[body["treaty_id"]] + "\n").encode()
    revoke_id = treaties[0]["treaty_id"] if treaties and "revoke" in kinds else None
    files[f"{base}/recognition-treaties.json"] = dump_rows(_rows(initial, rows, None), texts)
    updates: list[tuple[str, dict[str, bytes]]] = []
    shown = list(initial)
    rows_path = f"{base}/recognition-treaties.json"
    for kind in kinds:
        if kind == "add-treaty" and late:
            body = next(t for t in treaties if t["treaty_id"] == late)
            shown.append(body)
            revoked = revoke_id if _done(updates, "revoke") else None
            updates.append((kind, {f"{base}/treaties/{late}.json": (texts[late] + "\n").encode(),
                                   rows_path: dump_rows(_rows(shown, rows, revoked), texts)}))
        elif kind == "revoke" and revoke_id:
            updates.append((kind, {rows_path: dump_rows(_rows(shown, rows, revoke_id), texts)}))
        elif kind == "feed":
            updates.append((kind, {f"{base}/revocation-feed.json": dump(feeds[-1][0])}))
    return SovereignOut(index, sid, root.public, content_digest(genesis), files, updates, payloads)


def _done(updates: list[tuple[str, dict[str, bytes]]], kind: str) -> bool:
    return any(k == kind for k, _ in updates)


def _key_history(sid: str, root: _Signer, na1: _Signer, na: _Signer, genesis: dict[str, Any],
                 successions: list[dict[str, Any]]) -> dict[str, Any]:
    keys = [{"key_sequence": 1, "key_id": na1.key_id, "public_key": na1.public, "valid_from": None,
             "succeeded_at": successions[0]["effective_at"] if successions else None,
             "valid_to": genesis["network_authority"]["valid_to"], "valid_to_enforced": False,
             "current": not successions}]
    if successions:
        keys.append({"key_sequence": 2, "key_id": na.key_id, "public_key": na.public,
                     "valid_from": successions[0]["effective_at"], "succeeded_at": None,
                     "valid_to": successions[0]["new_valid_to"], "valid_to_enforced": True, "current": True})
    return {"sovereign_id": sid, "root_public_key": root.public, "handover_seconds": 300,
            "genesis": genesis, "successions": successions, "keys": keys,
            "signing_key_sequence": len(keys), "vouching_grace_seconds": 86400}


def _treaties(index: int, scale: Scale, sid: str, na: _Signer, payloads: list[tuple[bytes, bytes, bytes]],
              has_late: bool) -> tuple[list[dict[str, Any]], dict[str, str], str | None]:
    treaties, rows = [], {}
    for k in range(scale.treaties_per_sovereign):
        plan = _treaty_plan(index, k, scale)
        if plan["external"]:
            subject_id, subject_key = f"ext-{index:05d}-{k}", public(f"ext-{index:05d}-{k}", "na-1")
        else:
            subject_id = sovereign_id(plan["subject"])
            subject_key = current_na(subject_id, plan["subject"])
        issued = plan["issued"]
        body, p = na.sign({
            "treaty_id": str(uuid.uuid5(NAMESPACE, f"{sid}:{k}")), "issuer_sovereign_id": sid,
            "subject_sovereign_id": subject_id, "subject_public_keys": [subject_key],
            "scope": {"allowed_roles": ["role:client"], "accepted_statuses": ["active"],
                      "claims": {"purpose": f"exchange {k}"}},
            "status": plan["status"], "issued_at": format_z(issued),
            "valid_from": format_z(plan["valid_from"] or issued),
            "expires_at": format_z(issued + timedelta(days=plan["days"])), "issued_by": na.key_id,
            "metadata": {}, "signatures": []}, "recognition-treaty")
        payloads.append(p)
        treaties.append(body)
        rows[body["treaty_id"]] = "active"
    late = treaties[-1]["treaty_id"] if has_late and len(treaties) > 1 else None
    return treaties, rows, late


def dump_rows(document: dict[str, Any], texts: dict[str, str]) -> bytes:
    """dump(document) for a recognition-treaties document, splicing in each treaty's text
    from `texts` (json.dumps(body, indent=2)) instead of encoding the bodies again."""
    skeleton = {**document, "recognition_treaties": [
        {**item, "treaty": f"\0{item['treaty']['treaty_id']}\0"} for item in document["recognition_treaties"]]}
    text = json.dumps(skeleton, indent=2, ensure_ascii=True)
    for item in document["recognition_treaties"]:
        treaty_id = item["treaty"]["treaty_id"]
        text = text.replace(json.dumps(f"\0{treaty_id}\0"), texts[treaty_id].replace("\n", "\n      "), 1)
    return (text + "\n").encode("utf-8")


def _rows(shown: list[dict[str, Any]], rows: dict[str, str], revoked: str | None) -> dict[str, Any]:
    items = []
    for body in shown:
        if body["treaty_id"] == revoked:
            items.append({"treaty": body, "status": "revoked", "revoked_at": format_z(NOW - timedelta(days=2)),
                          "revocation_reason": "member_departed"})
        else:
            items.append({"treaty": body, "status": rows[body["treaty_id"]], "revoked_at": None,
                          "revocation_reason": None})
    return {"count": len(items), "recognition_treaties": items}


def _recognition_policy(sid: str, treaties: list[dict[str, Any]], rows: dict[str, str]) -> dict[str, Any]:
    return {"local_sovereign_id": sid, "revoked_attestation_ids": [], "recognized_issuers": [
        {"sovereign_id": t["subject_sovereign_id"], "public_keys": t["subject_public_keys"],
         "allowed_roles": t["scope"]["allowed_roles"], "accepted_statuses": ["active"]}
        for t in treaties if t["status"] == "active"]}


def _feed(sid: str, index: int, na: _Signer, version: int) -> tuple[dict[str, Any], tuple[bytes, bytes, bytes]]:
    ids = sorted(f"attestation-{index:05d}-{n}" for n in range(version))
    return na.sign({
        "feed_id": str(uuid.uuid5(NAMESPACE, f"{sid}:feed")), "issuer_sovereign_id": sid, "sequence": version,
        "issued_at": format_z(NOW - timedelta(days=3 - version)), "revoked_attestation_ids": ids,
        "revocation_reasons": {i: "member_departed" for i in ids}, "issued_by": na.key_id,
        "signatures": []}, "revocation-feed")


def coalition_document(members: list[tuple[str, str]]) -> dict[str, Any]:
    """coalition.json listing (sovereign id, genesis digest) pairs."""
    return {"name": "Benchmark Coalition", "description": "Synthetic coalition generated by bench/.",
            "operator": {"name": "Benchmark Secretariat", "contact": "mailto:bench@coalition.example",
                         "url": "https://coalition.example"},
            "members": [{"sovereign_id": sid, "genesis_sha256": digest} for sid, digest in members]}


def lock_document(pins: list[tuple[str, str]]) -> dict[str, Any]:
    """trust.lock pinning (sovereign id, root public key) pairs."""
    return {"lock_version": 1, "sovereigns": {
        sid: {"root_public_key": key, "first_seen_commit": None, "first_seen_at": None}
        for sid, key in sorted(pins)}}


def extra_treaty(scale: Scale) -> tuple[str, bytes]:
    """A new treaty of the first sovereign: the one-file change a pull request proposes."""
    sid = sovereign_id(0)
    na = _Signer(sid, "na-1", f"{sid}-na-1")
    subject = sovereign_id(1 % scale.sovereigns)
    body, _ = na.sign({
        "treaty_id": str(uuid.uuid5(NAMESPACE, f"{sid}:proposed")), "issuer_sovereign_id": sid,
        "subject_sovereign_id": subject, "subject_public_keys": [current_na(subject, 1 % scale.sovereigns)],
        "scope": {"allowed_roles": ["role:client"], "accepted_statuses": ["active"], "claims": {"purpose": "proposed"}},
        "status": "active", "issued_at": format_z(NOW - timedelta(days=1)),
        "valid_from": format_z(NOW - timedelta(days=1)),
        "expires_at": format_z(NOW + timedelta(days=364)), "issued_by": na.key_id, "metadata": {},
        "signatures": []}, "recognition-treaty")
    return f"sovereigns/{sid}/treaties/{body['treaty_id']}.json", dump(body)
