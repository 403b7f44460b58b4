"""Large coalitions: 500 signed sovereigns in one readable graph; beyond 500 a clustered
overview with a page per cluster that together list every edge. Timings are printed (run with
-s), never asserted: the benchmark measures speed."""
from __future__ import annotations

import resource
import time
from datetime import timedelta
from pathlib import Path

import pytest

from publisher.connectome import Graph
from publisher.model import Coalition, KeyHistory, Member, Sovereign, Treaty
from publisher.site.clusters import MAX_CLUSTER, cluster_graph
from publisher.site.context import build_context
from publisher.site.views_connectome import LARGE_GRAPH, cluster_view, connectome_clusters, connectome_main_view
from publisher.exports.connectome import connectome_view, export_recognition_graph
from publisher.verify import Verification
from tests.site.conftest import build_repo
from tests.site.site_golden import DEMO_AT, provenance
from tests.site.site_synth import ring_coalition, write_coalition
from tests.site.stopping_search import stopping_search


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.fixture(scope="module")
def ring500(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_coalition(tmp_path_factory.mktemp("ring500"), ring_coalition(500, DEMO_AT), DEMO_AT)


def test_500_signed_sovereigns(ring500: Path) -> None:
    started, cpu = time.perf_counter(), cpu_seconds()
    verification, site = build_repo(ring500, workers=2)
    wall, used = time.perf_counter() - started, cpu_seconds() - cpu
    print(f"\n500 sovereigns: {site.pages} pages, {len(site.files)} files in {wall:.1f} s wall "
          f"({used:.1f} CPU-s, verification included)")
    # per sovereign: its page and 3 treaty pages; coalition-wide: index, roll call, connectome,
    # changes, guide, docs
    assert verification.ok and site.pages == 500 * 4 + 6
    html = site.files["connectome.html"].decode()
    assert html.count('<g class="node node-member">') == 500 and "graph-large" in html
    assert 'id="edges-h">Every treaty' in html and html.count("<tr><td>") >= 1500
    assert "sovereigns/sov-00499/index.html" in site.files


def fake_verification(count: int) -> Verification:
    """A verified-looking model without documents: enough for the graph views (no signatures)."""
    ids = [f"n{i:05d}" for i in range(count)]
    sovereigns = []
    for i, sid in enumerate(ids):
        treaties = tuple(Treaty(path=f"sovereigns/{sid}/treaties/t{step}.json", treaty_id=f"t{i}-{step}", issuer=sid,
                                subject=ids[(i + step) % count], subject_public_keys=(), allowed_roles=("role:client",),
                                accepted_statuses=("active",), claims={}, issued_at=DEMO_AT - timedelta(days=1),
                                valid_from=DEMO_AT - timedelta(days=1), expires_at=DEMO_AT + timedelta(days=300),
                                verified=True)
                         for step in (1, 3, 50 if i % 5 else 2))
        sovereigns.append(Sovereign(sid, None, "none", None, KeyHistory(()), None, treaties, None, None, None, None))
    coalition = Coalition("Big", "", {}, tuple(Member(s) for s in ids))
    return Verification(DEMO_AT, coalition, tuple(sovereigns), ())


def test_beyond_500_the_overview_is_clustered_and_cluster_pages_cover_every_edge() -> None:
    verification = fake_verification(LARGE_GRAPH + 100)
    ctx = build_context(verification, provenance())
    view = connectome_view(export_recognition_graph(verification))
    found = connectome_clusters(ctx)
    page, clusters = connectome_main_view(ctx, view, found), [cluster_view(ctx, c, edges) for c, edges in found]
    assert page["large"] and page["edges"] == [] and len(page["clusters"]) == len(clusters)
    assert all(len(c["members"]) <= MAX_CLUSTER for c in clusters)
    members = [m["id"] for c in clusters for m in c["members"]]
    assert sorted(members) == sorted(ctx.sovereigns)                    # every sovereign exactly once
    covered = {(e["from"]["id"], e["treaty_id"]) for c in clusters for e in c["edges"]}
    assert covered == {(e.source, e.treaty_id) for e in ctx.edges}     # every edge on some cluster page
    assert len(page["graph"].nodes) == len(clusters)


def test_clustering_is_deterministic_and_complete() -> None:
    nodes = [f"x{i}" for i in range(300)]
    pairs = [(nodes[i], nodes[(i * 7 + 3) % 300]) for i in range(300)]
    pairs += [(nodes[i], nodes[i + 1]) for i in range(0, 298, 2)]
    first, second = cluster_graph(nodes, pairs), cluster_graph(list(reversed(nodes)), list(reversed(pairs)))
    assert first == second
    assert sorted(m for c in first for m in c.members) == sorted(nodes)


def test_trust_path_search_stays_bounded_on_large_graphs() -> None:
    verification = fake_verification(3000)
    ctx = build_context(verification, provenance())
    graph: Graph = ctx.graph
    paths, complete = graph.trusted_from("n00000", limit=15)
    assert len(paths) == 15 and not complete
    assert graph.trust_path("n00000", "n01500", max_visits=10).searched is False


def test_a_resumed_search_answers_every_target_as_a_stopping_search_does() -> None:
    import random
    from publisher.connectome import Edge
    rng = random.Random(6)
    for _ in range(30):
        names = [f"n{i:02d}" for i in range(rng.randint(2, 30))]
        edges = [Edge(rng.choice(names), rng.choice(names), f"t{i}", rng.choice(["active", "active", "revoked"]),
                      rng.choice(["active", "expired"]), "none", None, None) for i in range(rng.randint(0, 90))]
        graph = Graph(edges)
        for source in names:
            for budget in (None, 1, 2, 5):
                for target in names:
                    got = graph.trust_path(source, target, max_visits=budget)
                    trusted, path, searched = stopping_search(graph, source, target, budget)
                    assert got.trusted is trusted
                    if trusted:
                        assert got.path == path
                    elif got.reason == "no_active_treaty_path":
                        assert got.searched is searched


def test_the_blast_radius_page_grows_with_the_revocations_not_with_their_product() -> None:
    """RFC-006's blast radius lists, for every revoked attestation, every sovereign that accepts
    its issuer: one feed (15,000 revocations fit in 1 MiB) accepted by 400 sovereigns is
    6,000,000 entries. connectome.json keeps the reference's form; the page names the first
    few of each row and counts the rest, so it stays the size of the feed."""
    from types import SimpleNamespace

    from publisher.site.views_connectome import AFFECTED_SHOWN, _blast

    ctx = SimpleNamespace(sovereigns={}, slugs={}, edges=[], sovereign_href=lambda sid: None)
    accepting = [f"s-{n:04d}" for n in range(400)]
    view = {"revocation_blast_radius": [
        {"type": "membership_attestation", "id": f"att-{i}", "issuer_sovereign_id": "big",
         "affected_accepting_sovereigns": accepting, "feed_id": "f", "sequence": 1, "reason": "r",
         "revoked_at": "2026-11-22T12:00:00+00:00"} for i in range(3)]}
    rows = _blast(ctx, view)["attestations"]       # type: ignore[arg-type]
    assert [len(r["affected"]) for r in rows] == [AFFECTED_SHOWN] * 3
    assert [r["more"] for r in rows] == [400 - AFFECTED_SHOWN] * 3
    assert [s["id"] for s in rows[0]["affected"]] == accepting[:AFFECTED_SHOWN]


@pytest.mark.parametrize("coalition", ["demo", "ring of 300"])
def test_the_trust_paths_asked_before_rendering_are_the_ones_treaty_pages_ask(coalition: str,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A unit asks its treaty pages' trust-path questions in one run before it renders
    (`ask_trust_paths`, for the processor's caches): rendering the pages then searches nothing."""
    from publisher import connectome
    from publisher.site.views import ask_trust_paths, treaty_view
    from publisher.verify import verify_path
    from tests.conftest import REPO_ROOT

    verification = verify_path(REPO_ROOT, at=DEMO_AT) if coalition == "demo" else fake_verification(300)
    ctx = build_context(verification, provenance())
    ids = sorted(ctx.sovereigns)
    ask_trust_paths(ctx, ids)
    assert ctx.graph._paths, "nothing was asked"

    def searched(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a treaty page asked a question not asked before: {args}")

    monkeypatch.setattr(connectome.Graph, "_trust_path", searched)
    pages = [treaty_view(ctx, t) for sid in ids for t in ctx.sovereigns[sid].treaties]
    assert len(pages) == sum(len(s.treaties) for s in verification.sovereigns) > 0
