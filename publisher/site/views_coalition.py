"""View models of the coalition-wide pages: the coalition handshake page (index), the roll
call, and the reading guide (docs/). Pure; plain dicts only.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any
from collections.abc import Mapping

from publisher.exports.roll_call import TRUST_BEARING_KEYS
from publisher.site.checklist import build_checklist
from publisher.site.context import SiteContext
from publisher.site.format import STATE_LABELS, STATE_MEANING, STATE_ORDER, fmt_time, fmt_z
from publisher.site.views import (contact, findings_view, link, page, sorted_summaries, sov_ref, text_value)
from publisher.site.views_sovereign import CUSTODY_TEXT, KEY_ROLES, roll_call_view, verify_commands
from publisher.jsonshape import arr

EXPIRING_LIST_WINDOW = timedelta(days=30)


def _text(value: Any) -> str | None:
    return text_value(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None


def _surfaces(surfaces: Mapping[str, Any]) -> dict[str, list[dict[str, str]]]:
    published, hidden = arr(surfaces.get("published")), arr(surfaces.get("not_published"))
    return {
        "published": [{"name": text_value(s)} for s in published if isinstance(s, str)],
        "not_published": [{"name": text_value(s.get("surface", "")), "reason": text_value(s.get("reason", ""))}
                          for s in hidden if isinstance(s, dict)]
                         + [{"name": text_value(s), "reason": ""} for s in hidden if isinstance(s, str)],
    }


def _members(ctx: SiteContext) -> list[dict[str, Any]]:
    ids = list(ctx.members) + sorted(s for s in ctx.sovereigns if s not in ctx.members)
    rows = []
    for sid in ids:
        sovereign = ctx.sovereigns.get(sid)
        member = ctx.members.get(sid)
        roll = sovereign.roll_call if sovereign else None
        issued = sovereign.treaties if sovereign else ()
        rows.append({
            "ref": sov_ref(ctx, sid), "member": member is not None,
            "handshake_url": link(member.handshake_url) if member else None,
            "note": member.note if member and member.note else None,
            "verified": bool(sovereign and sovereign.verified),
            "operator": next((p.name for p in roll.parties if "operator" in p.roles), None) if roll else None,
            "custody": roll.custody_model if roll else None,
            "active_issued": sum(1 for t in issued if ctx.state(t).is_active),
            "active_received": sum(1 for t in ctx.received.get(sid, []) if ctx.state(t).is_active),
            "errors": sum(1 for f in ctx.findings_by_sovereign.get(sid, ()) if f.severity.value == "error"),
        })
    return rows


def _counts(ctx: SiteContext) -> list[dict[str, Any]]:
    treaties = [t for s in ctx.sovereigns.values() for t in s.treaties]
    states: dict[str, int] = {}
    for treaty in treaties:
        states[ctx.state(treaty).state] = states.get(ctx.state(treaty).state, 0) + 1
    external = {e.target for e in ctx.edges if e.target not in ctx.sovereigns}
    summary = ctx.verification.summary()
    return [
        {"label": "Sovereigns published", "value": len(ctx.sovereigns)},
        {"label": "Members listed", "value": len(ctx.members)},
        {"label": "Treaties", "value": len(treaties)},
        {"label": "Active recognitions", "value": sum(1 for e in ctx.edges if e.is_active)},
        *({"label": STATE_LABELS[s], "value": states[s], "state": s} for s in STATE_ORDER
          if states.get(s) and s != "active"),
        {"label": "Recognized sovereigns not published here", "value": len(external)},
        {"label": "Verification errors", "value": summary["error"]},
        {"label": "Warnings", "value": summary["warning"]},
    ]


def index_view(ctx: SiteContext, content_digest: str) -> dict[str, Any]:
    coalition = ctx.verification.coalition
    operator = coalition.operator if isinstance(coalition.operator, Mapping) else {}
    prov = ctx.provenance
    expiring = [t for s in ctx.sovereigns.values() for t in s.treaties
                if ctx.state(t).is_active and t.expires_at is not None
                and t.expires_at - ctx.at <= EXPIRING_LIST_WINDOW]
    checklist = build_checklist(ctx)
    return {
        "page": page("index.html", coalition.name, "coalition", coalition.description),
        "name": coalition.name, "description": coalition.description, "declared": coalition.declared,
        "fingerprint": coalition.fingerprint or "—",
        "operator": {"name": _text(operator.get("name")), "contact": contact(operator.get("contact")),
                     "url": link(operator.get("url"))},
        "change_channel": link(coalition.change_channel), "site_url": link(coalition.site_url),
        "notices": [{"change": _text(n.get("change")) or "—", "days": _text(n.get("notice_days")) or "—",
                     "description": _text(n.get("description")) or ""} for n in coalition.notice_commitments],
        "surfaces": _surfaces(coalition.surfaces),
        "members": _members(ctx), "counts": _counts(ctx),
        "provenance": {"commit": prov.source_commit or "not a git commit (working tree)",
                       "evaluated_at": fmt_time(prov.evaluated_at),
                       "evaluated_at_z": fmt_z(prov.evaluated_at), "digest": content_digest,
                       "generator": prov.generator},
        "checklist": checklist,
        "checklist_summary": {s: sum(1 for i in checklist if i["status"] == s) for s in ("pass", "fail", "unknown")},
        "expiring": sorted(sorted_summaries(ctx, expiring), key=lambda r: (r["sort"][1], r["id"])),
        "findings": findings_view(ctx.coalition_findings),
        "verify": verify_commands(ctx),
    }


def roll_call_page_view(ctx: SiteContext) -> dict[str, Any]:
    sovereigns = []
    across: dict[str, list[dict[str, Any]]] = {}
    for sid in sorted(ctx.sovereigns):
        sovereign = ctx.sovereigns[sid]
        view = roll_call_view(sovereign.roll_call)
        sovereigns.append({"ref": sov_ref(ctx, sid), "roll_call": view})
        for party in (view["parties"] if view else []):
            across.setdefault(party["name"], []).append({"ref": sov_ref(ctx, sid), "roles": party["roles"],
                                                         "holds_keys": party["holds_keys"]})
    partners = [{"sovereign": s["ref"], "party": p} for s in sovereigns if s["roll_call"]
                for p in s["roll_call"]["parties"] if p["partner"]]
    return {
        "page": page("roll-call.html", "Roll call", "roll-call",
                     "Who operates each sovereign, who holds which key, and who only assists."),
        "sovereigns": sovereigns, "key_roles": [{"role": r, "label": label} for r, label in KEY_ROLES],
        "partners": partners, "trust_bearing": sorted(TRUST_BEARING_KEYS),
        "across": [{"name": name, "entries": entries} for name, entries in sorted(across.items())
                   if len(entries) > 1],
        "missing": [s["ref"] for s in sovereigns if s["roll_call"] is None],
    }


def docs_view(ctx: SiteContext, path: str, title: str) -> dict[str, Any]:
    """The reading guide (guide.html) and the documentation stand-in (docs/index.html)."""
    return {
        "page": page(path, title, "guide"),
        "states": [{"state": s, "label": STATE_LABELS[s], "meaning": STATE_MEANING[s]} for s in STATE_ORDER],
        "custody": [{"name": k, "text": v} for k, v in CUSTODY_TEXT.items()],
        "verify": verify_commands(ctx),
    }
