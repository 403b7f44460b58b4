"""The sovereign's handshake page as a view model: identity, keys per role, genesis, NA key
timeline, treaties issued and received, revocation feed and its blast radius, roll call,
trust paths, raw files and how to verify it from a clone. Pure; plain dicts only.
"""
from __future__ import annotations

import shlex
from typing import Any

import markupsafe

from publisher.connectome import Edge
from publisher.exports.roll_call import TRUST_BEARING_KEYS
from publisher.model import RollCall, Sovereign
from publisher.site import paths, render_cache
from publisher.site.context import SiteContext
from publisher.site.format import fmt_time, fmt_z, key_fingerprint
from publisher.site.svg import EdgeSpec, NodeSpec, SvgGraph, layout_graph, neighbourhood
from publisher.site.views import (LEGEND, contact, edge_step, findings_view, link, page, pairs, sorted_summaries,
                                  sov_ref, text_value)

TRUSTED_LIMIT = 15          # trust paths listed per sovereign page (nearest first)
NEIGHBOUR_LIMIT = 40        # nodes in a neighbourhood graph besides the focus

CUSTODY_TEXT = {
    "customer-held": "the operator holds the root, NA and operator keys itself",
    "managed-na-key": "another party holds the NA key on the operator's behalf; root and operator keys stay "
                      "with the operator",
    "split-operation": "operation is divided among several parties, each listed with the keys it holds",
}
KEY_ROLES = (("root", "Root key"), ("network-authority", "NA key"), ("operator", "Operator key"))


def roll_call_view(roll: RollCall | None) -> dict[str, Any] | None:
    if roll is None:
        return None
    parties = []
    for party in roll.parties:
        partner = "managing-partner" in party.roles
        parties.append({
            "name": party.name, "roles": list(party.roles), "holds_keys": list(party.holds_keys),
            "contact": contact(party.contact), "url": contact(party.url), "notes": list(party.assistance_notes),
            "partner": partner, "violates": partner and bool(TRUST_BEARING_KEYS & set(party.holds_keys)),
        })
    holders = {role: [p.name for p in roll.parties if role in p.holds_keys] for role, _ in KEY_ROLES}
    return {
        "custody_model": roll.custody_model, "custody_text": CUSTODY_TEXT.get(roll.custody_model, ""),
        "verified": roll.verified, "issued_at": fmt_time(roll.issued_at), "parties": parties,
        "operator": next((p.name for p in roll.parties if "operator" in p.roles), None),
        "holders": [{"role": role, "label": label, "names": holders[role]} for role, label in KEY_ROLES],
        "threshold": roll.signature_threshold,
    }


def _keys(sovereign: Sovereign) -> dict[str, Any]:
    history = sovereign.key_history
    current = history.current
    timeline = [{
        "sequence": k.sequence, "key_id": k.key_id or "—", "key": k.public_key,
        "fingerprint": key_fingerprint(k.public_key), "valid_from": fmt_time(k.valid_from) if k.valid_from else
        "genesis", "succeeded_at": fmt_time(k.succeeded_at), "valid_to": fmt_time(k.valid_to),
        "enforced": k.valid_to_enforced, "current": current is not None and k.sequence == current.sequence,
    } for k in history.keys]
    return {
        "root": None if not sovereign.root_public_key else {
            "key": sovereign.root_public_key, "fingerprint": key_fingerprint(sovereign.root_public_key),
            "source": sovereign.root_source},
        "na_current": None if current is None else {"key": current.public_key,
                                                    "fingerprint": key_fingerprint(current.public_key),
                                                    "sequence": current.sequence},
        "timeline": timeline,
        "operators": [{"key": k, "fingerprint": key_fingerprint(k)} for k in sovereign.operator_keys],
    }


def _genesis(ctx: SiteContext, sovereign: Sovereign) -> dict[str, Any] | None:
    genesis = sovereign.genesis
    if genesis is None:
        return None
    member = ctx.members.get(sovereign.id)
    pin = member.genesis_sha256 if member else None
    raw = genesis.raw

    def names(key: str) -> list[str]:
        value = raw.get(key)
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

    return {
        "network_name": genesis.network_name, "version": genesis.network_version, "verified": genesis.verified,
        "digest": genesis.digest, "pin": pin, "pin_ok": pin is None or pin == genesis.digest,
        "na_valid_from": fmt_time(genesis.na_valid_from), "na_valid_to": fmt_time(genesis.na_valid_to),
        "na_fingerprint": key_fingerprint(genesis.na_public_key), "anchors": len(genesis.bootstrap_anchors),
        "suites": names("allowed_crypto_suites"), "transports": names("allowed_transports"),
    }


def _feed(ctx: SiteContext, sovereign: Sovereign) -> dict[str, Any] | None:
    feed = sovereign.feed
    if feed is None:
        return None
    return {
        "feed_id": feed.feed_id, "sequence": feed.sequence, "issued_at": fmt_time(feed.issued_at),
        "verified": feed.verified, "grants": len(feed.grant_ids) if feed.grant_ids is not None else None,
        "revoked": [{"id": i, "reason": feed.reasons.get(i, "—")} for i in feed.revoked_ids],
        "affected": [sov_ref(ctx, s) for s in ctx.graph.accepting(sovereign.id)],
    }


def edge_spec(ctx: SiteContext, edge: Edge) -> EdgeSpec:
    return EdgeSpec(edge.source, edge.target, f"edge edge-{edge.state}",
                    f"{edge.source} recognizes {edge.target}: treaty {edge.treaty_id}, {edge.state}")


def node_spec(ctx: SiteContext, sovereign_id: str, focus: bool = False) -> NodeSpec:
    sovereign = ctx.sovereigns.get(sovereign_id)
    css = "node node-focus" if focus else ("node node-member" if sovereign is not None else "node node-external")
    if sovereign is not None and not sovereign.verified:
        css += " node-unverified"
    title = f"{sovereign.display_name} ({sovereign_id})" if sovereign else f"{sovereign_id} (not published here)"
    return NodeSpec(sovereign_id, sovereign_id, ctx.sovereign_href(sovereign_id), css, title)


def neighbourhood_graph(ctx: SiteContext, sovereign: Sovereign) -> tuple[SvgGraph, int]:
    edges = ctx.graph.out_edges.get(sovereign.id, []) + ctx.graph.in_edges.get(sovereign.id, [])
    specs = [edge_spec(ctx, e) for e in sorted(set(edges), key=lambda e: e.key)]
    shown, hidden = neighbourhood(sovereign.id, specs, NEIGHBOUR_LIMIT)
    nodes = [node_spec(ctx, sovereign.id, focus=True)] + [node_spec(ctx, n) for n in shown]
    visible = set(shown) | {sovereign.id}
    specs = [s for s in specs if s.source in visible and s.target in visible]
    graph = layout_graph(nodes, specs, focus=sovereign.id, title=f"Recognition neighbourhood of {sovereign.id}",
                         desc=f"{sovereign.id} and the {len(shown)} sovereigns it recognizes or is recognized by; "
                              "arrows point from the recognizing issuer to the recognized subject.")
    return graph, hidden


def _trust(ctx: SiteContext, sovereign: Sovereign) -> dict[str, Any]:
    reached, complete = ctx.graph.trusted_from(sovereign.id, limit=TRUSTED_LIMIT)
    revoked = [edge_step(ctx, e) for e in ctx.graph.out_edges.get(sovereign.id, []) if e.is_revoked]
    trusted_by = sorted({e.source for e in ctx.graph.active_in.get(sovereign.id, [])})
    paths = [{"to": sov_ref(ctx, p.target), "hops": p.hop_count,
              "via": [sov_ref(ctx, e.source) for e in p.path[1:]]} for p in reached]
    return {"paths": paths, "complete": complete, "limit": TRUSTED_LIMIT,
            "revoked": revoked, "trusted_by": [sov_ref(ctx, s) for s in trusted_by]}


def _files(ctx: SiteContext, sovereign: Sovereign) -> list[dict[str, str]]:
    slug = ctx.slugs[sovereign.id]
    files = [{"path": f, "href": paths.encode_path(paths.raw_path(slug, f))} for f in sovereign.files]
    if sovereign.genesis is not None:
        files.append({"path": f"trust bundle (RFC-003 v1): {paths.bundle_path(slug)}", "href": paths.bundle_path(slug)})
    files.append({"path": f"connectome (RFC-006): sovereigns/{slug}/connectome.json",
                  "href": f"sovereigns/{slug}/connectome.json"})
    return files


def verify_commands(ctx: SiteContext, sovereign_id: str | None = None) -> list[str]:
    """Shell lines to verify from a clone; the checkout line carries the commit marker."""
    prov = ctx.provenance
    lines: list[str] = []
    if prov.source_commit:      # the commit itself as a marker: see render_cache.finish
        lines.append(markupsafe.Markup("git checkout ") + render_cache.COMMIT)
    command = f"handshake verify . --at {fmt_z(prov.evaluated_at)}"
    if sovereign_id is not None:
        command += f" | grep -F {shlex.quote('sovereigns/' + sovereign_id + '/')}"
    lines.append(command)
    return lines


def sovereign_view(ctx: SiteContext, sovereign: Sovereign) -> dict[str, Any]:
    slug = ctx.slugs[sovereign.id]
    identity = sovereign.identity
    member = ctx.members.get(sovereign.id)
    graph, hidden = neighbourhood_graph(ctx, sovereign)
    return {
        "page": page(paths.sovereign_page(slug), f"{sovereign.display_name} ({sovereign.id})", "sovereigns"),
        "id": sovereign.id, "name": sovereign.display_name, "slug": slug, "verified": sovereign.verified,
        "member": member is not None, "note": member.note if member else None,
        "handshake_url": link(member.handshake_url) if member else None,
        "metadata": pairs(identity.metadata) if identity else [],
        "endpoints": [link(e) for e in identity.endpoints] if identity else [],
        "keys": _keys(sovereign), "genesis": _genesis(ctx, sovereign),
        "issued": sorted_summaries(ctx, sovereign.treaties),
        "received": sorted_summaries(ctx, ctx.received.get(sovereign.id, [])),
        "feed": _feed(ctx, sovereign), "roll_call": roll_call_view(sovereign.roll_call),
        "trust": _trust(ctx, sovereign), "graph": graph, "graph_hidden": hidden, "legend": LEGEND,
        "files": _files(ctx, sovereign), "verify": verify_commands(ctx, sovereign.id),
        "findings": findings_view(ctx.findings_by_sovereign.get(sovereign.id, ())),
        "display_id": text_value(sovereign.id, 200),
    }
