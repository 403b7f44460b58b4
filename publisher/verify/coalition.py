"""Coalition stage: what needs more than one sovereign, or the evaluation time.

Pure: takes the per-sovereign results, coalition.json and trust.lock values, and `at`.
Cross-references (treaty subjects' keys, recognition-policy pins, foreign signers),
coalition membership and genesis pins, trust.lock coverage, and the time-dependent
judgements: each treaty's lifecycle state and the NA key vouching horizon. No message
depends on `at` itself (it is stated once, in the summary): the findings for the same input
change only when a deadline is crossed, which is what lets a snapshot answer (timewindows).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple
from collections.abc import Container, Iterable, Mapping, Sequence

from publisher.canonical import content_digest
from publisher.checks.signatures import Unexplained, explain_foreign
from publisher.checks.urls import SAFE_CONTACT_SCHEMES, is_safe_url
from publisher.findings import Finding, finding, pointer
from publisher.layout import COALITION_FILE, LOCK_FILE
from publisher.lifecycle import EXPIRING_WITHIN, HIGH_RISK_WITHIN, treaty_state
from publisher.model import Coalition, KeyHistory, Member, Sovereign
from publisher.schemas import check_schema
from publisher.verify.sovereign import SovereignResult
from publisher.jsonshape import arr, obj, text
from publisher.timestamps import zulu


class Crossing(NamedTuple):
    """What the checks across folders read of one verified sovereign, and nothing more: built
    where the folder is verified and cached beside its result, so the parent process runs
    these checks on 10,000 of them without loading 10,000 models (plain tuples and strings
    load in a fraction of the time; the models' datetimes and dataclasses dominated)."""

    id: str
    root_public_key: str | None
    genesis_digest: str | None                   # None: no verified genesis model
    na_keys: tuple[str, ...]                     # the NA key history's public keys, in order
    current: tuple[int, str] | None              # (sequence, public key) of the current NA key
    treaties: tuple[tuple[str, str, str, tuple[str, ...]], ...]   # (path, treaty id, subject, subject keys)
    issuers: tuple[tuple[int, str, tuple[Any, ...]], ...]         # recognized_issuers: (index, id, public_keys)
    unexplained: tuple[Unexplained, ...] = ()    # documents no key of its own verifies


def crossing(sovereign: Sovereign, unexplained: tuple[Unexplained, ...] = ()) -> Crossing:
    """The Crossing of a model (and of its result's `unexplained` documents)."""
    history = sovereign.key_history
    current = history.current
    issuers = tuple((index, issuer["sovereign_id"], tuple(arr(issuer.get("public_keys"))))
                    for index, issuer in enumerate(arr(obj(sovereign.recognition_policy).get("recognized_issuers")))
                    if isinstance(issuer, dict) and isinstance(issuer.get("sovereign_id"), str))
    return Crossing(sovereign.id, sovereign.root_public_key,
                    sovereign.genesis.digest if sovereign.genesis is not None else None, history.public_keys,
                    (current.sequence, current.public_key) if current is not None else None,
                    tuple((t.path, t.treaty_id, t.subject, t.subject_public_keys) for t in sovereign.treaties),
                    issuers, unexplained)


def crossings(sovereigns: Mapping[str, Sovereign]) -> dict[str, Crossing]:
    """The Crossing of each model, by id (review's models: no unexplained documents)."""
    return {sid: crossing(sovereign) for sid, sovereign in sovereigns.items()}


def result_crossing(result: SovereignResult) -> Crossing:
    return crossing(result.sovereign, result.unexplained)


def parse_lock(raw: Mapping[str, Any] | None) -> tuple[dict[str, str], list[Finding]]:
    """Pinned root keys by sovereign id from trust.lock (schema findings for a bad lock)."""
    if raw is None:
        return {}, []
    out = check_schema("trust-lock", raw, LOCK_FILE)
    pins: dict[str, str] = {}
    entries = obj(raw.get("sovereigns"))
    for sovereign_id, entry in entries.items():
        if isinstance(entry, dict) and isinstance(entry.get("root_public_key"), str):
            pins[sovereign_id] = entry["root_public_key"]
    return pins, out


def build_coalition(raw: Mapping[str, Any] | None, sovereign_ids: Sequence[str]) -> tuple[Coalition, list[Finding]]:
    """The coalition from coalition.json; without one, every sovereign folder is a member, so a
    repository can be verified before it declares itself. Unsafe links are kept, as text only."""
    if raw is None:
        return Coalition(name="Handshake coalition", description="", operator={},
                         members=tuple(Member(s) for s in sovereign_ids),
                         declared=False), [finding(COALITION_FILE, "", "coalition.missing",
                                                   "no coalition.json: the coalition is every sovereign folder")]
    out = check_schema("coalition", raw, COALITION_FILE)
    members: list[Member] = []
    seen: set[str] = set()
    for index, item in enumerate(arr(raw.get("members"))):
        if not isinstance(item, dict) or not isinstance(item.get("sovereign_id"), str):
            continue
        sid = item["sovereign_id"]
        if sid in seen:
            out.append(finding(COALITION_FILE, pointer("members", index), "coalition.duplicate_member",
                               f"{sid[:80]!r} is listed twice"))
            continue
        seen.add(sid)

        url = text(item.get("handshake_url"))
        members.append(Member(sid, url, text(item.get("genesis_sha256")), text(item.get("note")), index=index))
        if url is not None and not is_safe_url(url):
            out.append(finding(COALITION_FILE, pointer("members", index, "handshake_url"), "coalition.unsafe_url",
                               "handshake_url is not an http(s) URL; shown as text"))
    operator = obj(raw.get("operator"))
    for where, value, schemes in (
        ("/change_channel", raw.get("change_channel"), SAFE_CONTACT_SCHEMES[:2]),
        ("/site_url", raw.get("site_url"), SAFE_CONTACT_SCHEMES[:2]),
        ("/docs_url", raw.get("docs_url"), SAFE_CONTACT_SCHEMES[:2]),
        ("/operator/url", operator.get("url"), SAFE_CONTACT_SCHEMES[:2]),
        ("/operator/contact", operator.get("contact"), SAFE_CONTACT_SCHEMES),
    ):
        if value is not None and not is_safe_url(value, schemes):
            out.append(finding(COALITION_FILE, where, "coalition.unsafe_url",
                               f"{str(value)[:80]!r} is not a safe link; shown as text"))

    def opt(key: str) -> str | None:
        return text(raw.get(key))

    notices = arr(raw.get("notice_commitments"))
    coalition = Coalition(
        name=opt("name") or "Handshake coalition", description=opt("description") or "",
        operator=operator, members=tuple(members), change_channel=opt("change_channel"),
        site_url=opt("site_url"), docs_url=opt("docs_url"),
        notice_commitments=tuple(n for n in notices if isinstance(n, dict)),
        surfaces=obj(raw.get("surfaces")),
        fingerprint=content_digest(raw), declared=True, raw=raw,
    )
    return coalition, out


def check_membership(coalition: Coalition, sovereigns: Mapping[str, Crossing]) -> list[Finding]:
    out: list[Finding] = []
    if not coalition.declared:
        return out
    listed = {m.sovereign_id for m in coalition.members}
    for index, member in enumerate(coalition.members):
        where = pointer("members", index if member.index is None else member.index)
        sovereign = sovereigns.get(member.sovereign_id)
        if sovereign is None:
            out.append(finding(COALITION_FILE, where, "coalition.member_missing",
                               f"{member.sovereign_id[:80]!r} has no folder under sovereigns/"))
        elif member.genesis_sha256 and sovereign.genesis_digest != member.genesis_sha256:
            out.append(finding(COALITION_FILE, where + "/genesis_sha256", "coalition.genesis_pin_mismatch",
                               f"pinned {member.genesis_sha256}, the published genesis hashes to "
                               f"{sovereign.genesis_digest or 'nothing'}"))
    for sid in sorted(set(sovereigns) - listed):
        out.append(finding(f"sovereigns/{sid}", "", "coalition.unlisted_sovereign",
                           f"{sid[:80]!r} is published but not a member in coalition.json"))
    return out


def check_lock_coverage(lock_present: bool, pins: Mapping[str, str], sovereigns: Iterable[str]) -> list[Finding]:
    if not lock_present:
        return []
    out = [finding(LOCK_FILE, pointer("sovereigns", sid), "lock.stale_entry",
                   f"{sid[:80]!r} is pinned but has no folder") for sid in sorted(set(pins) - set(sovereigns))]
    out += [finding(f"sovereigns/{sid}", "", "lock.unpinned", f"{sid[:80]!r} is not pinned in trust.lock")
            for sid in sorted(set(sovereigns) - set(pins))]
    return out


def check_cross_references(sovereigns: Mapping[str, Crossing], *, issuers: Iterable[str] | None = None,
                           subjects: Container[str] | None = None) -> list[Finding]:
    """Keys one folder pins for another (a treaty's subject keys, a policy's recognized
    issuers) against that sovereign's verified NA keys: only the coalition stage sees both.
    A review narrows it: only the folders `issuers`, only what they pin for `subjects`."""
    out: list[Finding] = []
    na_keys: dict[str, frozenset[str]] = {}     # by sovereign: 100,000 treaties name 10,000 of them

    def na_keys_of(sovereign: Crossing) -> frozenset[str]:
        known = na_keys.get(sovereign.id)
        if known is None:
            known = na_keys[sovereign.id] = frozenset(sovereign.na_keys)
        return known

    checked = sovereigns.values() if issuers is None else [sovereigns[i] for i in issuers if i in sovereigns]
    for sovereign in checked:
        for path, _, subject_id, pinned in sovereign.treaties:
            if subjects is not None and subject_id not in subjects:
                continue
            subject = sovereigns.get(subject_id)
            if subject is None:
                out.append(finding(path, "/subject_sovereign_id", "treaty.external_subject",
                                   f"{subject_id[:80]!r} is not published in this repository"))
                continue
            if not subject.na_keys:
                continue
            known = na_keys_of(subject)
            unknown = [k for k in pinned if k not in known]
            if unknown or not pinned:
                out.append(finding(path, "/subject_public_keys", "treaty.subject_keys_mismatch",
                                   f"{len(unknown)} of {len(pinned)} pinned key(s) are not "
                                   f"NA keys of {subject_id[:80]!r}"))
            elif subject.current and subject.current[1] not in pinned:
                out.append(finding(path, "/subject_public_keys", "treaty.subject_key_retired",
                                   f"pins a key {subject_id[:80]!r} has since succeeded (current is "
                                   f"#{subject.current[0]})"))
        for index, issuer_id, keys in sovereign.issuers:
            if issuer_id not in sovereigns or (subjects is not None and issuer_id not in subjects):
                continue
            known = na_keys_of(sovereigns[issuer_id])
            # Any JSON value: one that is not a string is never a key (and may not be hashable).
            if known and any(not isinstance(k, str) or k not in known for k in keys):
                out.append(finding(f"sovereigns/{sovereign.id}/recognition-policy.json",
                                   pointer("recognized_issuers", index, "public_keys"), "recpolicy.key_mismatch",
                                   f"pins keys that are not NA keys of {issuer_id[:80]!r}"))
    return out


def check_foreign_signers(checked: Iterable[Crossing], sovereigns: Mapping[str, Crossing]
                          ) -> tuple[list[Finding], set[tuple[str, str]]]:
    """sig.foreign_key findings for the unexplained documents of `checked`, and the
    (path, pointer) of the sig.invalid findings they replace."""
    out: list[Finding] = []
    replaced: set[tuple[str, str]] = set()
    keys: dict[str, tuple[str, ...]] | None = None
    for sovereign in checked:
        for unexplained in sovereign.unexplained:
            if keys is None:       # built once, and only when some document needs it
                keys = {sid: s.na_keys + ((s.root_public_key,) if s.root_public_key else ())
                        for sid, s in sovereigns.items()}
            found = explain_foreign(unexplained, keys, sovereign.id)
            if found:
                out.append(found)
                replaced.add((unexplained.path, found.pointer))
    return out, replaced


def stage_failure(exc: BaseException) -> Finding:
    """An unexpected exception in a coalition-wide check, as a finding. Those checks see every
    folder at once, so there is no folder to fail at, as a folder's checks do
    (`dispatch.failed`): one hostile value must still give a report, not a traceback."""
    return finding("sovereigns", "", "internal.check_failed",
                   f"coalition checks: {type(exc).__name__}: {str(exc)[:200]}")


def unknown_coalition() -> Coalition:
    """The coalition when coalition.json could not be taken into account (nothing verified)."""
    return Coalition(name="Handshake coalition", description="", operator={}, declared=False)


def check_vouching(path: str, signer: str | None, history: KeyHistory, at: datetime, kind: str) -> list[Finding]:
    """`sig.outlives_key` when the NA key that signed a record ended more than the hand-over and
    24 h before `at` (genesis-mesh 1.8.0 vouching horizon; nodes apply it to policy manifests)."""
    key = history.key_for(signer) if signer else None
    if key is None or key.end is None or key.vouches_at(at):     # a key without an end vouches
        return []
    return [finding(path, "/signatures", "sig.outlives_key",
                    f"signed by NA key #{key.sequence}, which ended at {zulu(key.end)}; "
                    f"re-issue the {kind} under the current key")]


def check_time(sovereigns: Mapping[str, Sovereign], at: datetime) -> list[Finding]:
    """Lifecycle state of every treaty, and NA-signed records whose key no longer vouches."""
    out: list[Finding] = []
    for sovereign in sovereigns.values():
        history = sovereign.key_history
        for treaty in sovereign.treaties:
            state = treaty_state(treaty, at)
            label = f"treaty {treaty.treaty_id[:60]} ({treaty.issuer[:40]} -> {treaty.subject[:40]})"
            if state.state == "expired":
                out.append(finding(treaty.path, "/expires_at", "treaty.expired",
                                   f"{label} expired at {treaty.raw.get('expires_at')}"))
            elif state.state == "expiring_soon":
                within = HIGH_RISK_WITHIN if state.expiry_risk == "high" else EXPIRING_WITHIN
                out.append(finding(treaty.path, "/expires_at", "treaty.expiring_soon",
                                   f"{label} expires at {treaty.raw.get('expires_at')}, within "
                                   f"{within.total_seconds() / 3600:.0f} h (risk {state.expiry_risk})"))
            elif state.state == "not_yet_valid":
                out.append(finding(treaty.path, "/valid_from", "treaty.not_yet_valid",
                                   f"{label} becomes valid at {treaty.raw.get('valid_from')}"))
            elif state.state in ("revoked", "replaced", "suspended"):
                detail = f" by {state.replacement_id}" if state.replacement_id else ""
                reason = f" ({state.reason})" if state.reason else ""
                out.append(finding(treaty.path, "/status", f"treaty.{state.state}",
                                   f"{label} is {state.state}{detail}{reason}"))
            if state.is_active:
                out.extend(check_vouching(treaty.path, treaty.signer, history, at, "treaty"))
        for document, kind in ((sovereign.feed, "revocation feed"), (sovereign.policy_manifest, "policy manifest"),
                               (sovereign.roll_call, "roll call")):
            if document is not None:
                out.extend(check_vouching(document.path, document.signer, history, at, kind))
    return out
