"""View models shared by every page, and the treaty views: plain dicts the templates read.

Templates never see raw documents: every value here is a string, number, bool, list or
dict built from the verified model. Every string from a document is attacker-controlled and
stays plain text (Jinja autoescapes it); a document link becomes `href` only when
`is_safe_url` accepts it. Internal hrefs are site paths built from slugs (see `paths`).
"""
from __future__ import annotations

import json
from typing import Any
from collections.abc import Iterable, Mapping

from publisher.checks.urls import SAFE_CONTACT_SCHEMES, SAFE_SCHEMES, is_safe_url
from publisher.connectome import Edge, TrustPath
from publisher.findings import Finding
from publisher.lifecycle import TreatyState
from publisher.model import Treaty
from publisher.codes import REGISTRY
from publisher.site import paths
from publisher.site.context import SiteContext
from publisher.site.format import (STATE_LABELS, STATE_MEANING, STATE_ORDER, expiry_text, fmt_time,
                                   key_fingerprint, relative)

TRUST_PATH_SEARCH_LIMIT = 2000      # nodes a single trust-path search may visit
LEGEND = tuple({"state": s, "label": STATE_LABELS[s], "meaning": STATE_MEANING[s]} for s in STATE_ORDER)


def page(path: str, title: str, section: str, description: str = "") -> dict[str, Any]:
    return {"path": path, "root": paths.root_of(path), "title": title, "section": section,
            "description": description}


def link(value: object, schemes: tuple[str, ...] = SAFE_SCHEMES) -> dict[str, Any] | None:
    """A document-supplied URL: always shown as text, a link only when plainly safe."""
    if not isinstance(value, str) or not value:
        return None
    return {"text": value, "href": value if is_safe_url(value, schemes) else None}


def contact(value: object) -> dict[str, Any] | None:
    return link(value, SAFE_CONTACT_SCHEMES)


def text_value(value: Any, limit: int = 400) -> str:
    """Any JSON value as display text (strings as-is, others as compact JSON), cut at `limit`."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pairs(mapping: Mapping[str, Any] | None) -> list[dict[str, str]]:
    if not isinstance(mapping, Mapping):
        return []
    return [{"key": str(k), "value": text_value(v)} for k, v in sorted(mapping.items(), key=lambda kv: str(kv[0]))]


def sov_ref(ctx: SiteContext, sovereign_id: str) -> dict[str, Any]:
    sovereign = ctx.sovereigns.get(sovereign_id)
    return {"id": sovereign_id, "name": sovereign.display_name if sovereign else sovereign_id,
            "href": ctx.sovereign_href(sovereign_id), "published": sovereign is not None}


def finding_view(item: Finding) -> dict[str, str]:
    code = REGISTRY.get(item.code)
    return {"severity": item.severity.value, "code": item.code, "title": code.title if code else item.code,
            "where": item.path + (f"#{item.pointer}" if item.pointer else ""), "message": item.message}


def findings_view(items: Iterable[Finding]) -> dict[str, Any]:
    views = [finding_view(f) for f in items]
    errors = [f for f in views if f["severity"] == "error"]
    return {"errors": errors, "others": [f for f in views if f["severity"] != "error"], "count": len(views)}


def badge(state: TreatyState | str) -> dict[str, str]:
    name = state if isinstance(state, str) else state.state
    risk = "" if isinstance(state, str) else state.expiry_risk
    return {"state": name, "label": STATE_LABELS.get(name, name), "meaning": STATE_MEANING.get(name, ""),
            "risk": risk}


def state_rank(name: str) -> int:
    return STATE_ORDER.index(name) if name in STATE_ORDER else len(STATE_ORDER)


def treaty_summary(ctx: SiteContext, treaty: Treaty) -> dict[str, Any]:
    """One treaty as a table row: counterparties, lifecycle badge, time to expiry, roles."""
    state = ctx.state(treaty)
    slug = ctx.treaty_slugs[(treaty.issuer, treaty.treaty_id)]
    return {
        "id": treaty.treaty_id, "href": ctx.treaty_href(treaty.issuer, treaty.treaty_id),
        "anchor": f"treaty-{slug}", "issuer": sov_ref(ctx, treaty.issuer), "subject": sov_ref(ctx, treaty.subject),
        "badge": badge(state), "verified": treaty.verified, "roles": list(treaty.allowed_roles),
        "valid_from": fmt_time(treaty.valid_from), "expires_at": fmt_time(treaty.expires_at),
        "expiry": expiry_text(treaty.expires_at, ctx.at) if not state.is_revoked else "—",
        "sort": (state_rank(state.state), treaty.expires_at.isoformat() if treaty.expires_at else "", treaty.treaty_id),
    }


def sorted_summaries(ctx: SiteContext, treaties: Iterable[Treaty]) -> list[dict[str, Any]]:
    rows = [treaty_summary(ctx, t) for t in treaties]
    rows.sort(key=lambda row: row["sort"])
    return rows


def edge_step(ctx: SiteContext, edge: Edge) -> dict[str, Any]:
    return {"from": sov_ref(ctx, edge.source), "to": sov_ref(ctx, edge.target), "treaty_id": edge.treaty_id,
            "href": ctx.treaty_href(edge.source, edge.treaty_id), "badge": badge(edge.state)}


REASON_TEXT = {
    "active_treaty_path": "trusted through active treaties",
    "direct_treaty_revoked": "not trusted: the direct treaty was revoked",
    "no_active_treaty_path": "not trusted: no path of active treaties",
}


def trust_path_view(ctx: SiteContext, result: TrustPath) -> dict[str, Any]:
    return {"from": sov_ref(ctx, result.source), "to": sov_ref(ctx, result.target), "trusted": result.trusted,
            "reason": result.reason, "reason_text": REASON_TEXT[result.reason], "hops": result.hop_count,
            "steps": [edge_step(ctx, e) for e in result.path], "searched": result.searched}


def _subject_key(ctx: SiteContext, treaty: Treaty, key: str) -> dict[str, str]:
    subject = ctx.sovereigns.get(treaty.subject)
    if subject is None:
        note = "subject not published here: cannot be compared"
    else:
        na_key = subject.key_history.key_for(key)
        current = subject.key_history.current
        if na_key is None:
            note = "not an NA key of the subject"
        elif current is not None and na_key.sequence == current.sequence:
            note = f"the subject's current NA key (#{na_key.sequence})"
        else:
            note = f"a retired NA key of the subject (#{na_key.sequence})"
    return {"key": key, "fingerprint": key_fingerprint(key), "note": note}


def _lineage(ctx: SiteContext, treaty: Treaty) -> list[dict[str, Any]]:
    out = []
    for field, label in (("renew_of", "renews"), ("replace_of", "replaces")):
        value = treaty.metadata.get(field)
        if isinstance(value, str):
            out.append({"label": label, "id": value, "href": ctx.treaty_href(treaty.issuer, value)})
    state = ctx.state(treaty)
    if state.replacement_id:
        out.append({"label": "replaced by", "id": state.replacement_id,
                    "href": ctx.treaty_href(treaty.issuer, state.replacement_id)})
    return out


def ask_trust_paths(ctx: SiteContext, sovereign_ids: Iterable[str]) -> None:
    """Ask, back to back, the trust-path question each treaty page of `sovereign_ids` asks (its
    issuer to its subject, with the page's budget; the slim models of publisher.site.lean hold
    both). The graph keeps the answers, which do not depend on the order asked, and a run of
    searches keeps the graph in the processor's caches: asked one unit at a time between pages
    rendered, the same searches cost 2.5 to 4 times as much CPU (19.5-29.9 s against 7.7 s in a
    one-process build at 10,000 sovereigns, where a budgeted search goes 160 levels deep)."""
    for sovereign_id in sovereign_ids:
        for treaty in ctx.sovereigns[sovereign_id].treaties:
            treaty_trust_path(ctx, treaty)


def treaty_trust_path(ctx: SiteContext, treaty: Treaty) -> TrustPath:
    """The question a treaty page asks: why its issuer trusts its subject, or not."""
    return ctx.graph.trust_path(treaty.issuer, treaty.subject, max_visits=TRUST_PATH_SEARCH_LIMIT)


def treaty_view(ctx: SiteContext, treaty: Treaty) -> dict[str, Any]:
    """The treaty's own page: every field, its signature, its row, and why the issuer trusts (or not)."""
    state = ctx.state(treaty)
    issuer = ctx.sovereigns[treaty.issuer]
    slug = ctx.slugs[treaty.issuer]
    signer = issuer.key_history.key_for(treaty.signer) if treaty.signer else None
    row = treaty.row
    raw_path = paths.raw_path(slug, treaty.path)
    return {
        **treaty_summary(ctx, treaty),
        "issued_at": fmt_time(treaty.issued_at), "issued_by": treaty.issued_by,
        "expires_relative": relative(treaty.expires_at, ctx.at),
        "signed_status": treaty.status, "accepted_statuses": list(treaty.accepted_statuses),
        "claims": pairs(treaty.claims), "metadata": pairs(treaty.metadata),
        "subject_keys": [_subject_key(ctx, treaty, k) for k in treaty.subject_public_keys],
        "signer": None if treaty.signer is None else {
            "fingerprint": key_fingerprint(treaty.signer), "key": treaty.signer,
            "sequence": signer.sequence if signer else None},
        "row": None if row is None else {"status": row.status, "revoked_at": row.revoked_at or "—",
                                         "reason": row.revocation_reason or "—"},
        "lineage": _lineage(ctx, treaty),
        "risk": state.expiry_risk,
        "trust": trust_path_view(ctx, treaty_trust_path(ctx, treaty)),
        "raw": {"path": treaty.path, "href": paths.encode_path(raw_path)},
        "findings": findings_view(ctx.findings_by_path.get(treaty.path, ()) if treaty.path.endswith(".json")
                                  and "/treaties/" in treaty.path else ()),
    }
