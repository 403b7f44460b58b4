"""genesis-mesh 1.8.1 `trust/connectome.py` (MIT), ported verbatim as a test oracle: the
exports and trust paths must agree with what the reference computes from the same edges."""
from __future__ import annotations

from collections import defaultdict, deque
from typing import Any


def _edge_key(edge):
    return (str(edge.get("from", "")), str(edge.get("to", "")), str(edge.get("treaty_id", "")))


def _active_edges(graph):
    return [edge for edge in graph.get("recognition_edges", [])
            if edge.get("status") == "active" and edge.get("lifecycle_state", "active") in {"active", "expiring_soon"}]


def _revoked_edges(graph):
    return [edge for edge in graph.get("recognition_edges", [])
            if edge.get("status") == "revoked" or edge.get("lifecycle_state") in {"revoked", "replaced"}]


def _membership_revocations(graph):
    return [item for item in graph.get("revoked_trust_material", []) if item.get("type") == "membership_attestation"]


def _build_direct_adjacency(edges):
    adjacency: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for edge in sorted(edges, key=_edge_key):
        adjacency[str(edge.get("from", ""))].append(edge)
    return dict(adjacency)


def _find_active_path(graph, source, target):
    adjacency = _build_direct_adjacency(_active_edges(graph))
    queue = deque([(source, [])])
    visited = {source}
    while queue:
        current, path = queue.popleft()
        for edge in adjacency.get(current, []):
            nxt = str(edge.get("to", ""))
            if not nxt or nxt in visited:
                continue
            next_path = path + [edge]
            if nxt == target:
                return next_path
            visited.add(nxt)
            queue.append((nxt, next_path))
    return []


def _direct_revoked_edge(graph, source, target):
    for edge in sorted(_revoked_edges(graph), key=_edge_key):
        if edge.get("from") == source and edge.get("to") == target:
            return edge
    return None


def _revocation_blast_radius(graph):
    accepting = defaultdict(set)
    for edge in _active_edges(graph):
        accepting[str(edge.get("to", ""))].add(str(edge.get("from", "")))
    out = []
    for item in sorted(_membership_revocations(graph), key=lambda row: str(row.get("id", ""))):
        issuer = str(item.get("issuer_sovereign_id", ""))
        out.append({"type": item.get("type"), "id": item.get("id"), "issuer_sovereign_id": issuer,
                    "affected_accepting_sovereigns": sorted(accepting.get(issuer, set())),
                    "feed_id": item.get("feed_id"), "sequence": item.get("sequence"),
                    "reason": item.get("reason"), "revoked_at": item.get("revoked_at")})
    return out


def build_connectome_view(graph):
    sovereigns = sorted(graph.get("sovereigns", []), key=lambda row: str(row.get("sovereign_id", "")))
    edges = sorted(graph.get("recognition_edges", []), key=_edge_key)
    active = _active_edges({"recognition_edges": edges})
    revoked = _revoked_edges({"recognition_edges": edges})
    material = sorted(graph.get("revoked_trust_material", []),
                      key=lambda row: (str(row.get("type", "")), str(row.get("id", ""))))
    membership = [item for item in material if item.get("type") == "membership_attestation"]
    return {"summary": {"sovereign_count": len(sovereigns), "recognition_edge_count": len(edges),
                        "active_edge_count": len(active), "revoked_edge_count": len(revoked),
                        "revoked_trust_material_count": len(material), "imported_revocation_count": len(membership)},
            "sovereigns": sovereigns, "recognition_edges": edges,
            "active_treaties": graph.get("active_treaties", []),
            "revoked_trust_material": material, "revocation_blast_radius": _revocation_blast_radius(graph)}


def explain_trust_path(graph, source, target):
    path = _find_active_path(graph, source, target)
    if path:
        return {"from": source, "to": target, "trusted": True, "reason": "active_treaty_path", "path": path,
                "hop_count": len(path)}
    revoked = _direct_revoked_edge(graph, source, target)
    if revoked:
        return {"from": source, "to": target, "trusted": False, "reason": "direct_treaty_revoked", "path": [revoked],
                "hop_count": 0}
    return {"from": source, "to": target, "trusted": False, "reason": "no_active_treaty_path", "path": [],
            "hop_count": 0}
