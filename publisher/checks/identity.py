"""sovereign.json (RFC-001 identity, or the NA's served /sovereign.json): unsigned and
descriptive. It must agree with the verified genesis and key history; unknown fields are
ignored as RFC-001 says; endpoints are reachability hints, never trust anchors."""
from __future__ import annotations

from typing import Any
from collections.abc import Mapping

from publisher.checks.urls import is_safe_url
from publisher.findings import Finding, finding, pointer
from publisher.model import Genesis, Identity, KeyHistory
from publisher.schemas import check_schema
from publisher.jsonshape import obj


def _na_key_claims(raw: Mapping[str, Any]) -> list[tuple[str, str]]:
    claims = []
    if isinstance(raw.get("network_authority_public_key"), str):
        claims.append(("/network_authority_public_key", raw["network_authority_public_key"]))
    na = raw.get("network_authority")
    if isinstance(na, dict) and isinstance(na.get("public_key"), str):
        claims.append(("/network_authority/public_key", na["public_key"]))
    signing = raw.get("signing_key")
    if isinstance(signing, dict) and isinstance(signing.get("public_key"), str):
        claims.append(("/signing_key/public_key", signing["public_key"]))
    return claims


def check_identity(raw: Mapping[str, Any], path: str, sovereign_id: str, genesis: Genesis | None,
                   history: KeyHistory) -> tuple[Identity, list[Finding]]:
    out = check_schema("sovereign", raw, path)
    for field in ("sovereign_id", "network_name"):
        value = raw.get(field)
        if field in raw and value != sovereign_id:
            out.append(finding(path, pointer(field), "identity.id_mismatch",
                               f"expected {sovereign_id!r}, found {str(value)[:80]!r}"))
    if genesis is not None and raw.get("root_public_key") != genesis.root_public_key:
        out.append(finding(path, "/root_public_key", "identity.root_mismatch",
                           "root_public_key differs from the genesis block's root key"))
    if history.keys:
        current = history.current.public_key if history.current else None
        for where, key in _na_key_claims(raw):
            if key not in history.public_keys:
                out.append(finding(path, where, "identity.na_key_unknown",
                                   "names an NA key that is not in the verified key history"))
            elif key != current and where != "/network_authority/public_key":
                out.append(finding(path, where, "identity.na_key_not_current",
                                   "names an NA key that a succession has replaced"))
    endpoints: list[str] = []
    if isinstance(raw.get("endpoint"), str):
        endpoints.append(raw["endpoint"])
    if isinstance(raw.get("endpoints"), list):
        endpoints.extend(e for e in raw["endpoints"] if isinstance(e, str))
    for index, url in enumerate(endpoints):
        if not is_safe_url(url):
            out.append(finding(path, "/endpoints" if index or "endpoint" not in raw else "/endpoint",
                               "identity.unsafe_url", f"{url[:80]!r} is not an http(s) URL; shown as text"))
    metadata = obj(raw.get("metadata"))
    name = metadata.get("display_name") or metadata.get("operator_label")
    identity = Identity(path=path, display_name=name if isinstance(name, str) and name else None,
                        endpoints=tuple(endpoints), metadata=metadata, raw=raw)
    return identity, out
