"""Export the recognition graph (RFC-006 `/recognition-graph`, FORMATS §9.1) and build the
connectome view (`/connectome.json`, §9.3) exactly as genesis-mesh's `build_connectome_view`.

`export_recognition_graph` is the union over every sovereign published here, with lifecycle
recomputed at the verification's evaluation time; `export_sovereign_graph` is what one NA
holds (its own treaties and the attestation revocations it would import). Only verified
treaties and verified feeds contribute. Pure; returns plain JSON-ready dicts.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any
from collections.abc import Iterable, Mapping, Sequence

from publisher.connectome import Edge, build_edges, edge_sort_key, graph_treaties
from publisher.lifecycle import treaty_state
from publisher.model import Sovereign, Treaty

if TYPE_CHECKING:
    from publisher.verify import Verification


_INDEX: list[Any] = [None, {}]      # [verification, {id: sovereign}]: one-entry identity cache


def sovereigns_by_id(verification: Verification) -> dict[str, Sovereign]:
    """Sovereigns by id, indexed once per verification (exporting every sovereign stays linear)."""
    if _INDEX[0] is not verification:
        _INDEX[0], _INDEX[1] = verification, {s.id: s for s in verification.sovereigns}
    return _INDEX[1]  # type: ignore[no-any-return]


def _revoked_treaty_item(treaty: Treaty, verification: Verification) -> dict[str, Any] | None:
    state = treaty_state(treaty, verification.at)
    if not state.is_revoked:
        return None
    return {"type": "recognition_treaty", "id": treaty.treaty_id, "lifecycle_state": state.state,
            "reason": state.reason, "revoked_at": state.revoked_at}


def attestation_revocations(sovereigns: Iterable[Sovereign]) -> list[dict[str, Any]]:
    """One `membership_attestation` item per id revoked by a verified feed (FORMATS §9.1)."""
    items: list[dict[str, Any]] = []
    for sovereign in sovereigns:
        feed = sovereign.feed
        if feed is None or not feed.verified:
            continue
        revoked_at = feed.issued_at.isoformat() if feed.issued_at else None
        for attestation_id in feed.revoked_ids:
            items.append({"type": "membership_attestation", "id": attestation_id,
                          "issuer_sovereign_id": sovereign.id, "feed_id": feed.feed_id,
                          "sequence": feed.sequence, "reason": feed.reasons.get(attestation_id),
                          "revoked_at": revoked_at})
    return items


def active_order(treaty: Treaty) -> str:
    """The key that orders `active_treaties` ("" without issued_at). genesis-mesh lists them
    by the text its database stores, issued_at's isoformat in the offset it was signed with (so
    a whole second sorts before its fractions, which the published `Z` form reverses, and a
    `+02:00` time by its local text); rows with equal text in insertion order, which for the
    copies an NA re-issued at one restart is the order of their sources' issued_at: the copy's
    unchanged valid_from, for a first re-issue."""
    if treaty.issued_at is None:
        return ""
    return (treaty.wrapper_time("issued_at") or "") + "\x00" + (treaty.wrapper_time("valid_from") or "")


def _active_treaties(treaties: Iterable[Treaty], verification: Verification) -> list[Mapping[str, Any]]:
    # The reference lists them in database order (issued_at ascending); ties by issuer and id.
    active = [t for t in treaties if treaty_state(t, verification.at).is_active]
    active.sort(key=lambda t: (active_order(t), t.issuer, t.treaty_id))
    return [t.raw for t in active]


def _graph(sovereign_ids: Iterable[str], edges: Iterable[Edge], treaties: list[Treaty],
           attestations: list[dict[str, Any]], verification: Verification) -> dict[str, Any]:
    edge_list = list(edges)
    ids = set(sovereign_ids) | {e.source for e in edge_list} | {e.target for e in edge_list}
    revoked = [item for item in (_revoked_treaty_item(t, verification) for t in treaties) if item]
    revoked.sort(key=lambda item: (item["type"], item["id"]))
    attestations = sorted(attestations, key=lambda item: (item["id"], item["issuer_sovereign_id"]))
    return {
        "sovereigns": [{"sovereign_id": sid} for sid in sorted(ids)],
        "recognition_edges": [e.to_dict() for e in edge_list],
        "active_treaties": _active_treaties(treaties, verification),
        "revoked_trust_material": revoked + attestations,
    }


def export_recognition_graph(verification: Verification, *, edges: Sequence[Edge] | None = None) -> dict[str, Any]:
    """The coalition's recognition graph: every sovereign published here, every verified treaty
    as an edge, the active treaties, and revoked treaties plus attestation revocations.
    `edges`: `build_edges(verification.sovereigns, verification.at)`, when the caller has it."""
    sovereigns = verification.sovereigns
    treaties = sorted(graph_treaties(sovereigns), key=lambda t: (t.issuer, t.subject, t.treaty_id))
    return _graph((s.id for s in sovereigns), build_edges(sovereigns, verification.at) if edges is None else edges,
                  treaties, attestation_revocations(sovereigns), verification)


def export_sovereign_graph(verification: Verification, sovereign_id: str, *,
                           sovereign: Sovereign | None = None) -> dict[str, Any]:
    """What one sovereign's NA would export: the treaties it issued, and the attestation
    revocations of the sovereigns it actively recognizes (the feeds it would import).
    An unknown id gives an empty graph. `sovereign`: its full model when the caller holds it
    (the site builder's verification may carry the others without their documents)."""
    index = sovereigns_by_id(verification)
    sovereign = sovereign if sovereign is not None else index.get(sovereign_id)
    if sovereign is None:
        return {"sovereigns": [], "recognition_edges": [], "active_treaties": [], "revoked_trust_material": []}
    edges = build_edges((sovereign,), verification.at)
    recognized = sorted({e.target for e in edges if e.is_active})
    imported = attestation_revocations(index[s] for s in recognized if s in index)
    return _graph((), edges, graph_treaties((sovereign,)), imported, verification)


def _is_active(edge: Mapping[str, Any]) -> bool:
    return edge.get("status") == "active" and edge.get("lifecycle_state", "active") in {"active", "expiring_soon"}


def _is_revoked(edge: Mapping[str, Any]) -> bool:
    return edge.get("status") == "revoked" or edge.get("lifecycle_state") in {"revoked", "replaced"}


def connectome_view(export: Mapping[str, Any]) -> dict[str, Any]:
    """`build_connectome_view` (FORMATS §9.3): summary counts, sorted members, blast radius."""
    sovereigns = sorted(export.get("sovereigns", []), key=lambda row: str(row.get("sovereign_id", "")))
    edges = sorted(export.get("recognition_edges", []), key=edge_sort_key)
    active = [e for e in edges if _is_active(e)]
    material = sorted(export.get("revoked_trust_material", []),
                      key=lambda row: (str(row.get("type", "")), str(row.get("id", ""))))
    attestations = [item for item in material if item.get("type") == "membership_attestation"]
    accepting: dict[str, set[str]] = {}
    for edge in active:
        accepting.setdefault(str(edge.get("to", "")), set()).add(str(edge.get("from", "")))
    blast = [{
        "type": item.get("type"), "id": item.get("id"), "issuer_sovereign_id": str(item.get("issuer_sovereign_id", "")),
        "affected_accepting_sovereigns": sorted(accepting.get(str(item.get("issuer_sovereign_id", "")), set())),
        "feed_id": item.get("feed_id"), "sequence": item.get("sequence"), "reason": item.get("reason"),
        "revoked_at": item.get("revoked_at"),
    } for item in sorted(attestations, key=lambda row: str(row.get("id", "")))]
    return {
        "summary": {
            "sovereign_count": len(sovereigns), "recognition_edge_count": len(edges),
            "active_edge_count": len(active), "revoked_edge_count": sum(1 for e in edges if _is_revoked(e)),
            "revoked_trust_material_count": len(material), "imported_revocation_count": len(attestations),
        },
        "sovereigns": sovereigns,
        "recognition_edges": edges,
        "active_treaties": list(export.get("active_treaties", [])),
        "revoked_trust_material": material,
        "revocation_blast_radius": blast,
    }
