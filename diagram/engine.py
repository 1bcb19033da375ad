"""The layout engine: a plan's nodes + a style -> every node's box, tidy by construction.

    >>> from diagram.plan import Plan
    >>> from diagram.style import Style
    >>> engine = LayoutEngine()
    >>> text = engine.answer(Plan.dense((2, 1)), Style())
    >>> text.splitlines()[1]
    '# style: left_to_right, gap 1.0, size medium, round rectangle, blue, solid arrow'

Geometry comes from graphviz `dot` (a layered layout: ranks along the style's direction with
`rankdir`, `nodesep`/`ranksep` from the gap, loops' back edges with `constraint=false`, node widths
from the label's length), read back with `-Tplain` and mapped into the 1000x600 canvas: each axis
is either shrunk (centres and sizes by one factor, which keeps boxes apart) or its centres
stretched (up to a cap that grows with the gap), with MARGIN px free at every edge. Colours and
shapes come from the style's palette and shape scheme per node role (`diagram.layouts` tones).

When `dot` is missing, fails or runs past its timeout (it is killed), a rank grid is used instead
(longest-path ranks, nodes of a rank spread evenly across the flow): the same tidy guarantees,
computed in Python. It is the job `diagram.layouts` does for dense nets and CNN chains, and
measured on 60 random plans (`benchmarks/bench_engine.py`) it draws those exactly as readable as
`dot` (every drawing tidy either way) in a tenth of the time, so `method="auto"` (the default)
uses the grid for dense nets and chains and `dot` for every other graph (branches, joins, loops).

Then three passes make the straight edges the renderer draws (`diagram.render`) readable beyond
what `diagram.metrics.readability` counts (`benchmarks/bench_readability.py` measures them with
`diagram.metrics.edges_through_nodes`): a rank keeps the plan's order, the order the request names
its nodes (dot may permute a fully connected rank, which changes no crossing); an edge spanning
ranks (a loop's back edge) that would run through the boxes between its ends moves those ranks
across the flow, together, until it passes beside them, so a chain with a loop is drawn as a ring
instead of hiding the loop behind its boxes (kept only where it adds no crossing); and while an
edge still runs through a box it does not connect (the far edges between crowded layers), the
ranks spread further along the flow (SPREADS: the gap's stretch cap x 1.5 .. the whole canvas),
then in a tall flow the neurons shrink (NEURON_SHRINK). A compact style stays more compact than an
airy one where the drawing has room.

`LayoutEngine` keeps a small cache per (nodes, style, method) in the instance (no module state).
The answer text is: the plan line, the style line, then one node line per node in the canonical
writer's format (`diagram.write.dump_node`).
"""

from __future__ import annotations

import bisect
import contextlib
import os
import re
import signal
import subprocess
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from diagram.layouts import MARGIN
from diagram.layouts import Style as PaletteStyle
from diagram.metrics import back_edges, count_crossings, path_ranks, segment_enters_box, tidy
from diagram.model import CANVAS_HEIGHT, CANVAS_WIDTH, Diagram, Node
from diagram.plan import Plan, PlannedNode
from diagram.render import FONT_SIZE, LINE_HEIGHT, wrap_label
from diagram.style import Style, format_style
from diagram.write import dump_node

DOT_TIMEOUT_S = 5.0
POINTS = 72.0  # graphviz works in inches; 1 px of the canvas is 1 pt here
CHAR_PX = 6.5  # DejaVu Sans 10 pt, the renderer's label font, about this wide per character
LABEL_PAD = 6.0  # px between a wrapped label's lines and its box's top and bottom, together
_SIZE = {"small": 0.8, "medium": 1.0, "large": 1.25}
_STRETCH = {0.8: 1.4, 1.0: 1.9, 1.2: 2.5, 1.5: 3.5}  # cap on spreading a small layout over the canvas
SPREADS = (1.5, 2.25, 3.5, 100.0)  # stretch caps tried along the flow, x the style's; 100: the room
NEURON_SHRINK = (0.8, 0.65, 0.5)  # then neuron boxes x these, at the full spread
_RANKDIR = {"left_to_right": "LR", "top_to_bottom": "TB", "right_to_left": "RL", "bottom_to_top": "BT"}
_SHAPE_BY_ROLE = {  # the "mixed" scheme
    "input": "circle", "hidden": "circle", "output": "circle", "model": "circle",
    "numeric": "rectangle", "text": "rectangle", "picture": "rectangle", "db": "rectangle",
    "chart": "rectangle", "conv": "rectangle", "pool": "rectangle",
}
_NEURON = re.compile(r"(Input|Hidden \d+|Output)")
_ROLE_WORDS = (
    ("db", ("db", "database", "sql", "postgres", "store", "storage", "warehouse", "bucket", "s3",
            "cache", "redis", "index", "table", "lake", "clickhouse", "kafka", "queue")),
    ("model", ("model", "llm", "net", "classifier", "gpt", "bert", "transformer", "embedder")),
    ("chart", ("chart", "dashboard", "grafana", "report", "plot", "ui", "display")),
    ("picture", ("image", "picture", "camera", "photo", "video")),
    ("text", ("text", "document", "log", "email", "query", "prompt")),
)


@dataclass(frozen=True)
class _Box:
    id: int
    x: float
    y: float
    w: float
    h: float


def role_of(node: PlannedNode, is_source: bool, is_sink: bool) -> str:
    """The node's role (its colour tone and, with 'mixed' shapes, its shape) from its label and place."""
    label = node.label or ""
    if _NEURON.fullmatch(label):
        return label.split()[0].lower()
    first = label.split(" ", 1)[0].lower()
    if first in ("input", "conv", "pool", "dense", "output") and re.search(r"\d", label):
        return first
    words = set(re.split(r"[^a-z0-9]+", label.lower()))
    for role, keys in _ROLE_WORDS:
        if words & set(keys):
            return role
    return "numeric" if is_source else "chart" if is_sink else "process"


def _shape(style: Style, role: str) -> str:
    if style.shapes == "mixed":
        return _SHAPE_BY_ROLE.get(role, "round rectangle")
    return style.shapes


def _sizes(node: PlannedNode, role: str, shape: str, style: Style) -> tuple[float, float]:
    """(width, height) in px before fitting: neurons are small squares, labelled blocks as wide as
    their label (CNN blocks too: the label says what the block is), and tall enough for the lines a
    long label wraps onto (`render.wrap_label`: 3 lines in a small style's box)."""
    factor = _SIZE[style.size]
    if role in ("input", "hidden", "output") and _NEURON.fullmatch(node.label or ""):
        side = round(40 * factor)
        return side, side
    width = min(220.0, max(60.0, CHAR_PX * len(node.label or "") + 18)) * factor
    height = 40.0 * factor
    if shape == "circle":
        width = height = min(max(width * 0.85, height), 130.0 * factor)
    else:
        lines = wrap_label(node.label or "", width).count("\n") + 1
        height = max(height, lines * LINE_HEIGHT * FONT_SIZE + LABEL_PAD)
    return width, height


def _graph(nodes: Sequence[PlannedNode]) -> Diagram:
    return Diagram([Node(n.id, 0, 0, "rectangle", 1, 1, "solid arrow", (0, 0, 0), (0, 0, 0),
                         tuple(n.targets)) for n in nodes])


def _dot_source(nodes: Sequence[PlannedNode], sizes: dict[int, tuple[float, float]],
                back: set[tuple[int, int]], style: Style) -> str:
    lines = [f"digraph G {{ rankdir={_RANKDIR[style.direction]}; "
             f"nodesep={0.3 * style.gap:.3f}; ranksep={0.55 * style.gap:.3f}; ordering=out; "
             "node [shape=box, fixedsize=true, label=\"\"];"]
    for n in nodes:
        w, h = sizes[n.id]
        lines.append(f"n{n.id} [width={w / POINTS:.4f}, height={h / POINTS:.4f}];")
    for n in nodes:
        for t in n.targets:
            extra = " [constraint=false]" if (n.id, t) in back or t == n.id else ""
            lines.append(f"n{n.id} -> n{t}{extra};")
    lines.append("}")
    return "\n".join(lines)


def _run_dot(source: str, timeout: float) -> dict[int, tuple[float, float]] | None:
    """Node centres (in points, y up) from `dot -Tplain`, or None if dot is missing, fails or times out
    (its process group is killed at the timeout)."""
    try:
        proc = subprocess.Popen(["dot", "-Tplain"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    except OSError:
        return None
    try:
        stdout, _ = proc.communicate(source, timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # dot and anything it started
        proc.communicate()
        return None
    if proc.returncode != 0:
        return None
    centres = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[0] == "node" and parts[1].startswith("n"):
            try:
                centres[int(parts[1][1:])] = (float(parts[2]) * POINTS, float(parts[3]) * POINTS)
            except ValueError:
                return None
    return centres


def _grid(nodes: Sequence[PlannedNode], sizes: dict[int, tuple[float, float]],
          back: set[tuple[int, int]], style: Style) -> dict[int, tuple[float, float]]:
    """Centres (y down) of a rank grid: rank = longest path from a source; a rank's nodes spread
    evenly across the flow in id order, or in the order of barycentre sweeps where that has fewer
    crossings (`_order_ranks`: branches and joins that are not fully connected)."""
    ids = [n.id for n in nodes]
    known = set(ids)
    forward = [(n.id, t) for n in nodes for t in n.targets if (n.id, t) not in back and t != n.id
               and t in known]
    rank = path_ranks(ids, forward)
    vertical = style.direction in ("top_to_bottom", "bottom_to_top")
    along_size = {i: sizes[i][1] if vertical else sizes[i][0] for i in ids}
    across_size = {i: sizes[i][0] if vertical else sizes[i][1] for i in ids}
    ranks: dict[int, list[int]] = {}
    for i in ids:
        ranks.setdefault(rank[i], []).append(i)
    ranks = _order_ranks(nodes, ranks, rank, forward)
    centres = {}
    along = 0.0
    for r in sorted(ranks):
        members = ranks[r]
        thick = max(along_size[i] for i in members)
        across = 0.0
        total = sum(across_size[i] for i in members) + 0.3 * POINTS * style.gap * (len(members) - 1)
        across = -total / 2
        for i in members:
            c = across + across_size[i] / 2
            centres[i] = (c, along + thick / 2) if vertical else (along + thick / 2, c)
            across += across_size[i] + 0.3 * POINTS * style.gap
        along += thick + 0.55 * POINTS * style.gap
    flip = style.direction in ("right_to_left", "bottom_to_top")
    if flip:
        centres = {i: (-x, y) if not vertical else (x, -y) for i, (x, y) in centres.items()}
    return centres


def _order_ranks(nodes: Sequence[PlannedNode], ranks: dict[int, list[int]], rank: dict[int, int],
                 forward: list[tuple[int, int]], sweeps: int = 4) -> dict[int, list[int]]:
    """Each rank's order: id order unless barycentre sweeps (a node placed at the mean position
    of its neighbours in the ranks before it, then after it; ties in id order) find one with fewer
    crossings. Consecutive ranks fully connected (plans, dense nets) cross the same in any order,
    so they keep id order without counting."""
    succ: dict[int, set[int]] = {}
    for s, t in forward:
        succ.setdefault(s, set()).add(t)
    order = sorted(ranks)
    if all(succ.get(i, set()) == (set(ranks[r + 1]) if r + 1 in ranks else set())
           for r in order for i in ranks[r]):
        return ranks
    pred: dict[int, list[int]] = {}
    for s, t in forward:
        pred.setdefault(t, []).append(s)

    def cost(current: dict[int, list[int]]) -> int:
        centres = {i: (float(r), float(j) - (len(m) - 1) / 2) for r, m in current.items()
                   for j, i in enumerate(m)}
        return count_crossings(_flat(nodes, centres, {i: (0.01, 0.01) for i in centres}))

    def position(current: dict[int, list[int]]) -> dict[int, float]:
        return {i: j - (len(m) - 1) / 2 for m in current.values() for j, i in enumerate(m)}

    best, best_cost = ranks, cost(ranks)
    current = {r: list(m) for r, m in ranks.items()}
    for sweep in range(sweeps):
        if best_cost == 0:
            break
        down = sweep % 2 == 0
        for r in (order[1:] if down else order[-2::-1]):
            pos = position(current)
            def key(i: int) -> tuple[float, int]:
                near = pred.get(i, []) if down else list(succ.get(i, ()))
                near = [pos[n] for n in near if (rank[n] < r if down else rank[n] > r)]
                return (sum(near) / len(near) if near else pos[i], i)
            current[r] = sorted(current[r], key=key)
        c = cost(current)
        if c < best_cost:
            best, best_cost = {r: list(m) for r, m in current.items()}, c
    return best


def _flat(nodes: Sequence[PlannedNode], centres: dict[int, tuple[float, float]],
          sizes: dict[int, tuple[float, float]]) -> Diagram:
    """The drawing at engine coordinates (before fitting), for counting crossings."""
    return Diagram([Node(n.id, centres[n.id][0], centres[n.id][1], "rectangle", sizes[n.id][0],
                         sizes[n.id][1], "solid arrow", (0, 0, 0), (0, 0, 0), tuple(n.targets))
                    for n in nodes])


def _rank_lines(centres: dict[int, tuple[float, float]], along: int) -> list[list[int]]:
    """Node ids grouped by their line along the flow (centres within 1 unit), lines in order."""
    lines: list[list[int]] = []
    first = None
    for i in sorted(centres, key=lambda i: centres[i][along]):
        if first is None or centres[i][along] - first > 1.0:
            lines.append([])
            first = centres[i][along]
        lines[-1].append(i)
    return lines


def _reading_order(nodes: Sequence[PlannedNode], centres: dict[int, tuple[float, float]],
                   sizes: dict[int, tuple[float, float]], along: int, y_up: bool, sep: float
                   ) -> dict[int, tuple[float, float]]:
    """The nodes of each rank in plan order (top to bottom, or left to right across a vertical
    flow), the order the request names them, where dot permuted them with nothing gained: a rank
    is re-packed (same centre, `sep` between boxes) only when that does not add crossings."""
    across = 1 - along
    sign = -1.0 if (across == 1 and y_up) else 1.0  # reading goes down the page: y up in dot
    out = dict(centres)
    for line in _rank_lines(centres, along):
        if len(line) < 2:
            continue
        seen = sorted(line, key=lambda i: sign * centres[i][across])
        if seen == sorted(line):
            continue
        half = {i: sizes[i][across] / 2 for i in line}
        lo = min(centres[i][across] - half[i] for i in line)
        hi = max(centres[i][across] + half[i] for i in line)
        total = sum(2 * half[i] for i in line) + sep * (len(line) - 1)
        pos = (lo + hi) / 2 - sign * total / 2
        trial = dict(out)
        for i in sorted(line):
            c = pos + sign * half[i]
            trial[i] = (c, trial[i][1]) if across == 0 else (trial[i][0], c)
            pos += sign * (2 * half[i] + sep)
        if count_crossings(_flat(nodes, trial, sizes)) <= count_crossings(_flat(nodes, out, sizes)):
            out = trial
    return out


def _through(nodes: Sequence[PlannedNode], centres: dict[int, tuple[float, float]],
             sizes: dict[int, tuple[float, float]], edge: tuple[int, int], pad: float) -> list[int]:
    """Nodes other than the edge's ends whose box (grown by `pad`) its straight line runs through."""
    (ax, ay), (bx, by) = centres[edge[0]], centres[edge[1]]
    hits = []
    for n in nodes:
        if n.id in edge:
            continue
        (x, y), (w, h) = centres[n.id], sizes[n.id]
        if segment_enters_box(ax, ay, bx, by, x - w / 2 - pad, y - h / 2 - pad, x + w / 2 + pad,
                              y + h / 2 + pad):
            hits.append(n.id)
    return hits


def _clear_long_edges(nodes: Sequence[PlannedNode], centres: dict[int, tuple[float, float]],
                      sizes: dict[int, tuple[float, float]], along: int, pad: float
                      ) -> dict[int, tuple[float, float]]:
    """Edges that span ranks (loops' back edges: "LLM loops back to Loader") are drawn straight
    (`diagram.render`); laid along a chain they run through the boxes between their ends and the
    loop cannot be seen. The ranks strictly between such an edge's ends are moved across the flow,
    together, just far enough (`pad` beside the line) that the line passes beside every box: a
    chain with a loop becomes a ring. Kept only where it adds no crossing."""
    across = 1 - along
    edges = [(n.id, t) for n in nodes for t in n.targets if t != n.id and t in centres]
    out = dict(centres)
    lines = sorted({c[along] for c in centres.values()})  # shifts move nodes across, never along
    for s, t in edges:
        a0, a1 = sorted((out[s][along], out[t][along]))
        if bisect.bisect_left(lines, a1 - 1.0) - bisect.bisect_right(lines, a0 + 1.0) <= 0:
            continue  # neighbouring ranks: nothing between the ends
        between = [n.id for n in nodes if a0 + 1.0 < out[n.id][along] < a1 - 1.0]
        if not between or not _through(nodes, out, sizes, (s, t), pad):
            continue
        (sx, sy), (tx, ty) = out[s], out[t]
        p0, p1, q0, q1 = (sx, tx, sy, ty) if along == 0 else (sy, ty, sx, tx)
        need_up = need_down = 0.0
        for i in between:
            c_along, c_across = out[i][along], out[i][across]
            d, h = sizes[i][along] / 2 + pad, sizes[i][across] / 2
            ends = []
            for a in (max(c_along - d, a0), min(c_along + d, a1)):
                ends.append(q0 + (q1 - q0) * (a - p0) / (p1 - p0))
            need_up = max(need_up, max(ends) + pad + h - c_across)
            need_down = max(need_down, c_across + h - min(ends) + pad)
        def cost(where: dict[int, tuple[float, float]]) -> tuple[int, int]:
            return (count_crossings(_flat(nodes, where, sizes)),
                    len(_through(nodes, where, sizes, (s, t), pad)))

        before = cost(out)
        best = None
        for shift in sorted((need_up + 1.0, -need_down - 1.0), key=abs):  # 1: clear, not touching
            trial = dict(out)
            for i in between:
                c = list(trial[i])
                c[across] += shift
                trial[i] = (c[0], c[1])
            after = cost(trial)
            if after[0] <= before[0] and after[1] < before[1] and (best is None or after < best[0]):
                best = (after, trial)
        if best is not None:
            out = best[1]
    return out


def _fit_axis(centres: list[float], halves: list[float], length: float, stretch_cap: float
              ) -> tuple[float, float, float]:
    """(offset, centre factor, size factor) mapping one axis into [MARGIN, length - MARGIN]:
    shrink everything by one factor if it does not fit, else stretch the centres as far as the cap
    and the room allow. New centre = offset + factor * centre."""
    room = length - 2 * MARGIN
    widest: dict[float, float] = {}  # nodes sharing a centre (a rank): only the widest matters
    for c, h in zip(centres, halves):
        widest[c] = max(h, widest.get(c, h))
    centres, halves = list(widest), list(widest.values())
    lo = min(c - h for c, h in zip(centres, halves))
    hi = max(c + h for c, h in zip(centres, halves))
    extent = hi - lo
    if extent > room:
        f = room / extent
        return MARGIN - lo * f, f, f

    def span(f: float) -> tuple[float, float]:
        return (min(f * c - h for c, h in zip(centres, halves)),
                max(f * c + h for c, h in zip(centres, halves)))

    low, high = 1.0, stretch_cap
    if span(high)[1] - span(high)[0] <= room:
        low = high
    else:
        for _ in range(40):
            mid = (low + high) / 2
            a, b = span(mid)
            low, high = (mid, high) if b - a <= room else (low, mid)
    a, b = span(low)
    offset = MARGIN + (room - (b - a)) / 2 - a
    return offset, low, 1.0


def _place(nodes: Sequence[PlannedNode], centres: dict[int, tuple[float, float]],
           sizes: dict[int, tuple[float, float]], style: Style, y_up: bool, along: int,
           spread: float = 1.0) -> list[_Box]:
    """Boxes on the canvas; `spread` multiplies the style's stretch cap along the flow."""
    ids = [n.id for n in nodes]
    xs = [centres[i][0] for i in ids]
    ys = [(-centres[i][1] if y_up else centres[i][1]) for i in ids]
    cap = _STRETCH[style.gap]
    caps = (cap * spread, cap) if along == 0 else (cap, cap * spread)
    ox, fx, gx = _fit_axis(xs, [sizes[i][0] / 2 for i in ids], CANVAS_WIDTH, caps[0])
    oy, fy, gy = _fit_axis(ys, [sizes[i][1] / 2 for i in ids], CANVAS_HEIGHT, caps[1])
    return [_Box(i, ox + fx * x, oy + fy * y, sizes[i][0] * gx, sizes[i][1] * gy)
            for i, x, y in zip(ids, xs, ys)]


def _clipped(nodes: Sequence[PlannedNode], boxes: list[_Box], along: int) -> bool:
    """Whether some edge's straight line runs through a box it does not connect (1 px inset, as
    `diagram.metrics.edges_through_nodes` counts them). Boxes are grouped in their rank lines and
    sorted across the flow, so each edge is tested only against the few boxes of each line it
    passes that lie where it crosses that line's band (a 40-node dense net: ~1 ms)."""
    across = 1 - along
    by_id = {b.id: b for b in boxes}

    def pos(b: _Box) -> tuple[float, float, float, float]:  # along, across, half along, half across
        c, h = (b.x, b.y), (b.w / 2, b.h / 2)
        return c[along], c[across], h[along], h[across]

    lines: list[list[_Box]] = []
    for b in sorted(boxes, key=lambda b: pos(b)[0]):
        if lines and pos(b)[0] - pos(lines[-1][0])[0] <= 1.0:
            lines[-1].append(b)
        else:
            lines.append([b])
    bands = []
    for members in lines:
        members.sort(key=lambda b: pos(b)[1])
        bands.append((min(pos(b)[0] - pos(b)[2] for b in members),
                      max(pos(b)[0] + pos(b)[2] for b in members),
                      [pos(b)[1] for b in members], max(pos(b)[3] for b in members), members))
    for n in nodes:
        a = by_id[n.id]
        pa, qa = pos(a)[:2]
        for t in n.targets:
            if t == n.id or t not in by_id:
                continue
            b = by_id[t]
            pb, qb = pos(b)[:2]
            lo_p, hi_p = min(pa, pb), max(pa, pb)
            for band_lo, band_hi, keys, half, members in bands:
                if band_hi <= lo_p or band_lo >= hi_p:
                    continue
                if pa == pb:
                    q0, q1 = qa, qb
                else:
                    u0, u1 = max(band_lo, lo_p), min(band_hi, hi_p)
                    q0 = qa + (qb - qa) * (u0 - pa) / (pb - pa)
                    q1 = qa + (qb - qa) * (u1 - pa) / (pb - pa)
                first = bisect.bisect_left(keys, min(q0, q1) - half)
                last = bisect.bisect_right(keys, max(q0, q1) + half)
                for c in members[first:last]:
                    if c.id in (n.id, t):
                        continue
                    if segment_enters_box(a.x, a.y, b.x, b.y, c.x - c.w / 2 + 1, c.y - c.h / 2 + 1,
                                          c.x + c.w / 2 - 1, c.y + c.h / 2 - 1):
                        return True
    return False


def _to_nodes(nodes: Sequence[PlannedNode], boxes: list[_Box], roles: dict[int, str],
              shapes: dict[int, str], style: Style, shrink: int) -> list[Node]:
    palette = PaletteStyle(palette=style.palette)
    out = []
    for n, box in zip(nodes, boxes):
        w = max(4, int(box.w) - shrink)
        h = max(4, int(box.h) - shrink)
        if shapes[n.id] == "circle":
            w = h = min(w, h)
        out.append(Node(n.id, round(box.x), round(box.y), shapes[n.id], w, h, style.line,
                        palette.fill_for(roles[n.id]), palette.line_for(roles[n.id]),
                        tuple(n.targets), n.label or None))
    return out


def _simple(nodes: Sequence[PlannedNode]) -> bool:
    """A dense net (every node a neuron of a layer) or a chain (each node feeds the next)."""
    if all(_NEURON.fullmatch(n.label or "") for n in nodes):
        return True
    return all(n.targets == ((n.id + 1,) if i + 1 < len(nodes) else ())
               for i, n in enumerate(nodes)) and [n.id for n in nodes] == list(range(len(nodes)))


def layout(nodes: Sequence[PlannedNode], style: Style, method: str = "auto",
           timeout: float = DOT_TIMEOUT_S) -> Diagram:
    """Every node's box for this structure and style (uncached; see LayoutEngine).

    method: "dot" (graphviz, falling back to the grid if it fails), "grid", or "auto" (the grid
    for dense nets and chains, dot otherwise).
    """
    if method not in ("auto", "dot", "grid"):
        raise ValueError(f"method must be 'auto', 'dot' or 'grid', got {method!r}")
    if method == "auto":
        method = "grid" if _simple(nodes) else "dot"
    nodes = list(nodes)
    if not nodes:
        return Diagram([])
    graph = _graph(nodes)
    back = back_edges(graph)
    has_in = {t for s, t in graph.edges() if (s, t) not in back and s != t}
    has_out = {s for s, t in graph.edges() if (s, t) not in back and s != t}
    roles = {n.id: role_of(n, n.id not in has_in, n.id not in has_out) for n in nodes}
    shapes = {n.id: _shape(style, roles[n.id]) for n in nodes}
    sizes = {n.id: _sizes(n, roles[n.id], shapes[n.id], style) for n in nodes}
    centres = None
    if method == "dot":
        centres = _run_dot(_dot_source(nodes, sizes, back, style), timeout)
        if centres is not None and set(centres) != {n.id for n in nodes}:
            centres = None
    y_up = centres is not None
    if centres is None:
        centres = _grid(nodes, sizes, back, style)
    along = 1 if style.direction in ("top_to_bottom", "bottom_to_top") else 0
    sep = 0.3 * POINTS * style.gap
    if y_up:
        centres = _reading_order(nodes, centres, sizes, along, y_up, sep)
    centres = _clear_long_edges(nodes, centres, sizes, along, sep)
    boxes = _place(nodes, centres, sizes, style, y_up, along)
    for spread in SPREADS:  # edges through boxes: spread the ranks further along the flow
        if not _clipped(nodes, boxes, along):
            break
        boxes = _place(nodes, centres, sizes, style, y_up, along, spread)
    neurons = {n.id for n in nodes if _NEURON.fullmatch(n.label or "")}
    for factor in NEURON_SHRINK:  # still: smaller neurons (a tall flow of wide layers)
        if not neurons or not _clipped(nodes, boxes, along):
            break
        smaller = {i: (w * factor, h * factor) if i in neurons else (w, h) for i, (w, h) in sizes.items()}
        boxes = _place(nodes, centres, smaller, style, y_up, along, SPREADS[-1])
    diagram = Diagram(_to_nodes(nodes, boxes, roles, shapes, style, 0))
    for shrink in (2, 4, 8):  # integer rounding may make two touching boxes overlap by a pixel
        if tidy(diagram).ok:
            break
        diagram = Diagram(_to_nodes(nodes, boxes, roles, shapes, style, shrink))
    return diagram


def node_lines(diagram: Diagram) -> str:
    return "\n".join(dump_node(n) for n in diagram.nodes)


def answer_text(plan_line: str, diagram: Diagram, style: Style) -> str:
    """The full answer: plan line (if any), style line, node lines."""
    head = [plan_line] if plan_line else []
    return "\n".join(head + [format_style(style), node_lines(diagram)])


class LayoutEngine:
    """`layout` with a bounded cache per (nodes, style, method); one per process or generator
    (thread-safe: the cache is guarded, dot runs outside the lock)."""

    def __init__(self, method: str = "auto", timeout: float = DOT_TIMEOUT_S, cache_size: int = 1024):
        self.method = method
        self.timeout = timeout
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple, Diagram] = OrderedDict()
        self._lock = threading.Lock()

    def layout(self, nodes: Sequence[PlannedNode] | Plan, style: Style) -> Diagram:
        planned = nodes.nodes() if isinstance(nodes, Plan) else list(nodes)
        key = (tuple(planned), style, self.method)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        diagram = layout(planned, style, self.method, self.timeout)
        with self._lock:
            self._cache[key] = diagram
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return diagram

    def answer(self, plan: Plan, style: Style, nodes: Sequence[PlannedNode] | None = None) -> str:
        """Plan line + style line + the engine's node lines for `plan` (or explicit `nodes`)."""
        return answer_text(plan.line(), self.layout(plan if nodes is None else nodes, style), style)
