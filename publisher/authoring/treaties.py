"""Treaty operations with the reference's semantics (FORMATS §5.3), as plans.

issue: a new NA-signed treaty and an active row. renew: a new treaty with the same subject,
keys and scope, metadata + `renew_of`; the old row revoked with `renewed_by:<new>`. replace:
the same with a new scope, `replace_of`, `replaced_by:<new>`. revoke: by default the row form
(row `revoked`, isoformat `revoked_at`, the reason; the signed body is unchanged, as the NA
does); `--form signed` re-signs the body with status `revoked` as well. suspend / resume:
re-sign with status `suspended` / `active`. Revocation is terminal for a treaty id: nothing
re-signs or renews a revoked treaty. File and row always carry the same signed body.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from collections.abc import Mapping, Sequence

from publisher.authoring import AuthoringError
from publisher.authoring.documents import (TREATY_KIND, build_row, build_rows, build_treaty, dump,
                                           resign_treaty, unsigned_time)
from publisher.authoring.keys import Signer
from publisher.authoring.state import RepoState, key_label, na_key_for
from publisher.authoring.writer import Plan
from publisher.layout import is_safe_id
from publisher.model import Sovereign, Treaty

ROLE_PREFIXES = ("role:anchor", "role:bridge", "role:client", "role:operator", "role:service:")
STATUSES = ("active", "suspended", "revoked")
_DURATION = re.compile(r"(\d{1,6})([wdhm])")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}


def parse_duration(text: str) -> timedelta:
    """`90d`, `12w`, `168h`, `30m`; AuthoringError otherwise."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise AuthoringError(f"{text!r} is not a duration such as 90d, 12w, 168h or 30m")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def normalize_roles(roles: Sequence[str]) -> list[str]:
    """The reference CLI's role rule: `client` -> `role:client`; only the NA's role prefixes."""
    normalized = [r if r.startswith("role:") else f"role:{r}" for r in roles if r]
    if not normalized:
        raise AuthoringError("refused: no roles; since genesis-mesh 1.0 an empty scope grants no role")
    bad = [r for r in normalized if not any(r.startswith(p) for p in ROLE_PREFIXES)
           or r == "role:service:"]
    if bad:
        raise AuthoringError(f"refused: invalid role {bad[0]!r}; allowed: client, anchor, bridge, operator, "
                             "service:<name>")
    return list(dict.fromkeys(normalized))


@dataclass(frozen=True)
class Scope:
    roles: tuple[str, ...]
    accepted_statuses: tuple[str, ...] = ("active",)
    claims: Mapping[str, Any] = field(default_factory=dict)


def _rows(state: RepoState, sovereign: Sovereign) -> dict[str, dict[str, Any]]:
    """Existing rows by treaty id; treaties without a row get an active one."""
    doc = state.read_json(f"{state.folder(sovereign.id)}/recognition-treaties.json") or {}
    # `lifecycle` is derived state a served row carries; it goes stale in a file, so it is dropped.
    rows = {r["treaty"]["treaty_id"]: {k: v for k, v in r.items() if k != "lifecycle"}
            for r in doc.get("recognition_treaties") or []
            if isinstance(r, dict) and isinstance(r.get("treaty"), dict)}
    for treaty in sovereign.treaties:
        rows.setdefault(treaty.treaty_id, build_row(treaty.raw))
    return rows


def _file_of(state: RepoState, sovereign: Sovereign, treaty_id: str) -> str:
    return f"{state.folder(sovereign.id)}/treaties/{treaty_id}.json"


def _emit(state: RepoState, sovereign: Sovereign, rows: Mapping[str, dict[str, Any]],
          treaties: Sequence[dict[str, Any]]) -> dict[str, bytes]:
    writes = {f"{state.folder(sovereign.id)}/recognition-treaties.json": dump(build_rows(rows.values()))}
    known_files = {t.treaty_id: t.path for t in sovereign.treaties}
    for body in treaties:
        tid = body["treaty_id"]
        if tid not in known_files or known_files[tid].endswith(f"/treaties/{tid}.json"):
            writes[_file_of(state, sovereign, tid)] = dump(body)
    return writes


def subject_keys(state: RepoState, subject: str, given: Sequence[str]) -> list[str]:
    """The subject's current NA key when it is published here, else `--subject-key`."""
    published = state.verification.sovereign(subject)
    if published is None:
        if not given:
            raise AuthoringError(f"refused: {subject!r} is not in this repository; give its NA public key "
                                 "with --subject-key (from its own endpoint, not from a bundle)")
        return list(dict.fromkeys(given))
    history = published.key_history
    if history.current is None:
        raise AuthoringError(f"refused: subject {subject!r} does not verify here; fix it or give no treaty")
    unknown = [k for k in given if k not in history.public_keys]
    if unknown:
        raise AuthoringError(f"refused: --subject-key {unknown[0][:12]}... is not an NA key of {subject!r} "
                             "as its verified key history says")
    return list(dict.fromkeys(given)) or [history.current.public_key]


def _new_id(treaty_id: str | None, issuer: Sovereign) -> str:
    tid = treaty_id or str(uuid.uuid4())
    if not is_safe_id(tid):
        raise AuthoringError(f"refused: {tid!r} is not a safe treaty id (it names a file)")
    if any(t.treaty_id == tid for t in issuer.treaties):
        raise AuthoringError(f"refused: treaty id {tid} is already used by {issuer.id}")
    return tid


def _signed(body: dict[str, Any], na: Signer) -> dict[str, Any]:
    return {**body, "signatures": [na.signature(body, TREATY_KIND, body["issued_by"])]}


@dataclass(frozen=True)
class Issue:
    issuer: str
    subject: str
    scope: Scope
    valid_for: timedelta
    subject_keys: tuple[str, ...] = ()
    valid_from: datetime | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    treaty_id: str | None = None


def plan_issue(state: RepoState, spec: Issue, na: Signer) -> Plan:
    if state.verification.sovereign(spec.issuer) is None and state.verification.sovereign(spec.subject):
        raise AuthoringError(f"refused: no sovereign {spec.issuer!r} in {state.root}, but {spec.subject!r} is: "
                             "the issuer comes first (handshake treaty issue ISSUER SUBJECT)")
    issuer = state.sovereign(spec.issuer)
    if spec.subject == spec.issuer:
        raise AuthoringError("refused: a sovereign does not recognize itself")
    key = na_key_for(issuer, na, state.at)
    tid = _new_id(spec.treaty_id, issuer)
    start = spec.valid_from or state.at
    body = _signed(build_treaty(
        treaty_id=tid, issuer=issuer.id, subject=spec.subject,
        subject_public_keys=subject_keys(state, spec.subject, spec.subject_keys),
        allowed_roles=normalize_roles(spec.scope.roles), accepted_statuses=_statuses(spec.scope),
        claims=spec.scope.claims, status="active", issued_at=state.at, valid_from=start,
        expires_at=start + spec.valid_for, issued_by=key_label(key, na), metadata=spec.metadata), na)
    rows = _rows(state, issuer)
    rows[tid] = build_row(body)
    return Plan(_emit(state, issuer, rows, [body]),
                (f"treaty {tid}: {issuer.id} recognizes {spec.subject} as {', '.join(body['scope']['allowed_roles'])}"
                 f" from {body['valid_from']} until {body['expires_at']}",), na.leak_markers())


def _statuses(scope: Scope) -> list[str]:
    bad = [s for s in scope.accepted_statuses if s not in STATUSES]
    if bad or not scope.accepted_statuses:
        raise AuthoringError(f"refused: accepted statuses must be among {', '.join(STATUSES)}")
    return list(dict.fromkeys(scope.accepted_statuses))


def _live(state: RepoState, treaty_id: str) -> tuple[Sovereign, Treaty, dict[str, dict[str, Any]]]:
    issuer = state.treaty_home(treaty_id)
    treaty = next(t for t in issuer.treaties if t.treaty_id == treaty_id)
    rows = _rows(state, issuer)
    row = rows[treaty_id]
    if row.get("status") == "revoked" or treaty.status == "revoked":
        why = row.get("revocation_reason") or "signed status"
        raise AuthoringError(f"refused: treaty {treaty_id} is revoked ({why}); "
                             "revocation is terminal for a treaty id")
    return issuer, treaty, rows


def plan_successor(state: RepoState, treaty_id: str, na: Signer, *, action: str,
                   valid_for: timedelta | None, scope: Scope | None = None,
                   keys: Sequence[str] = (), new_id: str | None = None) -> Plan:
    """renew (same scope and keys) or replace (new scope): new treaty, old row revoked."""
    issuer, old, rows = _live(state, treaty_id)
    key = na_key_for(issuer, na, state.at)
    raw = old.raw
    span = valid_for or ((old.expires_at - old.valid_from) if old.expires_at and old.valid_from else None)
    if span is None or span <= timedelta(0):
        raise AuthoringError("refused: give --valid-for (the old treaty's window is unreadable)")
    old_scope = raw.get("scope") or {}
    roles = normalize_roles(scope.roles) if scope else list(old_scope.get("allowed_roles") or [])
    statuses = _statuses(scope) if scope else list(old_scope.get("accepted_statuses") or ["active"])
    claims = dict(scope.claims) if scope and scope.claims else dict(old_scope.get("claims") or {})
    tid = _new_id(new_id, issuer)
    body = _signed(build_treaty(
        treaty_id=tid, issuer=issuer.id, subject=old.subject,
        subject_public_keys=subject_keys(state, old.subject, keys) if keys else list(old.subject_public_keys),
        allowed_roles=roles, accepted_statuses=statuses, claims=claims, status="active",
        issued_at=state.at, valid_from=state.at, expires_at=state.at + span, issued_by=key_label(key, na),
        metadata={**dict(raw.get("metadata") or {}), f"{action}_of": treaty_id}), na)
    prefix = "renewed_by" if action == "renew" else "replaced_by"
    rows[tid] = build_row(body)
    rows[treaty_id] = {**rows[treaty_id], "status": "revoked", "revoked_at": unsigned_time(state.at),
                       "revocation_reason": f"{prefix}:{tid}"}
    return Plan(_emit(state, issuer, rows, [body]),
                (f"treaty {tid} {action}s {treaty_id} ({issuer.id} -> {old.subject}) until {body['expires_at']}",
                 f"treaty {treaty_id}: row revoked, reason {prefix}:{tid}"), na.leak_markers())


def _resigned(state: RepoState, treaty_id: str, na: Signer, status: str
              ) -> tuple[Sovereign, dict[str, dict[str, Any]], dict[str, Any], str]:
    issuer, old, rows = _live(state, treaty_id)
    if status != "revoked" and old.status == status:
        raise AuthoringError(f"refused: treaty {treaty_id} is already {status}")
    key = na_key_for(issuer, na, state.at)
    body = _signed(resign_treaty(old.raw, status=status, issued_at=state.at, issued_by=key_label(key, na)), na)
    rows[treaty_id] = {**rows[treaty_id], "treaty": body}
    return issuer, rows, body, f"treaty {treaty_id} ({issuer.id} -> {old.subject}) re-signed with status {status}"


def plan_status(state: RepoState, treaty_id: str, na: Signer, *, status: str) -> Plan:
    """suspend (status suspended) / resume (status active): the treaty re-signed, row unchanged."""
    issuer, rows, body, line = _resigned(state, treaty_id, na, status)
    return Plan(_emit(state, issuer, rows, [body]), (line,), na.leak_markers())


def plan_revoke(state: RepoState, treaty_id: str, *, reason: str, na: Signer | None, signed: bool) -> Plan:
    """Row revocation (default: unsigned state, as the NA records it); `signed` also re-signs
    the body with status revoked (the other published form)."""
    if not reason.strip():
        raise AuthoringError("refused: give a revocation reason")
    bodies: list[dict[str, Any]] = []
    lines: list[str] = []
    if signed:
        if na is None:
            raise AuthoringError("refused: --form signed re-signs the treaty; give --na-key")
        issuer, rows, body, line = _resigned(state, treaty_id, na, "revoked")
        bodies, lines = [body], [line]
    else:
        issuer, _, rows = _live(state, treaty_id)
    rows[treaty_id] = {**rows[treaty_id], "status": "revoked", "revoked_at": unsigned_time(state.at),
                       "revocation_reason": reason}
    lines.append(f"treaty {treaty_id}: row revoked ({reason}); revocation is terminal")
    return Plan(_emit(state, issuer, rows, bodies), tuple(lines), na.leak_markers() if na else ())
