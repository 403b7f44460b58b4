"""NA co-signer declaration (na-cosigners.json): where k-of-n co-signing keys come from.

Design (Handshake's own; genesis-mesh has no multi-NA-key rule): a sovereign whose roll call
sets `signature_threshold` k > 1 lists its extra NA keys in a declaration signed by its
pinned ROOT key (every signature must verify, as for the genesis block), so each co-signer
chains to the root exactly as an NA key succession does. A co-signer counts toward k for a
treaty or feed whose issued_at lies in its [valid_from, valid_to) window, and never alone: the
document must also carry a signature by the NA history key valid at issued_at (that single
signature is all genesis-mesh 1.8.1 checks, so a k-of-n document stays reference-valid).
Refuses co-signers that reuse the root, an operator key or an NA history key (RFC-001 rule 8).
"""
from __future__ import annotations

from typing import Any
from collections.abc import Mapping

from publisher import timestamps
from publisher.checks.signatures import check_root_signed
from publisher.findings import Finding, finding, pointer
from publisher.limits import Limits
from publisher.model import CoSigner, KeyHistory, RollCall
from publisher.schemas import check_schema

KIND = "na-cosigners"


def _times(raw: Mapping[str, Any], path: str) -> list[Finding]:
    out = []
    fields: list[tuple[tuple[str | int, ...], Any]] = [(("issued_at",), raw.get("issued_at"))]
    fields += [(("cosigners", i, name), item.get(name)) for i, item in enumerate(raw["cosigners"])
               if isinstance(item, dict) for name in ("valid_from", "valid_to")]
    for where, node in fields:
        if isinstance(node, str) and not timestamps.is_canonical(node):
            out.append(finding(path, pointer(*where), "doc.non_canonical_form",
                               f"timestamp {node[:40]!r} is not in canonical UTC form YYYY-MM-DDTHH:MM:SS[.ffffff]Z"))
    return out


def _entries(raw: Mapping[str, Any], path: str, root: str, history: KeyHistory,
             other_roles: Mapping[str, str]) -> tuple[list[CoSigner], list[Finding]]:
    out: list[Finding] = []
    accepted: list[CoSigner] = []
    seen: set[str] = set()
    for index, item in enumerate(raw["cosigners"]):
        where = pointer("cosigners", index)
        key, start, end = item["public_key"], timestamps.parse(item["valid_from"]), timestamps.parse(item["valid_to"])
        if key == root or key in history.public_keys or key in other_roles:
            role = "root key" if key == root else other_roles.get(key, "NA history key")
            out.append(finding(path, where + "/public_key", "cosigners.role_reuse",
                               f"co-signer {item['key_id'][:80]!r} is this sovereign's {role}; "
                               "a co-signer must be a distinct key"))
            continue
        if key in seen:
            out.append(finding(path, where + "/public_key", "cosigners.duplicate",
                               f"co-signer key of {item['key_id'][:80]!r} is declared twice"))
            continue
        if start is None or end is None or start >= end:
            out.append(finding(path, where, "cosigners.window_inverted",
                               f"valid_from {item['valid_from']} must be before valid_to {item['valid_to']}"))
            continue
        seen.add(key)
        accepted.append(CoSigner(key, item["key_id"], start, end))
    return accepted, out


def check_cosigners(raw: Mapping[str, Any], path: str, sovereign_id: str, root: str | None,
                    history: KeyHistory, *, other_roles: Mapping[str, str], limits: Limits
                    ) -> tuple[tuple[CoSigner, ...], list[Finding]]:
    """The co-signers a root-verified declaration grants, and findings. None without a root."""
    out = check_schema(KIND, raw, path)
    if out or not isinstance(raw.get("cosigners"), list):
        return (), out
    out.extend(_times(raw, path))
    if raw.get("sovereign_id") != sovereign_id:
        out.append(finding(path, "/sovereign_id", "cosigners.id_mismatch",
                           f"expected {sovereign_id!r}, found {str(raw.get('sovereign_id'))[:80]!r}"))
    if root is None or not history.keys:
        return (), out
    ok, found = check_root_signed(raw, KIND, path, root, other_roles=dict(other_roles), limits=limits)
    out.extend(found)
    cosigners, found = _entries(raw, path, root, history, other_roles)
    out.extend(found)
    if not ok or any(f.severity.value == "error" for f in out):
        return (), out
    return tuple(cosigners), out


def check_threshold(roll_call: RollCall | None, history: KeyHistory) -> list[Finding]:
    """A threshold no document could meet: more than the NA key plus the declared co-signers."""
    if roll_call is None or not roll_call.signature_threshold or roll_call.signature_threshold <= 1:
        return []
    reachable = 1 + len(history.cosigners)
    if roll_call.signature_threshold > reachable:
        return [finding(roll_call.path, "/signature_threshold", "cosigners.threshold_unreachable",
                        f"signature_threshold {roll_call.signature_threshold} needs "
                        f"{roll_call.signature_threshold - 1} co-signer(s) declared in na-cosigners.json "
                        f"by the root key; {len(history.cosigners)} verified")]
    return []
