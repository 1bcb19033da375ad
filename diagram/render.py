"""Render a `Diagram` with graphviz on a fixed 1000x600 frame: `render(d, "png"|"svg") -> bytes`.

    >>> from diagram import parse, render
    >>> d = parse("[0, 500, 300, 'circle', 40, 40, 'solid arrow', (0,0,255), (0,0,0), []]").diagram
    >>> render(d)[:4]
    b'\\x89PNG'

Positions are pinned (`neato -n2`, `pos="x,y!"`), 1 px = 1 pt and dpi 72, so the PNG is exactly
1000x600 px and a node at canvas (x, y) is drawn at pixel (x, y); graphviz's y axis points up, so
y is flipped. graphviz shifts the drawing so its bounding box starts at (0, 0); an invisible 1 pt
"frame" node placed below-left of everything pins that corner, and `viewport` cuts the canvas out.
A display copy (`fit_frame=True`, what a card shows with enlarged labels) grows the frame by
however far a label of a node on the canvas pokes past its edge, so no label is cut (the canvas
then starts at pixel (left overhang, top overhang)).

A label of at most ONE_LINE_CHARS characters is drawn on one line; a longer one that is wider than
its node is broken at spaces into 2 or 3 centred lines (`wrap_label`: the fewest lines that fit the
node's width, as even as the words allow; 3 when none fit). Labels never overlap each other:
`fit_labels` keeps a node's whole (wrapped) label, shortens it with "…", or drops it, so that no two
drawn label boxes (centred on their nodes, `label_box`, every line counted) intersect at the font
size drawn (dense nets at a card's enlarged `label_scale`); a shortened label keeps its full text as
the node's tooltip (SVG).

Only generated text reaches DOT: ids n0, n1, ..., validated numbers, mapped shape/line names,
#rrggbb colours and an escaped label, so no text from the model can inject DOT. `to_dot(d)` shows
the source. Rendering pipes the source through graphviz's `dot -Kneato` (no temp files), killed
after RENDER_TIMEOUT_S. Nodes wholly
outside the frame are not drawn (graphviz leaves them out of the SVG too).
"""

from __future__ import annotations

import itertools
import math
import re
import subprocess

from diagram.model import CANVAS_HEIGHT, CANVAS_WIDTH, Diagram, Node

FORMATS = ("png", "svg")
POINTS_PER_INCH = 72  # graphviz sizes are in inches, positions in points; at dpi 72, 1 pt = 1 px
FRAME_MARGIN = 20  # px between the frame node and the drawing, so edge ends never set the corner
MAX_LABEL_CHARS = 80
# A label of at most this many characters is drawn on one line, however wide (the answer grammar's
# limit before labels could be longer); a longer one wider than its node wraps onto at most
# MAX_LABEL_LINES lines at spaces.
ONE_LINE_CHARS = 40
MAX_LABEL_LINES = 3
# Keeps graphviz's arithmetic sane for absurd model output; anything this far out is off-frame.
COORD_LIMIT = 20_000.0
RENDER_TIMEOUT_S = 10.0  # a typical diagram renders in ~50 ms; a stuck graphviz must not hold a worker
SIZE_LIMIT = 5_000.0
FONT_SIZE = 10  # pt = px on the 1000x600 canvas
MAX_LABEL_SCALE = 4.0
ELLIPSIS = "…"
LABEL_GAP = 2.0  # px kept free between two labels
MIN_KEPT = 4  # a shortened label keeps at least this many characters (else it is left out)
LINE_HEIGHT = 1.25  # a text line's height in font sizes (graphviz: about 1.2)
# DejaVu Sans advance widths in em, rounded up (so an estimated box never undershoots the drawn one)
_NARROW, _WIDE = set("iljtfr.,:;|!'` ()[]{}I"), set("mwMW@%")

_SHAPE_ATTRS = {
    "rectangle": 'shape=box, style="filled"',
    "round rectangle": 'shape=box, style="rounded,filled"',
    "circle": 'shape=ellipse, style="filled"',
}
_LINE_ATTRS = {
    "solid arrow": 'style=solid, arrowhead=normal',
    "solid line": 'style=solid, arrowhead=none',
    "dashed line": 'style=dashed, arrowhead=none',
}
_GRAPH_HEADER = (
    "digraph diagram {{\n"
    '  graph [dpi=72, pad=0, margin=0, splines=false, outputorder=edgesfirst, bgcolor=white,\n'
    '         viewport="{width},{height},1,{cx:.3f},{cy:.3f}"];\n'
    '  node [fixedsize=true, fontname="DejaVu Sans", fontsize={font_size}, color=black, penwidth=1];\n'
    "  edge [penwidth=1.2, arrowsize=0.8];\n"
    '  frame [pos="{fx:.3f},{fy:.3f}!", width={fw:.6f}, height={fw:.6f}, shape=box, style=invis,'
    ' label=""];\n'
)


class RenderError(RuntimeError):
    """graphviz is missing or failed; the message says which and how to fix it."""


def _clamp(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def _hex(color: tuple[int, int, int]) -> str:
    r, g, b = (int(_clamp(c, 0, 255)) for c in color)
    return f"#{r:02x}{g:02x}{b:02x}"


def escape_label(text: str) -> str:
    """Text safe inside a DOT double-quoted string, drawn literally by graphviz.

    Backslashes are doubled (so graphviz's \\N, \\l ... escapes never fire), quotes escaped, '&'
    written as an entity, newlines become graphviz's centred line break, control characters go.
    """
    text = text[:MAX_LABEL_CHARS].encode("utf-8", "replace").decode("utf-8")
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "&":  # graphviz decodes HTML entities such as &amp; even in plain labels
            out.append("&amp;")
        elif ch == "\n":
            out.append("\\n")
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        elif ch in "\t\r\u2028\u2029\x85\x0b\x0c":
            out.append(" ")
    return "".join(out)


def _em(ch: str) -> float:
    return 0.42 if ch in _NARROW else 1.02 if ch in _WIDE else 0.8 if ch.isupper() else 0.68


def text_width(text: str, size: float) -> float:
    """An upper estimate of one line's width in px at `size` px (DejaVu Sans)."""
    return sum(_em(ch) for ch in text) * size


def _wrapped(text: str, width: float, size: float = FONT_SIZE) -> str:
    """`text` broken at spaces into the fewest lines (up to MAX_LABEL_LINES) whose widest is within
    `width` px at `size` px, the breaks chosen so that the widest line is as narrow as it can be;
    when no split fits, the MAX_LABEL_LINES (or as many as there are words) lines with the
    narrowest widest line. Text without a space, or already within `width`, stays one line."""
    words = text.split()
    flat = " ".join(words)
    if len(words) < 2 or text_width(flat, size) <= width:
        return flat
    # cum[i]: em width of the first i characters of flat; a line of words a..b-1 spans
    # starts[a] .. starts[b] - 1 (the space before the next word left out)
    cum = [0.0]
    for ch in flat:
        cum.append(cum[-1] + _em(ch))
    starts = []
    at = 0
    for w in words:
        starts.append(at)
        at += len(w) + 1
    starts.append(len(flat) + 1)

    def line(a: int, b: int) -> float:
        return (cum[starts[b] - 1] - cum[starts[a]]) * size

    n = len(words)
    best: tuple[float, tuple[int, ...]] = (math.inf, ())
    for lines in range(2, min(MAX_LABEL_LINES, n) + 1):
        best = (math.inf, ())
        if lines == 2:
            for i in range(1, n):
                widest = max(line(0, i), line(i, n))
                if widest < best[0]:
                    best = (widest, (i,))
        else:
            for i in range(1, n - 1):
                head = line(0, i)
                if head >= best[0]:
                    break
                # the middle line grows with j and the last shrinks: the best j is where they cross
                lo, hi = i + 1, n - 1
                while lo < hi:
                    mid = (lo + hi) // 2
                    if line(i, mid) < line(mid, n):
                        lo = mid + 1
                    else:
                        hi = mid
                for j in {max(i + 1, lo - 1), lo}:
                    widest = max(head, line(i, j), line(j, n))
                    if widest < best[0]:
                        best = (widest, (i, j))
        if best[0] <= width:
            break
    cuts = (0,) + best[1] + (n,)
    return "\n".join(" ".join(words[a:b]) for a, b in zip(cuts, cuts[1:]))


def wrap_label(text: str, width: float) -> str:
    """The label as drawn on a node `width` px wide: as it is when it has at most ONE_LINE_CHARS
    characters or holds a line break already, else on one line when it fits the width at FONT_SIZE,
    else broken at spaces into 2 or 3 lines (`_wrapped`). The breaks are the canvas's at any
    label_scale: a display copy draws the same lines in bigger letters."""
    if len(text) <= ONE_LINE_CHARS or "\n" in text:
        return text
    return _wrapped(text, width)


def label_box(node: Node, text: str, size: float) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) canvas px of `text` drawn centred on `node` at `size` px."""
    lines = text.split("\n")
    half_w = max(text_width(line, size) for line in lines) / 2
    half_h = len(lines) * LINE_HEIGHT * size / 2
    return node.x - half_w, node.y - half_h, node.x + half_w, node.y + half_h


def _overlaps(a, b) -> bool:
    return a[0] < b[2] + LABEL_GAP and b[0] < a[2] + LABEL_GAP and \
        a[1] < b[3] + LABEL_GAP and b[1] < a[3] + LABEL_GAP


def fit_labels(diagram: Diagram, size: float = FONT_SIZE, wrap: bool = True) -> list[str]:
    """Per node, the label to draw at `size` px so that no two drawn labels overlap: the whole
    label (`wrap_label`) when it fits, else the longest prefix (of at least MIN_KEPT characters)
    ending in "…" that fits, on one line (a label over ONE_LINE_CHARS: cut after a whole word and
    wrapped the same way, or inside its first word), else "" (in node order: an earlier node's label
    is kept first). `wrap=False`: every label on one line, as drawn before labels could wrap
    (benchmarks/bench_label_wrap.py compares the two)."""
    placed: list[tuple[float, float, float, float]] = []
    out = []
    for node in diagram.nodes:
        text = (node.label or "")[:MAX_LABEL_CHARS]
        if not text.strip():
            out.append("")
            continue
        flat = " ".join(text.split())
        width = _clamp(node.width, 1.0, SIZE_LIMIT)
        long = wrap and len(text) > ONE_LINE_CHARS and "\n" not in text
        if long:  # cut after a whole word, wrapped; within the first word, a character at a time
            ends = [m.start() for m in re.finditer(" ", flat)]
            first = ends[0] if ends else len(flat)
            shorter = itertools.chain((_wrapped(flat[:n] + ELLIPSIS, width) for n in reversed(ends) if n >= MIN_KEPT),
                                      (flat[:n] + ELLIPSIS for n in range(first - 1, MIN_KEPT - 1, -1)))
        else:
            shorter = (flat[:n].rstrip() + ELLIPSIS for n in range(len(flat) - 1, MIN_KEPT - 1, -1))
        tries = itertools.chain([wrap_label(text, width) if wrap else text], shorter)
        for candidate in tries:
            box = label_box(node, candidate, size)
            if not any(_overlaps(box, other) for other in placed):
                placed.append(box)
                out.append(candidate)
                break
        else:
            out.append("")
    return out


def _geometry(node: Node) -> tuple[float, float, float, float]:
    """(graphviz x, graphviz y, width, height) in points, clamped to sane ranges."""
    x = _clamp(node.x, -COORD_LIMIT, COORD_LIMIT)
    y = _clamp(node.y, -COORD_LIMIT, COORD_LIMIT)
    width = _clamp(node.width, 1.0, SIZE_LIMIT)
    height = _clamp(node.height, 1.0, SIZE_LIMIT)
    return x, CANVAS_HEIGHT - y, width, height


def label_overhang(diagram: Diagram, labels: list[str], size: float) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) px by which the drawn `labels` (at `size` px, centred on their
    nodes, plus LABEL_GAP) reach past the canvas; only nodes centred on the canvas count (a node
    off the canvas is cut anyway)."""
    over = [0.0, 0.0, 0.0, 0.0]
    for node, text in zip(diagram.nodes, labels):
        if not text or not (0 <= node.x <= CANVAS_WIDTH and 0 <= node.y <= CANVAS_HEIGHT):
            continue
        left, top, right, bottom = label_box(node, text, size)
        over = [max(over[0], -left), max(over[1], -top), max(over[2], right - CANVAS_WIDTH),
                max(over[3], bottom - CANVAS_HEIGHT)]
    return tuple(math.ceil(o + LABEL_GAP) if o > 0 else 0 for o in over)


def _header(geometry: list[tuple[float, float, float, float]],
            overhang: tuple[int, int, int, int] = (0, 0, 0, 0)) -> str:
    over_left, over_top, over_right, over_bottom = overhang
    # Lower-left corner of everything drawn (graphviz coordinates), never right of/above the
    # frame's own lower-left corner (-over_left, -over_bottom).
    left = min([-over_left] + [gx - w / 2 for gx, _, w, _ in geometry]) - FRAME_MARGIN
    bottom = min([-over_bottom] + [gy - h / 2 for _, gy, _, h in geometry]) - FRAME_MARGIN
    frame_size = 1.0  # pt; centred half a point inside the corner so the corner is exact
    return _GRAPH_HEADER.format(
        width=CANVAS_WIDTH + over_left + over_right, height=CANVAS_HEIGHT + over_top + over_bottom,
        cx=(CANVAS_WIDTH + over_right - over_left) / 2 - left,
        cy=(CANVAS_HEIGHT + over_top - over_bottom) / 2 - bottom,
        fx=left + frame_size / 2, fy=bottom + frame_size / 2,
        fw=frame_size / POINTS_PER_INCH, font_size=FONT_SIZE,
    )


def to_dot(diagram: Diagram, label_scale: float = 1.0, fit_frame: bool = False) -> str:
    """The DOT source `render` feeds to `neato -n2`; `label_scale` multiplies the label size
    (FONT_SIZE pt), for display copies shown smaller than the canvas; `fit_frame` grows the frame
    so that no label is cut at the canvas edge (`label_overhang`)."""
    geometry = [_geometry(n) for n in diagram.nodes]
    size = float(FONT_SIZE)
    if label_scale != 1.0:
        size = FONT_SIZE * _clamp(float(label_scale), 0.25, MAX_LABEL_SCALE)
    fitted = fit_labels(diagram, size)
    overhang = label_overhang(diagram, fitted, size) if fit_frame else (0, 0, 0, 0)
    lines = [_header(geometry, overhang)]
    if label_scale != 1.0:
        lines.append(f"  node [fontsize={size:.2f}];\n")
    first_index: dict[int, int] = {}
    for i, (node, (gx, gy, w, h)) in enumerate(zip(diagram.nodes, geometry)):
        first_index.setdefault(node.id, i)
        label = escape_label(fitted[i]) if fitted[i] else ""
        full = escape_label(node.label) if node.label else ""
        whole = bool(fitted[i]) and " ".join(fitted[i].split()) == " ".join((node.label or "")[:MAX_LABEL_CHARS].split())
        tip = f', tooltip="{full}"' if full != label and not whole else ""  # shortened or dropped: the whole one
        shape = _SHAPE_ATTRS.get(node.shape, _SHAPE_ATTRS["rectangle"])  # hand-built nodes
        lines.append(
            f'  n{i} [pos="{gx:.3f},{gy:.3f}!", width={w / POINTS_PER_INCH:.6f}, '
            f"height={h / POINTS_PER_INCH:.6f}, {shape}, "
            f'fillcolor="{_hex(node.fill)}", label="{label}"{tip}];\n'
        )
    for i, node in enumerate(diagram.nodes):
        style = _LINE_ATTRS.get(node.line_shape, _LINE_ATTRS["solid arrow"])
        color = _hex(node.line_color)  # edges take the source node's line colour
        for target in node.targets:
            if target in first_index:
                lines.append(f'  n{i} -> n{first_index[target]} [{style}, color="{color}"];\n')
    lines.append("}\n")
    return "".join(lines)


def render(diagram: Diagram, fmt: str = "png", *, timeout: float = RENDER_TIMEOUT_S,
           label_scale: float = 1.0, fit_frame: bool = False) -> bytes:
    """PNG or SVG bytes of the diagram on the fixed 1000x600 frame (an empty diagram: blank);
    `label_scale` draws the labels that many times FONT_SIZE (to stay readable when shown small);
    `fit_frame` grows the frame past 1000x600 where a label would be cut at the edge.

    graphviz runs as a subprocess that is killed after `timeout` seconds (RenderError).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")
    # What graphviz.Source(...).pipe(format=fmt, neato_no_op=2) runs, plus a timeout it lacks.
    command = ["dot", "-Kneato", f"-T{fmt}", "-n2"]
    try:
        proc = subprocess.run(command, input=to_dot(diagram, label_scale, fit_frame).encode("utf-8"), capture_output=True,
                              timeout=timeout, check=False)
    except FileNotFoundError as exc:
        raise RenderError("graphviz's 'neato' program was not found; install graphviz "
                          "(Debian/Ubuntu: apt-get install graphviz)") from exc
    except subprocess.TimeoutExpired as exc:
        raise RenderError(f"graphviz took over {timeout:g} s to render the diagram; stopped") from exc
    if proc.returncode != 0:
        detail = (proc.stderr or b"").decode("utf-8", "replace").strip()[:500]
        raise RenderError(f"graphviz failed to render the diagram: {detail}")
    return proc.stdout
