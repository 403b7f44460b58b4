"""Co-signer declarations (na-cosigners.json), as plans: the root key adds or removes the
extra NA keys that count toward a k-of-n `signature_threshold` (design and verification:
`publisher.checks.cosigners`). Signed by the pinned root key only; refuses a co-signer that
is the root, an operator key or an NA history key, and an empty or inverted window.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from collections.abc import Sequence

from publisher.authoring import AuthoringError
from publisher.authoring.documents import COSIGNERS_KIND, build_cosigners, dump
from publisher.authoring.keys import Signer
from publisher.authoring.state import RepoState, require_root
from publisher.authoring.writer import Plan
from publisher.timestamps import format_z


@dataclass(frozen=True)
class CoSignerSpec:
    key_id: str
    public_key: str
    valid_from: datetime
    valid_to: datetime


def plan_cosigners(state: RepoState, sovereign_id: str, root: Signer, *, add: Sequence[CoSignerSpec] = (),
                   remove: Sequence[str] = ()) -> Plan:
    sovereign = state.sovereign(sovereign_id)
    require_root(sovereign, root)
    path = f"{state.folder(sovereign.id)}/na-cosigners.json"
    current = state.read_json(path) or {}
    entries: list[dict[str, Any]] = [dict(c) for c in current.get("cosigners") or [] if isinstance(c, dict)]
    unknown = [r for r in remove if not any(r in (c.get("key_id"), c.get("public_key")) for c in entries)]
    if unknown:
        raise AuthoringError(f"refused: no co-signer {unknown[0]!r} to remove")
    entries = [c for c in entries if not any(r in (c.get("key_id"), c.get("public_key")) for r in remove)]
    used = set(sovereign.key_history.public_keys) | set(sovereign.operator_keys) | {sovereign.root_public_key}
    for spec in add:
        if spec.public_key in used:
            raise AuthoringError(f"refused: co-signer {spec.key_id!r} is already this sovereign's root, "
                                 "operator or NA key; a co-signer is a distinct key")
        if any(spec.public_key == c.get("public_key") or spec.key_id == c.get("key_id") for c in entries):
            raise AuthoringError(f"refused: co-signer {spec.key_id!r} is already declared")
        if spec.valid_from >= spec.valid_to:
            raise AuthoringError("refused: a co-signer's window must end after it starts")
        entries.append({"key_id": spec.key_id, "public_key": spec.public_key,
                        "valid_from": format_z(spec.valid_from), "valid_to": format_z(spec.valid_to)})
    if not add and not remove:
        raise AuthoringError("nothing to change: give --add or --remove")
    label = root.key_id or "root"
    body = build_cosigners(sovereign_id=sovereign.id, cosigners=entries, issued_at=state.at, issued_by=label)
    body["signatures"] = [root.signature(body, COSIGNERS_KIND, label)]
    lines = [f"co-signers of {sovereign.id} (root-signed): "
             + (", ".join(c["key_id"] for c in body["cosigners"]) or "none")]
    return Plan({path: dump(body)}, tuple(lines), root.leak_markers())
