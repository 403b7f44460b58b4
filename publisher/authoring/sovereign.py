"""`new-sovereign`: a sovereign folder that verifies at once (plan only; the writer writes).

Builds the root-signed genesis, sovereign.json (RFC-001 identity), the served-shape
key-history.json, keys/root.pub and keys/na.pub, and an NA-signed roll call naming the
operator as holder of every key (customer-held). Pins the root in trust.lock and lists the
member in coalition.json when those files exist. Refuses an unsafe or taken id and a root key
reused as NA key (RFC-001 rule 8).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from collections.abc import Sequence

from publisher.authoring import AuthoringError
from publisher.authoring.documents import (GENESIS_KIND, ROLL_CALL_KIND, build_genesis, build_identity,
                                           build_key_history, build_party, build_roll_call, dump, sign)
from publisher.authoring.keys import Signer
from publisher.authoring.state import RepoState
from publisher.authoring.writer import Plan
from publisher.canonical import content_digest
from publisher.keyfile import format_public_key_file
from publisher.layout import COALITION_FILE, LOCK_FILE, deceptive_text, is_safe_id


@dataclass(frozen=True)
class NewSovereign:
    sovereign_id: str
    display_name: str | None = None
    operator: str | None = None
    contact: str | None = None
    endpoints: tuple[str, ...] = ()
    network_version: str = "v0.1"
    na_valid_days: int = 90
    anchors: tuple[tuple[str, str], ...] = ()


def _check_id(state: RepoState, sovereign_id: str) -> None:
    if not is_safe_id(sovereign_id):
        raise AuthoringError(f"refused: {sovereign_id!r} is not a safe sovereign id (ASCII letters, digits, "
                             "'.', '_' and '-', starting and ending with a letter or digit)")
    deceptive = deceptive_text(sovereign_id)
    if deceptive:
        raise AuthoringError(f"refused: the sovereign id {deceptive}")
    if state.has_folder(sovereign_id):
        raise AuthoringError(f"refused: sovereigns/{sovereign_id}/ already exists")


def _lock_and_coalition(state: RepoState, spec: NewSovereign, root_key: str,
                        genesis: dict[str, Any]) -> dict[str, bytes]:
    writes: dict[str, bytes] = {}
    lock = state.read_root_file(LOCK_FILE)
    if lock is not None:
        pins = dict(lock.get("sovereigns") or {})
        pins[spec.sovereign_id] = {"root_public_key": root_key, "first_seen_commit": None, "first_seen_at": None}
        writes[LOCK_FILE] = dump({**lock, "sovereigns": dict(sorted(pins.items()))})
    coalition = state.read_root_file(COALITION_FILE)
    if coalition is not None:
        members = [m for m in coalition.get("members") or [] if m.get("sovereign_id") != spec.sovereign_id]
        members.append({"sovereign_id": spec.sovereign_id, "genesis_sha256": content_digest(genesis)})
        writes[COALITION_FILE] = dump({**coalition, "members": members})
    return writes


def plan_new_sovereign(state: RepoState, spec: NewSovereign, root: Signer, na: Signer) -> Plan:
    """Every file of a new, verifying sovereign folder (see module docstring)."""
    _check_id(state, spec.sovereign_id)
    if root.public_key == na.public_key:
        raise AuthoringError("refused: the root and NA keys are the same key; RFC-001 rule 8 requires "
                             "distinct keys")
    sid, at = spec.sovereign_id, state.at
    genesis = sign(build_genesis(sid, root.public_key, na.public_key, at=at, na_valid_days=spec.na_valid_days,
                                 network_version=spec.network_version, anchors=spec.anchors),
                   GENESIS_KIND, [root])
    na_label = na.key_id or "na-key-1"
    metadata = {"display_name": spec.display_name} if spec.display_name else {}
    operator = spec.operator or spec.display_name or sid
    party = build_party(operator, ["operator"], ["root", "network-authority", "operator"], contact=spec.contact)
    roll_call = build_roll_call(sovereign_id=sid, custody_model="customer-held", parties=[party],
                                issued_at=at, issued_by=na_label, threshold=None)
    roll_call = {**roll_call, "signatures": [na.signature(roll_call, ROLL_CALL_KIND, na_label)]}
    base = state.folder(sid)
    writes = {
        f"{base}/genesis.signed.json": dump(genesis),
        f"{base}/sovereign.json": dump(build_identity(sid, root.public_key, na.public_key,
                                                      endpoints=spec.endpoints, metadata=metadata)),
        f"{base}/key-history.json": dump(build_key_history(genesis, [], na_label)),
        f"{base}/roll-call.json": dump(roll_call),
        f"{base}/keys/root.pub": format_public_key_file(root.public_key, "root", root.key_id).encode("ascii"),
        f"{base}/keys/na.pub": format_public_key_file(na.public_key, "network-authority", na_label).encode("ascii"),
    }
    writes.update(_lock_and_coalition(state, spec, root.public_key, genesis))
    summary: Sequence[str] = (
        f"new sovereign {sid}: root {root.fingerprint}, NA key #1 {na.fingerprint} ({na_label})",
        f"genesis, sovereign.json, key history, roll call (operator: {operator}) and public keys under {base}/",
    ) + (("root pinned in trust.lock",) if LOCK_FILE in writes else ()) \
      + (("listed as a member in coalition.json",) if COALITION_FILE in writes else ())
    return Plan(writes, tuple(summary), root.leak_markers() + na.leak_markers())
