"""Lay out recognition graphs at build time as SVG view models (no JavaScript needed to see them).

Deterministic and near-linear: nodes go on a circle in connected-component breadth-first
order (neighbours end up close, so chords stay short), optionally with one focus node in the
centre (neighbourhood graphs). Edges are quadratic curves bent to their right, so A->B and
B->A stay distinct, with a computed arrowhead polygon (no <defs>/ids to collide when a page
holds several graphs). Coordinates are rounded and formatted to one decimal. Returns
dataclasses of numbers and path strings; the templates write the markup.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from collections.abc import Mapping, Sequence

from publisher.site.format import shorten

SMALL_GRAPH = 24           # up to this many nodes: roomy layout, horizontal labels


@dataclass(frozen=True)
class NodeSpec:
    id: str
    label: str
    href: str | None
    css: str
    title: str


@dataclass(frozen=True)
class EdgeSpec:
    source: str
    target: str
    css: str
    title: str
    width: float = 0.0      # 0: the stylesheet's width for the class


@dataclass(frozen=True)
class SvgNode:
    id: str
    label: str
    href: str | None
    css: str
    title: str
    cx: str
    cy: str
    r: str
    lx: str
    ly: str
    anchor: str
    rotate: str | None      # "deg x y" for radial labels, else None


@dataclass(frozen=True)
class SvgEdge:
    d: str
    arrow: str
    css: str
    title: str
    width: str | None


@dataclass(frozen=True)
class SvgGraph:
    width: int
    height: int
    nodes: tuple[SvgNode, ...]
    edges: tuple[SvgEdge, ...]
    title: str
    desc: str
    large: bool


def _n(value: float) -> str:
    text = f"{round(value, 1):.1f}"
    return "0.0" if text == "-0.0" else text


def component_order(nodes: Sequence[str], pairs: Sequence[tuple[str, str]]) -> list[str]:
    """Nodes grouped by connected component (largest first), breadth-first inside each."""
    neighbours: dict[str, set[str]] = {n: set() for n in nodes}
    for a, b in pairs:
        if a in neighbours and b in neighbours and a != b:
            neighbours[a].add(b)
            neighbours[b].add(a)
    seen: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(neighbours):
        if start in seen:
            continue
        seen.add(start)
        queue, component = deque([start]), []
        while queue:
            node = queue.popleft()
            component.append(node)
            for nxt in sorted(neighbours[node] - seen):
                seen.add(nxt)
                queue.append(nxt)
        components.append(component)
    components.sort(key=lambda c: (-len(c), c[0]))
    return [n for c in components for n in c]


def _curve(p1: tuple[float, float], p2: tuple[float, float], r1: float, r2: float, bend: float,
           arrow: float) -> tuple[str, str]:
    (x1, y1), (x2, y2) = p1, p2
    dx, dy = x2 - x1, y2 - y1
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    sx, sy = x1 + ux * (r1 + 2), y1 + uy * (r1 + 2)
    ex, ey = x2 - ux * (r2 + 2), y2 - uy * (r2 + 2)
    mx, my = (sx + ex) / 2, (sy + ey) / 2
    cx, cy = mx - uy * length * bend, my + ux * length * bend       # bend to the right of travel
    tx, ty = ex - cx, ey - cy
    tl = math.hypot(tx, ty) or 1.0
    tx, ty = tx / tl, ty / tl
    bx, by = ex - tx * arrow, ey - ty * arrow
    half = arrow * 0.5
    path = f"M{_n(sx)} {_n(sy)} Q{_n(cx)} {_n(cy)} {_n(bx)} {_n(by)}"
    head = (f"{_n(ex)},{_n(ey)} {_n(bx - ty * half)},{_n(by + tx * half)} "
            f"{_n(bx + ty * half)},{_n(by - tx * half)}")
    return path, head


def _label(x: float, y: float, angle: float, offset: float, radial: bool) -> tuple[float, float, str, str | None]:
    cos, sin = math.cos(angle), math.sin(angle)
    lx, ly = x + cos * offset, y + sin * offset
    if radial:
        degrees = math.degrees(angle)
        if cos < 0:
            return lx, ly + 3, "end", f"{_n(degrees + 180)} {_n(lx)} {_n(ly + 3)}"
        return lx, ly + 3, "start", f"{_n(degrees)} {_n(lx)} {_n(ly + 3)}"
    if abs(cos) < 0.2:
        return lx, ly + (14 if sin > 0 else -4), "middle", None
    return lx, ly + 4, "start" if cos > 0 else "end", None


def layout_graph(nodes: Sequence[NodeSpec], edges: Sequence[EdgeSpec], *, title: str, desc: str,
                 focus: str | None = None, label_chars: int = 24) -> SvgGraph:
    """Circle layout (the focus node, if any, in the centre) with curved, arrowed edges."""
    specs = {n.id: n for n in nodes}
    ring = [n.id for n in nodes if n.id != focus]
    if focus is None:
        ring = component_order(ring, [(e.source, e.target) for e in edges])
    count = len(ring)
    large = len(nodes) > SMALL_GRAPH
    spacing, node_r, arrow = (16.0, 4.5, 5.0) if large else (90.0, 9.0, 8.0)
    radius = max(150.0 if focus else 210.0, count * spacing / (2 * math.pi))
    longest = max((len(shorten(n.label, label_chars)) for n in nodes), default=1)
    margin_x = (6.0 if large else 7.5) * longest + 24
    margin_y = margin_x if large else 40.0
    width, height = int(math.ceil(2 * (radius + margin_x))), int(math.ceil(2 * (radius + margin_y)))
    cx0, cy0 = width / 2, height / 2
    pos: dict[str, tuple[float, float, float]] = {}
    if focus is not None and focus in specs:
        pos[focus] = (cx0, cy0, -math.pi / 2)
    for index, node_id in enumerate(ring):
        angle = -math.pi / 2 + 2 * math.pi * index / max(count, 1)
        if count == 1 and focus is None:
            pos[node_id] = (cx0, cy0, -math.pi / 2)
        else:
            pos[node_id] = (cx0 + radius * math.cos(angle), cy0 + radius * math.sin(angle), angle)
    svg_nodes = []
    for node_id in ([focus] if focus in pos else []) + ring:
        spec = specs[node_id]
        x, y, angle = pos[node_id]
        r = node_r * (1.6 if node_id == focus else 1.0)
        if node_id == focus or (count == 1 and focus is None):
            lx, ly, anchor, rotate = x, y + r + 16, "middle", None
        else:
            lx, ly, anchor, rotate = _label(x, y, angle, r + 6, large)
        svg_nodes.append(SvgNode(spec.id, shorten(spec.label, label_chars), spec.href, spec.css, spec.title,
                                 _n(x), _n(y), _n(r), _n(lx), _n(ly), anchor, rotate))
    parallel: dict[tuple[str, str], int] = {}
    svg_edges = []
    for edge in edges:
        if edge.source not in pos or edge.target not in pos or edge.source == edge.target:
            continue
        index = parallel.get((edge.source, edge.target), 0)
        parallel[(edge.source, edge.target)] = index + 1
        (x1, y1, _), (x2, y2, _) = pos[edge.source], pos[edge.target]
        r1 = node_r * (1.6 if edge.source == focus else 1.0)
        r2 = node_r * (1.6 if edge.target == focus else 1.0)
        d, head = _curve((x1, y1), (x2, y2), r1, r2, 0.1 + 0.08 * index, arrow)
        svg_edges.append(SvgEdge(d, head, edge.css, edge.title, _n(edge.width) if edge.width else None))
    return SvgGraph(width, height, tuple(svg_nodes), tuple(svg_edges), title, desc, large)


def neighbourhood(focus: str, edges: Sequence[EdgeSpec], limit: int) -> tuple[list[str], int]:
    """The focus node's neighbours (either direction), sorted, at most `limit`; and how many were left out."""
    others = sorted({e.target if e.source == focus else e.source for e in edges
                     if focus in (e.source, e.target) and e.source != e.target})
    return others[:limit], max(0, len(others) - limit)


def edge_width(count: int) -> float:
    """Stroke width for an aggregated edge between clusters: grows with log(count)."""
    return 1.0 + 1.5 * math.log2(max(count, 1))


def weights(pairs: Mapping[tuple[str, str], int]) -> list[tuple[str, str, int]]:
    return sorted((a, b, n) for (a, b), n in pairs.items())
