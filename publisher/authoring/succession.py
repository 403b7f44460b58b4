"""NA key succession (`na rotate`, FORMATS §3) in the reference's form, as a plan.

The record names the next key (sequence + 1), the current key as previous, the digest of the
previous record (omitted for the first) and the new key's window; it is signed by the root
key, the new key (proof of possession) and the previous NA key, in that order, as
`na succession sign / prove / submit` do. Times are whole seconds like the reference CLI's.
key-history.json is rewritten in the served `/na/key-history` shape, keys/na.pub names the
new key, sovereign.json its current key. Refuses a key already used in any role, a backdated
or non-increasing record, and a history whose file holds records that did not verify.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from publisher.authoring import AuthoringError
from publisher.authoring.documents import (SUCCESSION_KIND, build_key_history, build_succession, dump,
                                           unsigned_time)
from publisher.authoring.keys import Signer
from publisher.authoring.state import RepoState, require_root
from publisher.authoring.writer import Plan
from publisher.keyfile import format_public_key_file
from publisher.lifecycle import treaty_state
from publisher.model import NaKey, Sovereign
from publisher.timestamps import format_z

MAX_VALID_DAYS = 3653


def _whole(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _check_new_key(sovereign: Sovereign, new: Signer) -> None:
    used = set(sovereign.key_history.public_keys) | set(sovereign.operator_keys) \
        | {c.public_key for c in sovereign.key_history.cosigners} | {sovereign.root_public_key}
    if new.public_key in used:
        raise AuthoringError("refused: --new-na-key is already used by this sovereign (root, operator, "
                             "co-signer or an NA key of its history); a succession names a fresh key")


def _identity(state: RepoState, sovereign: Sovereign, key: NaKey) -> dict[str, bytes]:
    path = f"{state.folder(sovereign.id)}/sovereign.json"
    raw = state.read_json(path)
    if raw is None:
        return {}
    updated = dict(raw)
    if "network_authority_public_key" in updated:
        updated["network_authority_public_key"] = key.public_key
    if isinstance(updated.get("signing_key"), dict):
        updated["signing_key"] = {"key_sequence": key.sequence, "public_key": key.public_key,
                                  "signs_until": unsigned_time(key.valid_to) if key.valid_to else None}
    return {path: dump(updated)} if updated != raw else {}


def _successions(state: RepoState, sovereign: Sovereign) -> list[dict[str, Any]]:
    raw = state.read_json(f"{state.folder(sovereign.id)}/key-history.json") or {}
    found = raw.get("successions")
    records: list[Any] = found if isinstance(found, list) else []
    if len(records) != len(sovereign.key_history.keys) - 1:
        raise AuthoringError(f"refused: key-history.json of {sovereign.id} holds {len(records)} succession(s) "
                             f"but only {len(sovereign.key_history.keys) - 1} verify; fix the history first")
    return [dict(r) for r in records]


def due_for_reissue(sovereign: Sovereign, old_key: str, at: datetime) -> dict[str, str]:
    """Live documents signed by the outgoing key that must be re-signed under the new key
    before the vouching horizon (effective_at + 300 s + 24 h): file -> how."""
    due = {t.path: f"treaty {t.treaty_id} (handshake treaty renew)" for t in sovereign.treaties
           if t.signer == old_key and treaty_state(t, at).is_active}
    for document, what in ((sovereign.feed, "the revocation feed (handshake feed refresh)"),
                           (sovereign.roll_call, "the roll call (handshake roll-call ID --na-key NEW)"),
                           (sovereign.policy_manifest, "the policy manifest (re-issue it)")):
        if document is not None and getattr(document, "signer", None) == old_key:
            due[document.path] = what
    return due


def _resigned_now(state: RepoState, sovereign: Sovereign, new: Signer, label: str,
                  effective: datetime) -> tuple[dict[str, bytes], list[str]]:
    """Re-sign the roll call and the feed under the new key when it already signs at `state.at`
    (their content unchanged, the feed under a fresh feed id as a reference re-fetch)."""
    if effective > state.at:
        return {}, []
    writes: dict[str, bytes] = {}
    done = []
    base = state.folder(sovereign.id)
    for name, kind in (("roll-call.json", "roll-call"), ("revocation-feed.json", "revocation-feed")):
        raw = state.read_json(f"{base}/{name}")
        if raw is None:
            continue
        body = {k: v for k, v in raw.items() if k != "signatures"}
        body.update({"issued_at": format_z(state.at), "issued_by": label})
        if kind == "revocation-feed":
            body["feed_id"] = str(uuid.uuid4())
        body["signatures"] = []
        body["signatures"] = [new.signature(body, kind, label)]
        writes[f"{base}/{name}"] = dump(body)
        done.append(f"{base}/{name}")
    return writes, done


def plan_rotate(state: RepoState, sovereign: Sovereign, root: Signer, new: Signer, previous: Signer, *,
                effective_at: datetime | None, valid_days: int, new_key_id: str | None = None,
                succession_id: str | None = None) -> Plan:
    require_root(sovereign, root)
    history = sovereign.key_history
    current = history.current
    assert current is not None  # state.sovereign() refuses a sovereign without keys
    if previous.public_key != current.public_key:
        raise AuthoringError(f"refused: --na-key must be the current NA key #{current.sequence} of {sovereign.id} "
                             f"({current.key_id or 'no key id'}); the outgoing key countersigns a succession")
    _check_new_key(sovereign, new)
    if not 1 <= valid_days <= MAX_VALID_DAYS:
        raise AuthoringError(f"refused: --valid-days must be 1..{MAX_VALID_DAYS}")
    issued = _whole(state.at)
    effective = _whole(effective_at or state.at)
    if effective < issued:
        raise AuthoringError("refused: --effective-at is before the record's issue time (backdated)")
    if current.valid_from is not None and effective <= current.valid_from:
        raise AuthoringError(f"refused: --effective-at must follow the current key's start {current.valid_from}")
    records = _successions(state, sovereign)
    sequence = current.sequence + 1
    new_label = new_key_id or new.key_id or f"na-key-{sequence}"
    previous_label = current.key_id or previous.key_id or f"na-key-{current.sequence}"
    record = build_succession(
        succession_id=succession_id or str(uuid.uuid4()), sovereign_id=sovereign.id, key_sequence=sequence,
        previous_key_id=previous_label, previous_public_key=current.public_key,
        previous=records[-1] if records else None, new_key_id=new_label, new_public_key=new.public_key,
        effective_at=effective, new_valid_to=effective + timedelta(days=valid_days), issued_at=issued)
    record["signatures"] = [root.signature(record, SUCCESSION_KIND, root.key_id or "root"),
                            new.signature(record, SUCCESSION_KIND, new_label),
                            previous.signature(record, SUCCESSION_KIND, previous_label)]
    assert sovereign.genesis is not None
    base = state.folder(sovereign.id)
    history_doc = build_key_history(sovereign.genesis.raw, records + [record], history.keys[0].key_id)
    key = NaKey(sequence, new.public_key, new_label, effective, None, effective + timedelta(days=valid_days), True)
    na_file = format_public_key_file(new.public_key, "network-authority", new_label)
    writes = {f"{base}/key-history.json": dump(history_doc), f"{base}/keys/na.pub": na_file.encode("ascii")}
    writes.update(_identity(state, sovereign, key))
    resigned, done = _resigned_now(state, sovereign, new, new_label, effective)
    writes.update(resigned)
    due = [how for path, how in sorted(due_for_reissue(sovereign, current.public_key, state.at).items())
           if path not in resigned]
    summary = [f"NA key succession #{sequence} of {sovereign.id}: {new.fingerprint} ({new_label}) takes effect at "
               f"{record['effective_at']}, valid until {record['new_valid_to']}; signed by root, new and previous key"]
    if done:
        summary.append(f"re-signed under the new key: {', '.join(done)}")
    if due:
        horizon = effective + timedelta(seconds=300) + timedelta(hours=24)
        summary.append(f"before {format_z(horizon)}, re-sign under the new key: {'; '.join(due)}")
    return Plan(writes, tuple(summary), root.leak_markers() + new.leak_markers() + previous.leak_markers())
