"""The connectome's trust-path search, which resumes one search per source across questions
and skips nodes with nothing new, answers every question as a plain breadth-first search that
stops at its target or its budget would (the reference's `explain_trust_path`, FORMATS §9.4)."""
from __future__ import annotations

from collections import deque

from hypothesis import given, settings, strategies as st

from publisher.connectome import Edge, Graph

NODES = [f"n{i}" for i in range(7)] + [""]


def _edge(source: str, target: str, number: int, active: bool) -> Edge:
    return Edge(source, target, f"t{number:03d}", "active" if active else "revoked",
                "active" if active else "revoked", "none", None, None)


EDGES = st.lists(st.tuples(st.sampled_from(NODES[:-1]), st.sampled_from(NODES), st.booleans()), max_size=30).map(
    lambda found: [_edge(s, t, i, a) for i, (s, t, a) in enumerate(found)])
QUESTIONS = st.lists(st.tuples(st.sampled_from(NODES[:-1]), st.sampled_from(NODES[:-1]),
                               st.sampled_from([None, 1, 2, 3, 5])), min_size=1, max_size=12)


def plain(edges: list[Edge], source: str, target: str, budget: int | None) -> tuple[bool, tuple[Edge, ...], bool]:
    """(found, path, searched) by a breadth-first search written for this test alone."""
    out: dict[str, list[Edge]] = {}
    for edge in sorted(edges, key=lambda e: e.key):
        if edge.is_active:
            out.setdefault(edge.source, []).append(edge)
    parents: dict[str, Edge] = {}
    seen, queue = {source}, deque([source])
    while queue:
        for edge in out.get(queue.popleft(), []):
            if not edge.target or edge.target in seen:
                continue
            parents[edge.target] = edge
            seen.add(edge.target)
            queue.append(edge.target)
            if edge.target == target:
                path, node = [], target
                while node != source:
                    path.append(parents[node])
                    node = parents[node].source
                return True, tuple(reversed(path)), True
            if budget is not None and len(parents) >= budget:
                return False, (), False
    return False, (), True


@settings(max_examples=400, deadline=None)
@given(EDGES, QUESTIONS)
def test_resumed_searches_answer_as_a_fresh_search(edges: list[Edge],
                                                   questions: list[tuple[str, str, int | None]]) -> None:
    graph = Graph(edges)
    for source, target, budget in questions:
        got = graph.trust_path(source, target, max_visits=budget)
        found, path, searched = plain(edges, source, target, budget)
        assert got.trusted == found and (got.path == path if found else True)
        if not found:
            assert got.searched == searched
            assert got.reason in ("direct_treaty_revoked", "no_active_treaty_path")
