"""Recognition treaties (RFC-002, FORMATS §5): issued by this sovereign, signed by its NA key
valid at the treaty's issued_at. Also the issuer's unsigned rows (recognition-treaties.json),
which carry revocation and replacement state the signed body never shows (FORMATS §14.5).

Time-dependent lifecycle (expired, expiring soon...) is not judged here: see
`publisher.lifecycle`, applied at the evaluation time by the coalition stage.
"""
from __future__ import annotations

import marshal

from typing import Any
from collections.abc import Mapping

from publisher import timestamps
from publisher.canonical import canonical_bytes
from publisher.checks.form import check_form
from publisher.checks.signatures import Unexplained, check_na_signed
from publisher.findings import Finding, finding, pointer
from publisher.layout import deceptive_text
from publisher.limits import Limits
from publisher.model import KeyHistory, Treaty, TreatyRow
from publisher.schemas import check_schema
from publisher.jsonshape import arr, obj, text, texts

KIND = "recognition-treaty"



def check_treaty(raw: Mapping[str, Any], path: str, sovereign_id: str, history: KeyHistory,
                 *, other_roles: Mapping[str, str], limits: Limits, threshold: int = 1,
                 where: str = "") -> tuple[Treaty | None, list[Finding], Unexplained | None]:
    """Check one signed treaty; `where` prefixes pointers when it is embedded in a row."""
    out = [_shift(f, where) for f in check_schema(KIND, raw, path)]
    treaty_id, issuer = text(raw.get("treaty_id")), text(raw.get("issuer_sovereign_id"))
    subject = text(raw.get("subject_sovereign_id"))
    if treaty_id is None or issuer is None or subject is None:
        return None, out, None
    out.extend(_shift(f, where) for f in check_form(raw, KIND, path))
    if issuer != sovereign_id:
        out.append(finding(path, where + "/issuer_sovereign_id", "treaty.wrong_issuer",
                           f"expected issuer {sovereign_id!r} (the folder), found {issuer[:80]!r}"))
    for field in ("treaty_id", "subject_sovereign_id"):
        deceptive = deceptive_text(treaty_id if field == "treaty_id" else subject)
        if deceptive:   # ids are shown and linked by readers: one must not pass for another
            out.append(finding(path, where + pointer(field), "layout.deceptive_text", f"{field} {deceptive}"))
    issued, valid_from, expires = (timestamps.parse(raw.get(k)) for k in ("issued_at", "valid_from", "expires_at"))
    if valid_from and expires and expires <= valid_from:
        out.append(finding(path, where + "/expires_at", "treaty.malformed_window",
                           "expires_at must be after valid_from"))
    if issued and expires and issued > expires:
        out.append(finding(path, where + "/issued_at", "treaty.malformed_window",
                           "issued_at must not be after expires_at"))
    scope = obj(raw.get("scope"))
    if isinstance(scope.get("allowed_roles"), list) and not scope["allowed_roles"]:
        out.append(finding(path, where + "/scope/allowed_roles", "treaty.empty_roles",
                           "allowed_roles is empty: since genesis-mesh 1.0 this grants no role "
                           "(0.52 read it as any role)"))
    if subject == issuer:
        out.append(finding(path, where + "/subject_sovereign_id", "treaty.self_recognition",
                           "the treaty recognizes its own issuer"))
    signer, unexplained = None, None
    if history.keys:
        check = check_na_signed(raw, KIND, path, history, issued, other_roles=other_roles,
                                mentioned=(issuer, subject), limits=limits, threshold=threshold)
        out.extend(_shift(f, where) for f in check.findings)
        signer, unexplained = check.signer, check.unexplained
    verified = signer is not None and not any(f.severity.value == "error" for f in out)
    treaty = Treaty(
        # The issuer is the folder the treaty is published in: a document claiming another
        # (treaty.wrong_issuer, above) is still this folder's, and the site, the graph and the
        # exports find it there, never under a sovereign that did not publish it.
        path=path, treaty_id=treaty_id, issuer=sovereign_id, subject=subject,
        subject_public_keys=texts(raw.get("subject_public_keys")),
        allowed_roles=texts(scope.get("allowed_roles")),
        accepted_statuses=texts(scope.get("accepted_statuses")) if "accepted_statuses" in scope else ("active",),
        claims=obj(scope.get("claims")),
        status=text(raw.get("status")) or "active",
        issued_at=issued, valid_from=valid_from, expires_at=expires,
        issued_by=text(raw.get("issued_by")) or "",
        metadata=obj(raw.get("metadata")),
        verified=verified, signer=signer, raw=raw,
        offsets=tuple((k, o) for k in ("issued_at", "valid_from", "expires_at")
                      if (o := timestamps.offset_of(raw.get(k))) is not None),
    )
    return treaty, out, unexplained


def _shift(f: Finding, where: str) -> Finding:
    return f if not where else Finding(f.path, where + f.pointer, f.code, f.severity, f.message)


def parse_row(row: Mapping[str, Any]) -> TreatyRow:
    def text(key: str) -> str | None:
        value = row.get(key)
        return value if isinstance(value, str) else None

    return TreatyRow(status=text("status") or "active", revoked_at=text("revoked_at"),
                     revocation_reason=text("revocation_reason"),
                     reissued_from=text("reissued_from"), superseded_by=text("superseded_by"))


def replacement_of(row: TreatyRow | None) -> str | None:
    """The successor named by a `replaced_by:` / `renewed_by:` revocation reason."""
    if row is None or row.status != "revoked" or not row.revocation_reason:
        return None
    for prefix in ("replaced_by:", "renewed_by:"):
        if row.revocation_reason.startswith(prefix) and len(row.revocation_reason) > len(prefix):
            return row.revocation_reason[len(prefix):]
    return None


def _same_document(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two parsed documents have the same canonical bytes. Equal marshal bytes (same
    keys in the same order, same types and values) settle it without encoding either: the
    row and the treaty file are usually written from the same dict."""
    try:
        if marshal.dumps(dict(a), 2) == marshal.dumps(dict(b), 2):   # version 2: no back-references
            return True
    except ValueError:   # a value marshal cannot hold: compare the canonical forms
        pass
    return canonical_bytes(a) == canonical_bytes(b)


def check_rows(raw: Mapping[str, Any], path: str, treaties: Mapping[str, Treaty]
               ) -> tuple[dict[str, TreatyRow], list[tuple[str, Mapping[str, Any]]], list[Finding]]:
    """Rows by treaty id, row treaties without a file (to verify as treaties), findings."""
    out = check_schema("recognition-treaties", raw, path)
    rows: dict[str, TreatyRow] = {}
    orphans: list[tuple[str, Mapping[str, Any]]] = []
    items = arr(raw.get("recognition_treaties"))
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("treaty"), dict):
            continue
        body = item["treaty"]
        treaty_id = body.get("treaty_id")
        if not isinstance(treaty_id, str):
            continue
        where = pointer("recognition_treaties", index)
        if treaty_id in rows:
            out.append(finding(path, where, "treaty.duplicate_id", f"treaty {treaty_id[:80]!r} has two rows"))
            continue
        row = parse_row(item)
        rows[treaty_id] = row
        known = treaties.get(treaty_id)
        if known is not None and not _same_document(known.raw, body):
            out.append(finding(path, where + "/treaty", "treaty.row_mismatch",
                               f"the row's treaty differs from {known.path}"))
        elif known is None:
            orphans.append((where + "/treaty", body))
        if row.status == "revoked" and not row.revocation_reason:
            out.append(finding(path, where + "/revocation_reason", "treaty.row_inconsistent",
                               "a revoked row must carry a revocation_reason"))
        if row.status not in ("active", "revoked"):
            out.append(finding(path, where + "/status", "treaty.row_inconsistent",
                               f"row status must be active or revoked, found {row.status[:40]!r}"))
    for treaty_id, row in rows.items():
        successor = replacement_of(row)
        if successor is not None and successor not in treaties and successor not in rows:
            out.append(finding(path, "/recognition_treaties", "treaty.row_inconsistent",
                               f"treaty {treaty_id[:80]!r} is replaced by {successor[:80]!r}, which is not published"))
        # A re-issue's copy leaves the graph (connectome.graph_treaties): its successor must be there.
        reissue = row.superseded_by
        if reissue is not None and (reissue == treaty_id or (reissue not in treaties and reissue not in rows)):
            out.append(finding(path, "/recognition_treaties", "treaty.row_inconsistent",
                               f"treaty {treaty_id[:80]!r} is superseded by {reissue[:80]!r}, which is "
                               + ("the treaty itself" if reissue == treaty_id else "not published")))
    return rows, orphans, out
