"""Revocation feed operations (RFC-004, FORMATS §6), as plans.

revoke: add attestation ids with a reason; the feed stays cumulative (the full id set, sorted
and unique, reasons only for listed ids) and its `sequence` counts revocations ever made, as
the reference NA computes it: the previous sequence plus the ids newly revoked, so it rises
with every revocation and never decreases. refresh: the same content re-signed with a new
feed id and time (after an NA key succession, before the vouching horizon); sequence kept,
exactly as a reference re-fetch. Refuses an id already revoked and an empty reason.
"""
from __future__ import annotations

import uuid
from typing import Any
from collections.abc import Sequence

from publisher.authoring import AuthoringError
from publisher.authoring.documents import FEED_KIND, build_feed, dump
from publisher.authoring.keys import Signer
from publisher.authoring.state import RepoState, key_label, na_key_for
from publisher.authoring.writer import Plan
from publisher.model import Sovereign

MAX_ID_CHARS = 256


def _current(state: RepoState, sovereign: Sovereign) -> dict[str, Any] | None:
    return state.read_json(f"{state.folder(sovereign.id)}/revocation-feed.json")


def _signed(body: dict[str, Any], na: Signer) -> dict[str, Any]:
    return {**body, "signatures": [na.signature(body, FEED_KIND, body["issued_by"])]}


def plan_revoke(state: RepoState, sovereign_id: str, ids: Sequence[str], *, reason: str, na: Signer,
                feed_id: str | None = None) -> Plan:
    sovereign = state.sovereign(sovereign_id)
    key = na_key_for(sovereign, na, state.at)
    if not reason.strip():
        raise AuthoringError("refused: give a revocation reason (e.g. member_departed, key_compromise)")
    fresh = list(dict.fromkeys(i for i in ids))
    bad = [i for i in fresh if not i.strip() or len(i) > MAX_ID_CHARS or any(c < " " for c in i)]
    if not fresh or bad:
        raise AuthoringError(f"refused: give attestation ids to revoke (non-empty, printable, at most "
                             f"{MAX_ID_CHARS} characters)")
    old = _current(state, sovereign) or {}
    listed, reasons = _content(old)
    again = [i for i in fresh if i in listed]
    if again:
        raise AuthoringError(f"refused: {again[0]!r} is already revoked in {sovereign_id}'s feed")
    reasons.update({i: reason for i in fresh})
    previous = _sequence(old, 0)
    sequence = max(previous, len(listed)) + len(fresh)
    body = _signed(build_feed(feed_id=feed_id or str(uuid.uuid4()), issuer=sovereign.id, sequence=sequence,
                              issued_at=state.at, ids=listed | set(fresh), reasons=reasons,
                              issued_by=key_label(key, na), grant_ids=old.get("revoked_grant_ids")), na)
    return Plan({f"{state.folder(sovereign.id)}/revocation-feed.json": dump(body)},
                (f"revocation feed of {sovereign.id}: revoked {', '.join(fresh)} ({reason}); "
                 f"sequence {previous} -> {sequence}, {len(listed) + len(fresh)} id(s) listed",), na.leak_markers())


def _sequence(feed: dict[str, Any], default: int) -> int:
    value = feed.get("sequence")
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _content(feed: dict[str, Any]) -> tuple[set[str], dict[str, str]]:
    listed = {str(i) for i in feed.get("revoked_attestation_ids") or []}
    reasons = {str(k): str(v) for k, v in (feed.get("revocation_reasons") or {}).items() if str(k) in listed}
    return listed, reasons


def plan_refresh(state: RepoState, sovereign_id: str, *, na: Signer, feed_id: str | None = None) -> Plan:
    sovereign = state.sovereign(sovereign_id)
    key = na_key_for(sovereign, na, state.at)
    old = _current(state, sovereign)
    if old is None:
        raise AuthoringError(f"refused: {sovereign_id} has no revocation feed to refresh")
    listed, reasons = _content(old)
    sequence = _sequence(old, len(listed))
    body = _signed(build_feed(feed_id=feed_id or str(uuid.uuid4()), issuer=sovereign.id, sequence=sequence,
                              issued_at=state.at, ids=listed, reasons=reasons, issued_by=key_label(key, na),
                              grant_ids=old.get("revoked_grant_ids")), na)
    return Plan({f"{state.folder(sovereign.id)}/revocation-feed.json": dump(body)},
                (f"revocation feed of {sovereign.id} re-signed by NA key #{key.sequence}; sequence {sequence} kept",),
                na.leak_markers())
