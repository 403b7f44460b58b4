"""Document builders (pure): the reference's field order, every defaulted field emitted.

Each builder returns a plain dict in genesis-mesh 1.8.1's model field order with every field
present (FORMATS §1.3: producers MUST emit defaults, the signature covers them) and signed
timestamps in canonical UTC `Z` form; unsigned wrapper times (`revoked_at`) are isoformat
`+00:00` as the reference NA writes them. `sign` appends signatures over
`publisher.canonical.signed_bytes` and never changes anything else. No I/O, no clock.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from collections.abc import Iterable, Mapping, Sequence

from publisher.authoring.keys import Signer
from publisher.checks.key_history import succession_digest
from publisher.timestamps import format_z, parse

GENESIS_KIND, SUCCESSION_KIND = "genesis-block", "key-succession-record"
TREATY_KIND, FEED_KIND, ROLL_CALL_KIND = "recognition-treaty", "revocation-feed", "roll-call"
COSIGNERS_KIND = "na-cosigners"
HANDOVER_SECONDS, VOUCHING_GRACE_SECONDS = 300, 86400


def dump(document: Any) -> bytes:
    """File bytes for an authored document: indent 2, ASCII escapes, final newline.

    Layout is free (the signature covers canonical bytes, not the file); field order is kept.
    """
    return (json.dumps(document, indent=2, ensure_ascii=True) + "\n").encode("utf-8")


def unsigned_time(moment: datetime) -> str:
    """The reference NA's unsigned wrapper form (Python isoformat, `+00:00`)."""
    return moment.isoformat()


def sign(document: dict[str, Any], kind: str, signers: Iterable[Signer]) -> dict[str, Any]:
    """`document` with one more signature per signer (existing signatures kept, in order)."""
    result = dict(document)
    signatures = list(result.get("signatures") or [])
    for signer in signers:
        signatures.append(signer.signature(result, kind))
    result["signatures"] = signatures
    return result


def build_genesis(sovereign_id: str, root_public_key: str, na_public_key: str, *, at: datetime,
                  na_valid_days: int, network_version: str,
                  anchors: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """An unsigned genesis block (FORMATS §2); the NA window is shown, not enforced."""
    return {
        "network_name": sovereign_id,
        "network_version": network_version,
        "root_public_key": root_public_key,
        "network_authority": {"public_key": na_public_key, "valid_from": format_z(at),
                              "valid_to": format_z(at + timedelta(days=na_valid_days))},
        "allowed_crypto_suites": ["ed25519", "x25519"],
        "allowed_transports": ["quic", "wireguard"],
        "policy_manifest": {"hash": "sha256:placeholder", "url": None},
        "bootstrap_anchors": [{"id": i, "endpoint": e} for i, e in anchors],
        "signatures": [],
    }


def build_identity(sovereign_id: str, root_public_key: str, na_public_key: str, *,
                   endpoints: Sequence[str], metadata: Mapping[str, Any]) -> dict[str, Any]:
    """sovereign.json as RFC-001 `SovereignIdentity` (unsigned, descriptive)."""
    return {"sovereign_id": sovereign_id, "network_name": sovereign_id,
            "root_public_key": root_public_key, "network_authority_public_key": na_public_key,
            "endpoints": list(endpoints), "metadata": dict(metadata)}


def build_succession(*, succession_id: str, sovereign_id: str, key_sequence: int,
                     previous_key_id: str, previous_public_key: str, previous: Mapping[str, Any] | None,
                     new_key_id: str, new_public_key: str, effective_at: datetime,
                     new_valid_to: datetime, issued_at: datetime) -> dict[str, Any]:
    """An unsigned key succession record (FORMATS §3); the digest field is omitted, not null,
    for the first succession."""
    record: dict[str, Any] = {
        "succession_id": succession_id, "sovereign_id": sovereign_id, "key_sequence": key_sequence,
        "previous_key_id": previous_key_id, "previous_public_key": previous_public_key,
    }
    if previous is not None:
        record["previous_succession_digest"] = succession_digest(previous)
    record.update({
        "new_key_id": new_key_id, "new_public_key": new_public_key,
        "effective_at": format_z(effective_at), "new_valid_to": format_z(new_valid_to),
        "issued_at": format_z(issued_at), "signatures": [],
    })
    return record


def key_hints(genesis: Mapping[str, Any], successions: Sequence[Mapping[str, Any]],
              genesis_key_id: str | None) -> list[dict[str, Any]]:
    """The served `keys` list (unsigned hints a verifier recomputes, FORMATS §3)."""
    na = genesis["network_authority"]
    keys = [{"key_sequence": 1, "key_id": genesis_key_id, "public_key": na["public_key"],
             "valid_from": None, "succeeded_at": None, "valid_to": na.get("valid_to"),
             "valid_to_enforced": False, "current": False}]
    for record in successions:
        keys[-1]["succeeded_at"] = record["effective_at"]
        if keys[-1]["key_id"] is None:
            keys[-1]["key_id"] = record["previous_key_id"]
        keys.append({"key_sequence": record["key_sequence"], "key_id": record["new_key_id"],
                     "public_key": record["new_public_key"], "valid_from": record["effective_at"],
                     "succeeded_at": None, "valid_to": record["new_valid_to"],
                     "valid_to_enforced": True, "current": False})
    keys[-1]["current"] = True
    return keys


def build_key_history(genesis: Mapping[str, Any], successions: Sequence[Mapping[str, Any]],
                      genesis_key_id: str | None) -> dict[str, Any]:
    """key-history.json in the served `/na/key-history` shape."""
    keys = key_hints(genesis, successions, genesis_key_id)
    return {
        "sovereign_id": genesis["network_name"], "root_public_key": genesis["root_public_key"],
        "handover_seconds": HANDOVER_SECONDS, "genesis": dict(genesis),
        "successions": [dict(s) for s in successions], "keys": keys,
        "signing_key_sequence": keys[-1]["key_sequence"],
        "vouching_grace_seconds": VOUCHING_GRACE_SECONDS,
    }


def build_treaty(*, treaty_id: str, issuer: str, subject: str, subject_public_keys: Sequence[str],
                 allowed_roles: Sequence[str], accepted_statuses: Sequence[str],
                 claims: Mapping[str, Any], status: str, issued_at: datetime, valid_from: datetime,
                 expires_at: datetime, issued_by: str, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """An unsigned recognition treaty (FORMATS §5.1), model field order."""
    return {
        "treaty_id": treaty_id, "issuer_sovereign_id": issuer, "subject_sovereign_id": subject,
        "subject_public_keys": list(subject_public_keys),
        "scope": {"allowed_roles": list(allowed_roles), "accepted_statuses": list(accepted_statuses),
                  "claims": dict(claims)},
        "status": status, "issued_at": format_z(issued_at), "valid_from": format_z(valid_from),
        "expires_at": format_z(expires_at), "issued_by": issued_by, "metadata": dict(metadata),
        "signatures": [],
    }


def resign_treaty(treaty: Mapping[str, Any], *, status: str, issued_at: datetime,
                  issued_by: str) -> dict[str, Any]:
    """The same treaty re-signed with another status (suspend / resume / signed revoke)."""
    body = {k: v for k, v in treaty.items() if k != "signatures"}
    body.update({"status": status, "issued_at": format_z(issued_at), "issued_by": issued_by,
                 "signatures": []})
    return body


def build_row(treaty: Mapping[str, Any], *, status: str = "active", revoked_at: str | None = None,
              reason: str | None = None, reissued_from: str | None = None,
              superseded_by: str | None = None) -> dict[str, Any]:
    """One `/recognition-treaties` row (1.8.1 shape). `lifecycle` is left out: it is derived,
    time-dependent state that goes stale in a file (FORMATS §14.6)."""
    return {"treaty": dict(treaty), "status": status, "revoked_at": revoked_at,
            "revocation_reason": reason, "reissued_from": reissued_from, "superseded_by": superseded_by}


def build_rows(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """recognition-treaties.json: rows ordered by issued_at then treaty id, like the NA's list."""
    def key(row: Mapping[str, Any]) -> tuple[Any, str]:
        treaty = row["treaty"]
        issued = parse(treaty.get("issued_at"))
        return (issued.timestamp() if issued else 0.0, str(treaty.get("treaty_id")))

    ordered = sorted((dict(r) for r in rows), key=key)
    return {"count": len(ordered), "recognition_treaties": ordered}


def build_feed(*, feed_id: str, issuer: str, sequence: int, issued_at: datetime, ids: Iterable[str],
               reasons: Mapping[str, str], issued_by: str,
               grant_ids: Sequence[str] | None = None) -> dict[str, Any]:
    """An unsigned revocation feed (FORMATS §6): ids sorted and unique, reasons only for them."""
    listed = sorted(set(ids))
    feed: dict[str, Any] = {
        "feed_id": feed_id, "issuer_sovereign_id": issuer, "sequence": sequence,
        "issued_at": format_z(issued_at), "revoked_attestation_ids": listed,
        "revocation_reasons": {i: reasons[i] for i in listed if i in reasons},
        "issued_by": issued_by, "signatures": [],
    }
    if grant_ids is not None:
        feed["revoked_grant_ids"] = sorted(set(grant_ids))
    return feed


def build_roll_call(*, sovereign_id: str, custody_model: str, parties: Sequence[Mapping[str, Any]],
                    issued_at: datetime, issued_by: str, threshold: int | None) -> dict[str, Any]:
    """An unsigned roll call (Handshake's RFC-008 document); threshold only when above 1."""
    doc: dict[str, Any] = {"sovereign_id": sovereign_id, "custody_model": custody_model,
                           "parties": [dict(p) for p in parties], "issued_at": format_z(issued_at),
                           "issued_by": issued_by}
    if threshold is not None and threshold > 1:
        doc["signature_threshold"] = threshold
    doc["signatures"] = []
    return doc


def build_party(name: str, roles: Sequence[str], holds_keys: Sequence[str], *, contact: str | None = None,
                url: str | None = None, notes: Sequence[str] = ()) -> dict[str, Any]:
    party: dict[str, Any] = {"name": name, "roles": list(dict.fromkeys(roles)),
                             "holds_keys": list(dict.fromkeys(holds_keys))}
    if contact:
        party["contact"] = contact
    if url:
        party["url"] = url
    if notes:
        party["assistance_notes"] = list(notes)
    return party


def build_cosigners(*, sovereign_id: str, cosigners: Sequence[Mapping[str, Any]], issued_at: datetime,
                    issued_by: str) -> dict[str, Any]:
    """An unsigned co-signer declaration (root-signed; see `publisher.checks.cosigners`)."""
    ordered = sorted((dict(c) for c in cosigners), key=lambda c: (str(c.get("key_id")), str(c.get("public_key"))))
    return {"sovereign_id": sovereign_id, "issued_at": format_z(issued_at), "issued_by": issued_by,
            "cosigners": ordered, "signatures": []}
