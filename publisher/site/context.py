"""Everything the views share, computed once per build: slugs, the recognition graph,
lifecycle states, treaties received per sovereign, findings per page.

Building this is linear in the number of treaties and findings; views then look things up
instead of scanning (no per-page quadratic work). Pure.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from publisher.connectome import Edge, Graph, build_edges
from publisher.findings import Finding
from publisher.lifecycle import TreatyState, treaty_state
from publisher.model import Member, Sovereign, Treaty
from publisher.site import paths

if TYPE_CHECKING:
    from publisher.verify import Verification


@dataclass(frozen=True)
class Provenance:
    """Where a build came from: what the index page and manifest.json state."""

    source_commit: str | None
    evaluated_at: datetime
    base_url: str
    generator: str
    allow_errors: bool = False


@dataclass
class SiteContext:
    verification: Verification
    provenance: Provenance
    slugs: dict[str, str] = field(default_factory=dict)
    treaty_slugs: dict[tuple[str, str], str] = field(default_factory=dict)
    states: dict[tuple[str, str], TreatyState] = field(default_factory=dict)
    received: dict[str, list[Treaty]] = field(default_factory=dict)
    by_key: dict[tuple[str, str], Treaty] = field(default_factory=dict)
    edges: tuple[Edge, ...] = ()
    edge_states: dict[str, int] = field(default_factory=dict)   # edges per lifecycle state (the legends)
    graph: Graph = field(default_factory=lambda: Graph(()))
    findings_by_sovereign: dict[str, list[Finding]] = field(default_factory=dict)
    findings_by_path: dict[str, list[Finding]] = field(default_factory=dict)
    coalition_findings: list[Finding] = field(default_factory=list)
    members: dict[str, Member] = field(default_factory=dict)
    sovereigns: dict[str, Sovereign] = field(default_factory=dict)

    @property
    def at(self) -> datetime:
        return self.verification.at

    def state(self, treaty: Treaty) -> TreatyState:
        return self.states[(treaty.issuer, treaty.treaty_id)]

    def treaty_href(self, issuer: str, treaty_id: str) -> str | None:
        slug = self.treaty_slugs.get((issuer, treaty_id))
        if slug is None or issuer not in self.slugs:
            return None
        return paths.treaty_page(self.slugs[issuer], slug)

    def sovereign_href(self, sovereign_id: str) -> str | None:
        slug = self.slugs.get(sovereign_id)
        return paths.sovereign_page(slug) if slug is not None and sovereign_id in self.sovereigns else None


def build_context(verification: Verification, provenance: Provenance) -> SiteContext:
    ctx = SiteContext(verification=verification, provenance=provenance)
    ctx.sovereigns = {s.id: s for s in verification.sovereigns}
    ctx.slugs = paths.assign_slugs(ctx.sovereigns)
    ctx.members = {m.sovereign_id: m for m in verification.coalition.members}
    for sovereign in verification.sovereigns:
        slugs = paths.assign_slugs(t.treaty_id for t in sovereign.treaties)
        for treaty in sovereign.treaties:
            key = (sovereign.id, treaty.treaty_id)
            ctx.treaty_slugs[key] = slugs[treaty.treaty_id]
            ctx.states[key] = treaty_state(treaty, verification.at)
            ctx.by_key[key] = treaty
            ctx.received.setdefault(treaty.subject, []).append(treaty)
    for treaties in ctx.received.values():
        treaties.sort(key=lambda t: (t.issuer, t.treaty_id))
    ctx.edges = build_edges(verification.sovereigns, verification.at)
    ctx.graph = Graph(ctx.edges)
    for edge in ctx.edges:
        ctx.edge_states[edge.state] = ctx.edge_states.get(edge.state, 0) + 1
    for item in verification.findings:
        ctx.findings_by_path.setdefault(item.path, []).append(item)
        parts = item.path.split("/", 2)
        if len(parts) >= 2 and parts[0] == "sovereigns" and parts[1] in ctx.sovereigns:
            ctx.findings_by_sovereign.setdefault(parts[1], []).append(item)
        else:
            ctx.coalition_findings.append(item)
    return ctx
