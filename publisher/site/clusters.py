"""Group a large recognition graph into clusters for the overview (more than 500 sovereigns).

Deterministic label propagation (nodes in sorted order, ties to the smallest label, a fixed
number of rounds), then clusters larger than `MAX_CLUSTER` are cut into breadth-first chunks
and sovereigns without any edge are pooled. Cost is O(rounds x edges). Pure.
"""
from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Sequence

from publisher.site.svg import component_order

MAX_CLUSTER = 60
ROUNDS = 8


@dataclass(frozen=True)
class Cluster:
    id: str                     # c001, c002, ... in order of size
    members: tuple[str, ...]

    @property
    def label(self) -> str:
        first, last = self.members[0], self.members[-1]
        return f"{first} … {last}" if len(self.members) > 1 else first


def _propagate(nodes: Sequence[str], neighbours: dict[str, list[str]]) -> dict[str, str]:
    labels = {n: n for n in nodes}
    for _ in range(ROUNDS):
        changed = False
        for node in nodes:
            around = neighbours[node]
            if not around:
                continue
            counts: dict[str, int] = {}
            for other in around:
                counts[labels[other]] = counts.get(labels[other], 0) + 1
            best = min(counts, key=lambda label: (-counts[label], label))
            if counts.get(labels[node], 0) < counts[best] and best != labels[node]:
                labels[node] = best
                changed = True
        if not changed:
            break
    return labels


def cluster_graph(nodes: Sequence[str], pairs: Sequence[tuple[str, str]]) -> list[Cluster]:
    """Clusters covering every node exactly once, largest first."""
    ordered = sorted(set(nodes))
    neighbours: dict[str, set[str]] = {n: set() for n in ordered}
    for a, b in pairs:
        if a in neighbours and b in neighbours and a != b:
            neighbours[a].add(b)
            neighbours[b].add(a)
    sorted_neighbours = {n: sorted(v) for n, v in neighbours.items()}
    labels = _propagate(ordered, sorted_neighbours)
    groups: dict[str, list[str]] = {}
    for node in ordered:
        groups.setdefault(labels[node], []).append(node)
    chunks: list[list[str]] = []
    loners: list[str] = []
    for members in groups.values():
        if len(members) == 1 and not neighbours[members[0]]:
            loners.append(members[0])
            continue
        inside = set(members)
        order = component_order(members, [(a, b) for a in members for b in sorted_neighbours[a] if b in inside])
        chunks.extend(order[i:i + MAX_CLUSTER] for i in range(0, len(order), MAX_CLUSTER))
    chunks.extend(loners[i:i + MAX_CLUSTER] for i in range(0, len(loners), MAX_CLUSTER))
    chunks.sort(key=lambda c: (-len(c), min(c)))
    return [Cluster(f"c{index + 1:03d}", tuple(sorted(chunk))) for index, chunk in enumerate(chunks)]
