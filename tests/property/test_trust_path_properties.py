"""The connectome's trust-path search, which resumes one search per source across questions
and skips nodes with nothing new, answers every question, asked in any order of sources, as a
search that stops at its target or its budget would (`tests.site.stopping_search`; the
reference's `explain_trust_path`, FORMATS §9.4). tests/site/test_scale.py asks each source's
targets in turn; here sources come interleaved, so searches are replaced and restarted."""
from __future__ import annotations

import random
from unittest import mock

from hypothesis import given, settings, strategies as st

from publisher import connectome
from publisher.connectome import Edge, Graph
from tests.site.stopping_search import stopping_search

NODES = [f"n{i}" for i in range(7)] + [""]


def _edge(source: str, target: str, number: int, active: bool) -> Edge:
    return Edge(source, target, f"t{number:03d}", "active" if active else "revoked",
                "active" if active else "revoked", "none", None, None)


EDGES = st.lists(st.tuples(st.sampled_from(NODES[:-1]), st.sampled_from(NODES), st.booleans()), max_size=30).map(
    lambda found: [_edge(s, t, i, a) for i, (s, t, a) in enumerate(found)])
QUESTIONS = st.lists(st.tuples(st.sampled_from(NODES[:-1]), st.sampled_from(NODES[:-1]),
                               st.sampled_from([None, 0, 1, 2, 3, 5])), min_size=1, max_size=12)


@settings(max_examples=400, deadline=None)
@given(EDGES, QUESTIONS)
def test_resumed_searches_answer_as_a_fresh_search(edges: list[Edge],
                                                   questions: list[tuple[str, str, int | None]]) -> None:
    graph = Graph(edges)
    for source, target, budget in questions:
        got = graph.trust_path(source, target, max_visits=budget)
        found, path, searched = stopping_search(graph, source, target, budget)
        assert got.trusted == found and (got.path == path if found else True)
        if not found:
            assert got.searched == searched
            assert got.reason in ("direct_treaty_revoked", "no_active_treaty_path")


@settings(max_examples=400, deadline=None)
@given(EDGES, st.sampled_from(NODES[:-1]), st.integers(1, 8))
def test_trusted_from_lists_what_each_search_reaches_nearest_first(edges: list[Edge], source: str,
                                                                   limit: int) -> None:
    """Each listed path is the one a search stopping at that target finds within the budget,
    in the order a breadth-first search reaches them; an incomplete list is exactly `limit` long."""
    graph = Graph(edges)
    paths, complete = graph.trusted_from(source, limit=limit)
    reached = [t for t in NODES[:-1] if t != source and stopping_search(graph, source, t, None)[0]]
    assert complete == (len(reached) < limit)       # the budget is spent once `limit` nodes are reached
    assert {p.target for p in paths} <= set(reached) and len(paths) == min(limit, len(reached))
    for path in paths:
        assert (True, path.path, True) == stopping_search(graph, source, path.target, limit)
    hops = [p.hop_count for p in paths]
    assert hops == sorted(hops)


def _answers_as_a_stopping_search(graph: Graph, questions: list[tuple[str, str, int | None]]) -> None:
    for source, target, budget in questions:
        got = graph.trust_path(source, target, max_visits=budget)
        found, path, searched = stopping_search(graph, source, target, budget)
        assert got.trusted == found and (got.path == path if found else got.searched == searched)


@settings(max_examples=300, deadline=None)
@given(EDGES, QUESTIONS, st.sampled_from([1, 2, 3]))
def test_a_budgeted_level_found_a_slice_at_a_time_is_the_level_a_whole_search_finds(
        edges: list[Edge], questions: list[tuple[str, str, int | None]], size: int) -> None:
    """A budgeted search lists the next level a slice of predecessors at a time and stops
    where the budget cuts the level: with slices of one to three nodes every cut falls inside
    or between slices, and the answers stay those of a search that stops on its own."""
    with mock.patch.object(connectome, "_SLICE", size):
        _answers_as_a_stopping_search(Graph(edges), questions)
        sliced = [Graph(edges).trusted_from(source, limit=budget or 1) for source, _, budget in questions]
    with mock.patch.object(connectome, "_SLICE", 10**9):        # each level found whole, in one slice
        whole = [Graph(edges).trusted_from(source, limit=budget or 1) for source, _, budget in questions]
    assert sliced == whole


def test_wide_levels_cut_by_the_budget_across_many_slices() -> None:
    """Levels of hundreds of nodes (a random graph of 3,000 sovereigns, nine treaties each) with
    the default slice: budgets that cut the second, third and fourth level, at and around a
    slice's edge, and targets reached in the cut level, beyond it, and nowhere."""
    rng = random.Random(9)
    names = [f"s{i:04d}" for i in range(3000)]
    edges = [Edge(s, rng.choice(names), f"t{i}{k}", "active", "active", "low", None, None)
             for i, s in enumerate(names) for k in range(9)]
    graph = Graph(edges)
    budgets = [None, 9, 10, 31, 32, 33, 64, 80, 500, 700, 2000]
    questions = [(rng.choice(names), target, budget) for budget in budgets
                 for target in [*rng.sample(names, 12), "nowhere"]]
    _answers_as_a_stopping_search(graph, questions)
