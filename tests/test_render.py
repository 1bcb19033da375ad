"""Rendering: fixed 1000x600 frame, pinned positions, one shape per node, no DOT injection.

Run: .venv/bin/python -m pytest tests/test_render.py -q   (needs graphviz's `neato` on PATH)
"""

from __future__ import annotations

import io
import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
from PIL import Image

from diagram import Diagram, Node, RenderError, parse, render, to_dot
from testing.graphviz_text import drawn_lines

needs_graphviz = pytest.mark.skipif(shutil.which("neato") is None, reason="graphviz not installed")
SVG = "{http://www.w3.org/2000/svg}"
SHAPE_TAGS = {f"{SVG}polygon", f"{SVG}ellipse", f"{SVG}path"}

SAMPLE = """[0, 100, 100, 'rectangle', 40, 40, 'solid arrow', (255, 0, 0), (0, 0, 0), [1]]
[1, 500, 300, 'round rectangle', 80, 40, 'dashed line', (0, 255, 0), (0, 0, 255), [2]]
[2, 900, 500, 'circle', 60, 60, 'solid line', (0, 0, 255), (200, 100, 0), [0]]"""

EVIL_LABELS = [
    'he said "hi"',
    '"]; a -> b [',
    "} digraph x { y",
    "back\\slash \\N \\G \\l end\\",
    '\\"]; n0 -> n1 [color=red',
    "<b>html</b> &amp; <table>",
    "two\nlines\r\n",
    "nul\x00 bell\x07",
]


def groups(svg: bytes, cls: str) -> list[ET.Element]:
    return [g for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("class") == cls]


def png_image(diagram: Diagram) -> Image.Image:
    return Image.open(io.BytesIO(render(diagram, "png"))).convert("RGB")


@needs_graphviz
@pytest.mark.parametrize("text", [
    SAMPLE,
    "",  # empty diagram: a blank frame
    "[0, -300, 900, 'circle', 40, 40, 'solid arrow', (9, 9, 9), (0, 0, 0), []]",  # far off-canvas
    "[0, 500, 300, 'rectangle', 3000, 2000, 'solid arrow', (9, 9, 9), (0, 0, 0), [0]]",  # huge
])
def test_png_is_always_1000_by_600(text):
    assert png_image(parse(text).diagram).size == (1000, 600)


@needs_graphviz
def test_nodes_are_drawn_at_their_canvas_pixels():
    image = png_image(parse(SAMPLE).diagram)
    # Node 0: red 40x40 box centred at (100, 100) -> interior 81..118, border at 80 and 119.
    assert image.getpixel((100, 100)) == (255, 0, 0)
    assert image.getpixel((82, 82)) == (255, 0, 0) and image.getpixel((117, 117)) == (255, 0, 0)
    assert image.getpixel((76, 100)) == (255, 255, 255)
    # Node 2: blue circle of diameter 60 at (900, 500); y is not flipped in the picture.
    assert image.getpixel((900, 500)) == (0, 0, 255)
    assert image.getpixel((900, 100)) == (255, 255, 255)
    assert image.getpixel((5, 595)) == (255, 255, 255)


@needs_graphviz
def test_svg_has_one_shape_per_node_and_one_path_per_edge():
    svg = render(parse(SAMPLE).diagram, "svg")
    nodes = groups(svg, "node")
    assert [g.find(f"{SVG}title").text for g in nodes] == ["n0", "n1", "n2"]
    assert [sum(child.tag in SHAPE_TAGS for child in g) for g in nodes] == [1, 1, 1]
    assert [g.find(f"{SVG}ellipse") is not None for g in nodes] == [False, False, True]
    edges = groups(svg, "edge")
    assert len(edges) == 3
    strokes = [e.find(f"{SVG}path").get("stroke") for e in edges]
    assert strokes == ["#000000", "#0000ff", "#c86400"]  # the source node's line colour
    assert ["stroke-dasharray" in e.find(f"{SVG}path").attrib for e in edges] == [
        False, True, False]
    assert [e.find(f"{SVG}polygon") is not None for e in edges] == [True, False, False]


def test_dot_maps_shapes_and_lines_and_generates_ids():
    dot = to_dot(parse(SAMPLE).diagram)
    assert "n0 [" in dot and "n2 [" in dot
    assert 'shape=box, style="filled"' in dot
    assert 'shape=box, style="rounded,filled"' in dot
    assert 'shape=ellipse, style="filled"' in dot
    assert 'n0 -> n1 [style=solid, arrowhead=normal, color="#000000"]' in dot
    assert 'n1 -> n2 [style=dashed, arrowhead=none, color="#0000ff"]' in dot
    assert 'n2 -> n0 [style=solid, arrowhead=none, color="#c86400"]' in dot
    assert 'fillcolor="#ff0000"' in dot
    assert "outputorder=edgesfirst" in dot


def test_dot_pins_positions_in_points_with_y_flipped():
    node = Node(7, 100, 150, "circle", 72, 36, "solid arrow", (0, 0, 0), (0, 0, 0))
    dot = to_dot(Diagram([node]))
    assert 'n0 [pos="100.000,450.000!", width=1.000000, height=0.500000' in dot


def test_unknown_names_and_colours_never_pass_through():
    odd = Node(0, 1, 1, 'box"];x', 10, 10, "zig]", (300, -4, 12), (0, 0, 0), (0,))
    dot = to_dot(Diagram([odd]))
    assert "zig" not in dot and ";x" not in dot and 'box"' not in dot
    assert 'fillcolor="#ff000c"' in dot  # clamped to 0-255


DOT_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')


@pytest.mark.parametrize("label", EVIL_LABELS)
def test_labels_cannot_inject_dot(label):
    node = Node(0, 500, 300, "rectangle", 200, 60, "solid arrow", (255, 255, 255), (0, 0, 0), (),
                label)
    dot = to_dot(Diagram([node]))
    # With every DOT string removed, what is left is our own structure only.
    bare = DOT_STRING.sub('""', dot)
    assert "->" not in bare and bare.count("{") == 1 and bare.count("}") == 1
    assert len(bare.splitlines()) == len(to_dot(Diagram([replace(node, label="x")])).splitlines())
    assert re.search(r'  n0 \[pos="[^"]*", .*, label=""\];\n', bare)


@needs_graphviz
@pytest.mark.parametrize("label", EVIL_LABELS)
def test_labels_render_literally(label):
    node = Node(0, 500, 300, "rectangle", 400, 80, "solid arrow", (255, 255, 255), (0, 0, 0), (),
                label)
    svg = render(Diagram([node]), "svg")
    nodes = groups(svg, "node")
    assert len(nodes) == 1 and groups(svg, "edge") == []
    drawn = [(t.text or "").strip() for t in nodes[0].iter(f"{SVG}text")]
    printable = "".join(ch for ch in label if ch.isprintable() or ch in "\n ")
    assert drawn == [part.strip() for part in printable.split("\n") if part.strip()]


@needs_graphviz
def test_errors_still_render_what_parsed():
    result = parse(SAMPLE + "\n[3, 10, 10, 'hexagon', 5, 5, 'solid arrow', (0,0,0), (0,0,0), []]")
    assert result.errors
    assert len(groups(render(result.diagram, "svg"), "node")) == 3


def test_missing_graphviz_is_a_render_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RenderError, match="graphviz's 'neato' program was not found"):
        render(parse(SAMPLE).diagram)


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown format 'jpg'"):
        render(Diagram(), "jpg")


def test_a_stuck_graphviz_is_stopped_by_the_timeout(tmp_path, monkeypatch):
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\nexec /bin/sleep 30\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RenderError, match="took over 0.5 s"):
        render(parse(SAMPLE).diagram, timeout=0.5)


def test_every_shape_name_of_the_format_parses_and_has_a_drawing():
    from diagram.model import LINE_SHAPES, SHAPES
    from diagram.render import _LINE_ATTRS, _SHAPE_ATTRS

    assert set(_SHAPE_ATTRS) == set(SHAPES) and set(_LINE_ATTRS) == set(LINE_SHAPES)
    for shape in SHAPES:
        for line in LINE_SHAPES:
            result = parse(f"[0, 100, 100, '{shape}', 40, 40, '{line}', (1, 2, 3), (4, 5, 6), []]")
            assert result.ok and (result.diagram.nodes[0].shape, result.diagram.nodes[0].line_shape) == (shape, line)


def dense_net(label_chars: str = "unit") -> Diagram:
    """A hand-made dense net: 4 columns of 10 small circles, 200 px apart, 50 px between rows,
    fully connected column to column, every node labelled (labels wider than the gaps at 3x)."""
    nodes = []
    for col in range(4):
        for row in range(10):
            i = col * 10 + row
            targets = [(col + 1) * 10 + r for r in range(10)] if col < 3 else []
            nodes.append(Node(id=i, x=100 + 200 * col, y=60 + 50 * row, shape="circle", width=20,
                              height=20, line_shape="solid arrow", fill=(120, 160, 230),
                              line_color=(0, 0, 0), targets=tuple(targets),
                              label=f"layer {col + 1} {label_chars} {row + 1}"))
    return Diagram(nodes)


def drawn_label_boxes(dot: str) -> list[tuple[str, tuple[float, float, float, float]]]:
    """(text, box) of every label line graphviz draws (its own text widths, from -Tjson)."""
    return [line for lines in drawn_lines(dot).values() for line in lines]


@needs_graphviz
@pytest.mark.parametrize("scale", [1.0, 3.0, 4.0])
def test_labels_on_a_dense_net_never_overlap(scale):
    """Labels drawn large (a card's label_scale) on a dense net are shortened or left out so that
    no two overlap (graphviz's own text boxes); a shortened one keeps its full text as a tooltip."""
    diagram = dense_net()
    dot = to_dot(diagram, label_scale=scale)
    boxes = drawn_label_boxes(dot)
    for i, (text_a, a) in enumerate(boxes):
        for text_b, b in boxes[i + 1:]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, f"{text_a!r} {a} overlaps {text_b!r} {b} at label_scale {scale}"
    drawn = [text for text, _ in boxes]
    whole = {n.label for n in diagram.nodes} & set(drawn)
    if scale >= 3.0:  # the gaps are narrower than the labels: some are shortened or left out
        assert len(whole) < len(diagram.nodes)
        assert all(text.endswith("…") and len(text) > 4 for text in set(drawn) - whole)
        tips = re.findall(r'tooltip="([^"]*)"', dot)  # every other label, whole, as a tooltip
        assert sorted(tips) == sorted(n.label for n in diagram.nodes if n.label not in whole)
    else:  # at the canvas size every label fits whole
        assert sorted(drawn) == sorted(n.label for n in diagram.nodes)
    assert len(drawn) >= 10  # the first column keeps its labels: the net is still named


@needs_graphviz
def test_labels_without_neighbours_are_kept_whole_at_any_size():
    node = Node(id=0, x=500, y=300, shape="rectangle", width=60, height=30,
                line_shape="solid arrow", fill=(255, 255, 255), line_color=(0, 0, 0), targets=(),
                label="a long label for one node")
    dot = to_dot(Diagram([node]), label_scale=4.0)
    assert [text for text, _ in drawn_label_boxes(dot)] == ["a long label for one node"]
    assert "tooltip" not in dot


def edge_net() -> Diagram:
    """Labelled nodes right at the canvas edges (left, right, top, bottom corner), as a dense
    net's outer columns are drawn: at a card's label size their labels reach past the frame."""
    spots = [(12, 300, "Hidden 1"), (988, 300, "Output layer"), (500, 8, "Input"),
             (980, 594, "Loss value")]
    return Diagram([Node(id=i, x=x, y=y, shape="circle", width=20, height=20,
                         line_shape="solid arrow", fill=(120, 160, 230), line_color=(0, 0, 0),
                         targets=(), label=label) for i, (x, y, label) in enumerate(spots)])


def viewport_window(dot: str) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) graphviz points the `viewport` cuts out (what is drawn)."""
    width, height, _, cx, cy = map(float, re.search(r'viewport="([^"]+)"', dot).group(1).split(","))
    return cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2


@needs_graphviz
@pytest.mark.parametrize("scale", [1.0, 3.0])
def test_a_display_copy_cuts_no_label_at_the_canvas_edge(scale):
    """With fit_frame (a card's display copy) every label graphviz draws (-Tjson, its own text
    widths) lies inside the frame the viewport cuts out; the canvas render stays 1000x600."""
    diagram = edge_net()
    dot = to_dot(diagram, label_scale=scale, fit_frame=True)
    left, bottom, right, top = viewport_window(dot)
    boxes = drawn_label_boxes(dot)
    assert sorted(text for text, _ in boxes) == sorted(n.label for n in diagram.nodes)
    for text, (x0, y0, x1, y1) in boxes:
        assert left <= x0 and x1 <= right and bottom <= y0 and y1 <= top, \
            f"{text!r} ({x0:.0f}, {y0:.0f}, {x1:.0f}, {y1:.0f}) is cut by the frame {left, bottom, right, top}"
    image = Image.open(io.BytesIO(render(diagram, "png", label_scale=scale, fit_frame=True)))
    assert image.size == (round(right - left), round(top - bottom))
    assert png_image(diagram).size == (1000, 600)


@needs_graphviz
def test_without_fit_frame_an_edge_label_is_cut():
    """The case the frame grows for: at 3x the edge labels reach past the plain 1000x600 frame."""
    dot = to_dot(edge_net(), label_scale=3.0)
    left, bottom, right, top = viewport_window(dot)
    assert (right - left, top - bottom) == (1000, 600)
    cut = [text for text, (x0, y0, x1, y1) in drawn_label_boxes(dot)
           if x0 < left or x1 > right or y0 < bottom or y1 > top]
    assert sorted(cut) == ["Hidden 1", "Input", "Loss value", "Output layer"]
