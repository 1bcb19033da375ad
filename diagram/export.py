"""Take a drawing away: one diagram as SVG, PNG, graphviz DOT or Mermaid, for documents.

    >>> from diagram import parse
    >>> from diagram.export import export_bytes, to_mermaid
    >>> d = parse("[0, 100, 300, 'circle', 40, 40, 'solid arrow', (0,0,255), (0,0,0), [1]]\\n"
    ...           "[1, 300, 300, 'rectangle', 60, 40, 'solid arrow', (0,0,255), (0,0,0), []]").diagram
    >>> sorted(export_bytes(d, ("svg", "dot")))
    ['dot', 'svg']
    >>> to_mermaid(d).splitlines()[0]
    'flowchart LR'

- `svg` and `png`: exactly what the app shows (`diagram.render.render`: the fixed 1000x600 frame,
  PNG 1000x600 px).
- `dot`: standalone graphviz source with every node's position pinned (`pos="x,y!"`, points, y
  up). `neato -n2 -Tsvg file.dot` draws it where the app drew it; `dot -Tsvg file.dot` lays it out
  anew (rankdir follows the drawing's flow), for a document that wants graphviz's own layout. No
  frame node or viewport (those only fit the app's fixed canvas), so the file is what a person
  would write by hand.
- `mermaid`: a `flowchart` (direction from the drawing's flow) with the node labels, shapes,
  fills and edge styles; Mermaid lays it out itself (it has no pinned positions).

`export_bytes` is pure; `export_files(diagram, out_dir, stem, formats)` writes the chosen formats
as `<stem>.<ext>` (each file replaced atomically) and is what `diagramlab generate --format`, the
Playground's and the Label tab's downloads call.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from diagram.metrics import flow_direction
from diagram.model import Diagram, Node
from diagram.render import (
    _LINE_ATTRS,
    _SHAPE_ATTRS,
    POINTS_PER_INCH,
    _geometry,
    _hex,
    escape_label,
    render,
)

# format name -> file extension; the order is the order files are written and listed in
EXTENSIONS = {"svg": "svg", "png": "png", "dot": "dot", "mermaid": "mmd"}
FORMATS = tuple(EXTENSIONS)
MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png", "dot": "text/vnd.graphviz",
               "mermaid": "text/plain"}
_RANKDIR = {"left_to_right": "LR", "top_to_bottom": "TB"}
_MERMAID_DIRECTION = {"left_to_right": "LR", "top_to_bottom": "TD"}


def parse_formats(spec: str | Iterable[str]) -> tuple[str, ...]:
    """'svg,png,dot' (or a list) -> ('svg', 'png', 'dot'): known names, duplicates dropped, in the
    given order; 'all' means every format, 'mmd' is accepted for 'mermaid'. ValueError names an
    unknown one."""
    names = spec.split(",") if isinstance(spec, str) else list(spec)
    out: list[str] = []
    for raw in names:
        name = raw.strip().lower()
        if not name:
            continue
        if name == "all":
            wanted = list(FORMATS)
        elif name == "mmd":
            wanted = ["mermaid"]
        elif name in EXTENSIONS:
            wanted = [name]
        else:
            raise ValueError(f"unknown export format {raw.strip()!r}; choose from {', '.join(FORMATS)} (or all)")
        out.extend(w for w in wanted if w not in out)
    if not out:
        raise ValueError(f"no export format given; choose from {', '.join(FORMATS)}")
    return tuple(out)


def _first_index(diagram: Diagram) -> dict[int, int]:
    """Node id -> position of its first node (duplicate ids: edges go to the first, as rendered)."""
    first: dict[int, int] = {}
    for i, node in enumerate(diagram.nodes):
        first.setdefault(node.id, i)
    return first


def to_dot(diagram: Diagram) -> str:
    """Standalone graphviz DOT source with pinned positions (see the module docstring)."""
    direction = flow_direction(diagram)
    first = _first_index(diagram)
    n_edges = sum(1 for n in diagram.nodes for t in n.targets if t in first)
    lines = [
        f"// diagramlab diagram: {len(diagram.nodes)} nodes, {n_edges} edges; positions pinned (points, y up).\n",
        "//   neato -n2 -Tsvg this.dot > out.svg   draws it as diagramlab drew it\n",
        "//   dot -Tsvg this.dot > out.svg         lets graphviz lay it out anew\n",
        "digraph diagram {\n",
        f"  graph [rankdir={_RANKDIR.get(direction, 'TB')}, splines=false, bgcolor=white, outputorder=edgesfirst];\n",
        '  node [fixedsize=true, fontname="DejaVu Sans", fontsize=10, color=black, penwidth=1];\n',
        "  edge [penwidth=1.2, arrowsize=0.8];\n",
    ]
    for i, node in enumerate(diagram.nodes):
        gx, gy, w, h = _geometry(node)
        label = escape_label(node.label) if node.label else ""
        shape = _SHAPE_ATTRS.get(node.shape, _SHAPE_ATTRS["rectangle"])
        lines.append(f'  n{i} [pos="{gx:.1f},{gy:.1f}!", width={w / POINTS_PER_INCH:.4f}, '
                     f'height={h / POINTS_PER_INCH:.4f}, {shape}, fillcolor="{_hex(node.fill)}", '
                     f'label="{label}"];\n')
    for i, node in enumerate(diagram.nodes):
        style = _LINE_ATTRS.get(node.line_shape, _LINE_ATTRS["solid arrow"])
        for target in node.targets:
            if target in first:
                lines.append(f'  n{i} -> n{first[target]} [{style}, color="{_hex(node.line_color)}"];\n')
    lines.append("}\n")
    return "".join(lines)


def mermaid_label(text: str | None) -> str:
    """A label safe inside Mermaid's `["..."]`: quotes and angle brackets as entity codes, newlines
    as <br>, control characters dropped; an empty label is one space (Mermaid needs text)."""
    if not text:
        return " "
    out = []
    for ch in escape_label(text).replace("&amp;", "&").replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\"):
        if ch == '"':
            out.append("#quot;")
        elif ch == "<":
            out.append("#lt;")
        elif ch == ">":
            out.append("#gt;")
        elif ch == "#":
            out.append("#35;")
        elif ch == "\n":
            out.append("<br>")
        else:
            out.append(ch)
    return "".join(out)


def _mermaid_node(i: int, node: Node) -> str:
    label = mermaid_label(node.label)
    if node.shape == "round rectangle":
        return f'n{i}("{label}")'
    if node.shape == "circle":
        return f'n{i}(("{label}"))'
    return f'n{i}["{label}"]'


_MERMAID_LINKS = {"solid arrow": "-->", "solid line": "---", "dashed line": "-.-"}


def to_mermaid(diagram: Diagram) -> str:
    """A Mermaid `flowchart`: labels, shapes, fills, edge styles; Mermaid places the nodes."""
    direction = _MERMAID_DIRECTION.get(flow_direction(diagram), "TD")
    lines = [f"flowchart {direction}\n"]
    first = _first_index(diagram)
    for i, node in enumerate(diagram.nodes):
        lines.append(f"  {_mermaid_node(i, node)}\n")
    for i, node in enumerate(diagram.nodes):
        link = _MERMAID_LINKS.get(node.line_shape, "-->")
        for target in node.targets:
            if target in first:
                lines.append(f"  n{i} {link} n{first[target]}\n")
    for i, node in enumerate(diagram.nodes):
        lines.append(f"  style n{i} fill:{_hex(node.fill)},stroke:#000000\n")
    return "".join(lines)


def export_bytes(diagram: Diagram, formats: str | Iterable[str] = FORMATS) -> dict[str, bytes]:
    """{format: file bytes} for the chosen formats (`parse_formats`). SVG/PNG come from
    `diagram.render.render` (RenderError when graphviz fails)."""
    out: dict[str, bytes] = {}
    for fmt in parse_formats(formats):
        if fmt in ("svg", "png"):
            out[fmt] = render(diagram, fmt)
        elif fmt == "dot":
            out[fmt] = to_dot(diagram).encode("utf-8")
        else:
            out[fmt] = to_mermaid(diagram).encode("utf-8")
    return out


def _replace(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temp file beside it and os.replace (never a half file)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def export_files(diagram: Diagram, out_dir: str | os.PathLike[str], stem: str,
                 formats: str | Iterable[str] = FORMATS) -> dict[str, Path]:
    """Write `<out_dir>/<stem>.<ext>` for each chosen format; {format: path} in the formats' order.

    Everything is rendered before anything is written, so a graphviz failure (RenderError) leaves
    no partial set behind. `stem` must be a plain file name (no directory part)."""
    if not stem or Path(stem).name != stem or stem in (".", ".."):
        raise ValueError(f"export stem should be a plain file name, got {stem!r}")
    data = export_bytes(diagram, formats)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for fmt, payload in data.items():
        path = out / f"{stem}.{EXTENSIONS[fmt]}"
        _replace(path, payload)
        paths[fmt] = path
    return paths
