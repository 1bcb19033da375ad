"""The diagram data model: frozen `Node` and `Diagram` values plus the format's vocabulary.

One node per line in the text format:
    [id, x, y, shape, width, height, line_shape, (R,G,B) fill, (R,G,B) line_color, [target ids]]
with an optional 11th field, a label string drawn inside the node.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CANVAS_WIDTH = 1000
CANVAS_HEIGHT = 600

# The format's shape names, declared once: the parser, the grammar (diagram.grammar) and the tiny
# tokenizer's pre-tokens are built from them. A new shape is a name here plus how graphviz draws
# it (diagram/render.py `_SHAPE_ATTRS`; tests/test_render.py checks every name has one).
SHAPES = ("rectangle", "round rectangle", "circle")
LINE_SHAPES = ("solid arrow", "solid line", "dashed line")

Color = tuple[int, int, int]


@dataclass(frozen=True)
class Node:
    """One diagram node. (x, y) is the node's centre in canvas pixels, y grows downwards."""

    id: int
    x: float
    y: float
    shape: str
    width: float
    height: float
    line_shape: str
    fill: Color
    line_color: Color
    targets: tuple[int, ...] = ()
    label: str | None = None

    @property
    def left(self) -> float:
        return self.x - self.width / 2

    @property
    def right(self) -> float:
        return self.x + self.width / 2

    @property
    def top(self) -> float:
        return self.y - self.height / 2

    @property
    def bottom(self) -> float:
        return self.y + self.height / 2


@dataclass(frozen=True)
class Diagram:
    """An ordered collection of nodes; edges are the nodes' `targets`."""

    nodes: tuple[Node, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        # Accept any iterable (lists are convenient) but store an immutable tuple.
        object.__setattr__(self, "nodes", tuple(self.nodes))

    def by_id(self) -> dict[int, Node]:
        """Map id -> node; with duplicate ids the first node wins."""
        out: dict[int, Node] = {}
        for node in self.nodes:
            out.setdefault(node.id, node)
        return out

    def edges(self) -> list[tuple[int, int]]:
        """(source id, target id) pairs whose target names an existing node."""
        ids = self.by_id()
        return [(n.id, t) for n in self.nodes for t in n.targets if t in ids]
