"""Root key rotation records (schemas/root-rotation.schema.json): follow the chain from a pin.

Pure. `follow_rotations(anchor, records, sovereign_id)` walks `root-rotations/<n>.json` in
sequence order from the pinned root: schema -> file name is the sequence -> sovereign ->
chain (sequence, previous root) -> key reuse -> canonical timestamps, not backdated -> a
signature by the previous root -> a signature by the new root (proof of possession). It
returns the root at the end of the verified chain; the first refusal stops the chain (later
records are `rotation.not_used`). It never trusts a record's own claims without signatures.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from collections.abc import Mapping, Sequence

from publisher import crypto, timestamps
from publisher.canonical import signed_bytes
from publisher.findings import Finding, finding
from publisher.schemas import check_schema

KIND = "root-rotation"


@dataclass(frozen=True)
class RotationChain:
    root: str | None                 # the root at the end of the verified chain (anchor if none)
    used: tuple[str, ...]            # paths of the records that verified, in order
    findings: tuple[Finding, ...]


def _signed_by(record: Mapping[str, Any], key: str) -> bool:
    message = signed_bytes(record, KIND)
    sigs = record.get("signatures")
    for item in sigs[:16] if isinstance(sigs, list) else []:
        sig = crypto.decode_signature(item.get("sig")) if isinstance(item, dict) else None
        if sig is not None and crypto.verify(key, message, sig):
            return True
    return False


def _sequence_of(path: str) -> int:
    name = path.rsplit("/", 1)[-1].removesuffix(".json")
    return int(name) if name.isdigit() else 0


def _refusal(path: str, record: Any, expected: int, current: str, used: Sequence[str],
             sovereign_id: str) -> list[Finding]:
    if not isinstance(record, dict):
        return [finding(path, "", "doc.malformed", "a root rotation record must be a JSON object")]
    problems = check_schema(KIND, record, path)
    if problems:
        return problems

    def fail(code: str, where: str, message: str) -> list[Finding]:
        return [finding(path, where, code, message)]

    if record["sequence"] != _sequence_of(path):
        return fail("rotation.filename_mismatch", "/sequence",
                    f"sequence {record['sequence']} is stored as {path.rsplit('/', 1)[-1]}")
    if record["sovereign_id"] != sovereign_id:
        return fail("rotation.sovereign_mismatch", "/sovereign_id",
                    f"expected {sovereign_id[:80]!r} (the folder), found {record['sovereign_id'][:80]!r}")
    if record["sequence"] != expected:
        return fail("rotation.chain_break", "/sequence", f"expected sequence {expected}, found {record['sequence']}")
    if record["previous_root_public_key"] != current:
        return fail("rotation.chain_break", "/previous_root_public_key",
                    "previous_root_public_key is not the current root (the pin, or the previous "
                    "record's new root)")
    new = record["new_root_public_key"]
    if new == current or new in used:
        return fail("rotation.key_reused", "/new_root_public_key", "new_root_public_key was already a root key")
    for field in ("effective_at", "issued_at"):
        if not timestamps.is_canonical(record[field]):
            return fail("doc.non_canonical_form", f"/{field}",
                        f"timestamp {record[field][:40]!r} is not in canonical UTC form YYYY-MM-DDTHH:MM:SS[.ffffff]Z")
    if timestamps.parse(record["issued_at"]) > timestamps.parse(record["effective_at"]):  # type: ignore[operator]
        return fail("rotation.backdated", "/issued_at", "issued_at is after effective_at")
    if not _signed_by(record, current):
        return fail("rotation.invalid_old_root_signature", "/signatures",
                    "no signature verifies under the previous root key")
    if not _signed_by(record, new):
        return fail("rotation.invalid_new_root_signature", "/signatures",
                    "the new root key did not sign the record (proof of possession)")
    return []


def follow_rotations(anchor: str | None, records: Sequence[tuple[str, Any]], sovereign_id: str) -> RotationChain:
    """The root reached from `anchor` through `records` ((path, parsed record) pairs)."""
    if anchor is None or not records:
        return RotationChain(anchor, (), ())
    ordered = sorted(records, key=lambda item: (_sequence_of(item[0]), item[0]))
    current, roots, used = anchor, [anchor], list[str]()
    out: list[Finding] = []
    for index, (path, record) in enumerate(ordered):
        refusal = _refusal(path, record, len(used) + 1, current, roots, sovereign_id)
        if refusal:
            out.extend(refusal)
            out.extend(finding(later, "", "rotation.not_used", "not used: an earlier rotation was refused")
                       for later, _ in ordered[index + 1:])
            break
        current = record["new_root_public_key"]
        roots.append(current)
        used.append(path)
    return RotationChain(current, tuple(used), tuple(out))


def rotation_verifies(anchor: str | None, records: Sequence[tuple[str, Any]], sovereign_id: str,
                      root: str | None) -> bool:
    """True when `root` is the end of the chain from `anchor` (the anchor itself when there are no
    records) and every record verified. Going back to a retired root is not a rotation."""
    if root is None or anchor is None:
        return True
    chain = follow_rotations(anchor, records, sovereign_id)
    return chain.root == root and not chain.findings
