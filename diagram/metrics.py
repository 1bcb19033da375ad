"""Scores for diagrams: the original project's connection score, readability, style probes.

    >>> from diagram import parse
    >>> d = parse("[0, 100, 300, 'circle', 40, 40, 'solid arrow', (9,9,255), (0,0,0), [1]]\\n"
    ...           "[1, 300, 300, 'circle', 40, 40, 'solid arrow', (9,9,255), (0,0,0), []]").diagram
    >>> original_score(d, d, dl_model=True), flow_direction(d), is_blue_palette(d)
    (1.0, 'left_to_right', 1.0)

- `original_score` compares an answer's connection pattern with a reference (see its docstring).
- `readability` counts what makes a drawing hard to read: overlapping nodes, nodes off the
  canvas, crossing edges, cramped spacing, and folds them into one score in [0, 1].
- `flow_direction` and `is_blue_palette` are cheap style probes used by the simulated users of the
  preference-uptake benchmark.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from diagram.model import CANVAS_HEIGHT, CANVAS_WIDTH, Diagram, Node

COMFORTABLE_GAP = 10.0  # px; closer nodes start to lose readability score
MAX_CROSSING_EDGES = 1_000  # distinct edges checked for crossings (bounds the O(E^2) work)


def _connection_keys(diagram: Diagram) -> Counter:
    """Multiset of, per node, the tuple of its existing targets' out-degrees (in target order)."""
    by_id = diagram.by_id()
    return Counter(
        tuple(len(by_id[t].targets) for t in node.targets if t in by_id) for node in diagram.nodes
    )


def _mean_std(values: list[int]) -> tuple[float, float]:
    if not values:
        return 0.0, 0.0
    mean = sum(values) / len(values)
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


def original_score(answer: Diagram, reference: Diagram, *, dl_model: bool) -> float:
    """The original project's score of an answer against a reference diagram, in [0, 1].

    1. key(node) = tuple(len(target.targets) for target in node.targets if target exists);
       A, R = multisets (Counters) of keys over the answer's / reference's nodes.
    2. both = sum_k min(A[k], R[k]); only = sum_k |A[k] - R[k]|;
       iou = both / (both + only), and 1.0 when both diagrams have no nodes.
    3. Other prompts: score = iou. DL-model prompts: with m, s the mean and population standard
       deviation of out-degrees len(node.targets) (a = answer, r = reference):
       if s_a == 0 or s_r == 0: score = iou, else
       z = |(m_a - m_r) / s_r - (m_r - m_a) / s_a| and score = (iou + max(3 - z, 0) / 3) / 2.
    """
    keys_a, keys_r = _connection_keys(answer), _connection_keys(reference)
    both = sum(min(keys_a[k], keys_r[k]) for k in keys_a.keys() | keys_r.keys())
    only = sum(abs(keys_a[k] - keys_r[k]) for k in keys_a.keys() | keys_r.keys())
    iou = 1.0 if both + only == 0 else both / (both + only)
    if not dl_model:
        return iou
    m_a, s_a = _mean_std([len(n.targets) for n in answer.nodes])
    m_r, s_r = _mean_std([len(n.targets) for n in reference.nodes])
    if s_a == 0 or s_r == 0:
        return iou
    z = abs((m_a - m_r) / s_r - (m_r - m_a) / s_a)
    return (iou + max(3.0 - z, 0.0) / 3.0) / 2.0


@dataclass(frozen=True)
class Readability:
    """What makes a drawing hard to read; `score` folds them into [0, 1] (1 = nothing wrong).

    overlaps: pairs of nodes whose boxes overlap with positive area (touching is fine).
    off_canvas: nodes whose box leaves 0..1000 x 0..600.
    crossings: pairs of edges (straight, centre to centre, sharing no node) that properly cross.
    min_gap: smallest distance in px between two node boxes (0 when any overlap or touch);
        None with fewer than two nodes.
    score = 1/(1 + overlaps) * 1/(1 + off_canvas) * 1/(1 + crossings/4) * spacing, where
        spacing = 0.5 + 0.5 * min(min_gap, 10) / 10 (1 with fewer than two nodes);
        an empty diagram scores 0.
    """

    overlaps: int
    off_canvas: int
    crossings: int
    min_gap: float | None
    score: float


def _box_gap(a: Node, b: Node) -> float:
    """Euclidean distance between two boxes, 0 if they touch; negative dx/dy mean overlap."""
    dx = max(a.left - b.right, b.left - a.right, 0.0)
    dy = max(a.top - b.bottom, b.top - a.bottom, 0.0)
    return math.hypot(dx, dy)


def _overlap(a: Node, b: Node) -> bool:
    overlap_x = min(a.right, b.right) > max(a.left, b.left)
    return overlap_x and min(a.bottom, b.bottom) > max(a.top, b.top)


def _side(ax: float, ay: float, bx: float, by: float, px: float, py: float) -> float:
    """Sign tells which side of the line a->b the point p lies on (0: on the line)."""
    return (bx - ax) * (py - ay) - (by - ay) * (px - ax)


def count_crossings(diagram: Diagram) -> int:
    """Pairs of distinct undirected edges sharing no node that cross at one interior point.

    Straight centre-to-centre segments; touching or collinear overlap does not count; self-loops
    are skipped; only the first MAX_CROSSING_EDGES distinct edges are checked (bounded work).
    """
    by_id = diagram.by_id()
    pairs = list(dict.fromkeys(frozenset(e) for e in diagram.edges() if e[0] != e[1]))
    segments = []
    for pair in pairs[:MAX_CROSSING_EDGES]:
        a, b = (by_id[i] for i in pair)
        (ax, ay), (bx, by) = sorted([(a.x, a.y), (b.x, b.y)])  # ax <= bx for the sweep
        segments.append((ax, ay, bx, by, pair))
    segments.sort(key=lambda s: s[0])
    crossings = 0
    for i, (ax, ay, bx, by, pair) in enumerate(segments):
        for cx, cy, dx, dy, other in segments[i + 1:]:
            if cx > bx:  # sorted by left end: no later segment overlaps this one in x
                break
            if pair & other:
                continue
            if (_side(cx, cy, dx, dy, ax, ay) * _side(cx, cy, dx, dy, bx, by) < 0
                    and _side(ax, ay, bx, by, cx, cy) * _side(ax, ay, bx, by, dx, dy) < 0):
                crossings += 1
    return crossings


def segment_enters_box(ax: float, ay: float, bx: float, by: float,
                       left: float, top: float, right: float, bottom: float) -> bool:
    """Whether the segment a-b passes through the open box (Liang-Barsky clipping: the parameter
    range where the segment is inside both slabs is not empty)."""
    if left >= right or top >= bottom:
        return False
    t0, t1 = 0.0, 1.0
    for start, delta, low, high in ((ax, bx - ax, left, right), (ay, by - ay, top, bottom)):
        if delta == 0:
            if not low < start < high:
                return False
            continue
        u0, u1 = (low - start) / delta, (high - start) / delta
        if u0 > u1:
            u0, u1 = u1, u0
        t0, t1 = max(t0, u0), min(t1, u1)
        if t0 >= t1:
            return False
    return True


def edges_through_nodes(diagram: Diagram, inset: float = 1.0) -> int:
    """(edge, node) pairs where an edge's straight centre-to-centre line runs through the box of a
    node it does not connect (the renderer draws edges straight, `diagram.render`): such an edge
    hides behind the box or reads as two edges through it, e.g. a loop's back edge drawn along a
    chain. Not part of `readability().score`; a diagnostic for layouts (`benchmarks/bench_readability.py`).
    Self-loops are skipped; only the first MAX_CROSSING_EDGES distinct edges are checked."""
    by_id = diagram.by_id()
    pairs = list(dict.fromkeys(frozenset(e) for e in diagram.edges() if e[0] != e[1]))
    hits = 0
    for pair in pairs[:MAX_CROSSING_EDGES]:
        a, b = (by_id[i] for i in pair)
        for node in diagram.nodes:
            if node.id not in pair and segment_enters_box(
                    a.x, a.y, b.x, b.y, node.left + inset, node.top + inset, node.right - inset,
                    node.bottom - inset):
                hits += 1
    return hits


def readability(diagram: Diagram) -> Readability:
    """Overlaps, off-canvas nodes, edge crossings and spacing, plus the combined score."""
    nodes = diagram.nodes
    overlaps = 0
    min_gap: float | None = None
    for i, a in enumerate(nodes):
        for b in nodes[i + 1:]:
            if _overlap(a, b):
                overlaps += 1
            gap = _box_gap(a, b)
            min_gap = gap if min_gap is None else min(min_gap, gap)
    off_canvas = sum(
        1 for n in nodes
        if n.left < 0 or n.top < 0 or n.right > CANVAS_WIDTH or n.bottom > CANVAS_HEIGHT
    )
    crossings = count_crossings(diagram)
    spacing = 1.0
    if min_gap is not None:
        spacing = 0.5 + 0.5 * min(min_gap, COMFORTABLE_GAP) / COMFORTABLE_GAP
    score = 0.0 if not nodes else (
        spacing / (1 + overlaps) / (1 + off_canvas) / (1 + crossings / 4)
    )
    return Readability(overlaps, off_canvas, crossings, min_gap, score)


def flow_direction(diagram: Diagram) -> str:
    """'left_to_right' / 'top_to_bottom' / 'right_to_left' / 'bottom_to_top' when the mean edge
    vector points mostly right / down / left / up (the style line's directions, `diagram.style`).

    Mean of (target - source) centre vectors over edges (self-loops skipped); y grows down.
    'other' with no edges, or when the mean points exactly diagonally (or is zero).
    """
    by_id = diagram.by_id()
    vectors = [(by_id[t].x - by_id[s].x, by_id[t].y - by_id[s].y)
               for s, t in diagram.edges() if s != t]
    if not vectors:
        return "other"
    dx = sum(v[0] for v in vectors) / len(vectors)
    dy = sum(v[1] for v in vectors) / len(vectors)
    if dx > abs(dy):
        return "left_to_right"
    if dy > abs(dx):
        return "top_to_bottom"
    if -dx > abs(dy):
        return "right_to_left"
    if -dy > abs(dx):
        return "bottom_to_top"
    return "other"


def is_blue(color: tuple[int, int, int]) -> bool:
    r, g, b = color
    return b > r + 20 and b > g + 10


def is_blue_palette(diagram: Diagram) -> float:
    """Fraction of nodes whose fill is blue-ish (b > r + 20 and b > g + 10); 0.0 when empty."""
    if not diagram.nodes:
        return 0.0
    return sum(is_blue(n.fill) for n in diagram.nodes) / len(diagram.nodes)


# ---- tidy: the check a person applies at a glance ------------------------------------------------

LINE_TOLERANCE = 4.0  # px: centres this close along the flow axis sit on one line (rank)


@dataclass(frozen=True)
class Tidy:
    """Whether a drawing is one a person would put in a document, and if not, why.

    ok: no two node boxes overlap, every box is on the 1000x600 canvas, and the drawing is layered
    along x or y: the node centres sit on at most (longest path + 1) lines of that coordinate
    (within LINE_TOLERANCE px) and every edge, loops' back edges aside, goes from one line to a
    later one, all in one direction.
    reasons: short words for people, e.g. ("overlap 3-7", "off canvas 12", "ranks not aligned").
    """

    ok: bool
    reasons: tuple[str, ...] = ()

    def summary(self) -> str:
        """'tidy', or the reasons joined: 'overlap 3-7, off canvas 12'."""
        return "tidy" if self.ok else ", ".join(self.reasons)


def back_edges(diagram: Diagram) -> set[tuple[int, int]]:
    """Edges that close a cycle: found by depth-first search from the nodes no edge points to (in
    node order), then from any node not reached yet; an edge to a node still on the search path is
    a back edge. Self-loops count as back edges. Iterative (deep chains do not recurse)."""
    ids = [n.id for n in diagram.nodes]
    by_id = diagram.by_id()
    succ: dict[int, list[int]] = {i: [] for i in by_id}
    has_in: set[int] = set()
    for s, t in diagram.edges():
        succ[s].append(t)
        if s != t:
            has_in.add(t)
    state: dict[int, int] = {}  # 1: on the path, 2: done
    back: set[tuple[int, int]] = set()
    roots = [i for i in ids if i not in has_in] + ids
    for root in roots:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(succ[root]))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(succ[child])))
    return back


def path_ranks(ids: Sequence[int], forward: Sequence[tuple[int, int]]) -> dict[int, int]:
    """Rank of each id = the longest path to it from a source over the `forward` edges (loops' back
    edges already left out), by relaxation: a DAG settles in at most len(ids) rounds.

    >>> path_ranks([0, 1, 2, 3], [(0, 1), (1, 3), (0, 2), (2, 3)])
    {0: 0, 1: 1, 2: 1, 3: 2}
    """
    rank = {i: 0 for i in ids}
    for _ in range(len(rank)):
        changed = False
        for s, t in forward:
            if rank[t] < rank[s] + 1:
                rank[t], changed = rank[s] + 1, True
        if not changed:
            break
    return rank


def longest_path(diagram: Diagram, skip: set[tuple[int, int]] | None = None) -> int:
    """Edges on the longest path of the graph without its back edges (`skip`, default back_edges)."""
    skip = back_edges(diagram) if skip is None else skip
    forward = [(s, t) for s, t in dict.fromkeys(diagram.edges()) if (s, t) not in skip and s != t]
    indeg = {i: 0 for i in diagram.by_id()}
    succ: dict[int, list[int]] = {i: [] for i in indeg}
    for s, t in forward:
        succ[s].append(t)
        indeg[t] += 1
    depth = {i: 0 for i in indeg}
    ready = [i for i, d in indeg.items() if d == 0]
    while ready:
        node = ready.pop()
        for t in succ[node]:
            depth[t] = max(depth[t], depth[node] + 1)
            indeg[t] -= 1
            if indeg[t] == 0:
                ready.append(t)
    return max(depth.values(), default=0)


def _lines(values: list[float], tolerance: float) -> dict[float, int]:
    """Map each value to the index of its line: sorted values within `tolerance` of the first
    value of the current line share it (no drifting chains)."""
    out: dict[float, int] = {}
    line, first = -1, None
    for v in sorted(set(values)):
        if first is None or v - first > tolerance:
            line += 1
            first = v
        out[v] = line
    return out


def _layered(diagram: Diagram, forward: list[tuple[int, int]], max_lines: int,
             tolerance: float) -> tuple[bool, str]:
    """(True, '') if some axis and direction lay the drawing out in at most `max_lines` lines with
    every forward edge going to a later line; else (False, the reason for the axis that came closest)."""
    by_id = diagram.by_id()
    best = (3, "ranks not aligned")
    for axis in ("x", "y"):
        coords = {i: getattr(n, axis) for i, n in by_id.items()}
        lines = _lines(list(coords.values()), tolerance)
        line_of = {i: lines[c] for i, c in coords.items()}
        aligned = max(line_of.values(), default=-1) + 1 <= max_lines
        for sign in (1, -1):
            along = all(sign * (line_of[t] - line_of[s]) > 0 for s, t in forward)
            if aligned and along:
                return True, ""
            rank = 1 if aligned else 2 if along else 3
            if rank < best[0]:
                best = (rank, "edge against the flow" if aligned else "ranks not aligned")
    return False, best[1]


def tidy(diagram: Diagram, tolerance: float = LINE_TOLERANCE) -> Tidy:
    """The tidy check (see `Tidy`); an empty diagram is not tidy ('no nodes')."""
    nodes = diagram.nodes
    if not nodes:
        return Tidy(False, ("no nodes",))
    reasons: list[str] = []
    overlaps = [(a.id, b.id) for i, a in enumerate(nodes) for b in nodes[i + 1:] if _overlap(a, b)]
    if overlaps:
        a, b = overlaps[0]
        more = f" (+{len(overlaps) - 1})" if len(overlaps) > 1 else ""
        reasons.append(f"overlap {a}-{b}{more}")
    off = [n.id for n in nodes
           if n.left < 0 or n.top < 0 or n.right > CANVAS_WIDTH or n.bottom > CANVAS_HEIGHT]
    if off:
        more = f" (+{len(off) - 1})" if len(off) > 1 else ""
        reasons.append(f"off canvas {off[0]}{more}")
    skip = back_edges(diagram)
    forward = [(s, t) for s, t in dict.fromkeys(diagram.edges()) if (s, t) not in skip and s != t]
    ok, why = _layered(diagram, forward, longest_path(diagram, skip) + 1, tolerance)
    if not ok:
        reasons.append(why)
    return Tidy(not reasons, tuple(reasons))
