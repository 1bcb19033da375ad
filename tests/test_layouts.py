"""Reference layouts are readable, well-formed and styled consistently for every style choice."""

import itertools
import random
from dataclasses import replace

import pytest

from diagram import dumps, parse
from diagram.layouts import (CNN, DIRECTIONS, PALETTES, SHAPE_SCHEMES, STEP_TYPES, CNNLayer,
                             DenseNet, Flowchart, Style, feature_extent, layout_dl_model,
                             layout_flowchart, random_style)
from diagram.metrics import flow_direction, is_blue_palette, original_score, readability
from diagram.model import LINE_SHAPES

DENSE = [DenseNet((1, 1)), DenseNet((2, 4, 1)), DenseNet((10, 10, 2)),
         DenseNet((3, 7, 2, 9))]
CNNS = [CNN((CNNLayer("input", 128), CNNLayer("conv", 126, 3), CNNLayer("conv", 124, 3),
             CNNLayer("pool", 62, 2), CNNLayer("conv", 58, 5), CNNLayer("pool", 29, 2),
             CNNLayer("conv", 27, 3), CNNLayer("pool", 13, 2), CNNLayer("dense", 512),
             CNNLayer("output", 10)))]
FLOWS = [
    Flowchart(("picture", "text", "model", "db"), ((0, 1), (2,), (3,)),
              ((0, 2), (1, 2), (2, 3))),
    # fan-out, parallel lanes, merge: the widest shape the generator makes
    Flowchart(("db", "chart", "model", "process", "model", "model", "model", "text"),
              ((0,), (1, 2, 3), (4, 5, 6), (7,)),
              ((0, 1), (0, 2), (0, 3), (1, 4), (2, 5), (3, 6), (4, 7), (5, 7), (6, 7))),
    Flowchart(STEP_TYPES[:7], tuple((i,) for i in range(7)), tuple((i, i + 1) for i in range(6))),
]
STYLES = [Style(palette=p, shapes=s, direction=d, line_shape=ls, scale=sc)
          for p, s, d, ls, sc in itertools.product(
              PALETTES, SHAPE_SCHEMES, DIRECTIONS, LINE_SHAPES[:1], (0.85, 1.15))]


def _layout(structure, style, labels=False):
    if isinstance(structure, Flowchart):
        return layout_flowchart(structure, style, labels)
    return layout_dl_model(structure, style, labels)


@pytest.mark.parametrize("structure", DENSE + CNNS + FLOWS, ids=lambda s: type(s).__name__)
def test_every_style_gives_a_readable_diagram_that_round_trips(structure):
    dl_model = not isinstance(structure, Flowchart)
    for style in STYLES:
        d = _layout(structure, style)
        r = readability(d)
        assert (r.overlaps, r.off_canvas) == (0, 0), style
        assert r.min_gap is None or r.min_gap >= 10, style
        assert flow_direction(d) == style.direction
        assert all(float(v).is_integer() for n in d.nodes for v in (n.x, n.y, n.width, n.height))
        parsed = parse(dumps(d))
        assert parsed.problems == ()
        assert parsed.diagram == d
        assert original_score(parsed.diagram, d, dl_model=dl_model) == 1.0


@pytest.mark.parametrize("style", [Style(direction=d, scale=1.15) for d in DIRECTIONS])
def test_the_largest_dense_net_still_fits(style):
    d = layout_dl_model(DenseNet((10, 10, 10, 10, 10)), style)  # 50 nodes: the worst case
    r = readability(d)
    assert (r.overlaps, r.off_canvas) == (0, 0) and r.min_gap >= 10


@pytest.mark.parametrize("sizes", [(1, 1), (2, 4, 1), (4, 6, 10, 1), (10, 1, 10)])
def test_dense_layers_are_fully_connected_consecutively(sizes):
    d = layout_dl_model(DenseNet(sizes), Style())
    assert len(d.nodes) == sum(sizes)
    starts = [sum(sizes[:i]) for i in range(len(sizes) + 1)]
    expected = {(a, b) for i in range(len(sizes) - 1)
                for a in range(starts[i], starts[i + 1])
                for b in range(starts[i + 1], starts[i + 2])}
    assert set(d.edges()) == expected


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_dense_layers_share_one_coordinate_along_the_flow(direction):
    d = layout_dl_model(DenseNet((3, 5, 2)), Style(direction=direction))
    along = [(n.x if direction == "left_to_right" else n.y) for n in d.nodes]
    assert along[:3] == [along[0]] * 3 and along[3:8] == [along[3]] * 5
    assert along[0] < along[3] < along[8]


def test_cnn_is_a_chain_with_extents_following_feature_map_size():
    d = layout_dl_model(CNNS[0], Style(direction="left_to_right"))
    assert d.edges() == [(i, i + 1) for i in range(len(d.nodes) - 1)]
    heights = [n.height for n in d.nodes[:8]]  # input/conv/pool: feature maps shrink
    assert heights == sorted(heights, reverse=True) and heights[0] > heights[-1]
    assert feature_extent(CNNLayer("conv", 64, 3)) > feature_extent(CNNLayer("conv", 16, 3))
    assert all(n.shape != "circle" for n in d.nodes)


def test_flowchart_edges_and_branch_spread():
    chart = FLOWS[1]
    d = layout_flowchart(chart, Style(direction="top_to_bottom"))
    assert sorted(d.edges()) == sorted(chart.edges)
    middle = [d.nodes[i] for i in (1, 2, 3)]
    assert len({n.y for n in middle}) == 1 and len({n.x for n in middle}) == 3
    lanes = [d.nodes[i] for i in (4, 5, 6)]
    assert [n.x for n in lanes] == [n.x for n in middle]  # lanes run straight


@pytest.mark.parametrize("palette", PALETTES)
def test_one_colour_per_role_and_only_blue_is_blue(palette):
    style = Style(palette=palette)
    d = layout_flowchart(FLOWS[2], style)
    fills = {n.fill for n in d.nodes}
    assert len(fills) == len(d.nodes)  # seven distinct step types, seven fills
    dense = layout_dl_model(DenseNet((2, 3, 3, 1)), style)
    assert len({n.fill for n in dense.nodes[2:8]}) == 1  # every hidden node alike
    for diagram in (d, dense, layout_dl_model(CNNS[0], style)):
        assert is_blue_palette(diagram) == (1.0 if palette == "blue" else 0.0)


def test_labels_add_the_eleventh_field():
    d = layout_dl_model(DenseNet((2, 1)), Style(), labels=True)
    assert [n.label for n in d.nodes] == ["Input", "Input", "Output"]
    assert dumps(d).splitlines()[0].endswith("'Input']")
    deep = layout_dl_model(DenseNet((1, 2, 1, 1)), Style(), labels=True)
    assert [n.label for n in deep.nodes] == ["Input", "Hidden 1", "Hidden 1", "Hidden 2", "Output"]
    assert layout_flowchart(FLOWS[0], Style(), labels=True).nodes[3].label == "DB"
    named = replace(FLOWS[0], names=tuple(f"Step {i}" for i in range(len(FLOWS[0].steps))))
    assert [n.label for n in layout_flowchart(named, Style(), labels=True).nodes] == list(named.names)
    assert all(n.label is None for n in layout_flowchart(FLOWS[0], Style()).nodes)


@pytest.mark.parametrize("field, value", [("palette", "neon"), ("direction", "right_to_left"),
                                          ("line_shape", "zigzag"), ("shapes", "stars"),
                                          ("scale", 3.0)])
def test_style_rejects_unknown_choices(field, value):
    with pytest.raises(ValueError, match=field):
        Style(**{field: value})


def test_random_style_really_varies():
    rng = random.Random(0)
    styles = [random_style(rng) for _ in range(300)]
    assert {s.palette for s in styles} == set(PALETTES)
    assert {s.shapes for s in styles} == set(SHAPE_SCHEMES)
    assert {s.direction for s in styles} == set(DIRECTIONS)
    assert {s.line_shape for s in styles} == set(LINE_SHAPES)
    assert styles == [random_style(r) for r in [random.Random(0)] for _ in range(300)]
