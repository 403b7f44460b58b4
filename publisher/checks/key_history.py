"""NA key history (FORMATS §3): genesis key plus root-signed successions, verified in order.

Mirrors genesis-mesh 1.8.1 `trust.key_succession.succession_refusal`: schema -> form ->
sovereign -> chain (sequence, previous key, previous digest) -> key reuse -> backdating ->
ordering -> previous key expiry -> root, new-key and previous-key signatures. Nothing after
the first refused record is used. Only `genesis` and `successions` are evidence; the served
`keys` list is a hint that is compared, never trusted.
"""
from __future__ import annotations

from typing import Any
from collections.abc import Mapping, Sequence

from publisher import crypto, timestamps
from publisher.canonical import canonical_bytes, sha256_hex, signed_bytes
from publisher.checks.form import check_form
from publisher.findings import Finding, finding, pointer
from publisher.limits import DEFAULT_LIMITS, Limits
from publisher.model import Genesis, KeyHistory, NaKey
from publisher.schemas import check_schema
from publisher.jsonshape import arr

KIND = "key-succession-record"


def genesis_key(genesis: Genesis, key_id: str | None = None) -> NaKey:
    return NaKey(1, genesis.na_public_key, key_id, None, None, genesis.na_valid_to, False)


def succession_digest(record: Mapping[str, Any]) -> str:
    return sha256_hex(signed_bytes(record, KIND))


def _signed_by(record: Mapping[str, Any], key: str) -> bool:
    message = signed_bytes(record, KIND)
    for item in record.get("signatures") or []:
        sig = crypto.decode_signature(item.get("sig")) if isinstance(item, dict) else None
        if sig is not None and crypto.verify(key, message, sig):
            return True
    return False


def _refusal(record: Any, where: str, path: str, previous: NaKey, previous_digest: str | None,
             sovereign_id: str, root: str, held: Sequence[str], limits: Limits) -> list[Finding]:
    if not isinstance(record, dict):
        return [finding(path, where, "doc.malformed", "a succession record must be an object")]
    problems = check_schema(KIND, record, path)
    problems = [f.__class__(f.path, where + f.pointer, f.code, f.severity, f.message) for f in problems]
    if problems and not all(f.code == "doc.unknown_field" for f in problems):
        return problems
    form = problems or [f.__class__(f.path, where + f.pointer, f.code, f.severity, f.message)
                        for f in check_form(record, KIND, path)]
    if form and any(f.code == "doc.malformed" for f in form):
        return form   # a non-UTC time: the reference's model refuses the record (payload_invalid)
    signatures = record.get("signatures")
    if isinstance(signatures, list) and len(signatures) > limits.max_signatures:
        return [finding(path, where + "/signatures", "limits.too_many_signatures",
                        f"more than {limits.max_signatures} signatures; none were tried")]
    if form:
        # The reference's strict_refusal: an unknown field or a non-canonical form is reported by
        # name only when one of the record's signers signed it as received; otherwise the
        # signature does not cover what was received (asked only within the signature bound).
        signers = [root, previous.public_key, record.get("new_public_key")]
        if any(isinstance(k, str) and crypto.is_public_key(k) and _signed_by(record, k) for k in signers):
            return form
        return [finding(path, where + "/signatures", "sig.invalid",
                        "no signature verifies over the record as received (" + form[0].message[:120] + ")")]

    def fail(code: str, message: str, field: str = "") -> list[Finding]:
        return [finding(path, where + (pointer(field) if field else ""), code, message)]

    if record["sovereign_id"] != sovereign_id:
        return fail("succession.sovereign_mismatch",
                    f"expected sovereign {sovereign_id!r}, found {record['sovereign_id'][:80]!r}", "sovereign_id")
    if record["key_sequence"] != previous.sequence + 1:
        return fail("succession.chain_break", f"expected key_sequence {previous.sequence + 1}, "
                    f"found {record['key_sequence']}", "key_sequence")
    if record["previous_public_key"] != previous.public_key:
        return fail("succession.chain_break", "previous_public_key is not the current NA key",
                    "previous_public_key")
    if record.get("previous_succession_digest") != previous_digest:
        return fail("succession.chain_break", f"expected previous_succession_digest "
                    f"{previous_digest or 'absent'}, found {record.get('previous_succession_digest') or 'absent'}",
                    "previous_succession_digest")
    new_key = record["new_public_key"]
    if not crypto.is_public_key(new_key) or new_key in held or new_key == root:
        return fail("succession.key_reused", "new_public_key is not a fresh 32-byte key "
                    "(already in the history, the root key, or malformed)", "new_public_key")
    effective = timestamps.parse(record["effective_at"])
    issued = timestamps.parse(record["issued_at"])
    new_valid_to = timestamps.parse(record["new_valid_to"])
    if effective is None or issued is None or new_valid_to is None:
        return fail("doc.malformed", "unreadable timestamp")
    if issued > effective:
        return fail("succession.backdated", "issued_at is after effective_at", "issued_at")
    if (previous.valid_from is not None and effective <= previous.valid_from) or new_valid_to <= effective:
        return fail("succession.not_increasing", "effective_at must follow the previous key's start "
                    "and precede new_valid_to", "effective_at")
    if previous.valid_to_enforced and previous.valid_to is not None and effective > previous.valid_to:
        return fail("succession.after_expiry", "the previous key expired before effective_at", "effective_at")
    if not _signed_by(record, root):
        return fail("succession.invalid_root_signature", "no signature verifies under the root key", "signatures")
    if not _signed_by(record, new_key):
        return fail("succession.invalid_new_key_signature", "the new key did not sign the record", "signatures")
    if not _signed_by(record, previous.public_key):
        return fail("succession.invalid_previous_signature", "the previous NA key did not sign the record",
                    "signatures")
    return []


def build_key_history(genesis: Genesis, raw: Mapping[str, Any] | None, path: str,
                      sovereign_id: str, limits: Limits = DEFAULT_LIMITS) -> tuple[KeyHistory, list[Finding]]:
    """The verified key history; a genesis that did not verify yields no keys at all."""
    if not genesis.verified:
        return KeyHistory(()), []
    hint_ids = _hint_key_ids(raw)
    keys = [genesis_key(genesis, hint_ids.get(1))]
    if raw is None:
        return KeyHistory(tuple(keys)), []
    out = check_schema("key-history", raw, path)
    embedded = raw.get("genesis")
    if isinstance(embedded, dict) and canonical_bytes(embedded) != canonical_bytes(genesis.raw):
        out.append(finding(path, "/genesis", "history.genesis_mismatch",
                           "the embedded genesis block differs from genesis.signed.json"))
        return KeyHistory(tuple(keys)), out
    for field, expected in (("sovereign_id", sovereign_id), ("root_public_key", genesis.root_public_key)):
        if field in raw and raw[field] != expected:
            out.append(finding(path, pointer(field), "history.sovereign_mismatch",
                               f"expected {expected!r}, found {str(raw[field])[:80]!r}"))
    records = arr(raw.get("successions"))
    previous_digest: str | None = None
    for index, record in enumerate(records):
        where = pointer("successions", index)
        previous = keys[-1]
        if len(keys) >= limits.max_history_keys:
            # Every document is tried against the history's keys: its length multiplies the work.
            out.append(finding(path, where, "limits.too_many_keys",
                               f"the history already holds {len(keys)} NA keys (limit "
                               f"{limits.max_history_keys}); this and later successions were not used"))
            break
        refusal = _refusal(record, where, path, previous, previous_digest, genesis.network_name,
                           genesis.root_public_key, [k.public_key for k in keys], limits)
        if refusal:
            out.extend(refusal)
            for later in range(index + 1, len(records)):
                out.append(finding(path, pointer("successions", later), "succession.not_used",
                                   "not used: an earlier succession was refused"))
            break
        effective = timestamps.parse(record["effective_at"])
        keys[-1] = NaKey(previous.sequence, previous.public_key, previous.key_id or record["previous_key_id"],
                         previous.valid_from, effective, previous.valid_to, previous.valid_to_enforced)
        keys.append(NaKey(record["key_sequence"], record["new_public_key"], record["new_key_id"],
                          effective, None, timestamps.parse(record["new_valid_to"]), True))
        previous_digest = succession_digest(record)
    history = KeyHistory(tuple(keys))
    out.extend(_compare_hints(raw, history, path))
    return history, out


def _hint_key_ids(raw: Mapping[str, Any] | None) -> dict[int, str]:
    hints = raw.get("keys") if isinstance(raw, dict) else None
    out: dict[int, str] = {}
    for item in hints if isinstance(hints, list) else []:
        if isinstance(item, dict) and isinstance(item.get("key_sequence"), int) and isinstance(item.get("key_id"), str):
            out[item["key_sequence"]] = item["key_id"]
    return out


def _compare_hints(raw: Mapping[str, Any], history: KeyHistory, path: str) -> list[Finding]:
    hints = raw.get("keys")
    if not isinstance(hints, list):
        return []
    claimed = [h.get("public_key") for h in hints if isinstance(h, dict)]
    if claimed and claimed != list(history.public_keys):
        return [finding(path, "/keys", "history.hint_mismatch",
                        f"the keys list names {len(claimed)} key(s); the verified successions give "
                        f"{len(history.keys)}")]
    return []
