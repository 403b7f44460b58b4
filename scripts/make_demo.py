#!/usr/bin/env python3
"""Generate the embedded demo coalition (sovereigns/, coalition.json, trust.lock).

Fresh Ed25519 keys are drawn from os.urandom for every run and live only in this process:
no private key is ever written anywhere. Times are relative to --now (default the demo
epoch below), so the published lifecycle states are stable when the site is evaluated at
that epoch (`make demo` does so). Covers: 5 sovereigns, treaties in every lifecycle state
(active, expiring soon, expired, not yet valid, suspended, revoked in both forms, replaced,
renewed), a revocation feed, an NA key succession, a managing partner, an external subject.

Usage: python scripts/make_demo.py [--out REPO] [--now 2026-11-23T12:00:00Z]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import uuid
from datetime import datetime, timedelta, UTC
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from publisher import crypto  # noqa: E402
from publisher.canonical import content_digest, signed_bytes  # noqa: E402
from publisher.checks.key_history import succession_digest  # noqa: E402
from publisher.keyfile import format_public_key_file  # noqa: E402
from publisher.timestamps import format_z  # noqa: E402

DEMO_EPOCH = "2026-11-23T12:00:00Z"
NAMESPACE = uuid.UUID("6f1c7a52-9a43-4c1e-9a0b-1d2c3e4f5a6b")


class Key:
    """An in-memory keypair; the seed never leaves this object."""

    def __init__(self, key_id: str) -> None:
        self._seed = os.urandom(32)
        self.key_id = key_id
        self.public = crypto.public_key_of(self._seed)

    def sign(self, document: dict, kind: str) -> dict:
        sig = crypto.sign(self._seed, signed_bytes(document, kind))
        document.setdefault("signatures", []).append({"key_id": self.key_id, "sig": sig})
        return document


def tid(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, name))


def write(path: Path, value: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, ensure_ascii=True) + "\n", encoding="utf-8")


class Sovereign:
    def __init__(self, sid: str, display: str, now: datetime, created_days_ago: int = 400) -> None:
        self.id, self.display, self.now = sid, display, now
        self.root = Key(f"{sid}-root-2025")
        self.na = Key(f"{sid}-na-1")
        self.na_keys = [self.na]
        self.successions: list[dict] = []
        created = now - timedelta(days=created_days_ago)
        self.genesis = self.root.sign({
            "network_name": sid, "network_version": "v1.0", "root_public_key": self.root.public,
            "network_authority": {"public_key": self.na.public, "valid_from": format_z(created),
                                  "valid_to": format_z(created + timedelta(days=90))},
            "allowed_crypto_suites": ["ed25519", "x25519"], "allowed_transports": ["quic", "wireguard"],
            "policy_manifest": {"hash": "sha256:placeholder", "url": None}, "bootstrap_anchors": [],
            "signatures": [],
        }, "genesis-block")
        self.treaties: list[dict] = []
        self.rows: dict[str, dict] = {}

    def rotate_na(self, effective: datetime) -> None:
        """Root-signed NA key succession, countersigned by the new and the previous key."""
        previous, new = self.na, Key(f"{self.id}-na-{len(self.na_keys) + 1}")
        record = {
            "succession_id": tid(f"{self.id}-succession-{len(self.na_keys)}"), "sovereign_id": self.id,
            "key_sequence": len(self.na_keys) + 1, "previous_key_id": previous.key_id,
            "previous_public_key": previous.public,
            "new_key_id": new.key_id, "new_public_key": new.public, "effective_at": format_z(effective),
            "new_valid_to": format_z(effective + timedelta(days=3 * 365)),
            "issued_at": format_z(effective - timedelta(days=2)), "signatures": [],
        }
        if self.successions:
            record["previous_succession_digest"] = succession_digest(self.successions[-1])
        for key in (self.root, new, previous):
            key.sign(record, "key-succession-record")
        self.successions.append(record)
        self.na_keys.append(new)
        self.na = new

    def treaty(self, name: str, subject: Sovereign | External, *, issued: datetime, days: float,
               roles: list[str], status: str = "active", signer: Key | None = None,
               metadata: dict | None = None, valid_from: datetime | None = None) -> dict:
        signer = signer or self.na
        body = {
            "treaty_id": tid(f"{self.id}:{name}"), "issuer_sovereign_id": self.id,
            "subject_sovereign_id": subject.id, "subject_public_keys": [subject.na.public],
            "scope": {"allowed_roles": roles, "accepted_statuses": ["active"],
                      "claims": {"purpose": name.replace("-", " ")}},
            "status": status, "issued_at": format_z(issued), "valid_from": format_z(valid_from or issued),
            "expires_at": format_z(issued + timedelta(days=days)), "issued_by": signer.key_id,
            "metadata": metadata or {}, "signatures": [],
        }
        signer.sign(body, "recognition-treaty")
        self.treaties.append(body)
        self.rows[body["treaty_id"]] = {"status": "active", "revoked_at": None, "revocation_reason": None}
        return body

    def revoke(self, treaty: dict, reason: str, at: datetime) -> None:
        self.rows[treaty["treaty_id"]] = {"status": "revoked", "revoked_at": at.isoformat(),
                                          "revocation_reason": reason}

    def write(self, repo: Path, *, roll_call: dict, feed: list[tuple[str, str]] | None = None,
              endpoints: list[str], metadata: dict) -> None:
        base = repo / "sovereigns" / self.id
        (base / "keys").mkdir(parents=True, exist_ok=True)
        (base / "keys" / "root.pub").write_text(format_public_key_file(self.root.public, "root", self.root.key_id))
        (base / "keys" / "na.pub").write_text(
            format_public_key_file(self.na.public, "network-authority", self.na.key_id))
        write(base / "genesis.signed.json", self.genesis)
        write(base / "sovereign.json", {
            "sovereign_id": self.id, "network_name": self.id, "root_public_key": self.root.public,
            "network_authority_public_key": self.na.public, "endpoints": endpoints,
            "metadata": {"display_name": self.display, **metadata},
        })
        keys = []
        for index, key in enumerate(self.na_keys):
            succ = self.successions[index - 1] if index else None
            nxt = self.successions[index] if index < len(self.successions) else None
            keys.append({"key_sequence": index + 1, "key_id": key.key_id, "public_key": key.public,
                         "valid_from": succ["effective_at"] if succ else None,
                         "succeeded_at": nxt["effective_at"] if nxt else None,
                         "valid_to": succ["new_valid_to"] if succ else self.genesis["network_authority"]["valid_to"],
                         "valid_to_enforced": bool(succ), "current": key is self.na})
        write(base / "key-history.json", {
            "sovereign_id": self.id, "root_public_key": self.root.public, "handover_seconds": 300,
            "genesis": self.genesis, "successions": self.successions, "keys": keys,
            "signing_key_sequence": len(self.na_keys), "vouching_grace_seconds": 86400,
        })
        for body in self.treaties:
            write(base / "treaties" / f"{body['treaty_id']}.json", body)
        rows = [{"treaty": body, **self.rows[body["treaty_id"]]} for body in self.treaties]
        write(base / "recognition-treaties.json", {"count": len(rows), "recognition_treaties": rows})
        roll_call = {"sovereign_id": self.id, **roll_call, "issued_at": format_z(self.now - timedelta(days=3)),
                     "issued_by": self.na.key_id, "signatures": []}
        write(base / "roll-call.json", self.na.sign(roll_call, "roll-call"))
        if feed is not None:
            ids = sorted(i for i, _ in feed)
            body = {"feed_id": tid(f"{self.id}-feed"), "issuer_sovereign_id": self.id, "sequence": len(ids),
                    "issued_at": format_z(self.now - timedelta(days=1)), "revoked_attestation_ids": ids,
                    "revocation_reasons": dict(sorted(feed)), "issued_by": self.na.key_id, "signatures": []}
            write(base / "revocation-feed.json", self.na.sign(body, "revocation-feed"))
        write(base / "recognition-policy.json", {
            "local_sovereign_id": self.id,
            "recognized_issuers": [
                {"sovereign_id": t["subject_sovereign_id"], "public_keys": t["subject_public_keys"],
                 "allowed_roles": t["scope"]["allowed_roles"], "accepted_statuses": ["active"]}
                for t in self.treaties
                if self.rows[t["treaty_id"]]["status"] == "active" and t["status"] == "active"
            ],
            "revoked_attestation_ids": [],
        })


class External:
    """A sovereign recognized by a member but not published in this repository."""

    def __init__(self, sid: str) -> None:
        self.id = sid
        self.na = Key(f"{sid}-na")


def party(name: str, roles: list[str], keys: list[str], contact: str, notes: list[str] | None = None) -> dict:
    entry = {"name": name, "roles": roles, "holds_keys": keys, "contact": contact}
    if notes:
        entry["assistance_notes"] = notes
    return entry


def build(repo: Path, now: datetime) -> None:
    d = lambda days: now + timedelta(days=days)  # noqa: E731
    aurora = Sovereign("aurora-commons", "Aurora Commons", now)
    borealis = Sovereign("borealis-health", "Borealis Health Network", now)
    cascade = Sovereign("cascade-research", "Cascade Research Grid", now, created_days_ago=500)
    delta = Sovereign("delta-logistics", "Delta Logistics Exchange", now)
    ember = Sovereign("ember-civic", "Ember Civic Trust", now)
    far_east = External("FAR-EAST-NA")

    # Cascade rotates its NA key 40 days ago; its older treaty was replaced under the new key.
    old_cascade_na = cascade.na
    cascade.rotate_na(d(-40))

    aurora.treaty("research-data-exchange", cascade, issued=d(-20), days=365, roles=["role:service:data-exchange"])
    aurora.treaty("health-referrals", borealis, issued=d(-60), days=240,
                  roles=["role:client", "role:service:referrals"])
    expiring = aurora.treaty("freight-pilot", delta, issued=d(-88), days=90, roles=["role:bridge"])
    assert expiring["expires_at"]
    aurora.treaty("civic-identity", ember, issued=d(-5), days=180, roles=["role:client"])

    borealis.treaty("research-consortium", cascade, issued=d(-30), days=365, roles=["role:service:clinical-trials"])
    borealis.treaty("commons-membership", aurora, issued=d(-30), days=365, roles=["role:operator"])
    old = borealis.treaty("freight-medical", delta, issued=d(-200), days=120, roles=["role:bridge"])
    new = borealis.treaty("freight-medical-v2", delta, issued=d(-10), days=300, roles=["role:bridge", "role:client"],
                          metadata={"replace_of": old["treaty_id"]})
    borealis.revoke(old, f"replaced_by:{new['treaty_id']}", d(-10))

    legacy = cascade.treaty("commons-archive", aurora, issued=d(-120), days=365, roles=["role:client"],
                            signer=old_cascade_na)
    renewal = cascade.treaty("commons-archive-renewed", aurora, issued=d(-39), days=365, roles=["role:client"],
                             metadata={"renew_of": legacy["treaty_id"]})
    cascade.revoke(legacy, f"renewed_by:{renewal['treaty_id']}", d(-39))
    cascade.treaty("health-data", borealis, issued=d(-25), days=300, roles=["role:service:clinical-trials"])
    cascade.treaty("instrument-sharing", ember, issued=d(-2), days=365, roles=["role:service:instruments"],
                   valid_from=d(14))

    delta.treaty("port-clearance", aurora, issued=d(-400), days=365, roles=["role:bridge"])
    delta.treaty("customs-bridge", ember, issued=d(-50), days=200, roles=["role:bridge"], status="suspended")
    delta.treaty("medical-freight", borealis, issued=d(-15), days=365, roles=["role:bridge"])

    ember.treaty("transit-partnership", far_east, issued=d(-12), days=365, roles=["role:client"])
    breach = ember.treaty("shared-registry", delta, issued=d(-90), days=365, roles=["role:service:registry"])
    ember.revoke(breach, "member_departed", d(-7))
    ember.treaty("research-observer", cascade, issued=d(-70), days=365, roles=["role:client"], status="revoked")
    ember.treaty("commons-partnership", aurora, issued=d(-3), days=365, roles=["role:client", "role:operator"])

    aurora.write(repo, endpoints=["https://na.aurora-commons.example"],
                 metadata={"operator_label": "Aurora Cooperative"},
                 roll_call={"custody_model": "customer-held", "parties": [
                     party("Aurora Cooperative", ["operator", "na-host"], ["root", "network-authority", "operator"],
                           "mailto:trust@aurora-commons.example"),
                     party("Lumen Continuity Ltd", ["continuity"], [], "https://lumen-continuity.example")]},
                 feed=[("attestation-7f3e-member-departed", "member_departed"),
                       ("attestation-c2a1-key-compromise", "key_compromise")])
    borealis.write(repo, endpoints=["https://na.borealis-health.example"], metadata={},
                   roll_call={"custody_model": "managed-na-key", "parties": [
                       party("Borealis Health Authority", ["operator"], ["root", "operator"],
                             "mailto:security@borealis-health.example"),
                       party("Northwind Managed Services", ["managing-partner", "na-host", "endpoint-manager"],
                             ["network-authority"], "https://northwind-managed.example",
                             ["Hosts the NA and its endpoints; never holds root or operator keys."])]})
    cascade.write(repo, endpoints=["https://na.cascade-research.example"], metadata={},
                  roll_call={"custody_model": "customer-held", "parties": [
                      party("Cascade Research Council", ["operator"], ["root", "network-authority", "operator"],
                            "mailto:grid-ops@cascade-research.example")]}, feed=[])
    delta.write(repo, endpoints=["https://na.delta-logistics.example"], metadata={},
                roll_call={"custody_model": "split-operation", "parties": [
                    party("Delta Logistics Exchange", ["operator"], ["root", "operator"],
                          "mailto:ops@delta-logistics.example"),
                    party("Harbor Systems", ["na-host", "endpoint-manager"], ["network-authority"],
                          "https://harbor-systems.example")]})
    ember.write(repo, endpoints=["https://na.ember-civic.example"], metadata={},
                roll_call={"custody_model": "customer-held", "parties": [
                    party("Ember Civic Trust", ["operator"], ["root", "network-authority", "operator"],
                          "mailto:trust@ember-civic.example"),
                    party("Civic Audit Collective", ["auditor"], [], "https://civic-audit.example")]})

    members = [aurora, borealis, cascade, delta, ember]
    write(repo / "coalition.json", {
        "name": "Genesis Mesh Demo Coalition",
        "description": "Five independent trust domains that publish their trust material together so "
                       "anyone can verify who recognizes whom, under which keys, until when.",
        "operator": {"name": "Demo Coalition Secretariat", "contact": "mailto:secretariat@coalition.example",
                     "url": "https://coalition.example"},
        "change_channel": "https://coalition.example/changes.atom",
        "members": [{"sovereign_id": s.id, "genesis_sha256": content_digest(s.genesis)} for s in members]
                   + [],
        "notice_commitments": [
            {"change": "root key rotation", "notice_days": 30,
             "description": "Announced on the change channel and signed by the old root key."},
            {"change": "treaty revocation", "notice_days": 0, "description": "Published within one hour."},
            {"change": "member removal", "notice_days": 14},
        ],
        "surfaces": {
            "published": ["genesis blocks", "NA key histories", "recognition treaties and their rows",
                          "revocation feeds", "recognition policies", "roll calls", "trust bundles",
                          "connectome export"],
            "not_published": [
                {"surface": "membership attestations", "reason": "issued to individuals; published only by revocation"},
                {"surface": "live endpoint health", "reason": "a static site cannot attest liveness"}],
        },
    })
    write(repo / "trust.lock", {"lock_version": 1, "sovereigns": {
        s.id: {"root_public_key": s.root.public, "first_seen_commit": None, "first_seen_at": None}
        for s in sorted(members, key=lambda s: s.id)}})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--now", default=DEMO_EPOCH)
    args = parser.parse_args(argv)
    now = datetime.fromisoformat(args.now.replace("Z", "+00:00")).astimezone(UTC)
    repo = Path(args.out).resolve()
    # Build beside the target, then swap: a failed run leaves the previous demo untouched.
    staging = Path(tempfile.mkdtemp(prefix=".demo-", dir=repo))
    try:
        build(staging, now)
        for name in ("sovereigns", "coalition.json", "trust.lock"):
            target = repo / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
            os.replace(staging / name, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print(f"demo coalition written to {repo} (evaluate at {args.now})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
