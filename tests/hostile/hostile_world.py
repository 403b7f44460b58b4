"""The hostile corpus's world: fixed-seed keys, two sovereigns (alpha, beta) and their documents.

Pure builders: `baseline()` returns a valid repository as {path: bytes} that verifies with no
finding at NOW; attacks (`hostile_attacks`) edit a copy. Keys derive from fixed labels, in
memory only, so every run produces the same bytes.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta, UTC
from typing import Any

from publisher import crypto
from publisher.canonical import content_digest, signed_bytes
from publisher.keyfile import PUBLIC_HEADER
from publisher.timestamps import format_z

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
NAMESPACE = uuid.UUID("1b0e6a58-61c4-4c1f-8a5e-0d3d6c7e9f21")
Files = dict[str, bytes]


def key_file(public: str, role: str, label: str | None) -> bytes:
    """A public key file as the reference writes it, its `# Key ID:` line as the label is
    (UTF-8, any text): a hostile repository's files are not Handshake's output, whose writer
    leaves out any label that is not one line of printable ASCII (publisher.keyfile)."""
    lines = [PUBLIC_HEADER, *([f"# Key ID: {label}"] if label else []), f"# Role: {role}", public]
    return ("\n".join(lines) + "\n").encode()


def at(days: float) -> str:
    return format_z(NOW + timedelta(days=days))


def dump(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=True) + "\n").encode("utf-8")


class Key:
    """An Ed25519 key whose seed is derived from a label: same label, same key, every run."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.seed = hashlib.sha256(f"handshake hostile corpus/{label}".encode()).digest()
        self.public = crypto.public_key_of(self.seed)

    def signature(self, document: dict[str, Any], kind: str) -> dict[str, str]:
        return {"key_id": self.label, "sig": crypto.sign(self.seed, signed_bytes(document, kind))}


def signed(document: dict[str, Any], kind: str, *keys: Key) -> dict[str, Any]:
    """A copy of `document` whose signatures are exactly those of `keys`, over its content."""
    body = {k: v for k, v in document.items() if k != "signatures"}
    body["signatures"] = []
    body["signatures"] = [key.signature(body, kind) for key in keys]
    return body


class Member:
    """One sovereign of the baseline: its keys and the documents it publishes."""

    def __init__(self, sid: str, host: str | None = None) -> None:
        self.id = sid
        self.host = host or sid                  # DNS label for endpoints and contacts
        self.root = Key(f"{sid}-root")
        self.na = Key(f"{sid}-na-1")
        self.na2 = Key(f"{sid}-na-2")            # for succession attacks
        self.operator = Key(f"{sid}-operator")

    def genesis(self, signer: Key | None = None, root: Key | None = None, name: str | None = None) -> dict[str, Any]:
        root = root or self.root
        body = {
            "network_name": name or self.id, "network_version": "v1.0", "root_public_key": root.public,
            "network_authority": {"public_key": self.na.public, "valid_from": at(-400), "valid_to": at(365)},
            "allowed_crypto_suites": ["ed25519"], "allowed_transports": ["quic"],
            "policy_manifest": {"hash": "sha256:" + "0" * 64, "url": None}, "bootstrap_anchors": [],
        }
        return signed(body, "genesis-block", signer or root)

    def key_history(self, successions: list[dict[str, Any]] | None = None,
                    genesis: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"sovereign_id": self.id, "root_public_key": self.root.public, "handover_seconds": 300,
                "genesis": genesis or self.genesis(), "successions": successions or [],
                "signing_key_sequence": 1, "vouching_grace_seconds": 86400}

    def succession(self, **overrides: Any) -> dict[str, Any]:
        """An unsigned NA key succession #1 -> #2 (sign it with `signed`)."""
        body = {
            "succession_id": tid(f"{self.id}-succession-1"), "sovereign_id": self.id, "key_sequence": 2,
            "previous_key_id": self.na.label, "previous_public_key": self.na.public,
            "new_key_id": self.na2.label, "new_public_key": self.na2.public,
            "effective_at": at(-30), "new_valid_to": at(700), "issued_at": at(-32),
        }
        body.update(overrides)
        return body

    def identity(self, **overrides: Any) -> dict[str, Any]:
        body = {"sovereign_id": self.id, "network_name": self.id, "root_public_key": self.root.public,
                "network_authority_public_key": self.na.public,
                "endpoints": [f"https://na.{self.host}.example"],
                "metadata": {"display_name": f"{self.id.title()} Network"}}
        body.update(overrides)
        return body

    def roll_call(self, parties: list[dict[str, Any]] | None = None, **overrides: Any) -> dict[str, Any]:
        body = {"sovereign_id": self.id, "custody_model": "customer-held",
                "parties": parties if parties is not None else self.parties(),
                "issued_at": at(-3), "issued_by": self.na.label}
        body.update(overrides)
        return body

    def parties(self) -> list[dict[str, Any]]:
        return [{"name": f"{self.id.title()} Cooperative", "roles": ["operator"],
                 "holds_keys": ["root", "network-authority", "operator"],
                 "contact": f"mailto:trust@{self.host}.example"},
                {"name": "Independent Audit", "roles": ["auditor"], "holds_keys": [],
                 "contact": "https://audit.example"}]

    def treaty(self, subject: Member, **overrides: Any) -> dict[str, Any]:
        body = {
            "treaty_id": tid(f"{self.id}->{subject.id}"), "issuer_sovereign_id": self.id,
            "subject_sovereign_id": subject.id, "subject_public_keys": [subject.na.public],
            "scope": {"allowed_roles": ["role:client"], "accepted_statuses": ["active"],
                      "claims": {"purpose": "hostile corpus baseline"}},
            "status": "active", "issued_at": at(-10), "valid_from": at(-10), "expires_at": at(355),
            "issued_by": self.na.label, "metadata": {},
        }
        body.update(overrides)
        return body

    def feed(self, **overrides: Any) -> dict[str, Any]:
        body = {"feed_id": tid(f"{self.id}-feed"), "issuer_sovereign_id": self.id, "sequence": 2,
                "issued_at": at(-1), "revoked_attestation_ids": ["attestation-1", "attestation-2"],
                "revocation_reasons": {"attestation-1": "key_compromise", "attestation-2": "member_departed"},
                "issued_by": self.na.label}
        body.update(overrides)
        return body


def tid(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, name))


ALPHA, BETA = Member("alpha"), Member("beta")
ATTACKER = Key("attacker")


def folder_files(member: Member, subject: Member, *, feed: bool, folder: str | None = None) -> Files:
    base = f"sovereigns/{folder or member.id}"
    treaty = signed(member.treaty(subject), "recognition-treaty", member.na)
    files = {
        f"{base}/keys/root.pub": key_file(member.root.public, "root", member.root.label),
        f"{base}/keys/na.pub": key_file(member.na.public, "network-authority", member.na.label),
        f"{base}/genesis.signed.json": dump(member.genesis()),
        f"{base}/key-history.json": dump(member.key_history()),
        f"{base}/sovereign.json": dump(member.identity()),
        f"{base}/roll-call.json": dump(signed(member.roll_call(), "roll-call", member.na)),
        f"{base}/treaties/{treaty['treaty_id']}.json": dump(treaty),
        f"{base}/recognition-treaties.json": dump(rows([treaty])),
    }
    if feed:
        files[f"{base}/revocation-feed.json"] = dump(signed(member.feed(), "revocation-feed", member.na))
    return files


def rows(treaties: list[dict[str, Any]]) -> dict[str, Any]:
    return {"count": len(treaties), "recognition_treaties": [
        {"treaty": t, "status": "active", "revoked_at": None, "revocation_reason": None} for t in treaties]}


def coalition(members: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    return {"name": "Hostile Corpus Coalition", "operator": {"name": "Corpus Secretariat",
                                                             "contact": "mailto:corpus@coalition.example"},
            "members": [{"sovereign_id": sid, "genesis_sha256": content_digest(g)} for sid, g in members]}


def lock(members: list[tuple[str, str]]) -> dict[str, Any]:
    return {"lock_version": 1, "sovereigns": {
        sid: {"root_public_key": root, "first_seen_commit": None, "first_seen_at": None}
        for sid, root in sorted(members)}}


def baseline() -> Files:
    files = folder_files(ALPHA, BETA, feed=True)
    files.update(folder_files(BETA, ALPHA, feed=False))
    files["coalition.json"] = dump(coalition([(m.id, m.genesis()) for m in (ALPHA, BETA)]))
    files["trust.lock"] = dump(lock([(m.id, m.root.public) for m in (ALPHA, BETA)]))
    return files


# -- helpers for attacks ------------------------------------------------------------------------
A = "sovereigns/alpha"
TREATY = f"{A}/treaties/{tid('alpha->beta')}.json"


def load(files: Files, path: str) -> dict[str, Any]:
    return json.loads(files[path])


def put(files: Files, path: str, value: Any) -> None:
    files[path] = dump(value)


def set_treaty(files: Files, body: dict[str, Any]) -> None:
    """Replace alpha's treaty file and keep its row in step, as an attacker would."""
    files[TREATY] = dump(body)
    put(files, f"{A}/recognition-treaties.json", rows([body]))


def alpha_treaty(**overrides: Any) -> dict[str, Any]:
    return ALPHA.treaty(BETA, **overrides)


def add_sovereign(files: Files, member: Member, folder: str) -> None:
    """Publish a complete, self-consistent sovereign under `sovereigns/<folder>/`, pinned in
    trust.lock and listed in coalition.json, so only the folder name itself is in question."""
    files.update(folder_files(member, ALPHA, feed=False, folder=folder))
    members = load(files, "coalition.json")
    members["members"].append({"sovereign_id": member.id, "genesis_sha256": content_digest(member.genesis())})
    put(files, "coalition.json", members)
    pins = load(files, "trust.lock")
    pins["sovereigns"][member.id] = {"root_public_key": member.root.public, "first_seen_commit": None,
                                     "first_seen_at": None}
    pins["sovereigns"] = dict(sorted(pins["sovereigns"].items()))
    put(files, "trust.lock", pins)
