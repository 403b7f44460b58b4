"""The reference's verdicts on one document: its strictest path and its lenient model path.

`verdict()` is the single place both `reference_tool.py verify` and `make-corpus` get
verdicts from, so expected.json is exactly what `verify` prints for the same inputs.

Strict = what genesis-mesh 1.8.1 itself uses for raw records (FORMATS §1.4):
  input      genesis_mesh.strict_json.loads (duplicate_key, invalid_json, ...)
  genesis    trust.key_succession.genesis_refusal(raw, pinned_root)
  key-history trust.key_succession.verify_key_history(genesis, successions, pinned_root)
  treaty, feed, attestation
             trust.key_succession.na_record_refusal(model, raw, history, now=at)
  policy     no strict path exists (PolicyManifest is not in canonical_registry); the node rule
             node.Node.verify_na_signed (model signature by a key of the history valid at
             issued_at and still vouching at `at`) is the strictest the reference has
  trust-bundle workflows.trust_bundle.validate_trust_bundle + bundle_hash (no signature checked);
             `bundle_verdict` adds bundle_summary and the embedded genesis under the named sovereign's root
Model = the library functions over the pydantic model (json.loads, defaults filled in):
  verify_recognition_treaty, verify_sovereign_revocation_feed, verify_membership_attestation,
  and `genesis-mesh genesis verify` for genesis. `model_rejected` is this harness's label for
  a body the pydantic model refuses (the reference raises; it has no reason code for it).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, UTC
from pathlib import Path
from typing import Any

KINDS = ("genesis", "treaty", "feed", "key-history", "policy", "attestation", "trust-bundle")
MODELS = {"treaty": "RecognitionTreaty", "feed": "SovereignRevocationFeed", "attestation": "MembershipAttestation",
          "genesis": "GenesisBlock", "policy": "PolicyManifest"}


@dataclass(frozen=True)
class Inputs:
    """What a verdict is computed with: the NA keys, the pinned root, a key history, the time."""

    keys: tuple[str, ...] = ()
    root: str | None = None
    key_history: Any = None  # parsed /na/key-history (or {"genesis", "successions"}); needs root
    at: datetime | None = None


def parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _result(accepted: bool, reason: str, via: str, **extra: Any) -> dict[str, Any]:
    return {"accepted": accepted, "reason": reason, "via": via, **extra}


def _strict_load(data: bytes) -> tuple[Any, str | None]:
    from genesis_mesh.strict_json import StrictJSONError, loads

    try:
        return loads(data), None
    except StrictJSONError as exc:
        return None, exc.reason


def na_history(inputs: Inputs):
    """The NA key history the verdict uses: verified from the pinned root, or plain keys valid always."""
    from genesis_mesh.models.key_succession import NAKeyHistory
    from genesis_mesh.trust.key_succession import verify_key_history

    if inputs.key_history is not None:
        if inputs.root is None:
            raise ValueError("--key-history needs --root (the history is verified from the pinned root)")
        doc = inputs.key_history
        result = verify_key_history(doc.get("genesis"), doc.get("successions") or [], inputs.root)
        if not result.verified or result.history is None:
            raise ValueError(f"the key history does not verify: {result.failures}")
        return result.history
    if not inputs.keys:
        raise ValueError("--keys or --key-history is required for this kind")
    return NAKeyHistory.of_keys(list(inputs.keys))


def _strict_na_record(kind: str, data: bytes, inputs: Inputs) -> dict[str, Any]:
    from genesis_mesh.trust.key_succession import na_record_refusal

    via = "genesis_mesh.trust.key_succession.na_record_refusal"
    raw, reason = _strict_load(data)
    if reason is not None:
        return _result(False, reason, "genesis_mesh.strict_json.loads")
    refusal = na_record_refusal(MODELS[kind], raw, na_history(inputs), now=inputs.at)
    return _result(refusal is None, refusal or "accepted", via)


def _model(kind: str, data: bytes):
    from genesis_mesh import models

    cls = getattr(models, MODELS[kind])
    return cls.model_validate(json.loads(data))


def _model_verdict(kind: str, data: bytes, inputs: Inputs) -> dict[str, Any]:
    from pydantic import ValidationError

    from genesis_mesh.models import RecognitionPolicy, RecognizedIssuer
    from genesis_mesh.trust.attestation import verify_membership_attestation
    from genesis_mesh.trust.treaty import verify_recognition_treaty, verify_sovereign_revocation_feed

    keys = na_history(inputs).all_keys()
    try:
        record = _model(kind, data)
    except (ValueError, ValidationError) as exc:
        return _result(False, "model_rejected", f"genesis_mesh.models.{MODELS[kind]}.model_validate",
                       detail=str(exc).splitlines()[0][:200])
    if kind == "treaty":
        result = verify_recognition_treaty(record, keys, current_time=inputs.at)
        return _result(result.accepted, result.reason, "genesis_mesh.trust.treaty.verify_recognition_treaty")
    if kind == "feed":
        result = verify_sovereign_revocation_feed(record, keys)
        return _result(result.accepted, result.reason, "genesis_mesh.trust.treaty.verify_sovereign_revocation_feed")
    if kind == "attestation":
        # A policy that recognizes the issuer with these keys and exactly the attestation's roles,
        # so the verdict is about the signature, status and window, not about role policy.
        policy = RecognitionPolicy(local_sovereign_id="verifier", recognized_issuers=[RecognizedIssuer(
            sovereign_id=record.issuer_sovereign_id, public_keys=keys, allowed_roles=list(record.roles))])
        result = verify_membership_attestation(record, policy, current_time=inputs.at)
        return _result(result.accepted, result.reason, "genesis_mesh.trust.attestation.verify_membership_attestation")
    if kind == "policy":
        from genesis_mesh.crypto import verify_model_signature

        ok = any(verify_model_signature(record, s, k) for s in record.signatures for k in keys)
        return _result(ok, "accepted" if ok else "invalid_signature", "genesis_mesh.crypto.verify_model_signature")
    raise ValueError(kind)


def _strict_policy(data: bytes, inputs: Inputs) -> dict[str, Any]:
    from pydantic import ValidationError

    from genesis_mesh.crypto import verify_model_signature
    from genesis_mesh.models import PolicyManifest
    from genesis_mesh.models.key_succession import na_keys_vouching_at

    raw, reason = _strict_load(data)
    if reason is not None:
        return _result(False, reason, "genesis_mesh.strict_json.loads")
    via = "genesis_mesh.node.node.Node.verify_na_signed (no strict path for PolicyManifest)"
    try:
        policy = PolicyManifest.model_validate(raw)
    except ValidationError as exc:
        return _result(False, "model_rejected", via, detail=str(exc).splitlines()[0][:200])
    history = na_history(inputs)
    at = policy.issued_at if policy.issued_at.tzinfo else policy.issued_at.replace(tzinfo=UTC)
    now = inputs.at or datetime.now(UTC)
    keys = na_keys_vouching_at(history, at, now)
    ok = any(verify_model_signature(policy, sig, key) for key in keys for sig in policy.signatures)
    return _result(ok, "accepted" if ok else "invalid_signature", via)


def _genesis_strict(data: bytes, inputs: Inputs) -> dict[str, Any]:
    from genesis_mesh.trust.key_succession import genesis_refusal

    if inputs.root is None:
        raise ValueError("--root (the pinned root key) is required for genesis")
    raw, reason = _strict_load(data)
    if reason is not None:
        return _result(False, reason, "genesis_mesh.strict_json.loads")
    refusal, _ = genesis_refusal(raw, inputs.root)
    return _result(refusal is None, refusal or "accepted", "genesis_mesh.trust.key_succession.genesis_refusal")


def _genesis(data: bytes, inputs: Inputs, path: Path | None) -> dict[str, Any]:
    return {"strict": _genesis_strict(data, inputs), "model": _genesis_cli(data, path)}


def _genesis_cli(data: bytes, path: Path | None) -> dict[str, Any]:
    """`genesis-mesh genesis verify`: every signature under the block's OWN root key (not a pinned one)."""
    from click.testing import CliRunner

    from genesis_mesh.cli.main import cli

    via = "genesis-mesh genesis verify (checks against the block's own root_public_key)"
    with tempfile.TemporaryDirectory() as tmp:
        target = path if path is not None else Path(tmp) / "genesis.json"
        if path is None:
            target.write_bytes(data)
        result = CliRunner().invoke(cli, ["genesis", "verify", "--genesis", str(target)])
    if result.exit_code == 0:
        return _result(True, "accepted", via)
    if "No signatures found" in result.output:
        return _result(False, "missing_signature", via)
    if "Signature verification failed" in result.output:
        return _result(False, "invalid_signature", via)
    return _result(False, "model_rejected", via, detail=(result.output.strip().splitlines() or ["error"])[-1][:200])


def _key_history(data: bytes, inputs: Inputs) -> dict[str, Any]:
    from genesis_mesh.trust.key_succession import verify_key_history

    if inputs.root is None:
        raise ValueError("--root (the pinned root key) is required for key-history")
    raw, reason = _strict_load(data)
    if reason is not None:
        return {"strict": _result(False, reason, "genesis_mesh.strict_json.loads"), "model": None}
    doc = raw if isinstance(raw, dict) else {}
    result = verify_key_history(doc.get("genesis"), doc.get("successions") or [], inputs.root)
    failure = result.failures[0] if result.failures else {}
    strict = _result(result.verified, failure.get("reason", "accepted"),
                     "genesis_mesh.trust.key_succession.verify_key_history",
                     failed_key_sequence=failure.get("key_sequence"),
                     keys=[k.to_dict() for k in result.history.keys] if result.history else [])
    return {"strict": strict, "model": None}


def _trust_bundle(data: bytes, inputs: Inputs) -> dict[str, Any]:
    from genesis_mesh.trust.key_succession import genesis_refusal
    from genesis_mesh.workflows.trust_bundle import bundle_hash, validate_trust_bundle

    bundle = json.loads(data.decode("utf-8"))  # what load_trust_bundle does (text: a BOM is refused)
    report = validate_trust_bundle(bundle)
    strict = _result(not report["errors"], report["errors"][0] if report["errors"] else "accepted",
                     "genesis_mesh.workflows.trust_bundle.validate_trust_bundle",
                     errors=report["errors"], warnings=report["warnings"], bundle_hash=bundle_hash(bundle))
    out: dict[str, Any] = {"strict": strict, "model": None}
    if inputs.root is not None:
        refusal, _ = genesis_refusal(bundle.get("genesis"), inputs.root)
        out["embedded_genesis"] = _result(refusal is None, refusal or "accepted",
                                          "genesis_mesh.trust.key_succession.genesis_refusal")
    return out


def bundle_verdict(text: str, roots: dict[str, str]) -> dict[str, Any]:
    """The reference on one bundle file's text, as `trust-bundle import` reads it: `load_error`, or
    validation, bundle_hash, summary, and `embedded_genesis` (genesis_refusal) under the root of the
    sovereign the bundle names (`bundle_summary`'s id) when `roots` has it, else None. A reference
    function that raises gives `{"raises": "<exception>"}` in place of its result."""
    from genesis_mesh.trust.key_succession import genesis_refusal
    from genesis_mesh.workflows.trust_bundle import bundle_hash, bundle_summary, validate_trust_bundle

    def attempt(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - the reference raising is the verdict
            return {"raises": f"{type(exc).__name__}: {exc}"[:200]}

    try:
        bundle = json.loads(text)   # load_trust_bundle (over the file's text, read as UTF-8)
    except json.JSONDecodeError as exc:
        return {"load_error": f"Trust bundle is not valid JSON: {exc}"}
    if not isinstance(bundle, dict):
        return {"load_error": "Trust bundle JSON must be an object"}
    summary = attempt(lambda: bundle_summary(bundle))
    if "raises" in summary:     # bundle_summary's rule for the id, on a bundle whose counts it cannot take
        metadata, genesis = (bundle.get(k) if isinstance(bundle.get(k), dict) else {} for k in ("sovereign_metadata",
                                                                                                 "genesis"))
        named = metadata.get("sovereign_id") or genesis.get("network_name")
    else:
        named = summary.get("sovereign_id")
    out: dict[str, Any] = {"validation": attempt(lambda: validate_trust_bundle(bundle)),
                           "bundle_hash": bundle_hash(bundle), "summary": summary,
                           "pinned": named if named in roots else None, "embedded_genesis": None}
    if out["pinned"] is not None:
        refusal = attempt(lambda: genesis_refusal(bundle.get("genesis"), roots[named])[0])
        out["embedded_genesis"] = refusal if isinstance(refusal, dict) else (refusal or "accepted")
    return out


def verdict(kind: str, data: bytes, inputs: Inputs, path: Path | None = None, *,
            model: bool = True) -> dict[str, Any]:
    """{"strict": {...}, "model": {...} or None[, "embedded_genesis"]} for one document's bytes.

    ``model=False`` skips the lenient path (its verdict is None): the differential generator needs
    only the strict verdict, and the model functions raise on some inputs the strict path judges
    (a naive timestamp compared with an aware one)."""
    if not model and kind in ("genesis", "policy", "treaty", "feed", "attestation"):
        if kind == "genesis":
            return {"strict": _genesis_strict(data, inputs), "model": None}
        strict = _strict_policy(data, inputs) if kind == "policy" else _strict_na_record(kind, data, inputs)
        return {"strict": strict, "model": None}
    if kind == "genesis":
        return _genesis(data, inputs, path)
    if kind == "key-history":
        return _key_history(data, inputs)
    if kind == "trust-bundle":
        return _trust_bundle(data, inputs)
    if kind == "policy":
        return {"strict": _strict_policy(data, inputs), "model": _model_verdict(kind, data, inputs)}
    if kind in ("treaty", "feed", "attestation"):
        return {"strict": _strict_na_record(kind, data, inputs), "model": _model_verdict(kind, data, inputs)}
    raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")


def signed_bytes(kind: str, data: bytes) -> str:
    """The bytes the reference's strict path verifies a signature over (received_canonical)."""
    from genesis_mesh.models.canonical_registry import received_canonical

    model = MODELS.get(kind)
    if model is None or model == "PolicyManifest":
        # Not in the registry: the model's own to_canonical_json is the only definition.
        return _model(kind, data).to_canonical_json()
    return received_canonical(model, json.loads(data))
