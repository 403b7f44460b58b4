"""Genesis block (FORMATS §2): the root of a sovereign's trust, signed by its pinned root key.

Order (genesis-mesh `genesis_refusal` + node rule): schema -> network_name is the folder id ->
root_public_key equals the pinned root -> canonical form -> non-empty signatures, each
verifying under the pinned root. The block's own root_public_key is never its own proof.
"""
from __future__ import annotations

from typing import Any
from collections.abc import Mapping

from publisher import timestamps
from publisher.canonical import content_digest
from publisher.checks.form import check_form
from publisher.checks.signatures import check_root_signed
from publisher.findings import Finding, finding
from publisher.limits import Limits
from publisher.model import Genesis
from publisher.schemas import check_schema
from publisher.jsonshape import obj


def check_genesis(raw: Mapping[str, Any], path: str, sovereign_id: str, root: str | None,
                  *, other_roles: Mapping[str, str], limits: Limits) -> tuple[Genesis | None, list[Finding]]:
    """The genesis block checked against the pinned `root`, never against the root it claims:
    a folder can publish any genesis, and only the pin (keys/root.pub or trust.lock) anchors it."""
    out = check_schema("genesis-block", raw, path)
    na = obj(raw.get("network_authority"))
    name, root_claim, na_key = raw.get("network_name"), raw.get("root_public_key"), na.get("public_key")
    if not (isinstance(name, str) and isinstance(root_claim, str) and isinstance(na_key, str)):
        return None, out
    if name != sovereign_id:
        out.append(finding(path, "/network_name", "genesis.id_mismatch",
                           f"expected network_name {sovereign_id!r} (the folder), found {name[:80]!r}"))
    out.extend(check_form(raw, "genesis-block", path))
    verified = False
    if root is None:
        out.append(finding(path, "", "key.root_unpinned",
                           "no pinned root key: add keys/root.pub or a trust.lock entry"))
    elif root_claim != root:
        out.append(finding(path, "/root_public_key", "genesis.root_mismatch",
                           f"expected the pinned root {root}, found {root_claim[:60]}"))
    else:
        roles = dict(other_roles)
        roles.setdefault(na_key, "network-authority key")
        ok, sig_findings = check_root_signed(raw, "genesis-block", path, root, other_roles=roles,
                                             limits=limits)
        out.extend(sig_findings)
        verified = ok and not any(f.severity.value == "error" for f in out)
    if na_key == root_claim:
        out.append(finding(path, "/network_authority/public_key", "key.role_reuse",
                           "the NA key equals the root key; RFC-001 rule 8 requires distinct keys"))
    valid_from, valid_to = timestamps.parse(na.get("valid_from")), timestamps.parse(na.get("valid_to"))
    if valid_from and valid_to and valid_from >= valid_to:
        out.append(finding(path, "/network_authority", "genesis.na_window_inverted",
                           f"valid_from {na.get('valid_from')} is not before valid_to {na.get('valid_to')}"))
    anchors = tuple(
        (str(a.get("id")), str(a.get("endpoint")))
        for a in raw.get("bootstrap_anchors", []) if isinstance(a, dict)
    ) if isinstance(raw.get("bootstrap_anchors"), list) else ()
    genesis = Genesis(
        path=path, network_name=name, network_version=str(raw.get("network_version", "")),
        root_public_key=root_claim, na_public_key=na_key, na_valid_from=valid_from,
        na_valid_to=valid_to, bootstrap_anchors=anchors, verified=verified,
        digest=content_digest(raw), raw=raw,
    )
    return genesis, out
