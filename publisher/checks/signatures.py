"""Signature checks over the canonical signed bytes, by key role (FORMATS §1.2, §1.7, §3).

A `key_id` is a label: every signature is tried against every key the signer's verified
chain allows for that role and time. When nothing verifies, the keys of other roles and of
the document's own sovereign are tried only to explain the failure (`sig.wrong_role`,
`sig.key_not_valid_at_time`); they never make a document valid.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from collections.abc import Mapping, Sequence

from publisher import crypto
from publisher.canonical import signed_bytes
from publisher.findings import Finding, finding
from publisher.limits import Limits
from publisher.model import KeyHistory


@dataclass(frozen=True)
class Unexplained:
    """A document no allowed key verifies; the coalition stage tries other sovereigns' keys."""

    path: str
    message: bytes
    signatures: tuple[bytes, ...]
    mentioned: tuple[str, ...]       # sovereign ids the document names


def decoded_signatures(document: Mapping[str, Any], limits: Limits) -> list[bytes] | None:
    """The distinct decodable 64-byte signatures (malformed ones are the schema's findings);
    None when there are more than the limit. A repeated signature is tried once."""
    raw = document.get("signatures")
    if not isinstance(raw, list):
        return []
    if len(raw) > limits.max_signatures:
        return None
    out = []
    for item in raw:
        if isinstance(item, dict):
            sig = crypto.decode_signature(item.get("sig"))
            if sig is not None and sig not in out:
                out.append(sig)
    return out


def _verifies(keys: Sequence[str], message: bytes, sigs: Sequence[bytes]) -> str | None:
    for key in keys:
        for sig in sigs:
            if crypto.verify(key, message, sig):
                return key
    return None


def _count_signers(keys: Sequence[str], message: bytes, sigs: Sequence[bytes]) -> set[str]:
    return {k for k in keys for s in sigs if crypto.verify(k, message, s)}


@dataclass(frozen=True)
class NaCheck:
    signer: str | None
    findings: tuple[Finding, ...]
    unexplained: Unexplained | None = None


def check_na_signed(
    document: Mapping[str, Any], kind: str, path: str, history: KeyHistory, at: datetime | None,
    *, other_roles: Mapping[str, str], mentioned: Sequence[str], limits: Limits, threshold: int = 1,
) -> NaCheck:
    """Verify an NA-signed document judged at its own time `at` (its issued_at).

    `other_roles` maps this sovereign's non-NA public keys (root, operator) to a role name.
    Returns the verifying NA key, or findings explaining why none does.
    """
    sigs = decoded_signatures(document, limits)
    if sigs is None:
        return NaCheck(None, (finding(path, "/signatures", "limits.too_many_signatures",
                                      f"more than {limits.max_signatures} signatures"),))
    if not document.get("signatures"):
        return NaCheck(None, (finding(path, "/signatures", "sig.missing",
                                      "expected at least one signature by the NA key, found none"),))
    if not sigs:
        # Every signature is undecodable: that is the finding, not "does not verify".
        return NaCheck(None, (finding(path, "/signatures", "sig.malformed",
                                      "no signature is 64 bytes of standard padded base64"),))
    message = signed_bytes(document, kind)
    allowed = [k.public_key for k in (history.keys_at(at) if at else history.keys)]
    if threshold > 1:
        # k-of-n: co-signers declared by the root (publisher.checks.cosigners) count toward k,
        # but only beside a signature by the NA key history, which is all the reference checks.
        primary = _count_signers(allowed, message, sigs)
        extra = [c.public_key for c in history.cosigners_at(at)] if at else []
        signers = primary | _count_signers(extra, message, sigs)
        if primary and len(signers) >= threshold:
            return NaCheck(sorted(primary)[0], ())
        if signers:
            lacking = "" if primary else "; none is by the NA key valid at issued_at, and co-signers never sign alone"
            return NaCheck(None, (finding(path, "/signatures", "sig.threshold_not_met",
                                          f"{len(signers)} distinct NA key(s) signed; the roll call "
                                          f"requires {threshold}{lacking}"),))
    else:
        signer = _verifies(allowed, message, sigs)
        if signer:
            return NaCheck(signer, ())
    others = [k for k in history.public_keys if k not in allowed]
    late = _verifies(others, message, sigs)
    if late:
        key = history.key_for(late)
        seq = key.sequence if key else "?"
        return NaCheck(None, (finding(path, "/signatures", "sig.key_not_valid_at_time",
                                      f"signed by NA key #{seq}, which was not valid at issued_at "
                                      f"{document.get('issued_at')!s:.40}"),))
    wrong = _verifies(list(other_roles), message, sigs)
    if wrong:
        return NaCheck(None, (finding(path, "/signatures", "sig.wrong_role",
                                      f"signed by this sovereign's {other_roles[wrong]}; a {kind} "
                                      "must be signed by the network-authority key"),))
    text = ("no signature verifies under the NA key(s) valid at issued_at "
            f"({len(allowed)} key(s) tried, {len(sigs)} signature(s)): changed after signing or "
            "signed by another key")
    return NaCheck(None, (finding(path, "/signatures", "sig.invalid", text),),
                   Unexplained(path, message, tuple(sigs), tuple(mentioned)))


def check_root_signed(
    document: Mapping[str, Any], kind: str, path: str, root: str,
    *, other_roles: Mapping[str, str], limits: Limits,
) -> tuple[bool, list[Finding]]:
    """Every signature must verify under the pinned root key (node/CLI rule, FORMATS §2)."""
    sigs_raw = document.get("signatures")
    if isinstance(sigs_raw, list) and len(sigs_raw) > limits.max_signatures:
        return False, [finding(path, "/signatures", "limits.too_many_signatures",
                               f"more than {limits.max_signatures} signatures")]
    if not sigs_raw:
        return False, [finding(path, "/signatures", "sig.missing",
                               "expected at least one signature by the root key, found none")]
    message = signed_bytes(document, kind)
    out: list[Finding] = []
    for index, item in enumerate(sigs_raw if isinstance(sigs_raw, list) else []):
        sig = crypto.decode_signature(item.get("sig")) if isinstance(item, dict) else None
        if sig is None:
            out.append(finding(path, f"/signatures/{index}", "sig.malformed",
                               "signature is not 64 bytes of standard padded base64"))
            continue
        if crypto.verify(root, message, sig):
            continue
        wrong = _verifies(list(other_roles), message, [sig])
        if wrong:
            out.append(finding(path, f"/signatures/{index}", "sig.wrong_role",
                               f"signed by this sovereign's {other_roles[wrong]}; a {kind} must be "
                               "signed by the root key"))
        else:
            out.append(finding(path, f"/signatures/{index}", "sig.invalid",
                               "does not verify under the pinned root key"))
    return not out, out


def explain_foreign(unexplained: Unexplained, keys_by_sovereign: Mapping[str, Sequence[str]],
                    own: str) -> Finding | None:
    """`sig.foreign_key` when a sovereign the document names signed it instead of `own`."""
    for other in unexplained.mentioned:
        if other == own:
            continue
        signer = _verifies(keys_by_sovereign.get(other, ()), unexplained.message, unexplained.signatures)
        if signer:
            return finding(unexplained.path, "/signatures", "sig.foreign_key",
                           f"signed by an NA key of sovereign {other!r}, not by {own!r}")
    return None
