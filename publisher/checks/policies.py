"""Policy manifest (policy.json, NA-signed, FORMATS §11) and recognition policy
(recognition-policy.json, unsigned local posture, FORMATS §7)."""
from __future__ import annotations

from typing import Any
from collections.abc import Mapping

from publisher import timestamps
from publisher.checks.form import check_form
from publisher.checks.signatures import Unexplained, check_na_signed
from publisher.findings import Finding, finding
from publisher.limits import Limits
from publisher.model import KeyHistory, SignedDocument
from publisher.schemas import check_schema


def check_policy_manifest(raw: Mapping[str, Any], path: str, sovereign_id: str, history: KeyHistory,
                          *, other_roles: Mapping[str, str], limits: Limits
                          ) -> tuple[SignedDocument, list[Finding], Unexplained | None]:
    out = check_schema("policy-manifest", raw, path)
    out.extend(check_form(raw, "policy-manifest", path))
    signer, unexplained = None, None
    if history.keys:
        check = check_na_signed(raw, "policy-manifest", path, history, timestamps.parse(raw.get("issued_at")),
                                other_roles=other_roles, mentioned=(sovereign_id,), limits=limits)
        out.extend(check.findings)
        signer, unexplained = check.signer, check.unexplained
    verified = signer is not None and not any(f.severity.value == "error" for f in out)
    return SignedDocument(path, "policy-manifest", verified, raw, signer), out, unexplained


def check_recognition_policy(raw: Mapping[str, Any], path: str, sovereign_id: str) -> list[Finding]:
    out = check_schema("recognition-policy", raw, path)
    if raw.get("local_sovereign_id") != sovereign_id:
        out.append(finding(path, "/local_sovereign_id", "recpolicy.id_mismatch",
                           f"expected {sovereign_id!r}, found {str(raw.get('local_sovereign_id'))[:80]!r}"))
    return out
