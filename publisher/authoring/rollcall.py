"""Roll call edits (Handshake's RFC-008 document), as plans: add or change a party, remove
one, change the custody model or the k-of-n `signature_threshold`, then re-sign with the NA
key valid now. The RFC-008 rules (one operator, a managing partner never holds root or
operator keys, disclosed NA holder) are the verifier's; the writer refuses a roll call that
breaks them, and a threshold the root-declared co-signers cannot reach. With no edit, the roll
call is re-signed unchanged (after an NA key succession, before the vouching horizon).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from collections.abc import Sequence

from publisher.authoring import AuthoringError
from publisher.authoring.documents import ROLL_CALL_KIND, build_party, build_roll_call, dump
from publisher.authoring.keys import Signer
from publisher.authoring.state import RepoState, key_label, na_key_for
from publisher.authoring.writer import Plan

CUSTODY_MODELS = ("customer-held", "managed-na-key", "split-operation")
KEY_ROLES = ("root", "network-authority", "operator")


@dataclass(frozen=True)
class PartyEdit:
    """A party to add or change; None leaves a field as it is (a new party needs roles)."""

    name: str
    roles: tuple[str, ...] | None = None
    holds_keys: tuple[str, ...] | None = None
    contact: str | None = None
    url: str | None = None
    notes: tuple[str, ...] | None = None


@dataclass(frozen=True)
class RollCallEdit:
    parties: tuple[PartyEdit, ...] = ()
    remove: tuple[str, ...] = ()
    custody_model: str | None = None
    threshold: int | None = None          # 1 removes the threshold


def _apply_party(existing: dict[str, Any] | None, edit: PartyEdit) -> dict[str, Any]:
    if existing is None and not edit.roles:
        raise AuthoringError(f"refused: new party {edit.name!r} needs --roles")
    held = edit.holds_keys if edit.holds_keys is not None else tuple((existing or {}).get("holds_keys") or ())
    bad = [k for k in held if k not in KEY_ROLES]
    if bad:
        raise AuthoringError(f"refused: unknown key role {bad[0]!r}; holds-keys are {', '.join(KEY_ROLES)}")
    old = existing or {}
    return build_party(edit.name, edit.roles or tuple(old.get("roles") or ()), held,
                       contact=edit.contact if edit.contact is not None else old.get("contact"),
                       url=edit.url if edit.url is not None else old.get("url"),
                       notes=edit.notes if edit.notes is not None else tuple(old.get("assistance_notes") or ()))


def edited_parties(current: Sequence[dict[str, Any]], edit: RollCallEdit) -> list[dict[str, Any]]:
    """The party list after removals and upserts, keeping the order of existing parties."""
    names = [p.get("name") for p in current]
    missing = [n for n in edit.remove if n not in names]
    if missing:
        raise AuthoringError(f"refused: no party named {missing[0]!r} to remove")
    parties = [dict(p) for p in current if p.get("name") not in edit.remove]
    for change in edit.parties:
        index = next((i for i, p in enumerate(parties) if p.get("name") == change.name), None)
        if index is None:
            parties.append(_apply_party(None, change))
        else:
            parties[index] = _apply_party(parties[index], change)
    if not parties:
        raise AuthoringError("refused: a roll call names at least one party (the operator)")
    return parties


def plan_roll_call(state: RepoState, sovereign_id: str, edit: RollCallEdit, na: Signer) -> Plan:
    sovereign = state.sovereign(sovereign_id)
    key = na_key_for(sovereign, na, state.at)
    path = f"{state.folder(sovereign.id)}/roll-call.json"
    current = state.read_json(path) or {}
    custody = edit.custody_model or current.get("custody_model") or "customer-held"
    if custody not in CUSTODY_MODELS:
        raise AuthoringError(f"refused: custody model must be one of {', '.join(CUSTODY_MODELS)}")
    threshold = edit.threshold if edit.threshold is not None else current.get("signature_threshold")
    if threshold is not None and not (isinstance(threshold, int) and 1 <= threshold <= 16):
        raise AuthoringError("refused: --threshold must be 1..16")
    parties = edited_parties(current.get("parties") or [], edit)
    label = key_label(key, na)
    body = build_roll_call(sovereign_id=sovereign.id, custody_model=custody, parties=parties,
                           issued_at=state.at, issued_by=label, threshold=threshold)
    body["signatures"] = [na.signature(body, ROLL_CALL_KIND, label)]
    names = ", ".join(f"{p['name']} ({'/'.join(p['roles'])})" for p in parties)
    unchanged = not (edit.parties or edit.remove or edit.custody_model or edit.threshold is not None)
    lines = [f"roll call of {sovereign.id}{' re-signed unchanged' if unchanged else ''}: {custody}; parties: {names}"]
    if threshold and threshold > 1:
        lines.append(f"treaties and feeds of {sovereign.id} now need {threshold} signatures from distinct NA keys")
    return Plan({path: dump(body)}, tuple(lines), na.leak_markers())
