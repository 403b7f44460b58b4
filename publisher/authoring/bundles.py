"""Trust bundle import (RFC-003, FORMATS §10): validate, verify the genesis, record a receipt.

`validate_bundle` mirrors genesis-mesh 1.8.1 `validate_trust_bundle` rule for rule and message
for message (it checks no signature and consults nothing outside the bundle); `summarize`
mirrors `bundle_summary`; `bundle_hash` is the reference's hash of the whole bundle. Beyond the
reference, the embedded genesis is verified against the root pinned in this repository when
the sovereign is known here (RFC-003: a root obtained independently of the bundle). The
receipt has the reference's shape with `trust_granted: false`; an import never changes trust
state, and the receipt records the bundle's file name, never a local path.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from publisher.authoring import AuthoringError
from publisher.authoring.documents import dump, unsigned_time
from publisher.authoring.state import RepoState
from publisher.authoring.writer import Plan
from publisher.checks.genesis import check_genesis
from publisher.findings import Finding, finding
from publisher.layout import deceptive_text, import_receipt_path, is_safe_id
from publisher.limits import DEFAULT_LIMITS
from publisher.readfile import read_regular
from publisher.schemas import check_schema
from publisher.strictjson import Refusal, load_json

BUNDLE_TYPE, BUNDLE_VERSION = "genesis-mesh.trust-bundle", "v1"
NEXT_STEP = "Use federation bootstrap with --issuer-bundle to issue trust explicitly."
_FORBIDDEN = ("private_key", "operator_private_key", "na_private_key", "bearer", "credential", "password",
              "secret", "token")


def bundle_hash(bundle: Any) -> str:
    """`sha256:` + hex SHA-256 of json.dumps(bundle, sort_keys=True, separators=(',', ':'))."""
    canonical = json.dumps(bundle, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _forbidden(value: Any) -> bool:
    # The reference's substring rule on key names, kept as is (FORMATS §14.10: `token_id` fails).
    if isinstance(value, dict):
        return any(any(f in str(k).lower() for f in _FORBIDDEN) or _forbidden(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_forbidden(item) for item in value)
    return False


def _identity(metadata: dict[str, Any], genesis: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    mid, name = metadata.get("sovereign_id"), genesis.get("network_name")
    if not mid:
        out.append(("bundle.identity_mismatch", "sovereign_metadata.sovereign_id is required"))
    if not name:
        out.append(("bundle.identity_mismatch", "genesis.network_name is required"))
    if mid and name and mid != name:
        out.append(("bundle.identity_mismatch", "sovereign_metadata.sovereign_id differs from genesis.network_name"))
    mkey = _dict(metadata.get("network_authority")).get("public_key")
    gkey = _dict(genesis.get("network_authority")).get("public_key")
    if not mkey:
        out.append(("bundle.na_key_mismatch", "sovereign_metadata.network_authority.public_key is required"))
    if not gkey:
        out.append(("bundle.na_key_mismatch", "genesis.network_authority.public_key is required"))
    if mkey and gkey and mkey != gkey:
        out.append(("bundle.na_key_mismatch", "sovereign_metadata NA public key differs from genesis NA public key"))
    return out


def validate_bundle(bundle: dict[str, Any]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(errors, warnings) as (code, reference message), in the reference's order."""
    errors: list[tuple[str, str]] = []
    warnings: list[tuple[str, str]] = []
    if bundle.get("bundle_type") != BUNDLE_TYPE:
        errors.append(("bundle.unsupported_type", f"unsupported bundle_type: {bundle.get('bundle_type')!r}"))
    if bundle.get("bundle_version") != BUNDLE_VERSION:
        errors.append(("bundle.unsupported_version", f"unsupported bundle_version: {bundle.get('bundle_version')!r}"))
    for name in ("created_at", "source_endpoint", "sovereign_metadata", "genesis"):
        if name not in bundle:
            errors.append(("bundle.missing_field", f"missing required field: {name}"))
    for name in ("recognition_policy", "revocation_feed", "connectome"):
        if not isinstance(bundle.get(name), dict):
            errors.append(("bundle.missing_section", f"missing required section: {name}"))
    for name in ("sovereign_metadata", "genesis"):
        if name in bundle and not isinstance(bundle[name], dict):
            errors.append(("bundle.not_object", f"{name} must be an object"))
    metadata, genesis = _dict(bundle.get("sovereign_metadata")), _dict(bundle.get("genesis"))
    if metadata and genesis:
        identity = _identity(metadata, genesis)
        errors.extend(identity)
        if not identity and bundle.get("sovereign_id") != metadata["sovereign_id"]:
            # The reference never compares them (FORMATS §10, §15): its feed and policy checks
            # use the top-level id, while the import pins the metadata's sovereign, so another
            # sovereign's feed could be recorded under the one pinned. Refused here (after the
            # reference's own identity errors, whose list stays the reference's).
            errors.append(("bundle.identity_mismatch", "sovereign_id differs from sovereign_metadata.sovereign_id"))
        if not genesis.get("signatures"):
            warnings.append(("bundle.genesis_unsigned",
                             "embedded genesis carries no signatures; nothing in this bundle attests to it. "
                             "Verify the subject's genesis against a root key obtained independently of this bundle."))
    if _forbidden(bundle):
        errors.append(("bundle.forbidden_key",
                       "bundle contains private key, token, bearer, or credential-shaped fields"))
    policy = bundle.get("recognition_policy")
    if isinstance(policy, dict) and policy.get("status") == "ok":
        payload = policy.get("payload")
        if not isinstance(payload, dict):
            errors.append(("bundle.section_payload_missing", "recognition_policy status is ok but payload is missing"))
        elif payload.get("local_sovereign_id") not in (None, bundle.get("sovereign_id")):
            warnings.append(("bundle.policy_sovereign_mismatch",
                             "recognition policy local_sovereign_id differs from bundle sovereign_id"))
    feed = bundle.get("revocation_feed")
    if isinstance(feed, dict) and feed.get("status") == "ok":
        payload = feed.get("payload")
        if not isinstance(payload, dict):
            errors.append(("bundle.section_payload_missing", "revocation_feed status is ok but payload is missing"))
        elif payload.get("issuer_sovereign_id") != bundle.get("sovereign_id"):
            errors.append(("bundle.feed_issuer_mismatch",
                           "revocation_feed issuer_sovereign_id differs from bundle sovereign_id"))
    return errors, warnings


def _fingerprint(key: Any) -> str | None:
    return "sha256:" + hashlib.sha256(str(key).encode("utf-8")).hexdigest()[:24] if key else None


def summarize(bundle: dict[str, Any]) -> dict[str, Any]:
    """The reference's `bundle_summary`."""
    metadata, genesis = _dict(bundle.get("sovereign_metadata")), _dict(bundle.get("genesis"))
    na, feed = _dict(metadata.get("network_authority")), _dict(bundle.get("revocation_feed"))
    connectome = _dict(bundle.get("connectome"))
    counts = _dict(connectome.get("summary"))
    sequence = _dict(feed.get("payload")).get("sequence") if feed.get("status") == "ok" else None
    treaties = connectome.get("active_treaties", [])
    return {
        "sovereign_id": metadata.get("sovereign_id") or genesis.get("network_name"),
        "endpoint": bundle.get("source_endpoint") or metadata.get("endpoint"),
        "network_version": metadata.get("network_version") or genesis.get("network_version"),
        "na_public_key_fingerprint": _fingerprint(na.get("public_key")),
        "na_valid_from": na.get("valid_from"), "na_valid_to": na.get("valid_to"),
        "root_public_key_fingerprint": _fingerprint(metadata.get("root_public_key") or genesis.get("root_public_key")),
        "policy_manifest": metadata.get("policy_manifest") or genesis.get("policy_manifest"),
        "recognition_policy_status": _dict(bundle.get("recognition_policy")).get("status", "missing"),
        "revocation_feed_status": feed.get("status", "missing"),
        "revocation_feed_sequence": sequence if isinstance(sequence, int) and not isinstance(sequence, bool) else None,
        "recognition_edge_count": counts.get("recognition_edge_count", 0),
        "active_edge_count": counts.get("active_edge_count", 0),
        "active_treaty_count": len(treaties) if isinstance(treaties, (list, dict, str)) else 0,
    }


@dataclass(frozen=True)
class BundleCheck:
    bundle_hash: str
    summary: dict[str, Any]
    errors: tuple[tuple[str, str], ...]
    warnings: tuple[tuple[str, str], ...]
    genesis_findings: tuple[Finding, ...]
    genesis_status: str            # verified | rejected | not_pinned | absent

    def findings(self, path: str) -> list[Finding]:
        out = [finding(path, "", code, message) for code, message in self.errors + self.warnings]
        return out + list(self.genesis_findings)

    @property
    def ok(self) -> bool:
        return not self.errors and self.genesis_status != "rejected"


def check_bundle(state: RepoState, bundle: dict[str, Any], path: str) -> BundleCheck:
    """Reference validation plus the embedded genesis against this repository's pinned root."""
    errors, warnings = validate_bundle(bundle)
    summary = summarize(bundle)
    sid, genesis = summary["sovereign_id"], bundle.get("genesis")
    known = state.verification.sovereign(sid) if isinstance(sid, str) else None
    pin = known.root_public_key if known is not None else None
    found: list[Finding] = []
    if not isinstance(genesis, dict) or not isinstance(sid, str):
        status = "absent"
    elif pin is None:
        status = "not_pinned"
        found.append(finding(path, "/genesis", "bundle.genesis_unpinned",
                             f"{sid[:80]!r} is not pinned in this repository: the embedded genesis was not "
                             "verified against an independently obtained root"))
    else:
        assert known is not None   # a pin comes from a known sovereign
        _, checked = check_genesis(genesis, path, sid, pin, other_roles={}, limits=DEFAULT_LIMITS)
        problems = [f for f in checked if f.severity.value == "error"]
        status = "rejected" if problems else "verified"
        found.extend(Finding(f.path, "/genesis" + f.pointer, f.code, f.severity, f.message) for f in problems)
        if problems:
            found.append(finding(path, "/genesis", "bundle.genesis_rejected",
                                 f"the embedded genesis does not verify under {sid[:80]}'s root pinned "
                                 f"via {known.root_source}"))
    return BundleCheck(bundle_hash(bundle), summary, tuple(errors), tuple(warnings), tuple(found), status)


def already_recorded(state: RepoState, check: BundleCheck) -> str | None:
    """What to say when this bundle's receipt is already recorded, else None. The receipt is
    filed under the bundle's hash (of its canonical JSON), so the same bundle imported again,
    however it is formatted or named, is a no-op: the first receipt stands (the reference
    overwrites it). A file at that path that is not this bundle's receipt is never replaced:
    AuthoringError with `bundle.receipt_conflict`, naming the file and the reason."""
    sid = check.summary["sovereign_id"]
    if not isinstance(sid, str) or not is_safe_id(sid) or deceptive_text(sid):
        return None         # plan_receipt refuses it
    path = import_receipt_path(sid, check.bundle_hash)
    target = state.path(path)
    if not (target.exists() or target.is_symlink()):
        return None
    try:
        value = load_json(read_regular(target, DEFAULT_LIMITS.max_file_bytes), DEFAULT_LIMITS)
    except OSError as exc:
        value = Refusal("layout.not_regular", exc.strerror or "not a regular file")
    if isinstance(value, dict) and value.get("bundle_hash") == check.bundle_hash \
            and value.get("workflow") == "trust-bundle-import":
        return (f"already recorded: {check.bundle_hash} of {sid} has its receipt in {path} (created_at "
                f"{str(value.get('created_at'))[:40]}); nothing was written")
    if isinstance(value, Refusal):
        reason = f"it is {'not a regular file' if value.code == 'layout.not_regular' else 'not JSON'} " \
                 f"({value.message[:120]})"
    elif not isinstance(value, dict):
        reason = "it is not a JSON object"
    else:
        reason = f"its bundle_hash is {str(value.get('bundle_hash'))[:80]!r}, not {check.bundle_hash}"
    message = f"a file is already at this bundle's receipt path, and it is not its receipt: {reason}"
    raise AuthoringError(f"refused: {path}: {message}; nothing was written (move it away to record the bundle)",
                         (finding(path, "/bundle_hash" if isinstance(value, dict) else "", "bundle.receipt_conflict",
                                  message),))


def plan_receipt(state: RepoState, check: BundleCheck, bundle_name: str) -> Plan:
    """The receipt file (reference shape, trust_granted false); refuses a bundle with errors."""
    if not check.ok:
        raise AuthoringError("refused: the bundle does not validate; no receipt was written",
                             tuple(check.findings(bundle_name)))
    sid = check.summary["sovereign_id"]
    if not isinstance(sid, str) or not is_safe_id(sid) or deceptive_text(sid):
        raise AuthoringError(f"refused: the bundle's sovereign id {str(sid)[:80]!r} cannot name a folder")
    path = import_receipt_path(sid, check.bundle_hash)
    if state.path(path).exists():
        raise AuthoringError(f"refused: this bundle is already recorded ({path})")
    receipt = {
        "workflow": "trust-bundle-import", "created_at": unsigned_time(state.at), "trust_granted": False,
        "bundle_path": bundle_name, "bundle_hash": check.bundle_hash, "summary": check.summary,
        "validation": {"errors": [m for _, m in check.errors], "warnings": [m for _, m in check.warnings]},
        "next_step": NEXT_STEP,
        "embedded_genesis": {"status": check.genesis_status,
                             "pinned_root_source": _root_source(state, sid)},
    }
    problems = check_schema("import-receipt", receipt, path)
    if problems:
        raise AuthoringError("refused: the receipt would not match the import-receipt schema", tuple(problems))
    return Plan({path: (json.dumps(receipt, indent=2, sort_keys=True) + "\n").encode("utf-8")},
                (f"recorded {check.bundle_hash} of {sid} in {path}; trust_granted: false "
                 f"(embedded genesis {check.genesis_status.replace('_', ' ')})",))


def _root_source(state: RepoState, sid: str) -> str | None:
    known = state.verification.sovereign(sid)
    return known.root_source if known is not None and known.root_public_key else None


__all__ = ["bundle_hash", "validate_bundle", "summarize", "check_bundle", "already_recorded", "plan_receipt",
           "dump"]
