"""Sovereign revocation feed (RFC-004, FORMATS §6): NA-signed at its issued_at, issued by the
folder's sovereign, ids sorted and unique, reasons only for listed ids."""
from __future__ import annotations

from typing import Any
from collections.abc import Mapping

from publisher import timestamps
from publisher.checks.form import check_form
from publisher.checks.signatures import Unexplained, check_na_signed
from publisher.findings import Finding, finding, pointer
from publisher.limits import Limits
from publisher.model import KeyHistory, RevocationFeed
from publisher.schemas import check_schema

KIND = "revocation-feed"


def check_feed(raw: Mapping[str, Any], path: str, sovereign_id: str, history: KeyHistory,
               *, other_roles: Mapping[str, str], limits: Limits, threshold: int = 1
               ) -> tuple[RevocationFeed | None, list[Finding], Unexplained | None]:
    """The revocation feed, signed by an NA key of `history`. A badly typed sequence is reported
    and counted as 0, and the signature is still checked, as the reference does."""
    out = check_schema(KIND, raw, path)
    issuer = raw.get("issuer_sovereign_id")
    ids = raw.get("revoked_attestation_ids", [])
    reasons = raw.get("revocation_reasons", {})
    declared = raw.get("sequence")
    if not isinstance(issuer, str) or not isinstance(ids, list) or not isinstance(reasons, dict):
        return None, out, None
    well_typed = isinstance(declared, int) and not isinstance(declared, bool)
    # not well typed: the schema reported it; the signature is still checked, as the reference does
    sequence = declared if isinstance(declared, int) and well_typed else 0
    out.extend(check_form(raw, KIND, path))
    if issuer != sovereign_id:
        out.append(finding(path, "/issuer_sovereign_id", "feed.wrong_issuer",
                           f"expected issuer {sovereign_id!r} (the folder), found {issuer[:80]!r}"))
    listed = {i for i in ids if isinstance(i, str)}
    for key in sorted(k for k in reasons if k not in listed):
        out.append(finding(path, pointer("revocation_reasons", key), "feed.reason_for_unlisted_id",
                           f"a reason is given for {key[:80]!r}, which the feed does not revoke"))
    if sequence < len(listed):
        out.append(finding(path, "/sequence", "feed.sequence_below_count",
                           f"sequence {sequence} is below the {len(listed)} revoked ids listed"))
    issued = timestamps.parse(raw.get("issued_at"))
    signer, unexplained = None, None
    if history.keys:
        check = check_na_signed(raw, KIND, path, history, issued, other_roles=other_roles,
                                mentioned=(issuer,), limits=limits, threshold=threshold)
        out.extend(check.findings)
        signer, unexplained = check.signer, check.unexplained
    grants = raw.get("revoked_grant_ids")
    feed = RevocationFeed(
        path=path, feed_id=str(raw.get("feed_id", "")), sequence=sequence, issued_at=issued,
        revoked_ids=tuple(sorted(listed)),
        reasons={k: v for k, v in reasons.items() if isinstance(k, str) and isinstance(v, str)},
        grant_ids=tuple(g for g in grants if isinstance(g, str)) if isinstance(grants, list) else None,
        verified=well_typed and signer is not None and not any(f.severity.value == "error" for f in out),
        signer=signer, raw=raw,
    )
    return feed, out, unexplained
