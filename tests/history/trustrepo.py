"""Builders for small signed trust repositories in memory (fixed-seed keys, fixed times).

`World` holds sovereign builders and the repository files; `world.files()` serialises every
document to bytes (what a commit would contain). `commit_states(root, states)` writes each
state as one commit with a fixed committer date, so history tests are scripted git repos.
No private key leaves memory: seeds derive from names.
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
import subprocess
from datetime import datetime, timedelta, UTC
from pathlib import Path
from typing import Any

from publisher import crypto
from publisher.canonical import signed_bytes
from publisher.keyfile import format_public_key_file
from publisher.timestamps import format_z

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)


class Key:
    def __init__(self, name: str) -> None:
        self._seed = hashlib.sha256(f"handshake-test:{name}".encode()).digest()
        self.key_id = name
        self.public = crypto.public_key_of(self._seed)

    def sign(self, document: dict[str, Any], kind: str) -> dict[str, Any]:
        sig = crypto.sign(self._seed, signed_bytes(document, kind))
        document.setdefault("signatures", []).append({"key_id": self.key_id, "sig": sig})
        return document


def tid(name: str) -> str:
    digest = hashlib.sha256(name.encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}"


class Sov:
    """One sovereign folder; mutate it between commits, then `files()`."""

    def __init__(self, sid: str, *, root: str | None = None) -> None:
        self.id = sid
        self.root = Key(root or f"{sid}-root")
        self.na = Key(f"{sid}-na")
        self.genesis_doc = self._genesis()
        self.treaties: dict[str, dict[str, Any]] = {}
        self.rows: dict[str, dict[str, Any]] = {}
        self.feed: tuple[int, list[str]] | None = None
        self.feed_issued = T0 + timedelta(days=10)
        self.parties = [{"name": f"{sid} operator", "roles": ["operator"],
                         "holds_keys": ["root", "network-authority", "operator"], "contact": "mailto:ops@example.org"}]
        self.custody = "customer-held"
        self.rollcall_issued = T0 + timedelta(days=1)
        self.threshold: int | None = None           # roll call signature_threshold (absent when None)
        self.rotations: list[dict[str, Any]] = []
        self.deleted_files: set[str] = set()

    def _genesis(self) -> dict[str, Any]:
        return self.root.sign({
            "network_name": self.id, "network_version": "v1.0", "root_public_key": self.root.public,
            "network_authority": {"public_key": self.na.public, "valid_from": format_z(T0),
                                  "valid_to": format_z(T0 + timedelta(days=90))},
            "allowed_crypto_suites": ["ed25519", "x25519"], "allowed_transports": ["quic", "wireguard"],
            "policy_manifest": {"hash": "sha256:placeholder", "url": None}, "bootstrap_anchors": [],
            "signatures": [],
        }, "genesis-block")

    def set_root(self, name: str) -> None:
        """Re-sign the genesis under another root key (what an attacker or a rotation does)."""
        self.root = Key(name)
        self.genesis_doc = self._genesis()

    def rotate_root(self, new_name: str, *, sign_old: bool = True, sign_new: bool = True) -> None:
        old, new = self.root, Key(new_name)
        record = {"sovereign_id": self.id, "sequence": len(self.rotations) + 1,
                  "previous_root_public_key": old.public, "new_root_public_key": new.public,
                  "effective_at": format_z(T0 + timedelta(days=40)), "issued_at": format_z(T0 + timedelta(days=30)),
                  "reason": "scheduled rotation", "signatures": []}
        if sign_old:
            old.sign(record, "root-rotation")
        if sign_new:
            new.sign(record, "root-rotation")
        self.rotations.append(record)
        self.set_root(new_name)

    def treaty(self, name: str, subject: Sov, *, roles: list[str] | None = None, days: int = 365,
               issued: datetime | None = None, status: str = "active", statuses: list[str] | None = None,
               metadata: dict[str, Any] | None = None) -> str:
        issued = issued or T0 + timedelta(days=2)
        body = {
            "treaty_id": tid(f"{self.id}:{name}"), "issuer_sovereign_id": self.id,
            "subject_sovereign_id": subject.id, "subject_public_keys": [subject.na.public],
            "scope": {"allowed_roles": ["role:client"] if roles is None else roles,
                      "accepted_statuses": statuses or ["active"], "claims": {}},
            "status": status, "issued_at": format_z(issued), "valid_from": format_z(issued),
            "expires_at": format_z(issued + timedelta(days=days)), "issued_by": self.na.key_id,
            "metadata": metadata or {}, "signatures": [],
        }
        self.treaties[body["treaty_id"]] = self.na.sign(body, "recognition-treaty")
        self.rows[body["treaty_id"]] = {"status": "active", "revoked_at": None, "revocation_reason": None}
        return body["treaty_id"]

    def resign(self, treaty_id: str, **changes: Any) -> None:
        body = copy.deepcopy(self.treaties[treaty_id])
        body.pop("signatures")
        for key, value in changes.items():
            if key in ("allowed_roles", "accepted_statuses"):
                body["scope"][key] = value
            else:
                body[key] = value
        self.treaties[treaty_id] = self.na.sign(body, "recognition-treaty")

    def revoke(self, treaty_id: str, reason: str = "member_departed") -> None:
        self.rows[treaty_id] = {"status": "revoked", "revoked_at": "2026-03-01T00:00:00+00:00",
                                "revocation_reason": reason}

    def set_feed(self, ids: list[str], sequence: int | None = None) -> None:
        self.feed = (len(ids) if sequence is None else sequence, sorted(ids))

    def files(self) -> dict[str, bytes]:
        base = f"sovereigns/{self.id}"
        out = {
            f"{base}/genesis.signed.json": _dump(self.genesis_doc),
            f"{base}/sovereign.json": _dump({"sovereign_id": self.id, "network_name": self.id,
                                             "root_public_key": self.root.public,
                                             "network_authority_public_key": self.na.public,
                                             "endpoints": [], "metadata": {"display_name": self.id}}),
            f"{base}/keys/root.pub": format_public_key_file(self.root.public, "root", self.root.key_id).encode(),
            f"{base}/keys/na.pub": format_public_key_file(self.na.public, "network-authority", self.na.key_id).encode(),
        }
        roll_call = {"sovereign_id": self.id, "custody_model": self.custody, "parties": self.parties,
                     "issued_at": format_z(self.rollcall_issued), "issued_by": self.na.key_id, "signatures": []}
        if self.threshold is not None:
            roll_call["signature_threshold"] = self.threshold
        out[f"{base}/roll-call.json"] = _dump(self.na.sign(roll_call, "roll-call"))
        for treaty_id, body in self.treaties.items():
            out[f"{base}/treaties/{treaty_id}.json"] = _dump(body)
        rows = [{"treaty": body, **self.rows[treaty_id]} for treaty_id, body in self.treaties.items()]
        out[f"{base}/recognition-treaties.json"] = _dump({"count": len(rows), "recognition_treaties": rows})
        if self.feed is not None:
            sequence, ids = self.feed
            feed = {"feed_id": tid(f"{self.id}-feed-{sequence}"), "issuer_sovereign_id": self.id,
                    "sequence": sequence, "issued_at": format_z(self.feed_issued), "revoked_attestation_ids": ids,
                    "revocation_reasons": {}, "issued_by": self.na.key_id, "signatures": []}
            out[f"{base}/revocation-feed.json"] = _dump(self.na.sign(feed, "revocation-feed"))
        for record in self.rotations:
            out[f"{base}/root-rotations/{record['sequence']}.json"] = _dump(record)
        return {path: data for path, data in out.items() if path not in self.deleted_files}


class World:
    def __init__(self, *names: str) -> None:
        self.sovereigns = {name: Sov(name) for name in names}
        self.members = list(names)
        self.pins: dict[str, str] | None = None
        self.genesis_pins: dict[str, str] = {}     # member -> genesis_sha256 in coalition.json

    def __getitem__(self, name: str) -> Sov:
        return self.sovereigns[name]

    def pin_all(self) -> None:
        self.pins = {sid: s.root.public for sid, s in self.sovereigns.items()}

    def files(self) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for sovereign in self.sovereigns.values():
            out.update(sovereign.files())
        out["coalition.json"] = _dump({"name": "Test coalition", "description": "", "operator": {"name": "Ops"},
                                       "members": [self._member(m) for m in self.members]})
        if self.pins is not None:
            out["trust.lock"] = _dump({"lock_version": 1, "sovereigns": {
                sid: {"root_public_key": key, "first_seen_commit": None, "first_seen_at": None}
                for sid, key in sorted(self.pins.items())}})
        return out

    def _member(self, sovereign_id: str) -> dict[str, str]:
        pinned = self.genesis_pins.get(sovereign_id)
        return {"sovereign_id": sovereign_id, **({"genesis_sha256": pinned} if pinned else {})}

    def documents(self) -> dict[str, Any]:
        """path -> parsed JSON (None for non-JSON files), as history and review read them."""
        from publisher.history.views import needs_content, parse_document
        return {p: (parse_document(d) if needs_content(p) else None) for p, d in self.files().items()}


def _dump(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=True) + "\n").encode()


def git(root: Path, *args: str, date: datetime | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org"}
    if date is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date.strftime("%Y-%m-%dT%H:%M:%S+0000")
    return subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True).stdout


def write_state(root: Path, files: dict[str, bytes]) -> None:
    """Make the working tree hold exactly `files` (outside .git)."""
    for path in sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.relative_to(root).parts):
        if path.relative_to(root).as_posix() not in files:
            path.unlink()
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def commit_states(root: Path, states: list[dict[str, bytes]], *, start: datetime = T0) -> list[str]:
    """One commit per state, a day apart; returns the commit ids."""
    root.mkdir(parents=True, exist_ok=True)
    if not (root / ".git").exists():
        git(root, "init", "-q", "-b", "main")
    commits = []
    for index, files in enumerate(states):
        write_state(root, files)
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m", f"state {index}", date=start + timedelta(days=index))
        commits.append(git(root, "rev-parse", "HEAD").strip())
    return commits


def steps_of(states: list[dict[str, bytes]], *, start: datetime = T0) -> list[Any]:
    """The history walk's input for a list of states, as git log --raw would give it (plain data)."""
    from publisher.history.walk import Step
    steps, previous = [], {}
    for index, files in enumerate(states):
        changed: dict[str, bytes | None] = {p: d for p, d in files.items() if previous.get(p) != d}
        changed.update({p: None for p in previous if p not in files})
        steps.append(Step(f"{index:040x}", start + timedelta(days=index), changed))
        previous = files
    return steps
