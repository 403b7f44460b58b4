"""The reference the resumable trust-path search (publisher.connectome) is held to: the search
each trust path used to run on its own, stopping at its target or at its budget."""
from __future__ import annotations

from publisher.connectome import Edge, Graph


def stopping_search(graph: Graph, source: str, target: str,
                    max_visits: int | None) -> tuple[bool, tuple[Edge, ...], bool]:
    """(found, path, searched): breadth-first over `graph.active_out`, stopping at `target` or
    once `max_visits` nodes are reached."""
    parents: dict[str, Edge] = {}
    visited, queue = {source}, [source]
    while queue:
        for edge in graph.active_out.get(queue.pop(0), ()):
            if not edge.target or edge.target in visited:
                continue
            parents[edge.target] = edge
            if edge.target == target:
                path, node = [], target
                while node != source:
                    path.append(parents[node])
                    node = parents[node].source
                return True, tuple(reversed(path)), True
            visited.add(edge.target)
            queue.append(edge.target)
            if max_visits is not None and len(parents) >= max_visits:
                return False, (), False
    return False, (), True
