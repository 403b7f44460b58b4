"""View models of the connectome: the recognition graph drawn at build time with a legend, the
table of every edge (the accessible fallback), trust-path explanations (RFC-006 §9.4) and the
revocation blast radius (§9.3). Up to `LARGE_GRAPH` sovereigns: one graph and a full
trust-path matrix (up to `MATRIX_LIMIT` issuers); beyond: a clustered overview with one page
per cluster (its graph and every edge touching it), and trust paths on each sovereign page.
"""
from __future__ import annotations

from typing import Any
from collections.abc import Mapping

from publisher.connectome import Edge
from publisher.site import paths
from publisher.site.clusters import Cluster, cluster_graph
from publisher.site.context import SiteContext
from publisher.site.format import STATE_LABELS, STATE_MEANING, STATE_ORDER, fmt_time
from publisher.site.svg import EdgeSpec, NodeSpec, edge_width, layout_graph
from publisher.site.views import (TRUST_PATH_SEARCH_LIMIT, badge, edge_step, page, sov_ref, trust_path_view)
from publisher.site.views_sovereign import edge_spec, node_spec

LARGE_GRAPH = 500
MATRIX_LIMIT = 30
AFFECTED_SHOWN = 24        # accepting sovereigns named in a blast radius row; connectome.json has all


def _nodes(ctx: SiteContext) -> list[str]:
    return sorted(set(ctx.sovereigns) | {e.source for e in ctx.edges} | {e.target for e in ctx.edges})


def _legend(ctx: SiteContext) -> list[dict[str, Any]]:
    """The coalition-wide count of edges per state (counted once, in the context: every one of
    the 254 cluster pages at 10,000 sovereigns shows it, and counting 100,000 edges for each
    was 2% of the page workers' time)."""
    return [{"state": s, "label": STATE_LABELS[s], "meaning": STATE_MEANING[s],
             "count": ctx.edge_states.get(s, 0)} for s in STATE_ORDER]


def edge_row(ctx: SiteContext, edge: Edge) -> dict[str, Any]:
    treaty = ctx.by_key.get((edge.source, edge.treaty_id))
    return {**edge_step(ctx, edge), "status": edge.status, "risk": edge.expiry_risk,
            "expires_at": fmt_time(treaty.expires_at) if treaty else "—", "active": edge.is_active}


def _matrix(ctx: SiteContext, nodes: list[str]) -> dict[str, Any] | None:
    sources = sorted(ctx.sovereigns)
    if len(sources) > MATRIX_LIMIT:
        return None
    index = {n: i for i, n in enumerate(nodes)}
    rows, explanations = [], []
    for source in sources:
        cells = []
        for target in nodes:
            if target == source:
                cells.append({"kind": "self", "label": "—", "text": "same sovereign", "anchor": None})
                continue
            result = ctx.graph.trust_path(source, target)
            anchor = f"why-{index[source]}-{index[target]}"
            if result.trusted:
                kind = "direct" if result.hop_count == 1 else "path"
                label = "✓" if kind == "direct" else f"✓ {result.hop_count} hops"
            elif result.reason == "direct_treaty_revoked":
                kind, label = "revoked", "✗ revoked"
            else:
                cells.append({"kind": "none", "label": "·", "text": "no active path", "anchor": None})
                continue
            cells.append({"kind": kind, "label": label, "text": trust_path_view(ctx, result)["reason_text"],
                          "anchor": anchor})
            explanations.append({**trust_path_view(ctx, result), "anchor": anchor})
        rows.append({"ref": sov_ref(ctx, source), "cells": cells})
    return {"columns": [sov_ref(ctx, n) for n in nodes], "rows": rows, "explanations": explanations}


def _blast(ctx: SiteContext, view: Mapping[str, Any]) -> dict[str, Any]:
    """The blast radius section. Each revoked attestation's row names the first
    `AFFECTED_SHOWN` sovereigns accepting its issuer and counts the others (`more`):
    connectome.json lists them all, but the page would hold revocations x acceptors links
    (a 1 MiB feed accepted by 400 sovereigns: 6,000,000)."""
    attestations = []
    for item in view.get("revocation_blast_radius", []):
        affected = item.get("affected_accepting_sovereigns", [])
        attestations.append({
            "id": str(item.get("id")), "issuer": sov_ref(ctx, str(item.get("issuer_sovereign_id", ""))),
            "affected": [sov_ref(ctx, s) for s in affected[:AFFECTED_SHOWN]],
            "more": max(0, len(affected) - AFFECTED_SHOWN),
            "reason": item.get("reason") or "—", "feed_id": str(item.get("feed_id")), "sequence": item.get("sequence"),
            "revoked_at": item.get("revoked_at") or "—",
        })
    treaties = []
    for edge in ctx.edges:
        if not edge.is_revoked:
            continue
        state = ctx.states.get((edge.source, edge.treaty_id))
        residual = ctx.graph.trust_path(edge.source, edge.target, max_visits=TRUST_PATH_SEARCH_LIMIT)
        treaties.append({**edge_row(ctx, edge), "reason": (state.reason if state else None) or "—",
                         "revoked_at": (state.revoked_at if state else None) or "—",
                         "still": trust_path_view(ctx, residual)})
    return {"attestations": attestations, "treaties": treaties}


def _cluster_spec(ctx: SiteContext, cluster: Cluster) -> NodeSpec:
    return NodeSpec(cluster.id, f"{cluster.id} ({len(cluster.members)})", paths.cluster_page(cluster.id),
                    "node node-cluster", f"cluster {cluster.id}: {len(cluster.members)} sovereigns, {cluster.label}")


def _overview(ctx: SiteContext, clusters: list[Cluster]) -> Any:
    where = {m: c.id for c in clusters for m in c.members}
    counts: dict[tuple[str, str], int] = {}
    for edge in ctx.edges:
        if edge.is_active and where[edge.source] != where[edge.target]:
            key = (where[edge.source], where[edge.target])
            counts[key] = counts.get(key, 0) + 1
    specs = [EdgeSpec(a, b, "edge edge-aggregate", f"{n} active recognitions from {a} to {b}", edge_width(n))
             for (a, b), n in sorted(counts.items())]
    return layout_graph([_cluster_spec(ctx, c) for c in clusters], specs, label_chars=12,
                        title="Clustered overview of the recognition graph",
                        desc=f"{len(clusters)} clusters of sovereigns; arrows aggregate active recognitions "
                             "between clusters, thicker for more.")


ClusterEdges = list[tuple[Cluster, list[Edge]]]      # each cluster and every edge with an end in it


def connectome_clusters(ctx: SiteContext) -> ClusterEdges:
    """The clusters of a large graph (none up to `LARGE_GRAPH` sovereigns), each with the
    edges its page lists."""
    nodes = _nodes(ctx)
    if len(nodes) <= LARGE_GRAPH:
        return []
    clusters = cluster_graph(nodes, [(e.source, e.target) for e in ctx.edges])
    where = {m: c.id for c in clusters for m in c.members}
    touching: dict[str, list[Edge]] = {}
    for edge in ctx.edges:
        for cluster_id in sorted({where[edge.source], where[edge.target]}):
            touching.setdefault(cluster_id, []).append(edge)
    return [(c, touching.get(c.id, [])) for c in clusters]


def connectome_main_view(ctx: SiteContext, view: Mapping[str, Any], found: ClusterEdges) -> dict[str, Any]:
    """The connectome page, given `connectome_clusters(ctx)`."""
    nodes = _nodes(ctx)
    large = len(nodes) > LARGE_GRAPH
    clusters = [c for c, _ in found]
    graph = _overview(ctx, clusters) if large else layout_graph(
        [node_spec(ctx, n) for n in nodes], [edge_spec(ctx, e) for e in ctx.edges],
        title="Recognition graph", desc=f"{len(nodes)} sovereigns and {len(ctx.edges)} treaties; each arrow points "
                                        "from the recognizing issuer to the recognized subject, styled by lifecycle.")
    return {
        "page": page("connectome.html", "Connectome", "connectome",
                     "Who recognizes whom, why one sovereign trusts another, and what each revocation affects."),
        "summary": dict(view.get("summary", {})), "legend": _legend(ctx), "graph": graph, "large": large,
        "edges": [] if large else [edge_row(ctx, e) for e in ctx.edges],
        "clusters": [{"id": c.id, "label": c.label, "size": len(c.members), "href": paths.cluster_page(c.id)}
                     for c in clusters],
        "matrix": None if large else _matrix(ctx, nodes), "matrix_limit": MATRIX_LIMIT,
        "blast": _blast(ctx, view),
    }


def cluster_view(ctx: SiteContext, cluster: Cluster, edges: list[Edge]) -> dict[str, Any]:
    """One cluster's page: its graph and every edge with an end in it."""
    members = set(cluster.members)
    inside = [e for e in edges if e.source in members and e.target in members]
    graph = layout_graph([node_spec(ctx, n) for n in cluster.members], [edge_spec(ctx, e) for e in inside],
                         title=f"Cluster {cluster.id}",
                         desc=f"{len(members)} sovereigns of cluster {cluster.id} and the treaties among them.")
    return {
        "page": page(paths.cluster_page(cluster.id), f"Cluster {cluster.id}", "connectome"),
        "id": cluster.id, "label": cluster.label, "graph": graph, "legend": _legend(ctx),
        "members": [sov_ref(ctx, m) for m in cluster.members],
        "edges": [edge_row(ctx, e) for e in edges], "badge": badge("active"),
    }
