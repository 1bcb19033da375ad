"""Reference layouts: turn a structure (dense net, CNN, flowchart) plus a `Style` into a `Diagram`.

Pure and stdlib only. Every layout is readable by construction: nodes sit on an even grid along
the flow direction (layers / ranks) and across it (nodes of a layer / branches), inside the
1000x600 canvas with margins, never overlapping, with integer coordinates and one colour and
shape per node role. The trainer's synthetic data (trainer/data/synth.py) is built from these.

    >>> from diagram.layouts import DenseNet, Style, layout_dl_model
    >>> d = layout_dl_model(DenseNet((2, 4, 1)), Style())
    >>> len(d.nodes), d.nodes[0].targets
    (7, (2, 3, 4, 5))
"""

from __future__ import annotations

import colorsys
import math
import random
from dataclasses import asdict, dataclass

from diagram.model import CANVAS_HEIGHT, CANVAS_WIDTH, LINE_SHAPES, Diagram, Node

DIRECTIONS = ("left_to_right", "top_to_bottom")
STEP_TYPES = ("numeric", "text", "picture", "db", "chart", "function", "process", "model")
DL_ROLES = ("input", "hidden", "output", "conv", "pool", "dense")
MARGIN = 40  # free pixels between the canvas edge and the nearest node edge

# Palette = (hue per tone in degrees, fill lightness per tone, saturation). Each role has a fixed
# tone, so one role always gets one fill and one line colour within a palette.
_PALETTES: dict[str, tuple[tuple[int, ...], tuple[float, ...], float]] = {
    "blue": ((210, 215, 200, 225, 195, 230, 205, 220),
             (0.88, 0.78, 0.70, 0.84, 0.75, 0.90, 0.80, 0.68), 0.65),
    "green": ((120, 135, 105, 150, 95, 160, 125, 140),
              (0.86, 0.76, 0.66, 0.82, 0.74, 0.90, 0.80, 0.68), 0.45),
    "warm": ((30, 15, 45, 0, 38, 20, 50, 8),
             (0.86, 0.78, 0.70, 0.84, 0.76, 0.90, 0.80, 0.72), 0.85),
    "gray": ((0,) * 8, (0.94, 0.84, 0.74, 0.88, 0.80, 0.96, 0.86, 0.70), 0.0),
    "pastel": ((340, 180, 120, 50, 290, 150, 20, 75),
               (0.87, 0.86, 0.85, 0.84, 0.88, 0.85, 0.86, 0.87), 0.75),
}
PALETTES = tuple(_PALETTES)

_ROLE_TONE = {
    "input": 0, "hidden": 1, "output": 2, "conv": 3, "pool": 4, "dense": 1,
    "numeric": 0, "text": 1, "picture": 2, "db": 3, "chart": 4,
    "function": 5, "process": 6, "model": 7,
}

# Shape schemes: role -> shape. Roles missing from a scheme use its "*" entry.
_SHAPE_SCHEMES: dict[str, dict[str, str]] = {
    "classic": {"*": "rectangle", "input": "circle", "hidden": "circle", "output": "circle",
                "dense": "round rectangle", "function": "round rectangle",
                "process": "round rectangle", "model": "circle"},
    "boxes": {"*": "rectangle"},
    "rounded": {"*": "round rectangle"},
    "mixed": {"*": "round rectangle", "hidden": "circle", "pool": "rectangle",
              "db": "rectangle", "chart": "rectangle", "model": "circle"},
}
SHAPE_SCHEMES = tuple(_SHAPE_SCHEMES)
SCALES = (0.85, 1.0, 1.15)


@dataclass(frozen=True)
class Style:
    """How a reference diagram looks; the request never names it (see trainer/data/synth.py)."""

    palette: str = "blue"
    shapes: str = "classic"
    direction: str = "left_to_right"
    line_shape: str = "solid arrow"
    scale: float = 1.0

    def __post_init__(self) -> None:
        checks = [("palette", PALETTES), ("shapes", SHAPE_SCHEMES),
                  ("direction", DIRECTIONS), ("line_shape", LINE_SHAPES)]
        for name, allowed in checks:
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if not 0.5 <= self.scale <= 1.5:
            raise ValueError(f"scale must be in [0.5, 1.5], got {self.scale}")

    def shape_for(self, role: str) -> str:
        scheme = _SHAPE_SCHEMES[self.shapes]
        return scheme.get(role, scheme["*"])

    def fill_for(self, role: str) -> tuple[int, int, int]:
        hues, lights, sat = _PALETTES[self.palette]
        tone = _ROLE_TONE[role]
        return _hls(hues[tone], lights[tone], sat)

    def line_for(self, role: str) -> tuple[int, int, int]:
        hues, _, sat = _PALETTES[self.palette]
        tone = _ROLE_TONE[role]
        return _hls(hues[tone], 0.28, min(sat, 0.6))

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _hls(hue_deg: int, light: float, sat: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hls_to_rgb(hue_deg / 360, light, sat)
    return (round(r * 255), round(g * 255), round(b * 255))


def random_style(rng: random.Random) -> Style:
    """A style drawn so that every choice (palette, shapes, direction, lines, scale) varies."""
    return Style(
        palette=rng.choice(PALETTES),
        shapes=rng.choice(SHAPE_SCHEMES),
        direction=rng.choice(DIRECTIONS),
        line_shape=rng.choices(LINE_SHAPES, weights=(3, 1, 1))[0],
        scale=rng.choice(SCALES),
    )


# ---- structures -------------------------------------------------------------------------------

@dataclass(frozen=True)
class DenseNet:
    """Fully connected net: node counts per layer (input, hidden..., output), 1-10 each."""

    layer_sizes: tuple[int, ...]


@dataclass(frozen=True)
class CNNLayer:
    """kind: input|conv|pool (size = feature-map side) or dense|output (size = units)."""

    kind: str
    size: int
    kernel: int = 0


@dataclass(frozen=True)
class CNN:
    layers: tuple[CNNLayer, ...]


@dataclass(frozen=True)
class Flowchart:
    """Typed steps (ids are positions in `steps`) grouped in ranks along the flow."""

    steps: tuple[str, ...]
    ranks: tuple[tuple[int, ...], ...]
    edges: tuple[tuple[int, int], ...]
    names: tuple[str, ...] = ()  # labels per step ("Retriever"); empty: STEP_LABELS by type


# ---- geometry helpers -------------------------------------------------------------------------

def _axes(style: Style) -> tuple[int, int]:
    """(length along the flow, length across it) of the canvas."""
    if style.direction == "left_to_right":
        return CANVAS_WIDTH, CANVAS_HEIGHT
    return CANVAS_HEIGHT, CANVAS_WIDTH


def _slots(count: int, length: int, max_pitch: int) -> tuple[list[int], int]:
    """`count` evenly spaced integer centres on [0, length] (centred) and their pitch."""
    pitch = min(max_pitch, (length - 2 * MARGIN) // max(count, 1))
    first = length / 2 - (count - 1) * pitch / 2
    return [round(first + i * pitch) for i in range(count)], pitch


def _node(style: Style, nid: int, along: int, across: int, size_along: int, size_across: int,
          role: str, shape: str, targets: tuple[int, ...], label: str | None) -> Node:
    if style.direction == "left_to_right":
        x, y, w, h = along, across, size_along, size_across
    else:
        x, y, w, h = across, along, size_across, size_along
    return Node(nid, x, y, shape, w, h, style.line_shape, style.fill_for(role),
                style.line_for(role), targets, label)


# ---- layouts ----------------------------------------------------------------------------------

def layout_dl_model(structure: DenseNet | CNN, style: Style, labels: bool = False) -> Diagram:
    """Reference layout of a dense net (a column/row of nodes per layer) or a CNN."""
    if isinstance(structure, CNN):
        return _layout_cnn(structure, style, labels)
    return _layout_dense(structure, style, labels)


def _dense_role(layer: int, n_layers: int) -> str:
    if layer == 0:
        return "input"
    return "output" if layer == n_layers - 1 else "hidden"


def _layout_dense(net: DenseNet, style: Style, labels: bool) -> Diagram:
    sizes = net.layer_sizes
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"a dense net needs >= 2 layers of >= 1 node, got {sizes}")
    length_along, length_across = _axes(style)
    along, _ = _slots(len(sizes), length_along, 240 if length_along > 700 else 130)
    _, across_pitch = _slots(max(sizes), length_across, 80)
    side = max(12, min(round(40 * style.scale), round(across_pitch * 0.7)))
    first_ids = [sum(sizes[:i]) for i in range(len(sizes))]
    nodes = []
    for layer, count in enumerate(sizes):
        role = _dense_role(layer, len(sizes))
        across, _ = _slots(count, length_across, across_pitch)
        targets = ()
        if layer + 1 < len(sizes):
            targets = tuple(range(first_ids[layer + 1], first_ids[layer + 1] + sizes[layer + 1]))
        for j, pos in enumerate(across):
            label = None
            if labels:  # one label per layer: "Input", "Hidden 1", "Hidden 2", "Output"
                label = f"Hidden {layer}" if role == "hidden" else role.title()
            nodes.append(_node(style, first_ids[layer] + j, along[layer], pos, side, side,
                               role, style.shape_for(role), targets, label))
    return Diagram(nodes)


def feature_extent(layer: CNNLayer) -> int:
    """Pixel extent across the flow: grows with the feature-map side (or unit count)."""
    if layer.kind in ("dense", "output"):
        return max(30, min(200, round(10 * math.sqrt(layer.size))))
    return max(30, min(220, round(20 * math.sqrt(layer.size))))


def cnn_label(layer: CNNLayer) -> str:
    if layer.kind == "input":
        return f"Input {layer.size}x{layer.size}"
    if layer.kind in ("conv", "pool"):
        return f"{layer.kind.title()} {layer.kernel}x{layer.kernel}"
    return f"{layer.kind.title()} {layer.size}"


def _layout_cnn(cnn: CNN, style: Style, labels: bool) -> Diagram:
    layers = cnn.layers
    length_along, _ = _axes(style)
    along, pitch = _slots(len(layers), length_along, 140 if length_along > 700 else 90)
    across = _axes(style)[1] // 2
    thickness = max(12, min(round(34 * style.scale), round(pitch * 0.55)))
    nodes = []
    for i, layer in enumerate(layers):
        shape = style.shape_for(layer.kind)
        if shape == "circle":  # a circle cannot be thin along the flow and long across it
            shape = "round rectangle"
        targets = (i + 1,) if i + 1 < len(layers) else ()
        nodes.append(_node(style, i, along[i], across, thickness, feature_extent(layer),
                           layer.kind, shape, targets, cnn_label(layer) if labels else None))
    return Diagram(nodes)


STEP_LABELS = {
    "numeric": "Numeric data", "text": "Text", "picture": "Picture", "db": "DB",
    "chart": "Chart", "function": "Function", "process": "Process", "model": "Model",
}


def _step_label(chart: Flowchart, sid: int) -> str:
    return chart.names[sid] if chart.names else STEP_LABELS[chart.steps[sid]]


def layout_flowchart(chart: Flowchart, style: Style, labels: bool = False) -> Diagram:
    """Ranks along the flow direction; a rank's steps spread evenly across it."""
    length_along, length_across = _axes(style)
    along, along_pitch = _slots(len(chart.ranks), length_along, 200 if length_along > 700 else 120)
    widest = max(len(rank) for rank in chart.ranks)
    _, across_pitch = _slots(widest, length_across, 200 if length_across > 700 else 150)
    box_w = min(round(120 * style.scale), round(0.7 * (along_pitch if length_along > 700
                                                        else across_pitch)))
    box_h = min(round(54 * style.scale), round(0.6 * (along_pitch if length_along <= 700
                                                       else across_pitch)))
    targets = {i: [] for i in range(len(chart.steps))}
    for src, dst in chart.edges:
        targets[src].append(dst)
    nodes = []
    for r, rank in enumerate(chart.ranks):
        positions, _ = _slots(len(rank), length_across, across_pitch)
        for sid, pos in zip(rank, positions):
            step = chart.steps[sid]
            shape = style.shape_for(step)
            w, h = box_w, box_h
            if shape == "circle":
                w = h = min(round(box_h * 1.3), round(0.7 * along_pitch), round(0.7 * across_pitch))
            if style.direction == "top_to_bottom":
                w, h = h, w  # _node swaps back: boxes stay wide in both directions
            nodes.append(_node(style, sid, along[r], pos, w, h, step, shape,
                               tuple(sorted(targets[sid])),
                               _step_label(chart, sid) if labels else None))
    nodes.sort(key=lambda n: n.id)
    return Diagram(nodes)
